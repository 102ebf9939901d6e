"""Evaluation → open data (数据一网共享): the OCDS ``award`` stage, the data-spec tables 508
评标专家, 510 中标候选人, 511 中标候选人公示 and 513 中标结果公告, and the public feed
events of the evaluation. Registered from :meth:`EvaluationConfig.ready` through the
registries of :mod:`ggzy.opendata.plugins`; the contract tables (512, 554) and the OCDS
``contract`` stage are the contracts app's (:mod:`ggzy.contracts.opendata`).

The four tables are works-tender tables (工程建设): a procurement tender (政府采购, trade-type
category ``procurement``) is left out of them (:func:`_works_only`) — its award goes to 553
中标(成交)结果公告 (:mod:`ggzy.opendata.procurement`). The OCDS award stage carries both.

What becomes public when (docs/opendata.md, "Evaluation and award"):

* nothing while the committee evaluates: the bids and scores are confidential and the
  experts' names are protected (评标委员会成员名单在中标结果确定前应当保密);
* the candidates (OCDS awards ``pending``; tables 510, 511) from the candidate publicity
  (中标候选人公示) on;
* the award (OCDS award ``active`` + the other candidates ``unsuccessful``, tender
  ``complete``; table 513) from 定标 on;
* the committee as *counts* only in OCDS; the expert rows of table 508 (names, for the
  regulators' export, never in OCDS) once the result is settled (定标, or all bids
  rejected): the list is confidential until then (招标投标法第三十七条).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings

from ggzy.evaluation.models import (
    BidReview,
    CommitteeMember,
    EvaluationSession,
    MemberKind,
    Step,
)

SUBJECT = "evaluation.evaluationsession"
PUBLICITY_STARTED = "evaluation:publicity:started"
AWARD_ISSUED = "evaluation:award:issued"
REPORT_COMPLETED = "evaluation:report:completed"
SESSION_FAILED = "evaluation:session:failed"

CANDIDATES_PUBLIC = frozenset({Step.PUBLICITY, Step.AWARDED})
MEMBERS_PUBLIC = frozenset({Step.AWARDED, Step.FAILED})  # 中标结果确定 (or no result at all)
OBJECTION_METHOD = (
    "公示期内，投标人或者其他利害关系人通过本平台“异议”功能以书面形式向招标人提出；"
    "招标人自收到异议之日起3日内作出答复，作出答复前暂停招标投标活动"
    "（招标投标法实施条例第五十四条）"
)


def _sessions() -> Any:
    return EvaluationSession.objects.select_related(
        "tender__section__tender_project__tenderer",
        "tender__section__tender_project__agency",
        "winner__bidder",
    )


def _works_only(qs: Any) -> Any:
    """``qs`` (evaluation sessions) without procurement tenders: tables 508/510/511/513 are the
    works tables; the spec has 553 for a procurement award (no counterpart of 508/510/511)."""
    from ggzy.opendata.procurement import works_only

    return works_only(qs, "tender__section__tender_project__")


def _candidates(session: EvaluationSession) -> list[BidReview]:
    return list(
        session.reviews.filter(candidate_rank__isnull=False, rejected=False)
        .select_related("bidder", "bid")
        .order_by("candidate_rank", "received_at", "pk")
    )


def _entry_times(event_type: str, ids: Iterable[Any]) -> dict[str, dt.datetime]:
    """session id → when its first ``event_type`` entry was recorded."""
    from ggzy.ledger.models import Entry

    out: dict[str, dt.datetime] = {}
    rows = (
        Entry.objects.filter(
            subject_type=SUBJECT,
            subject_id__in=[str(i) for i in ids],
            event_type=event_type,
        )
        .order_by("id")
        .values_list("subject_id", "received_at")
    )
    for sid, received in rows:
        out.setdefault(sid, received)
    return out


def _public_notice(session: EvaluationSession, what: str) -> Any:
    """The portal notice (disclosure) the evaluation published: ``candidates`` / ``award``."""
    from ggzy.disclosure.models import Notice

    return Notice.objects.filter(key=f"evaluation:session:{session.pk}:{what}").first()


def _committee_counts(session: EvaluationSession) -> tuple[int, int]:
    members = list(CommitteeMember.objects.filter(session=session).values_list("kind", flat=True))
    return len(members), sum(1 for k in members if k == MemberKind.EXPERT)


# ---- OCDS: the award stage ------------------------------------------------------------


def _award_object(
    ctx: Any, session: EvaluationSession, review: BidReview, status: str, date: dt.datetime | None
) -> dict[str, Any]:
    size, experts = _committee_counts(session)
    section = ctx.section
    total = f"，评标得分 {review.total}" if review.total is not None else ""
    return {
        "id": str(review.pk),
        "title": f"{section.name} 第{review.candidate_rank}中标候选人",
        "description": (
            f"中标候选人排序第 {review.candidate_rank} 名{total}；"
            f"评标委员会 {size} 人（评标专家 {experts} 人）；"
            f"评标报告 SHA-256 {session.report_sha256}"
        ),
        "status": status,
        "date": ctx.iso(date),
        "value": ctx.value(review.price),
        "suppliers": [ctx.ref(review.bidder)],
    }


def award_releases(ctx: Any) -> list[dict[str, Any]]:
    """OCDS award stage of one process (section).

    * ``award-publicity`` (tag ``award``, date = publicity start): one award per 中标候选人,
      status ``pending`` (awardStatus: proposed, not yet in force), with the candidate's
      bid price, its rank and the committee *size* in the description; the public
      candidate-publicity notice as ``awardNotice`` document; the publicity period is in
      the description (OCDS has no field for it).
    * ``award`` (tag ``awardUpdate``, date = 定标): the rank-1 candidate's award ``active``
      with the winning price, the others ``unsuccessful``; the winner becomes a ``supplier``
      party; ``tender.status`` ``complete``.
    * ``evaluation-failed`` (tag ``tenderUpdate``): 否决所有投标 → ``tender.status``
      ``unsuccessful``.
    """
    tender = ctx.tender
    if tender is None:
        return []
    session = _sessions().filter(tender=tender).first()
    if session is None:
        return []
    out: list[dict[str, Any]] = []
    if session.step == Step.FAILED:
        failed_at = _entry_times(SESSION_FAILED, [session.pk]).get(str(session.pk))
        if failed_at is not None:
            out.append(
                {
                    "key": "evaluation-failed",
                    "date": failed_at,
                    "tag": ["tenderUpdate"],
                    "tender": {
                        "id": ctx.section.code,
                        "status": "unsuccessful",
                        "statusDetails": "评标委员会否决所有投标（招标投标法第四十二条）",
                    },
                }
            )
        return out
    if session.step not in CANDIDATES_PUBLIC:
        return []
    candidates = _candidates(session)
    if session.publicity_from is not None:  # 政府采购 has no candidate publicity (条例43)
        out.append(_publicity_release(ctx, session, candidates))
    if session.step != Step.AWARDED or session.awarded_at is None or session.winner is None:
        return out
    return [*out, _decision_release(ctx, session, candidates, update=bool(out))]


def _publicity_release(
    ctx: Any, session: EvaluationSession, candidates: list[BidReview]
) -> dict[str, Any]:
    publicity_notice = _public_notice(session, "candidates")
    pending = []
    for review in candidates:
        award = _award_object(ctx, session, review, "pending", session.publicity_from)
        award["description"] += (
            f"；公示期 {ctx.iso(session.publicity_from)} 至 {ctx.iso(session.publicity_until)}"
        )
        if publicity_notice is not None:
            award["documents"] = [
                {
                    "id": f"publicity-{publicity_notice.pk}",
                    "documentType": "awardNotice",
                    "title": publicity_notice.title,
                    "url": ctx.url("disclosure:notice", publicity_notice.pk),
                    "datePublished": ctx.iso(publicity_notice.published_at),
                    "format": "text/html",
                    "language": "zh",
                }
            ]
        pending.append(award)
    return {
        "key": "award-publicity",
        "date": session.publicity_from,
        "tag": ["award"],
        "parties": [ctx.party(r.bidder, "tenderer") for r in candidates],
        "awards": pending,
    }


def _decision_release(
    ctx: Any, session: EvaluationSession, candidates: list[BidReview], *, update: bool
) -> dict[str, Any]:
    winner_id = session.winner_id
    result_notice = _public_notice(session, "award")
    awards = []
    parties = []
    for review in candidates:
        won = review.bid_id == winner_id
        award = _award_object(
            ctx, session, review, "active" if won else "unsuccessful", session.awarded_at
        )
        if won:
            award["title"] = f"{ctx.section.name} 中标"
            parties.append(ctx.party(review.bidder, "tenderer", "supplier"))
            if result_notice is not None:
                award["documents"] = [
                    {
                        "id": f"result-{result_notice.pk}",
                        "documentType": "awardNotice",
                        "title": result_notice.title,
                        "url": ctx.url("disclosure:notice", result_notice.pk),
                        "datePublished": ctx.iso(result_notice.published_at),
                        "format": "text/html",
                        "language": "zh",
                    }
                ]
        awards.append(award)  # unsuccessful ones keep the offered price they were proposed at
    return {
        "key": "award",
        "date": session.awarded_at,
        "tag": ["awardUpdate" if update else "award"],
        "parties": parties,
        "tender": {"id": ctx.section.code, "status": "complete"},
        "awards": awards,
    }


# ---- data-spec tables -----------------------------------------------------------------


def _codes() -> dict[str, str]:
    from ggzy.opendata.tables import codes

    return codes()


def _site() -> str:
    return str(getattr(settings, "GGZY_SITE_NAME", ""))


def _notice_url(notice: Any, session: EvaluationSession) -> str:
    from ggzy.opendata.tables import abs_url

    if notice is not None:
        return abs_url("disclosure:notice", notice.pk)
    return abs_url("evaluation:session", session.pk)


def _published(rows: list[Any], event_type: str, key: Any) -> list[Any]:
    """Fill ``published_at`` (ledger leaf integrated) from the session's ``event_type``."""
    from ggzy.opendata.tables import published_times

    times = published_times(SUBJECT, {key(r) for r in rows}, [event_type])
    for r in rows:
        recorded, integrated = times.get(key(r), (None, None))
        r.published_at = integrated
        if r.event_at is None:
            r.event_at = recorded
    return rows


def _session_key(row: Any) -> str:
    return str(row.record_id.split("-", 1)[0])


def expert_rows(since: dt.datetime | None) -> Iterable[Any]:
    """508 评标专家: every committee member (experts and tenderer representatives), only
    once the evaluation is over *and* the result is settled — after 定标, or when all bids
    were rejected: the committee list is confidential until the award result is determined
    (招标投标法第三十七条). ``ID_CARD`` stays empty (flagged): identity numbers are kept
    encrypted and their export is not decided (docs/opendata.md); ``EXPERT_TYPE`` (code set
    2007) comes from ``GGZY_OPENDATA_CODES``."""
    from ggzy.opendata.ocds import ocid_for
    from ggzy.opendata.tables import ExportRow, flag

    c = _codes()
    sessions = list(_works_only(_sessions().filter(step__in=list(MEMBERS_PUBLIC))).order_by("pk"))
    failed = _entry_times(SESSION_FAILED, [s.pk for s in sessions if s.step == Step.FAILED])
    rows: list[ExportRow] = []
    for session in sessions:
        end = session.awarded_at or failed.get(str(session.pk))
        if since is not None and (end is None or end < since):
            continue
        s = session.tender.section
        members = CommitteeMember.objects.filter(session=session).select_related("user__person")
        for m in members:
            person = getattr(m.user, "person", None)
            rows.append(
                ExportRow(
                    record_id=f"{session.pk}-{m.pk}",
                    ocid=ocid_for(s.unified_deal_code),
                    event_at=end,
                    row={
                        "TENDER_PROJECT_CODE": s.tender_project.code,
                        "BID_SECTION_CODE": s.code,
                        "UNIFIED_DEAL_CODE": s.unified_deal_code,
                        "EXPERT_TYPE": c.get(
                            "EXPERT_TYPE_EXPERT"
                            if m.kind == MemberKind.EXPERT
                            else "EXPERT_TYPE_REPRESENTATIVE",
                            "",
                        ),
                        "EXPERT_NAME": person.name if person else "",
                        "ID_CARD": "",
                        "ID_CARD_TYPE": person.id_type if person else "",
                        "EXPERT_CHECK_IN_TIME": "",  # no sign-in is recorded
                        "IS_CHAIR_MAN": flag(m.is_chair),
                    },
                )
            )
    awarded = [r for r in rows if _session_key(r) not in failed]
    return _published(awarded, AWARD_ISSUED, _session_key) + _published(
        [r for r in rows if _session_key(r) in failed], SESSION_FAILED, _session_key
    )


def _public_sessions(since: dt.datetime | None, field: str, steps: Iterable[str]) -> Any:
    from ggzy.opendata.tables import since_filter

    qs = _works_only(_sessions().filter(step__in=list(steps), **{f"{field}__isnull": False}))
    return since_filter(qs, field, since).order_by(field, "pk")


def _price_terms(session: EvaluationSession) -> dict[Any, dict[str, Any]]:
    """bid id → the opened price form (开标一览表: price form, quality, duration)."""
    from ggzy.tendering.models import BidOpening

    return {
        op.bid_id: dict(op.price or {})
        for op in BidOpening.objects.filter(bid__tender_id=session.tender_id)
    }


def candidate_rows(since: dt.datetime | None) -> Iterable[Any]:
    """510 中标候选人: the ranked candidates, from the candidate publicity on."""
    from ggzy.opendata.dataspec import fmt_decimal
    from ggzy.opendata.ocds import ocid_for
    from ggzy.opendata.tables import CURRENCY, PRICE_UNIT_YUAN, ExportRow

    c = _codes()
    rows: list[ExportRow] = []
    for session in _public_sessions(since, "publicity_from", CANDIDATES_PUBLIC):
        s = session.tender.section
        terms = _price_terms(session)
        for r in _candidates(session):
            price = terms.get(r.bid_id, {})
            result = (
                f"综合得分 {r.total}"
                if r.total is not None
                else f"评标价 {fmt_decimal(r.evaluated_price or r.price)} 元"
            )
            rows.append(
                ExportRow(
                    record_id=f"{session.pk}-{r.pk}",
                    ocid=ocid_for(s.unified_deal_code),
                    event_at=session.publicity_from,
                    row={
                        "TENDER_PROJECT_CODE": s.tender_project.code,
                        "BID_SECTION_CODE": s.code,
                        "UNIFIED_DEAL_CODE": s.unified_deal_code,
                        "WIN_CANDIDATE_NAME": r.bidder.name,
                        "BIDDER_CODE_TYPE": c.get("SUBJECT_CODE_TYPE_USCC", ""),
                        "WIN_CANDIDATE_CODE": r.bidder.uscc,
                        "BIDDER_ROLE": c.get("ROLE_BIDDER", ""),
                        "WIN_CANDIDATE_ORDER": str(r.candidate_rank),
                        "IS_FLOAT_RATE": "0",  # the price is an amount (价款形式 1)
                        "EVALUATION_RESULT": result,
                        "PRICE_FORM_CODE": "1",
                        "BID_PRICE": fmt_decimal(r.price),
                        "OTHER_BID_PRICE": "",
                        "PRICE_CURRENCY": CURRENCY,
                        "PRICE_UINT": PRICE_UNIT_YUAN,  # sic: the spec's field name
                        "QUALITY": str(price.get("quality") or ""),
                        "EVALUATION_STATUS": (
                            f"排名第 {r.rank} 名，通过资格审查、初步评审和详细评审"
                            f"（{session.template_label}）"
                        ),
                        "WIN_CANDIDATE_QUALIFICATION": (
                            f"满足招标文件规定的资格条件：{s.qualification}"
                            if s.qualification
                            else ""
                        ),
                        "BIDDER_REGION_CODE": r.bidder.region_code,  # V4
                        "BIDDER_PROPERTY": "",  # V4, code set 10005: not captured
                    },
                )
            )
    return _published(rows, PUBLICITY_STARTED, _session_key)


def publicity_rows(since: dt.datetime | None) -> Iterable[Any]:
    """511 中标候选人公示: one row per publicity, with the portal notice's text."""
    from ggzy.opendata.ocds import ocid_for
    from ggzy.opendata.tables import ExportRow, dt14

    c = _codes()
    rows: list[ExportRow] = []
    for session in _public_sessions(since, "publicity_from", CANDIDATES_PUBLIC):
        s = session.tender.section
        notice = _public_notice(session, "candidates")
        candidates = _candidates(session)
        ordinal = ("FIRST", "SECOND", "THIRD")
        v4: dict[str, str] = {}
        for i, name in enumerate(ordinal):
            r = candidates[i] if i < len(candidates) else None
            v4[f"{name}_BIDDER_NAME"] = r.bidder.name if r else ""
            v4[f"{name}_BIDDER_CODE"] = r.bidder.uscc if r else ""
        content = notice.body_text if notice is not None else ""
        rows.append(
            ExportRow(
                record_id=str(session.pk),
                ocid=ocid_for(s.unified_deal_code),
                # 实施条例第五十四条: 3 days from receiving the report (its completion)
                event_at=_entry_times(REPORT_COMPLETED, [session.pk]).get(str(session.pk)),
                row={
                    "TENDER_PROJECT_CODE": s.tender_project.code,
                    "BID_SECTION_CODES": s.code,
                    "UNIFIED_DEAL_CODE": s.unified_deal_code,
                    "PUBLICITY_NAME": notice.title
                    if notice is not None
                    else f"{session.tender.title}（中标候选人公示）",
                    "PUBLICITY_CONTENT": content,
                    "PUBLICITY_REFER_TIME": dt14(session.publicity_from),
                    "NOTICE_MEDIA": _site(),
                    "URL": _notice_url(notice, session),
                    "PUBLICITY_TYPE": c.get("PUBLICITY_TYPE_CANDIDATES", ""),  # code set 13
                    "PUBLICITY_START_TIME": dt14(session.publicity_from),
                    "PUBLICITY_END_TIME": dt14(session.publicity_until),
                    "OBJECTION_METHOD": OBJECTION_METHOD,
                    "OTHER_CONTENT": "",
                    "BULLETIN_DUTY": "",  # 公示发布责任人: not captured
                    "EXAMINER_NAME": "",  # 数据验证责任人: not captured
                    **v4,
                },
            )
        )
    return _published(rows, PUBLICITY_STARTED, lambda r: r.record_id)


def result_rows(since: dt.datetime | None) -> Iterable[Any]:
    """513 中标结果公告: one row per award, with the portal notice's text."""
    from ggzy.opendata.dataspec import fmt_decimal
    from ggzy.opendata.ocds import ocid_for
    from ggzy.opendata.tables import CURRENCY, PRICE_UNIT_YUAN, ExportRow, dt14

    c = _codes()
    rows: list[ExportRow] = []
    for session in _public_sessions(since, "awarded_at", [Step.AWARDED]):
        s = session.tender.section
        tp = s.tender_project
        agency = tp.agency
        winner = session.reviews.select_related("bidder").filter(bid_id=session.winner_id).first()
        if winner is None:
            continue
        notice = _public_notice(session, "award")
        rows.append(
            ExportRow(
                record_id=str(session.pk),
                ocid=ocid_for(s.unified_deal_code),
                event_at=session.awarded_at,
                row={
                    "TENDER_PROJECT_CODE": tp.code,
                    "BID_SECTION_CODE": s.code,
                    "UNIFIED_DEAL_CODE": s.unified_deal_code,
                    "REGION_CODE": s.region_code,
                    "TRA_PLACE_CODE": s.tra_place_code,
                    "TENDER_AGENCY_NAME": agency.name if agency else "",
                    "TENDER_AGENCY_CODE": agency.uscc if agency else "",
                    "NOTICE_NAME": notice.title
                    if notice is not None
                    else f"{session.tender.title}（中标结果公告）",
                    "NOTICE_CONTENT": notice.body_text if notice is not None else "",
                    "NOTICE_SEND_TIME": dt14(session.awarded_at),
                    "NOTICE_MEDIA": _site(),
                    "URL": _notice_url(notice, session),
                    "NOTICE_NATURE": "1",  # 正常/首次, as table 503 (DOMAIN.md §3.2)
                    "BULLETIN_TYPE": c.get("BULLETIN_TYPE_WIN_RESULT", ""),  # code set 32
                    "WIN_BIDDER_NAME": winner.bidder.name,
                    "BIDDER_CODE_TYPE": c.get("SUBJECT_CODE_TYPE_USCC", ""),
                    "WIN_BIDDER_CODE": winner.bidder.uscc,
                    "BIDDER_ROLE": c.get("ROLE_BIDDER", ""),
                    "UNION_CODE": "",
                    "UNION_NAME": "",
                    "PRICE_FORM_CODE": "1",
                    "BID_AMOUNT": fmt_decimal(winner.price),
                    "BID_CURRENCY": CURRENCY,
                    "PRICE_UNIT": PRICE_UNIT_YUAN,
                    "OTHER_BID_PRICE": "",
                    "OTHER_CONTENT": "",
                    "BULLETIN_DUTY": "",  # not captured
                    "EXAMINER_NAME": "",  # not captured
                    "BIDDER_REGION_CODE": winner.bidder.region_code,  # V4
                    "BIDDER_PROPERTY": "",  # V4, code set 10005: not captured
                    "PROJECT_LEAD": "",  # V4: 项目负责人 not captured
                    "PROJECT_LEAD_ID": "",
                },
            )
        )
    return _published(rows, AWARD_ISSUED, lambda r: r.record_id)


# ---- feed -----------------------------------------------------------------------------


def resolve_sessions(ids: list[str]) -> dict[str, str]:
    """evaluation session id → the unified deal code of its section."""
    pks = [int(i) for i in ids if i.isdigit()]
    return {
        str(pk): code
        for pk, code in EvaluationSession.objects.filter(pk__in=pks).values_list(
            "pk", "tender__section__unified_deal_code"
        )
    }


def register() -> None:
    from ggzy.opendata import plugins

    plugins.register_release_builder("award", award_releases, order=40)
    plugins.register_table("508", expert_rows, timeliness="508")
    plugins.register_table("510", candidate_rows, timeliness="510")
    plugins.register_table("511", publicity_rows, timeliness="511")
    plugins.register_table("513", result_rows, timeliness="513")
    plugins.register_feed_event(PUBLICITY_STARTED, ["510", "511"])
    plugins.register_feed_event(AWARD_ISSUED, ["508", "513"])
    plugins.register_feed_event(SESSION_FAILED, ["508"])
    plugins.register_subject_resolver(SUBJECT, resolve_sessions)
