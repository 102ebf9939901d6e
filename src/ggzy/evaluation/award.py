"""Candidates, publicity, objections, award and notices (中标候选人公示, 异议, 定标,
中标通知书, 中标结果通知书) and the post-award deadlines (T21–T26).

Two award paths, chosen by the tender's rule set (data, not the trade type's name):

* **after publicity** — a rule set with ``candidate_publicity_min_days`` (works tenders,
  招标投标法实施条例第五十四、五十五条): report signed → 中标候选人公示 → objections answered →
  定标; the written report (``award_report_days``) is reminded after the award.
* **purchaser decision** — a rule set without it (政府采购, 政府采购法实施条例第四十三条): no
  candidate publicity; the report reaches the purchaser within ``evaluation_report_days``, who
  confirms the winner in the recommended order within ``award_decision_days``, straight from the
  signed report; the notices and the result announcement go out with the decision.
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction

from ggzy import clock
from ggzy.core import platform_key
from ggzy.core.canonical import canonical_json
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.evaluation import notices
from ggzy.evaluation.models import (
    BidReview,
    EvaluationSession,
    Notice,
    NoticeKind,
    PublicityObjection,
    Reminder,
    ReminderKind,
    Step,
)
from ggzy.evaluation.pdf import render_notice
from ggzy.evaluation.services import _at, _event, _h, _move, can_manage
from ggzy.registry.models import Membership, MembershipStatus, Organization, Role
from ggzy.rules import selectors as rules
from ggzy.rules.timecalc import LOCAL_TZ
from ggzy.tendering.models import Tender
from ggzy.tendering.selectors import ruleset_of

AFTER_PUBLICITY = "after_publicity"  # 中标候选人公示 → 定标 (招标投标法实施条例第五十四条)
PURCHASER = "purchaser"  # 采购人确定中标（成交）供应商 (政府采购法实施条例第四十三条)
PURCHASER_BASIS = "政府采购法实施条例第四十三条"


def has_candidate_publicity(tender: Tender) -> bool:
    """Whether the award of ``tender`` waits for a 中标候选人公示: its rule set has
    ``candidate_publicity_min_days`` (works), or not (government procurement)."""
    return ruleset_of(tender).applies("candidate_publicity_min_days")


def _manager(actor: Any, session: EvaluationSession) -> None:
    if not can_manage(actor, session):
        raise DomainError(
            ErrorCode.PERMISSION_DENIED, "只有招标人、其招标代理机构或交易中心工作人员可以操作"
        )


def publicity_start(*, actor: Any, session: EvaluationSession) -> EvaluationSession:
    """公示中标候选人 (T21): within 3 days of the signed report, for ≥ 3 days (rule keys
    ``candidate_publicity_start_days`` / ``candidate_publicity_min_days``). Refused when the
    rule set has no candidate publicity (政府采购): the purchaser decides with
    :func:`award_issue` straight from the signed report."""
    _manager(actor, session)
    rs = ruleset_of(session.tender)
    if not rs.applies("candidate_publicity_min_days"):
        raise DomainError(
            ErrorCode.EVALUATION_STATE,
            "政府采购不公示中标候选人，采购人在评审报告送达后按顺序确定中标（成交）供应商"
            f"（规则 {rs.label}；{rs.basis_for('award_decision_days') or PURCHASER_BASIS}）",
            detail={"rule": rs.label, "decision": PURCHASER, "step": session.step},
        )
    _at(session, Step.SIGNED)
    now = clock.now()
    rules.check_within_period(rs, "candidate_publicity_start_days", _signed_at(session), now)
    # the publicity runs through the whole last day (公示期不得少于3日: three full days after
    # the day of publication, DOMAIN §0.3 day counting), so it ends at 24:00 of that day
    until = rules.period_end_for(rs, "candidate_publicity_min_days", now)
    with transaction.atomic():
        _move(session, Step.SIGNED, Step.PUBLICITY, publicity_from=now, publicity_until=until)
        _event(
            "publicity:started",
            session,
            actor,
            {
                "from": now,
                "until": until,
                "report_sha256": session.report_sha256,
                "candidates": session.report.get("candidates", []),
            },
            session,
        )
        notices.candidates_publicised(session, actor)  # 中标候选人公示 on the portal
    return session


def _signed_at(session: EvaluationSession) -> Any:
    """When the report was complete: the last member's signature."""
    return max(m.signed_at for m in session.members.all() if m.signed_at)


def _bidder_org(
    actor: Any, session: EvaluationSession, organization: Organization | None
) -> Organization:
    orgs = Organization.objects.filter(
        pk__in=session.reviews.values("bidder_id"),
        memberships__person__user=actor,
        memberships__role=Role.BIDDER,
        memberships__status=MembershipStatus.ACTIVE,
    ).distinct()
    if organization is not None:
        orgs = orgs.filter(pk=organization.pk)
    org = orgs.first()
    if org is None:
        raise DomainError(ErrorCode.BID_NOT_MEMBER, "只有本项目的投标人可以提出异议")
    return org


def objection_raise(
    *,
    actor: Any,
    session: EvaluationSession,
    content: str,
    organization: Organization | None = None,
) -> PublicityObjection:
    """异议 during publicity (T21); the award pauses until it is answered."""
    org = _bidder_org(actor, session, organization)
    _at(session, Step.PUBLICITY)
    now = clock.now()
    if session.publicity_until and now > session.publicity_until:
        raise DomainError(ErrorCode.PERIOD_EXPIRED, "中标候选人公示期已结束，不能再提出异议")
    content = (content or "").strip()
    if not content or len(content) > 20000:
        raise DomainError(ErrorCode.VALIDATION, "请填写异议内容", field="content")
    due = rules.period_end_for(ruleset_of(session.tender), "objection_answer_days", now)
    with transaction.atomic():
        if not EvaluationSession.objects.filter(pk=session.pk, step=Step.PUBLICITY).exists():
            raise DomainError(ErrorCode.EVALUATION_STATE, "中标候选人公示已结束")
        obj = PublicityObjection.objects.create(
            session=session,
            raised_by=org,
            raised_by_user=actor,
            content=content,
            raised_at=now,
            answer_due=due,
        )
        _event(
            "objection:raised",
            obj,
            actor,
            {"bidder": org.uscc, "content_sha256": _h(content), "answer_due": due},
            session,
        )
    return obj


def objection_answer(
    *, actor: Any, objection: PublicityObjection, answer: str
) -> PublicityObjection:
    session = objection.session
    _manager(actor, session)
    answer = (answer or "").strip()
    if not answer or len(answer) > 20000:
        raise DomainError(ErrorCode.VALIDATION, "请填写答复", field="answer")
    with transaction.atomic():
        if (
            PublicityObjection.objects.filter(pk=objection.pk, answered_at__isnull=True).update(
                answer=answer, answered_at=clock.now()
            )
            != 1
        ):
            raise DomainError(ErrorCode.CONFLICT, "该异议已答复")
        _event("objection:answered", objection, actor, {"answer_sha256": _h(answer)}, session)
    objection.refresh_from_db()
    return objection


def verify_url(content_sha256: str, base_url: str | None = None) -> str:
    """The QR code's link. ``base_url`` is for tests only: a signed notice must not take its
    address from a request's Host header, so callers leave it to GGZY_PUBLIC_URL."""
    base = (base_url or settings.GGZY_PUBLIC_URL).rstrip("/")
    return f"{base}/ledger/verify/?{urlencode({'sha256': content_sha256})}"


def _users_of(org: Organization | None, *roles: str) -> list[Any]:
    if org is None:
        return []
    return [
        m.person.user
        for m in Membership.objects.filter(
            organization=org, role__in=roles, status=MembershipStatus.ACTIVE
        )
        .select_related("person__user")
        .order_by("id")
        if m.person.user is not None
    ]


def _check_decision_period(rs: rules.RuleSetView, signed_at: Any, now: Any) -> None:
    """The purchaser decides within ``award_decision_days`` of receiving the report, which
    reaches it at the latest ``evaluation_report_days`` after signing (条例第四十三条): refused
    with PERIOD_EXPIRED citing ``award_decision_days`` once both have run out."""
    if not rs.applies("award_decision_days"):
        return
    received = signed_at
    if rs.applies("evaluation_report_days"):
        received = rules.period_end_for(rs, "evaluation_report_days", signed_at)
    rules.check_within_period(rs, "award_decision_days", received, now)


def award_issue(
    *, actor: Any, session: EvaluationSession, base_url: str | None = None
) -> EvaluationSession:
    """定标 (T22): the rank-1 non-rejected candidate wins; 中标通知书 to the winner, 中标结果通知书
    to every other bidder (T24), 中标结果公告 on the portal; reminders for the written report
    (T26, ``award_report_days``, when the rule set has it) and the contract (T25,
    ``contract_days``).

    After publicity (works): from PUBLICITY, once it has ended with every objection answered.
    Purchaser decision (政府采购, no ``candidate_publicity_min_days``): from SIGNED, within
    ``evaluation_report_days`` + ``award_decision_days`` of the signed report."""
    _manager(actor, session)
    rs = ruleset_of(session.tender)
    now = clock.now()
    # a session already in publicity finishes that path whatever the rules say now
    decision = (
        AFTER_PUBLICITY
        if session.step == Step.PUBLICITY or rs.applies("candidate_publicity_min_days")
        else PURCHASER
    )
    if decision == AFTER_PUBLICITY:
        frm = Step.PUBLICITY
        _at(session, frm)
        if session.publicity_until and now < session.publicity_until:
            raise DomainError(
                ErrorCode.PUBLICITY_NOT_ENDED,
                detail={"until": session.publicity_until.isoformat()},
            )
        if session.objections.filter(answered_at__isnull=True).exists():
            raise DomainError(ErrorCode.EVALUATION_OBJECTION_PENDING)
        basis = rs.basis_for("candidate_publicity_min_days")
    else:
        frm = Step.SIGNED
        _at(session, frm)
        _check_decision_period(rs, _signed_at(session), now)
        basis = rs.basis_for("award_decision_days") or PURCHASER_BASIS
    winner = (
        session.reviews.filter(candidate_rank=1, rejected=False)
        .select_related("bidder", "bid")
        .first()
    )
    if winner is None:
        raise DomainError(ErrorCode.EVALUATION_STATE, "没有排名第一的中标候选人")
    report_due = (
        rules.period_end_for(rs, "award_report_days", now)
        if rs.applies("award_report_days")
        else None
    )
    contract_due = rules.period_end_for(rs, "contract_days", now)
    tp = session.tender.section.tender_project
    with transaction.atomic():
        _move(session, frm, Step.AWARDED, awarded_at=now, winner=winner.bid)
        # re-checked under the write: an objection that raced the award pauses it
        if session.objections.filter(answered_at__isnull=True).exists():
            raise DomainError(ErrorCode.EVALUATION_OBJECTION_PENDING)
        _event(
            "award:issued",
            session,
            actor,
            {
                "winner": winner.bidder.uscc,
                "price": str(winner.price),
                "report_sha256": session.report_sha256,
                "decision": decision,
                "basis": basis,
                "written_report_due": report_due,
                "contract_due": contract_due,
            },
            session,
        )
        for review in session.reviews.select_related("bidder", "bid").order_by(
            "rank", "received_at"
        ):
            _notice(
                session,
                review,
                NoticeKind.AWARD if review.pk == winner.pk else NoticeKind.RESULT,
                winner,
                actor,
                base_url,
                now,
            )
        notices.award_published(session, actor)  # 中标结果公告 on the portal
        owners = _users_of(tp.tenderer, Role.TENDERER) + _users_of(tp.agency, Role.AGENCY)
        if report_due is not None:
            for user in owners:
                Reminder.objects.get_or_create(
                    session=session,
                    user=user,
                    kind=ReminderKind.WRITTEN_REPORT,
                    defaults={"due_at": report_due},
                )
        for user in owners + _users_of(winner.bidder, Role.BIDDER):
            Reminder.objects.get_or_create(
                session=session,
                user=user,
                kind=ReminderKind.CONTRACT,
                defaults={"due_at": contract_due},
            )
    return session


def _money(value: Any) -> str:
    return f"{value:,.2f} 元"


def _notice(
    session: EvaluationSession,
    review: BidReview,
    kind: str,
    winner: BidReview,
    actor: Any,
    base_url: str | None,
    now: Any,
) -> Notice:
    tender = session.tender
    number = (
        f"{tender.section.code}-{'ZB' if kind == NoticeKind.AWARD else 'JG'}-{review.bidder.uscc}"
    )
    content = {
        "kind": kind,
        "number": number,
        "tender": tender.pk,
        "section": tender.section.code,
        "section_name": tender.section.name,
        "title": tender.title,
        "bidder": review.bidder.name,
        "bidder_code": review.bidder.uscc,
        "winner": winner.bidder.name,
        "winner_price": str(winner.price),
        "rank": review.rank,
        "issued_at": now.isoformat(),
        "report_sha256": session.report_sha256,
        "platform": settings.GGZY_PLATFORM_NAME,
    }
    content_sha256 = hashlib.sha256(canonical_json(content)).hexdigest()
    signed = platform_key.sign_document({"notice_content_sha256": content_sha256, "number": number})
    url = verify_url(content_sha256, base_url)
    local = now.astimezone(LOCAL_TZ)
    if kind == NoticeKind.AWARD:
        title = "中标通知书"
        body = (
            f"{review.bidder.name}：你方递交的“{tender.title}”{tender.section.name}"
            f"投标文件已被确定为中标，中标价 {_money(winner.price)}。"
            "请自本通知书发出之日起三十日内，按照招标文件和你方投标文件与招标人订立书面合同。"
        )
    else:
        title = "中标结果通知书"
        body = (
            f"{review.bidder.name}：“{tender.title}”{tender.section.name}"
            f"已确定中标人为 {winner.bidder.name}，"
            f"中标价 {_money(winner.price)}。感谢你方参与投标。"
        )
    lines = [
        ("编号", number),
        ("项目", tender.title),
        ("标段", f"{tender.section.name}（{tender.section.code}）"),
        ("投标人", f"{review.bidder.name}（{review.bidder.uscc}）"),
        ("发出日期", f"{local:%Y-%m-%d}"),
    ]
    pdf = render_notice(
        title=title,
        lines=lines,
        body=body,
        verify_url=url,
        content_sha256=content_sha256,
        signature=signed["signature"],
    )
    pdf_sha256 = hashlib.sha256(pdf).hexdigest()
    notice = Notice(
        session=session,
        review=review,
        kind=kind,
        number=number,
        pdf_sha256=pdf_sha256,
        content_sha256=content_sha256,
        signature=signed,
        issued_at=now,
    )
    notice.pdf.save(f"{number}.pdf", ContentFile(pdf), save=False)
    notice.save()
    _event(
        "notice:issued",
        notice,
        actor,
        {
            "kind": kind,
            "number": number,
            "bidder": review.bidder.uscc,
            "content_sha256": content_sha256,
            "pdf_sha256": pdf_sha256,
            "signature": signed["signature"],
        },
        session,
    )
    return notice


def reminder_done(*, actor: Any, reminder: Reminder) -> Reminder:
    """Mark a post-award duty fulfilled (书面报告已提交 / 合同已订立)."""
    if reminder.user_id != getattr(actor, "pk", None):
        _manager(actor, reminder.session)
    with transaction.atomic():
        if (
            Reminder.objects.filter(pk=reminder.pk, done_at__isnull=True).update(
                done_at=clock.now()
            )
            != 1
        ):
            raise DomainError(ErrorCode.CONFLICT, "已办结")
        _event(
            "reminder:done",
            reminder,
            actor,
            {"kind": reminder.kind, "user": f"user:{reminder.user_id}"},
            reminder.session,
        )
    reminder.refresh_from_db()
    return reminder


def reminders_flag_overdue(*, actor: Any = "evaluation-deadlines") -> list[Reminder]:
    """Flag reminders past due and not done (first time only), one ledger entry each."""
    now = clock.now()
    flagged = []
    for r in Reminder.objects.filter(
        done_at__isnull=True, flagged_at__isnull=True, due_at__lt=now
    ).select_related("session", "session__tender"):
        with transaction.atomic():
            if (
                Reminder.objects.filter(pk=r.pk, flagged_at__isnull=True).update(flagged_at=now)
                == 1
            ):
                _event(
                    "reminder:overdue",
                    r,
                    actor,
                    {"kind": r.kind, "user": f"user:{r.user_id}", "due_at": r.due_at},
                    r.session,
                )
                flagged.append(r)
    return flagged
