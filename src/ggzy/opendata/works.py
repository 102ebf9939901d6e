"""Exporters of the engineering-construction tendering tables (工程建设项目招标投标, data spec
500–519) from the projects and tendering models. Government-procurement tenders are exported
in 550–557 instead (:mod:`ggzy.opendata.procurement`) and left out of 501–507 here.
Registered by :func:`register_core`; formatting helpers and the checking/export machinery
are in :mod:`ggzy.opendata.tables`.

Code sets that DOMAIN.md §12 lists as unverified (主体类别 2001, 主体角色类型 26, …) are read
from ``settings.GGZY_OPENDATA_CODES``; until the centre fills them the fields stay empty and
the quality report flags them — nothing is guessed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage

from ggzy.opendata import plugins
from ggzy.opendata.dataspec import fmt_date, fmt_decimal
from ggzy.opendata.ocds import PUBLIC_STATUSES, bid_amount, ocid_for, opening_published_q
from ggzy.opendata.procurement import works_only
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
from ggzy.projects.models import Project, Section, TenderProject

CLASS_VER_CODE = "2"  # GB/T 4754-2017 (DOMAIN.md §3.2)

# fingerprint record field (bidkit.fingerprint.FIELDS) → data-spec field of table 519
FINGERPRINT_FIELDS = {
    "cpu_id": "CPU_ID",
    "disk_serial": "HARD_DISK_SERIAL_NUMBER",
    "memory_serial": "MEMORY_SERIAL_NUMBER",
    "local_ip": "NET_ID",
    "mac_address": "MAC_ADDRESS",
}

# ---- 500 项目 ---------------------------------------------------------------------------


def project_rows(since: dt.datetime | None) -> Iterable[ExportRow]:
    qs = since_filter(Project.objects.select_related("legal_person"), "created_at", since)
    rows = []
    for p in qs.order_by("created_at", "pk"):
        section = Section.objects.filter(tender_project__project=p).order_by("pk").first()
        rows.append(
            ExportRow(
                record_id=str(p.pk),
                ocid=ocid_for(section.unified_deal_code) if section else "",
                event_at=p.created_at,
                row={
                    "PROJECT_CODE": p.code,
                    "PROJECT_NAME": p.name,
                    "REGION_CODE": p.region_code,
                    "RELATE_CODE": flag(bool(p.invest_project_code)),
                    "INVEST_PROJECT_CODE": p.invest_project_code,
                    "ADDRESS": p.address,
                    "LEGAL_PERSON": p.legal_person.name,
                    "CLASS_VER_CODE": CLASS_VER_CODE,
                    "INDUSTRIES_TYPE": p.industries_type,
                    "FUND_SOURCE": p.fund_source,
                    "CONTRIBUTION_SCALE": "",
                    "PROJECT_SCALE": p.project_scale,
                    "CONTACTOR": p.contactor,
                    "CONTACT_INFORMATION": p.contact_information,
                    "APPROVAL_NAME": p.approval_name,
                    "APPROVAL_NUMBER": p.approval_number,
                    "APPROVAL_AUTHORITY": p.approval_authority,
                    "CREATE_TIME": dt14(p.created_at),
                },
            )
        )
    return with_times(rows, "projects.project", ["projects:project:registered"])


# ---- 501 招标项目 -----------------------------------------------------------------------


def tender_project_rows(since: dt.datetime | None) -> Iterable[ExportRow]:
    from ggzy.core.errors import DomainError
    from ggzy.rules.selectors import deal_class_for

    c = codes()
    qs = since_filter(
        works_only(
            TenderProject.objects.select_related(
                "project__legal_person", "tenderer", "agency", "supervise_dept"
            ),
            "",
        ),
        "created_at",
        since,
    )
    rows = []
    for tp in qs.order_by("created_at", "pk"):
        try:
            klass = deal_class_for(tp.trade_type_code)
        except DomainError:
            klass = ""
        agency = tp.agency
        section = tp.sections.order_by("pk").first()
        rows.append(
            ExportRow(
                record_id=str(tp.pk),
                ocid=ocid_for(section.unified_deal_code) if section else "",
                event_at=tp.created_at,
                row={
                    "PROJECT_CODE": tp.project.code,
                    "TENDER_PROJECT_CODE": tp.code,
                    "TENDER_SELF_CODE": "",
                    "UNIFIED_DEAL_CODE": "",  # carried by each section (502)
                    "IS_TO_LAW": flag(tp.is_to_law),
                    "TENDER_PROJECT_NAME": tp.name,
                    "TENDER_PROJECT_TYPE": klass,
                    "REGION_CODE": tp.region_code,
                    "TENDER_CONTENT": tp.tender_content,
                    "OWNER_NAME": tp.project.legal_person.name,
                    "TENDERER_NAME": tp.tenderer.name,
                    "TENDERER_CODE_TYPE": c.get("SUBJECT_CODE_TYPE_USCC", ""),
                    "TENDERER_CODE": tp.tenderer.uscc,
                    "ISUNION": "0",
                    "TENDERER_ROLE": c.get("ROLE_TENDERER", ""),
                    "TENDER_AGENCY_NAME": agency.name if agency else "",
                    "TENDER_AGENCY_CODE_TYPE": c.get("SUBJECT_CODE_TYPE_USCC", "")
                    if agency
                    else "",
                    "TENDER_AGENCY_CODE": agency.uscc if agency else "",
                    "TENDER_AGENCY_ROLE": c.get("ROLE_AGENCY", "") if agency else "",
                    "TENDER_MODE": tp.tender_mode,
                    "TENDER_ORGANIZE_FORM": tp.organize_form,
                    "CREATE_TIME": dt14(tp.created_at),
                    "SUPERVISE_DEPT_NAME": tp.supervise_dept.name if tp.supervise_dept else "",
                    "SUPERVISE_DEPT_CODE": "",
                    "APPROVE_DEPT_NAME": tp.project.approval_authority,
                    "APPROVE_DEPT_CODE": "",
                    "REPORT_DUTY": "",
                },
            )
        )
    return with_times(rows, "projects.tenderproject", ["projects:tender:created"])


# ---- 502 标段（包） ----------------------------------------------------------------------


def section_rows(since: dt.datetime | None) -> Iterable[ExportRow]:
    qs = since_filter(
        works_only(Section.objects.select_related("tender_project"), "tender_project__"),
        "created_at",
        since,
    )
    rows = []
    for s in qs.order_by("created_at", "pk"):
        rows.append(
            ExportRow(
                record_id=str(s.pk),
                ocid=ocid_for(s.unified_deal_code),
                event_at=s.created_at,
                row={
                    "TENDER_PROJECT_CODE": s.tender_project.code,
                    "BID_SECTION_CODE": s.code,
                    "BID_SECTION_NAME": s.name,
                    "BID_ECTION_NUM": str(s.attempt),
                    "UNIFIED_DEAL_CODE": s.unified_deal_code,
                    "BID_TENDER_MODE": s.tender_project.tender_mode,
                    "REGION_CODE": s.region_code,
                    "TRA_PLACE_CODE": s.tra_place_code,
                    "BID_SECTION_CONTENT": s.content,
                    "TENDER_PROJECT_CLASSIFY_CODE": s.classify_codes,
                    "CONTRACT_RECKON_PRICE": fmt_decimal(s.estimated_price),
                    "CURRENCY_CODE": CURRENCY,
                    "PRICE_UNIT": PRICE_UNIT_YUAN,
                    "BID_QUALIFICATION": s.qualification,
                    "BEGIN_DATE": fmt_date(s.begin_date),
                    "LIMITE_TIME": str(s.limit_days) if s.limit_days is not None else "",
                    "CREATE_TIME": dt14(s.created_at),
                },
            )
        )
    return with_times(rows, "projects.section", ["projects:section:created"])


# ---- 503 招标公告 ------------------------------------------------------------------------


def _tenders(since: dt.datetime | None) -> Any:
    from ggzy.tendering.models import Tender

    qs = works_only(
        Tender.objects.filter(status__in=list(PUBLIC_STATUSES), announced_at__isnull=False),
        "section__tender_project__",
    )
    return since_filter(
        qs.select_related(
            "section__tender_project__project__centre",
            "section__tender_project__tenderer",
            "section__tender_project__agency",
        ),
        "announced_at",
        since,
    )


def announcement_rows(since: dt.datetime | None) -> Iterable[ExportRow]:
    rows = []
    site = str(getattr(settings, "GGZY_SITE_NAME", ""))
    for t in _tenders(since).order_by("announced_at", "pk"):
        s = t.section
        tp = s.tender_project
        org, agency = tp.tenderer, tp.agency
        postponed = t.clarifications.exists()
        rows.append(
            ExportRow(
                record_id=str(t.pk),
                ocid=ocid_for(s.unified_deal_code),
                event_at=t.announced_at,
                row={
                    "TENDER_PROJECT_CODE": tp.code,
                    "NOTICE_BID_NUM": "1",
                    "BID_SECTION_CODES": s.code,
                    "TRAD_CENTER_NAME": tp.project.centre.name,
                    "UNIFIED_DEAL_CODES": s.unified_deal_code,
                    "TENDER_SELF_CODE": tp.code,
                    "NOTICE_NAME": t.title,
                    "NOTICE_CONTENT": t.announcement_html,
                    "NOTICE_SEND_TIME": dt14(t.announced_at),
                    "NOTICE_MEDIA": site,
                    "URL": abs_url("tendering:detail", t.pk),
                    "NOTICE_NATURE": "1",  # 正常/首次 (DOMAIN.md §3.2)
                    "BULLETIN_TYPE": "1",  # 招标公告
                    "DOC_GET_START_TIME": dt14(t.docs_from),
                    "DOC_GET_END_TIME": dt14(t.docs_until),
                    "TENDER_DOC_GET_METHOD": "登录本平台在线获取招标文件",
                    "BID_DOC_REFER_END_TIME": dt14(t.bid_deadline),
                    "IS_POSTPONE": flag(postponed),
                    "BID_OPEN_TIME": dt14(t.bid_deadline),
                    "BID_OPEN_METHOD": t.opening_place,
                    "QUAL_TYPE": "",
                    "DOC_PRICE": "",
                    "DOC_PRICE_CURRENCY": "",
                    "DOC_PRICE_UNIT": "",
                    "BID_DOC_REFER_METHOD": "加密投标文件通过本平台在线递交",
                    "SYNDICATED_FLAG": "",  # not captured by tendering yet (实施条例第三十七条)
                    "TENDERER_CODE": org.uscc,
                    "TENDERER_NAME": org.name,
                    "TENDERER_ADDRESS": org.address,
                    "TENDERER_CONTACTOR": tp.project.contactor,
                    "TENDERER_PHONE_NUMBER": org.contact_phone,
                    "TENDERER_EMAIL": "",
                    "TENDER_AGENCY_CODE": agency.uscc if agency else "",
                    "TENDER_AGENCY_NAME": agency.name if agency else "",
                    "TENDER_AGENCY_ADDRESS": agency.address if agency else "",
                    "TENDER_AGENCY_CONTACTOR": "",
                    "TENDER_AGENCY_PHONE_NUMBER": agency.contact_phone if agency else "",
                    "TENDER_AGENCY_EMAIL": "",
                    "OTHER_CONTENT": "",
                    "BULLETIN_DUTY": "",
                    "BULLETIN_DUTY_CODE_TYPE": "",
                },
            )
        )
    return with_times(rows, "tendering.tender", ["tendering:tender:announced"])


# ---- 506 开标记录 ------------------------------------------------------------------------


def opening_rows(since: dt.datetime | None) -> Iterable[ExportRow]:
    from ggzy.tendering.models import OpeningSession

    qs = works_only(
        OpeningSession.objects.filter(opening_published_q()),
        "tender__section__tender_project__",
    ).select_related("tender__section__tender_project__tenderer")
    rows = []
    for session in since_filter(qs, "started_at", since).order_by("started_at", "pk"):
        t = session.tender
        s = t.section
        record = session.record or {}
        lines = []
        names = []
        for r in record.get("rows", []):
            names.append(str(r.get("bidder", "")))
            amount = bid_amount(r.get("price"))
            lines.append(
                f"{r.get('bidder', '')}（{r.get('bidder_code', '')}）："
                f"{fmt_decimal(amount) + '元' if amount is not None else '—'}；"
                f"{r.get('consistency', '')}"
            )
        content = "\n".join(lines) or "投标人少于规定数量，流标，未开标"
        rows.append(
            ExportRow(
                record_id=str(session.pk),
                ocid=ocid_for(s.unified_deal_code),
                event_at=session.started_at,
                row={
                    "TENDER_PROJECT_CODE": s.tender_project.code,
                    "BID_SECTION_CODES": s.code,
                    "UNIFIED_DEAL_CODES": s.unified_deal_code,
                    "NOTICE_NAME": f"{s.name}开标记录",
                    "BID_OPENING_ACTOR": "、".join(
                        [s.tender_project.tenderer.name, "交易中心", *names]
                    ),
                    "BID_OPENING_CONTENT": content,
                    "BID_OPENING_ADDRESS": t.opening_place,
                    "BID_OPENING_TIME": dt14(session.started_at),
                    "URL": abs_url("tendering:detail", t.pk),
                    "OPEN_COMPERE": "",
                    "TENDER_AGENCY_PERSON": "",
                    "TENDERER_PERSON": "",
                },
            )
        )
    return with_times(
        rows,
        "tendering.openingsession",
        ["tendering:opening:recorded", "tendering:opening:failed"],
    )


# ---- 504 招标文件/澄清与修改 ---------------------------------------------------------------


def document_rows(since: dt.datetime | None) -> Iterable[ExportRow]:
    """The tender documents at announcement and each clarification (澄清或修改)."""
    from ggzy.tendering.models import Clarification

    rows: list[ExportRow] = []
    for t in _tenders(since).order_by("announced_at", "pk"):
        s = t.section
        docs = [d for d in t.documents.all() if d.kind == "tender"]
        base = {
            "TENDER_PROJECT_CODE": s.tender_project.code,
            "BID_SECTION_CODE": s.code,
            "UNIFIED_DEAL_CODES": s.unified_deal_code,
            "DOC_NO": "",
            "BID_QUALIFICATION": s.qualification,
            "VALID_PERIOD": "",
            "BID_DOC_REFER_METHOD": "加密投标文件通过本平台在线递交",
            "MARGIN_PAY_TYPE": "",
            "PRICE_FORM_CODE": "1",
            "MARGIN_AMOUNT": fmt_decimal(t.deposit_amount),
            "MARGIN_CURRENCY": CURRENCY if t.deposit_amount is not None else "",
            "MARGIN_AMOUNT_UNIT": PRICE_UNIT_YUAN if t.deposit_amount is not None else "",
            "CONTROL_PRICE": fmt_decimal(s.max_price),
            "CONTROL_PRICE_CURRENCY": CURRENCY if s.max_price is not None else "",
            "CONTROL_PRICE_UNIT": PRICE_UNIT_YUAN if s.max_price is not None else "",
            "EVALUATING_METHOD": "",
            "BID_OPEN_PLACE": t.opening_place,
            "BID_OPEN_TYPE": "不见面开标（网上开标）",
            "QUAL_TYPE": "",
            "URL": abs_url("tendering:detail", t.pk),
        }
        clars = list(Clarification.objects.filter(tender=t).order_by("issued_at", "pk"))
        first_deadline = clars[0].old_deadline if clars else t.bid_deadline
        rows.append(
            ExportRow(
                record_id=f"tender-{t.pk}",
                ocid=ocid_for(s.unified_deal_code),
                event_at=t.announced_at,
                row={
                    **base,
                    "DOC_NAME": "；".join(d.name for d in docs) or t.title,
                    "BID_DOC_REFER_END_TIME": dt14(first_deadline),
                    "BID_OPEN_TIME": dt14(first_deadline),
                    "CLARIFY_TIME": dt14(t.announced_at),
                    "IS_POSTPONE": "0",
                    "POST_OPEN_TIME": "",
                    "CLARIFY_CONTENT": "招标文件首次发布",
                    "SUBMIT_TIME": dt14(t.announced_at),
                },
            )
        )
        for c in clars:
            moved = c.new_deadline != c.old_deadline
            rows.append(
                ExportRow(
                    record_id=f"clarification-{c.pk}",
                    ocid=ocid_for(s.unified_deal_code),
                    event_at=c.issued_at,
                    row={
                        **base,
                        "DOC_NAME": c.document.name if c.document else f"{t.title}澄清或修改",
                        "BID_DOC_REFER_END_TIME": dt14(c.new_deadline),
                        "BID_OPEN_TIME": dt14(c.new_deadline),
                        "CLARIFY_TIME": dt14(c.issued_at),
                        "IS_POSTPONE": flag(moved),
                        "POST_OPEN_TIME": dt14(c.new_deadline) if moved else "",
                        "CLARIFY_CONTENT": html_text(c.content_html),
                        "SUBMIT_TIME": dt14(c.issued_at),
                    },
                )
            )
    times = published_times(
        "tendering.clarification",
        [r.record_id.split("-", 1)[1] for r in rows if r.record_id.startswith("clarification-")],
        ["tendering:clarification:issued"],
    )
    announced = published_times(
        "tendering.tender",
        [r.record_id.split("-", 1)[1] for r in rows if r.record_id.startswith("tender-")],
        ["tendering:tender:announced"],
    )
    for r in rows:
        kind, pk = r.record_id.split("-", 1)
        r.published_at = (times if kind == "clarification" else announced).get(pk, (None, None))[1]
    return rows


# ---- 507 开标明细（投标人名单） -------------------------------------------------------------


def tender_list_rows(since: dt.datetime | None) -> Iterable[ExportRow]:
    """One row per bid at a published opening: who bid, when, at what price."""
    from ggzy.tendering.models import BidOpening, Consistency, Deposit

    c = codes()
    qs = works_only(
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
                    "TENDER_PROJECT_CODE": s.tender_project.code,
                    "BID_SECTION_CODE": s.code,
                    "UNIFIED_DEAL_CODE": s.unified_deal_code,
                    "BIDDER_NAME": bid.bidder.name,
                    "IS_LOST": "",  # credit query result: recorded by the evaluation app
                    "BIDDER_CODE_TYPE": c.get("SUBJECT_CODE_TYPE_USCC", ""),
                    "BIDDER_ORG_CODE": bid.bidder.uscc,
                    "BIDDER_ROLE": c.get("ROLE_BIDDER", ""),
                    "BID_MANAGER": "",
                    "PM_CODE": "",
                    "PM_CERTIFICATES": "",
                    "IS_COMMIT_MARGIN": flag(deposit is not None),
                    "MARGIN_PAY_FORM": "1" if deposit is not None else "",
                    "PRICE_FORM_CODE": str(price.get("price_form", "")),
                    "OTHER_BID_PRICE": other,
                    "MARGIN_RECEIVE_TIME": dt14(deposit.paid_at) if deposit else "",
                    "BID_PRICE": fmt_decimal(amount),
                    "PRICE_CURRENCY": CURRENCY if amount is not None else "",
                    "PRICE_UNIT": PRICE_UNIT_YUAN if amount is not None else "",
                    "TIME_LIMIT": str(price.get("duration_days", "") or ""),
                    "CHECKIN_TIME": dt14(bid.received_at),
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


# ---- 519 投标文件特征码 -------------------------------------------------------------------


def fingerprint_values(fingerprint: dict[str, Any]) -> dict[str, str]:
    """Data-spec fields from a bid's fingerprint: the bidkit record (``{"fields": {name:
    [hashes]}}``) or a flat ``{name: value}``; several values are joined with ";"."""
    fields = fingerprint.get("fields")
    source = fields if isinstance(fields, dict) else fingerprint
    out = {}
    for name, spec_name in FINGERPRINT_FIELDS.items():
        value = source.get(name, "")
        out[spec_name] = ";".join(map(str, value)) if isinstance(value, list) else str(value or "")
    return out


def _md5(name: str) -> str:
    try:
        h = hashlib.md5(usedforsecurity=False)
        with default_storage.open(name, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        return h.hexdigest()
    except OSError:
        return ""


def fingerprint_rows(since: dt.datetime | None) -> Iterable[ExportRow]:
    """Only for bids of tenders past the opening: before it, who bid is confidential."""
    from ggzy.tendering.models import Bid, BidStatus

    c = codes()
    qs = Bid.objects.filter(
        opening_published_q("tender__opening__"), status=BidStatus.SUBMITTED
    ).select_related("bidder", "tender__section__tender_project")
    rows = []
    for bid in since_filter(qs, "received_at", since).order_by("received_at", "pk"):
        s = bid.tender.section
        rows.append(
            ExportRow(
                record_id=str(bid.pk),
                ocid=ocid_for(s.unified_deal_code),
                event_at=bid.received_at,
                row={
                    "TENDER_PROJECT_CODE": s.tender_project.code,
                    "BID_SECTION_CODE": s.code,
                    "UNIFIED_DEAL_CODES": s.unified_deal_code,
                    "BIDDER_NAME": bid.bidder.name,
                    "BIDDER_CODE_TYPE": c.get("SUBJECT_CODE_TYPE_USCC", ""),
                    "BIDDER_ORG_CODE": bid.bidder.uscc,
                    "BIDDER_ROLE": c.get("ROLE_BIDDER", ""),
                    "BID_DOCUMENT_NAME": bid.envelope.name.rsplit("/", 1)[-1],
                    "BID_DOCUMENT_SIDE": str(bid.size),
                    "BID_DOCUMENT_MD5": _md5(bid.envelope.name),
                    "TENDER_DOC_SUBMITTIME": dt14(bid.received_at),
                    **fingerprint_values(bid.fingerprint or {}),
                    "TENDER_DOCUMENTS_URL": abs_url("tendering:detail", bid.tender_id),
                    "VALUATION_XML": "",
                    "MAKE_TOOL_XML": "",
                },
            )
        )
    return with_times(rows, "tendering.bid", ["tendering:bid:received"])


# ---- hooks for the evaluation/award and contract apps ----------------------------------


def _no_rows(since: dt.datetime | None) -> Iterable[ExportRow]:
    """Hook: the evaluation / contracts app registers the real exporter."""
    return []


def register_core() -> None:
    plugins.register_table("500", project_rows, timeliness="500")
    plugins.register_table("501", tender_project_rows, timeliness="501")
    plugins.register_table("502", section_rows, timeliness="502")
    plugins.register_table("503", announcement_rows, timeliness="503")
    plugins.register_table("504", document_rows, timeliness="503")
    plugins.register_table("507", tender_list_rows, timeliness="506")
    plugins.register_table("506", opening_rows, timeliness="506")
    plugins.register_table("519", fingerprint_rows, timeliness="519")
    for code in ("508", "510", "511", "512", "513"):
        plugins.register_table(code, _no_rows, default=True)
