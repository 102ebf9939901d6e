"""Exporters of the government-procurement tables (政府采购, data spec 550–557) and of table
517 招标异常情况报告 (流标 and 终止招标), registered by :func:`register` from the app config.

Which tenders go where: a tender project whose trade type is in the catalogue category
``procurement`` (``gp.open`` 公开招标, ``gp.invite`` 邀请招标, ``gp.negotiation`` 竞争性谈判,
``gp.consultation`` 竞争性磋商, ``gp.inquiry`` 询价, ``gp.single`` 单一来源) is exported in
550 采购项目, 551 采购公告, 552 更正事项, 553 中标(成交)结果公告, 556 开标记录 and 557 供应商名单,
and **not** in the works tables 501–507 (:func:`works_only`) nor in the evaluation's 508, 510,
511 and 513 (:mod:`ggzy.evaluation.opendata` uses the same filter); 500 项目 and 519 投标文件特征码
carry both. 554 采购合同 belongs to the contracts app. 517 takes every tender type: the spec
has no procurement counterpart, and a failed or terminated procurement is still reported.

As in :mod:`ggzy.opendata.works`, code sets the spec does not publish (采购方式 43, 主体类别
2001, 主体角色类型 26) come from ``settings.GGZY_OPENDATA_CODES``; until the centre fills them
the fields stay empty and the quality report flags them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Q

from ggzy import clock
from ggzy.opendata import plugins
from ggzy.opendata.dataspec import fmt_decimal
from ggzy.opendata.ocds import PUBLIC_STATUSES, bid_amount, ocid_for, opening_published_q
from ggzy.opendata.tables import (
    CURRENCY,
    PRICE_UNIT_YUAN,
    ExportRow,
    abs_url,
    codes,
    dt14,
    flag,
    html_text,
    published_times,
    since_filter,
    with_times,
)

PROCUREMENT = "procurement"  # rules.models.Category.PROCUREMENT

# EXCEPITON_TYPE of table 517 (DOMAIN.md §3.2, [V-code]): 1 流标, 2 终止开标, 3 公告撤销, 9 其他
ABNORMITY_FAILED = "1"
ABNORMITY_OPENING_STOPPED = "2"
ABNORMITY_ANNOUNCEMENT_WITHDRAWN = "3"


def procurement_trade_types() -> list[str]:
    """Trade-type codes of the catalogue's government-procurement category."""
    from ggzy.rules.models import TradeType

    return sorted(TradeType.objects.filter(category=PROCUREMENT).values_list("code", flat=True))


def is_procurement(trade_type_code: str) -> bool:
    return trade_type_code in procurement_trade_types()


def _q(prefix: str, codes_: list[str]) -> Q:
    return Q(**{f"{prefix}trade_type_code__in": codes_})


def works_only(qs: Any, prefix: str) -> Any:
    """``qs`` without procurement tenders; ``prefix`` leads to the TenderProject
    (``""`` for TenderProject itself, ``"tender_project__"`` for Section, …)."""
    return qs.exclude(_q(prefix, procurement_trade_types()))


def procurement_only(qs: Any, prefix: str) -> Any:
    return qs.filter(_q(prefix, procurement_trade_types()))


def _short(text: str, limit: int, suffix: str = "") -> str:
    """``text`` + ``suffix`` within ``limit`` characters (a title cut with "…")."""
    room = limit - len(suffix)
    return (text if len(text) <= room else text[: room - 1] + "…") + suffix


def _mode(trade_type_code: str) -> str:
    """采购方式 (code set 43) from ``GGZY_OPENDATA_CODES["PURCHASE_MODE_<METHOD>"]``, the
    method being the part after ``gp.`` (OPEN, INVITE, NEGOTIATION, CONSULTATION, INQUIRY,
    SINGLE)."""
    method = trade_type_code.split(".", 1)[-1].upper()
    return codes().get(f"PURCHASE_MODE_{method}", "")


# ---- 550 采购项目 ------------------------------------------------------------------------


def purchase_project_rows(since: dt.datetime | None) -> Iterable[ExportRow]:
    """One row per 采购项目子包 (section) of a procurement tender project."""
    from ggzy.core.errors import DomainError
    from ggzy.projects.models import Section
    from ggzy.rules.selectors import deal_class_for

    c = codes()
    qs = procurement_only(
        Section.objects.select_related(
            "tender_project__project", "tender_project__tenderer", "tender_project__agency"
        ),
        "tender_project__",
    )
    rows = []
    for s in since_filter(qs, "created_at", since).order_by("created_at", "pk"):
        tp = s.tender_project
        p = tp.project
        try:
            klass = deal_class_for(tp.trade_type_code)
        except DomainError:
            klass = ""
        agency = tp.agency
        rows.append(
            ExportRow(
                record_id=str(s.pk),
                ocid=ocid_for(s.unified_deal_code),
                event_at=s.created_at,
                row={
                    "PURCHASE_PROJECT_CODE": tp.code,
                    "PURCHASE_PROJECT_NAME": tp.name,
                    "RELATE_CODE": flag(bool(p.invest_project_code)),
                    "INVEST_PROJECT_CODE": p.invest_project_code,
                    "TENDER_PROJECT_TYPE": klass,
                    "PURCHASER_NAME": tp.tenderer.name,
                    "PURCHASER_CODE": tp.tenderer.uscc,
                    "PURCHASER_ROLE": c.get("ROLE_TENDERER", ""),
                    "PRICE_FORM_CODE": "1",  # 金额 (the platform's price forms are in 元)
                    "PROGRAM_BUDGET": fmt_decimal(s.estimated_price or s.max_price),  # 预算
                    "BUDGET_CURRENCY": CURRENCY,
                    "UNIT_BUDGET": PRICE_UNIT_YUAN,
                    "OTHER_PROGRAM_BUDGET": "",
                    "IS_PROJECT": "",  # PPP: not captured
                    "PURCHASER_MODE": _mode(tp.trade_type_code),
                    "PURCHASER_CONTENT": s.content or tp.tender_content,
                    "PURCHASER_ORGANIZE_FORM": tp.organize_form,
                    "PURCHASER_AGENCY_NAME": agency.name if agency else "",
                    "PURCHASER_AGENCY_CODE": agency.uscc if agency else "",
                    "PURCHASER_AGENCY_ROLE": c.get("ROLE_AGENCY", "") if agency else "",
                    "PURCHASER_AGENCY_CONNECTOR": "",
                    "PURCHASER_AGENCY_INFORMATION": agency.contact_phone if agency else "",
                    "PURCHASE_SECTION_CODE": s.code,
                    "PURCHASE_SECTION_NAME": s.name,
                    "REGION_CODE": s.region_code,
                    "TRA_PLACE_CODE": s.tra_place_code,
                    "CREATE_TIME": dt14(tp.created_at),
                    "UNIFIED_DEAL_CODE": s.unified_deal_code,
                },
            )
        )
    return with_times(rows, "projects.section", ["projects:section:created"])


# ---- 551 采购公告 ------------------------------------------------------------------------


def _tenders(since: dt.datetime | None, field: str = "announced_at") -> Any:
    from ggzy.tendering.models import Tender

    qs = Tender.objects.filter(status__in=list(PUBLIC_STATUSES), announced_at__isnull=False)
    qs = procurement_only(
        qs.select_related("section__tender_project__project", "section__tender_project__agency"),
        "section__tender_project__",
    )
    return since_filter(qs, field, since)


def announcement_rows(since: dt.datetime | None) -> Iterable[ExportRow]:
    site = str(getattr(settings, "GGZY_SITE_NAME", ""))
    rows = []
    for t in _tenders(since).order_by("announced_at", "pk"):
        s = t.section
        tp = s.tender_project
        first = t.clarifications.order_by("issued_at", "pk").first()
        rows.append(
            ExportRow(
                record_id=str(t.pk),
                ocid=ocid_for(s.unified_deal_code),
                event_at=t.announced_at,
                row={
                    "PURCHASE_PROJECT_CODE": tp.code,
                    "PURCHASE_PROJECT_NAME": tp.name,
                    "BULLETIN_BID_NUM": "1",
                    "PURCHASE_SECTION_CODE": s.code,
                    "UNIFIED_DEAL_CODE": s.unified_deal_code,
                    "BULLETIN_TITLE": _short(t.title, 200),
                    "BULLETIN_CONTENT": t.announcement_html,
                    "BULLETIN_START_TIME": dt14(t.announced_at),
                    "BULLETIN_MEDIA": site,
                    "URL": abs_url("tendering:detail", t.pk),
                    # the deadline as announced; a later one is a 更正事项 (552)
                    "BID_CLOSING_TIME": dt14(first.old_deadline if first else t.bid_deadline),
                },
            )
        )
    return with_times(rows, "tendering.tender", ["tendering:tender:announced"])


# ---- 552 更正事项 ------------------------------------------------------------------------


def correction_rows(since: dt.datetime | None) -> Iterable[ExportRow]:
    """每一份澄清或修改 (clarification/amendment) of a procurement tender = 更正公告."""
    from ggzy.tendering.models import Clarification

    qs = procurement_only(
        Clarification.objects.select_related("tender__section__tender_project", "document"),
        "tender__section__tender_project__",
    )
    rows = []
    for c in since_filter(qs, "issued_at", since).order_by("issued_at", "pk"):
        t = c.tender
        s = t.section
        moved = c.new_deadline != c.old_deadline
        rows.append(
            ExportRow(
                record_id=str(c.pk),
                ocid=ocid_for(s.unified_deal_code),
                event_at=c.issued_at,
                row={
                    "PURCHASE_PROJECT_CODE": s.tender_project.code,
                    "PURCHASE_PROJECT_NAME": s.tender_project.name,
                    "PURCHASE_SECTION_CODE": s.code,
                    "UNIFIED_DEAL_CODE": s.unified_deal_code,
                    "TERMINATION_BULLETIN_TITLE": _short(t.title, 50, "（更正公告）"),
                    "TERMINATION_BULLETIN_CONTENT": html_text(c.content_html)
                    + (
                        f" 投标（提交响应文件）截止时间调整为 {dt14(c.new_deadline)}。"
                        if moved
                        else ""
                    ),
                    "MODIFICATION_START_TIME": dt14(c.issued_at),
                    "IS_POSTPONE": flag(moved),
                    "POST_BID_CLOSING_TIME": dt14(c.new_deadline) if moved else "",
                    "URL": abs_url("tendering:detail", t.pk),
                },
            )
        )
    return [
        *with_times(rows, "tendering.clarification", ["tendering:clarification:issued"]),
        *_stopped_rows(since),
    ]


def _stopped_rows(since: dt.datetime | None) -> list[ExportRow]:
    """终止公告 and 废标 (a failed opening) of procurement tenders as 更正事项 (552, whose
    fields are ``TERMINATION_BULLETIN_*``; ``IS_POSTPONE`` 0)."""
    from ggzy.tendering.models import OpeningSession, OpeningState, Tender, TenderStatus

    def row(t: Any, key: str, suffix: str, content: str, at: dt.datetime) -> ExportRow:
        s = t.section
        return ExportRow(
            record_id=key,
            ocid=ocid_for(s.unified_deal_code),
            event_at=at,
            row={
                "PURCHASE_PROJECT_CODE": s.tender_project.code,
                "PURCHASE_PROJECT_NAME": s.tender_project.name,
                "PURCHASE_SECTION_CODE": s.code,
                "UNIFIED_DEAL_CODE": s.unified_deal_code,
                "TERMINATION_BULLETIN_TITLE": _short(t.title, 50, suffix),
                "TERMINATION_BULLETIN_CONTENT": content,
                "MODIFICATION_START_TIME": dt14(at),
                "IS_POSTPONE": flag(False),
                "POST_BID_CLOSING_TIME": "",
                "URL": abs_url("tendering:detail", t.pk),
            },
        )

    terminated = [
        row(
            t,
            f"terminated-{t.pk}",
            "（终止公告）",
            f"本采购项目已终止。终止原因：{t.termination_reason}",
            t.terminated_at,
        )
        for t in since_filter(
            procurement_only(
                Tender.objects.filter(status=TenderStatus.TERMINATED, terminated_at__isnull=False),
                "section__tender_project__",
            ).select_related("section__tender_project"),
            "terminated_at",
            since,
        ).order_by("terminated_at", "pk")
    ]
    failed = [
        row(
            session.tender,
            f"failed-{session.pk}",
            "（废标公告）",
            "符合要求的供应商不足三家，予以废标（政府采购法第三十六条）",
            session.started_at,
        )
        for session in since_filter(
            procurement_only(
                OpeningSession.objects.filter(state=OpeningState.FAILED),
                "tender__section__tender_project__",
            ).select_related("tender__section__tender_project"),
            "started_at",
            since,
        ).order_by("started_at", "pk")
    ]
    for rows, subject, events in (
        (terminated, "tendering.tender", ["tendering:tender:terminated"]),
        (
            failed,
            "tendering.openingsession",
            ["tendering:opening:failed", "tendering:opening:recorded"],
        ),
    ):
        times = published_times(subject, [r.record_id.split("-", 1)[1] for r in rows], events)
        for r in rows:
            r.published_at = times.get(r.record_id.split("-", 1)[1], (None, None))[1]
    return terminated + failed


# ---- 553 中标（成交）结果公告 --------------------------------------------------------------


def deal_rows(since: dt.datetime | None) -> Iterable[ExportRow]:
    """One row per award (定标) of a procurement tender, with the portal notice's text."""
    from ggzy.evaluation.models import EvaluationSession, Step
    from ggzy.evaluation.opendata import AWARD_ISSUED, SUBJECT, _public_notice

    c = codes()
    qs = procurement_only(
        EvaluationSession.objects.filter(step=Step.AWARDED, awarded_at__isnull=False),
        "tender__section__tender_project__",
    ).select_related(
        "tender__section__tender_project__tenderer", "tender__section__tender_project__agency"
    )
    rows = []
    for session in since_filter(qs, "awarded_at", since).order_by("awarded_at", "pk"):
        t = session.tender
        s = t.section
        tp = s.tender_project
        agency = tp.agency
        winner = session.reviews.select_related("bidder").filter(bid_id=session.winner_id).first()
        if winner is None:
            continue
        notice = _public_notice(session, "award")
        price = _opened_price(session.winner_id)
        rows.append(
            ExportRow(
                record_id=str(session.pk),
                ocid=ocid_for(s.unified_deal_code),
                event_at=session.awarded_at,
                row={
                    "PURCHASE_PROJECT_CODE": tp.code,
                    "PURCHASE_PROJECT_NAME": tp.name,
                    "PURCHASE_SECTION_CODE": s.code,
                    "UNIFIED_DEAL_CODE": s.unified_deal_code,
                    "REGION_CODE": s.region_code,
                    "TRA_PLACE_CODE": s.tra_place_code,
                    "PURCHASER_AGENCY_NAME": agency.name if agency else "",
                    "PURCHASER_AGENCY_CODE": agency.uscc if agency else "",
                    "WIN_BID_BULLETIN_TITLE": _short(notice.title, 200)
                    if notice is not None
                    else _short(t.title, 200, "（中标（成交）结果公告）"),
                    "WIN_BID_BULLETIN_CONTENT": notice.body_text
                    if notice is not None
                    else f"中标（成交）供应商：{winner.bidder.name}",
                    "WIN_BID_BULLETIN_START_TIME": dt14(session.awarded_at),
                    "URL": abs_url("disclosure:notice", notice.pk)
                    if notice is not None
                    else abs_url("tendering:detail", t.pk),
                    "WINNINGBIDDER_NAME": winner.bidder.name,
                    "WINNINGBIDDER_TYPE": c.get("SUBJECT_CODE_TYPE_USCC", ""),
                    "WINNINGBIDDER_CODE": winner.bidder.uscc,
                    "PRICE_FORM_CODE": str(price.get("price_form", "1") or "1"),
                    "WIN_BID_PRICE": fmt_decimal(winner.price),
                    "CURRENCY_CODE": CURRENCY if winner.price is not None else "",
                    "PRICE_UNIT": PRICE_UNIT_YUAN if winner.price is not None else "",
                    "WIN_BID_RATE": "",
                    "CREATOR": _short((agency or tp.tenderer).name, 50),
                },
            )
        )
    times = published_times(SUBJECT, [r.record_id for r in rows], [AWARD_ISSUED])
    for r in rows:
        r.published_at = times.get(r.record_id, (None, None))[1]
    return rows


def _opened_price(bid_id: Any) -> dict[str, Any]:
    from ggzy.tendering.models import BidOpening

    opening = BidOpening.objects.filter(bid_id=bid_id).only("price").first()
    return dict(opening.price or {}) if opening is not None else {}


# ---- 556 开标记录 / 557 供应商名单 ---------------------------------------------------------


def opening_rows(since: dt.datetime | None) -> Iterable[ExportRow]:
    from ggzy.tendering.models import OpeningSession

    qs = procurement_only(
        OpeningSession.objects.filter(opening_published_q()),
        "tender__section__tender_project__",
    ).select_related("tender__section__tender_project__tenderer")
    rows = []
    for session in since_filter(qs, "started_at", since).order_by("started_at", "pk"):
        t = session.tender
        s = t.section
        record = session.record or {}
        lines, names = [], []
        for r in record.get("rows", []):
            names.append(str(r.get("bidder", "")))
            amount = bid_amount(r.get("price"))
            lines.append(
                f"{r.get('bidder', '')}（{r.get('bidder_code', '')}）："
                f"{fmt_decimal(amount) + '元' if amount is not None else '—'}；"
                f"{r.get('consistency', '')}"
            )
        rows.append(
            ExportRow(
                record_id=str(session.pk),
                ocid=ocid_for(s.unified_deal_code),
                event_at=session.started_at,
                row={
                    "PURCHASE_PROJECT_CODE": s.tender_project.code,
                    "PURCHASE_SECTION_CODE": s.code,
                    "UNIFIED_DEAL_CODE": s.unified_deal_code,
                    "NOTICE_NAME": f"{s.name}开标记录",
                    "BID_OPENING_ACTOR": _short(
                        "、".join([s.tender_project.tenderer.name, "交易中心", *names]), 500
                    ),
                    "BID_OPENING_CONTENT": "\n".join(lines)
                    or "供应商少于规定数量，采购失败（废标），未开标",
                    "BID_OPENING_ADDRESS": t.opening_place,
                    "BID_OPENING_TIME": dt14(session.started_at),
                    "URL": abs_url("tendering:detail", t.pk),
                },
            )
        )
    return with_times(
        rows,
        "tendering.openingsession",
        ["tendering:opening:recorded", "tendering:opening:failed"],
    )


def supplier_rows(since: dt.datetime | None) -> Iterable[ExportRow]:
    """One row per response (投标/响应文件) at a published opening."""
    from ggzy.tendering.models import BidOpening, Consistency, Deposit

    c = codes()
    qs = procurement_only(
        BidOpening.objects.filter(opening_published_q("session__")),
        "session__tender__section__tender_project__",
    ).select_related("bid__bidder", "session__tender__section__tender_project")
    rows = []
    session_of: dict[str, str] = {}
    for op in since_filter(qs, "session__started_at", since).order_by("bid__received_at", "pk"):
        session_of[str(op.bid_id)] = str(op.session_id)
        bid = op.bid
        s = op.session.tender.section
        deposit = Deposit.objects.filter(tender_id=op.session.tender_id, bidder=bid.bidder).first()
        price = op.price or {}
        ok = op.consistency == Consistency.CONSISTENT
        amount = bid_amount(price) if ok else None
        other = "" if amount is not None or not ok else str(price.get("amount", ""))
        rows.append(
            ExportRow(
                record_id=str(bid.pk),
                ocid=ocid_for(s.unified_deal_code),
                event_at=op.session.started_at,
                row={
                    "PURCHASE_PROJECT_CODE": s.tender_project.code,
                    "PURCHASE_SECTION_CODE": s.code,
                    "UNIFIED_DEAL_CODE": s.unified_deal_code,
                    "BIDDER_NAME": bid.bidder.name,
                    "IS_LOST": "",  # credit query result: not recorded yet (as table 507)
                    "BIDDER_CODE_TYPE": c.get("SUBJECT_CODE_TYPE_USCC", ""),
                    "BIDDER_ORG_CODE": bid.bidder.uscc,
                    "BIDDER_ROLE": c.get("ROLE_BIDDER", ""),
                    "IS_COMMIT_MARGIN": flag(deposit is not None),
                    "MARGIN_PAY_FORM": "1" if deposit is not None else "",
                    "PRICE_FORM_CODE": str(price.get("price_form", "") or ""),
                    "OTHER_BID_PRICE": other,
                    "MARGIN_RECEIVE_TIME": dt14(deposit.paid_at) if deposit else "",
                    "BID_PRICE": fmt_decimal(amount),
                    "PRICE_CURRENCY": CURRENCY if amount is not None else "",
                    "PRICE_UNIT": PRICE_UNIT_YUAN if amount is not None else "",
                },
            )
        )
    published = published_times(
        "tendering.openingsession",
        set(session_of.values()),
        ["tendering:opening:recorded", "tendering:opening:failed"],
    )
    for r in rows:
        r.published_at = published.get(session_of[r.record_id], (None, None))[1]
    return rows


# ---- 517 招标异常情况报告 ------------------------------------------------------------------


def _abnormity(
    t: Any, kind: str, name: str, info: str, result: str, at: dt.datetime | None
) -> dict[str, str]:
    s = t.section
    return {
        "TENDER_PROJECT_CODE": s.tender_project.code,
        "BID_SECTION_CODE": s.code,
        "UNIFIED_DEAL_CODE": s.unified_deal_code,
        "EXCEPITON_NAME": _short(t.title, 600, name),
        "EXCEPITON_INFOR": info,
        "APPROVAL_RESULT": result,
        "APPROVAL_TIME": dt14(at),
        "EXCEPITON_TYPE": kind,
    }


def abnormity_rows(since: dt.datetime | None) -> Iterable[ExportRow]:
    """流标 (a failed opening: ``EXCEPITON_TYPE`` 1) and 终止招标 (2 when the opening had
    begun — 终止开标, else 3 — the announcement withdrawn by the 终止公告) of works tenders:
    517's ``TENDER_PROJECT_CODE`` must match a 501 row, which procurement projects never have
    (their 终止/废标 notices are 552 更正事项 rows, :func:`correction_rows`)."""
    from ggzy.tendering.models import OpeningSession, OpeningState, Tender, TenderStatus

    failed: list[ExportRow] = []
    qs = works_only(
        OpeningSession.objects.filter(state=OpeningState.FAILED),
        "tender__section__tender_project__",
    ).select_related("tender__section__tender_project")
    for session in since_filter(qs, "started_at", since).order_by("started_at", "pk"):
        record = session.record or {}
        count = len(record.get("rows") or []) or session.bids.count()
        info = (
            f"有效投标人 {record.get('valid_bids', 0)} 家（递交 {count} 家），不足法定数量"
            if record
            else f"递交投标文件的投标人 {count} 家，少于 3 个"
        )
        failed.append(
            ExportRow(
                record_id=f"failed-{session.pk}",
                ocid=ocid_for(session.tender.section.unified_deal_code),
                event_at=session.started_at,
                row=_abnormity(
                    session.tender,
                    ABNORMITY_FAILED,
                    "（流标）",
                    info + "，招标失败（招标投标法第二十八条、实施条例第四十四条）",
                    "流标，招标人依法重新招标",
                    session.started_at,
                ),
            )
        )
    times = published_times(
        "tendering.openingsession",
        [r.record_id.split("-", 1)[1] for r in failed],
        ["tendering:opening:failed", "tendering:opening:recorded"],
    )
    for r in failed:
        r.published_at = times.get(r.record_id.split("-", 1)[1], (None, None))[1]

    terminated: list[ExportRow] = []
    tq = works_only(
        Tender.objects.filter(status=TenderStatus.TERMINATED, terminated_at__isnull=False),
        "section__tender_project__",
    ).select_related("section__tender_project")
    opened = set(OpeningSession.objects.values_list("tender_id", flat=True))
    for t in since_filter(tq, "terminated_at", since).order_by("terminated_at", "pk"):
        in_opening = t.pk in opened
        terminated.append(
            ExportRow(
                record_id=f"terminated-{t.pk}",
                ocid=ocid_for(t.section.unified_deal_code),
                event_at=t.terminated_at,
                row=_abnormity(
                    t,
                    ABNORMITY_OPENING_STOPPED if in_opening else ABNORMITY_ANNOUNCEMENT_WITHDRAWN,
                    "（终止招标）",
                    f"终止原因：{t.termination_reason}",
                    "招标人终止招标，已发布终止公告，退还投标保证金及银行同期存款利息"
                    "（招标投标法实施条例第三十一条）",
                    t.terminated_at,
                ),
            )
        )
    times = published_times(
        "tendering.tender",
        [r.record_id.split("-", 1)[1] for r in terminated],
        ["tendering:tender:terminated"],
    )
    for r in terminated:
        r.published_at = times.get(r.record_id.split("-", 1)[1], (None, None))[1]
    return failed + terminated


# ---- registration ---------------------------------------------------------------------

TERMINATED = "tendering:tender:terminated"


def _add_tables(event_type: str, tables: Iterable[str]) -> None:
    """Add ``tables`` to a feed event another module registered (or register it)."""
    known = plugins.feed_events().get(event_type)
    current = list(known.tables) if known else []
    plugins.register_feed_event(event_type, current + [t for t in tables if t not in current])


def register() -> None:
    plugins.register_table("517", abnormity_rows, timeliness="517")
    plugins.register_table("550", purchase_project_rows, timeliness="550")
    plugins.register_table("551", announcement_rows, timeliness="551")
    plugins.register_table("552", correction_rows, timeliness="552")
    plugins.register_table("553", deal_rows, timeliness="553")
    plugins.register_table("556", opening_rows, timeliness="556")
    plugins.register_table("557", supplier_rows, timeliness="556")
    plugins.register_feed_event(TERMINATED, ["517", "552"])
    # a failed opening yields a 517 row (works) or a 552 row (procurement); the other events
    # keep their (works) table lists — docs/opendata.md gives the 550–557 counterpart of each
    _add_tables("tendering:opening:failed", ["517", "552"])


# ---- demo ------------------------------------------------------------------------------


def _demo_bid(tender: Any, user: Any, org: Any, amount: str) -> tuple[Any, Any, Any]:
    """Seal a small bid package to the tender's opening key and submit it in chunks."""
    import hashlib
    import io
    import tempfile
    from pathlib import Path

    from ggzy.bidkit.package import build_package
    from ggzy.bidkit.pricing import parse_price_form
    from ggzy.crypto import envelope as env
    from ggzy.crypto.suites import INTL, PublicKey
    from ggzy.registry import services as registry
    from ggzy.tendering import bids

    signing, encrypt = INTL.generate_signing_key(), INTL.generate_wrapping_key()
    registry.entity_key_register(
        actor=user, purpose="sign", public_key=signing.public_key.to_text(), organization=org
    )
    with tempfile.TemporaryDirectory() as tmp:
        doc = Path(tmp) / "响应文件.pdf"
        doc.write_bytes(f"%PDF-1.7 response of {org.name}".encode())
        pkg = Path(tmp) / "bid.zip"
        price = {"price_form": 1, "amount": amount, "price_unit": 0, "duration_days": 60}
        build_package(pkg, files=[doc], price_form=parse_price_form(price))
        out = io.BytesIO()
        env.seal(
            io.BytesIO(pkg.read_bytes()),
            out,
            suite=INTL,
            opening_public_key=PublicKey.from_text(tender.opening_public_key),
            bidder_public_key=encrypt.public_key,
            bidder_signing_key=signing,
            tender_ref=tender.section.code,
            bidder_ref=org.uscc,
        )
    data = out.getvalue()
    chunk = bids.MIN_CHUNK
    up = bids.upload_start(
        actor=user,
        tender=tender,
        bidder=org,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        chunk_size=chunk,
    )
    for i in range(up.chunk_count):
        part = data[i * chunk : (i + 1) * chunk]
        bids.upload_chunk(
            actor=user, upload=up, index=i, data=part, sha256=hashlib.sha256(part).hexdigest()
        )
    return bids.upload_complete(actor=user, upload=up), signing, encrypt


def demo(log: Any) -> None:
    """One 政府采购-公开招标 through an agency, from entry to award (so it reaches 553),
    dated in the past like the lifecycle demo; three suppliers respond and decrypt. No
    中标候选人公示: the purchaser confirms the winner straight from the signed evaluation report
    (政府采购法实施条例第四十三条; rule keys ``evaluation_report_days``/``award_decision_days``)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from ggzy.accounts.models import User
    from ggzy.bidkit.release import build_release
    from ggzy.crypto import envelope as env
    from ggzy.projects import services as projects
    from ggzy.registry.models import Membership, Role, TradingCentre
    from ggzy.tendering import opening
    from ggzy.tendering import services as tendering
    from ggzy.tendering.selectors import earliest_schedule
    from ggzy.web.lifecycle import _bidders

    tenderer = User.objects.get(username="tenderer")
    staff = User.objects.get(username="staff")
    owner = Membership.objects.get(person__user=tenderer, role=Role.TENDERER).organization
    agency = (
        Membership.objects.filter(role=Role.AGENCY, organization__isnull=False)
        .select_related("organization")
        .order_by("pk")
        .first()
    )
    centre = TradingCentre.objects.order_by("pk").first()
    assert owner is not None
    assert centre is not None
    t0 = clock.now() - dt.timedelta(days=45)
    with clock.frozen(t0):
        project = projects.project_register(
            actor=tenderer,
            centre=centre,
            name="白银市教育局中小学多媒体教学设备采购项目",
            region_code="620402",
            legal_person=owner,
            budget=Decimal("3600000"),
        )
        tp = projects.tender_project_create(
            actor=tenderer,
            project=project,
            name="白银市教育局中小学多媒体教学设备采购",
            trade_type_code="gp.open",
            tenderer=owner,
            agency=agency.organization if agency else None,
            organize_form="2" if agency else "1",
        )
        section = projects.section_create(
            actor=tenderer,
            tender_project=tp,
            name="第一包：交互式智能平板",
            estimated_price=Decimal("3500000"),
            max_price=Decimal("3450000"),
        )
        tender = tendering.tender_create(
            actor=tenderer,
            section=section,
            title="白银市教育局中小学多媒体教学设备采购（第一包）公开招标公告",
            announcement_html="<h3>一、采购需求</h3><p>交互式智能平板 120 台。</p>",
        )
        tendering.document_add(
            actor=tenderer,
            tender=tender,
            upload=SimpleUploadedFile("采购文件.pdf", b"%PDF-1.7 demo procurement documents"),
        )
        dates = earliest_schedule(
            tender, clock.now() + dt.timedelta(minutes=5), docs_days=12, bid_days=22
        )
        tendering.tender_publish(
            actor=tenderer,
            tender=tender,
            docs_from=dates.docs_from,
            docs_until=dates.docs_until,
            bid_deadline=dates.bid_deadline,
            custodians={
                "centre": staff,
                "supervisor": User.objects.get(username="fgw"),
                "tenderer": tenderer,
            },
        )
    tender.refresh_from_db()
    assert tender.bid_deadline is not None
    responses = []
    with clock.frozen(t0 + dt.timedelta(days=10)):
        for i, (user, org) in enumerate(_bidders()):
            responses.append((user, *_demo_bid(tender, user, org, f"{3380000 - 21000 * i}.00")))
    with clock.frozen(tender.bid_deadline + dt.timedelta(minutes=1)):
        opening.opening_start(actor=staff, tender=tender)
        for user, bid, signing, encrypt in responses:
            opening.sign_in(actor=user, bid=bid)
            with bid.envelope.open("rb") as fh:
                header = env.read_header(fh)
            opening.bid_key_release(
                actor=user,
                bid=bid,
                statement=build_release(
                    header=header,
                    envelope_sha256=bid.envelope_sha256,
                    content_key=env.unwrap_content_key(header, encrypt),
                    signing_key=signing,
                    released_at=clock.now(),
                ),
            )
        opening.opening_record(actor=staff, tender=tender)
        for user, bid, _signing, _encrypt in responses:
            opening.bidder_confirm(actor=user, bid=bid)
        session = opening.opening_close(actor=staff, tender=tender)
    assert session.closed_at is not None
    with clock.frozen(session.closed_at + dt.timedelta(hours=2)):
        _demo_award(log)
    log(f"procurement: {tender.title} — opened, evaluated and awarded (tables 550–557)")


def _demo_award(log: Any) -> None:
    """The evaluation demo's committee, scores and signed report; for a procurement tender it
    then has the purchaser confirm the rank-1 supplier (条例第四十三条, no 中标候选人公示)."""
    from ggzy.evaluation.demo import seed as evaluation_seed

    evaluation_seed(log)
