"""Evaluation services (评标): every write of the evaluation, each with its ledger entry in
the same transaction. Award, publicity and notices are in :mod:`ggzy.evaluation.award`.

State machine (``Step``): chair → qualification → preliminary → detailed → price → totals →
ranking → report → signed → publicity → awarded; ``failed`` when every bid is rejected.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from django.db import transaction
from django.db.models import F

from ggzy import clock, ledger
from ggzy.accounts.permissions import Perm, is_centre_staff, require
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.evaluation.compute import (
    build_report,
    compute_price,
    compute_ranking,
    compute_totals,
)
from ggzy.evaluation.models import (
    LOCKED,
    ORDER,
    REVIEW_OPEN,
    BidClarification,
    BidReview,
    CommitteeMember,
    EvaluationSession,
    MemberKind,
    ScoreSheet,
    Step,
)
from ggzy.evaluation.scoring import price
from ggzy.evaluation.scoring.grounds import GROUND_BASIS, GROUND_TEXT
from ggzy.evaluation.scoring.template import (
    DEFAULT_TEMPLATES,
    WORKS_COMPREHENSIVE,
    TemplateError,
    parse_template,
)
from ggzy.projects.services import can_manage_tender
from ggzy.registry.models import Membership, MembershipStatus, Role
from ggzy.tendering.models import BidOpening, BidStatus, Consistency, Tender, TenderStatus
from ggzy.tendering.selectors import ruleset_of


def _event(
    kind: str, subject: Any, actor: Any, payload: dict[str, Any], s: EvaluationSession
) -> None:
    ledger.record(
        f"evaluation:{kind}", subject, actor, payload, rule_version=s.tender.ruleset_label
    )


def _staff(actor: Any) -> None:
    require(actor, Perm.EVALUATION_SESSION_WRITE)
    if not is_centre_staff(actor):
        raise DomainError(ErrorCode.PERMISSION_DENIED, "评标由交易中心工作人员组织")


def member_of(actor: Any, session: EvaluationSession) -> CommitteeMember:
    """The committee member ``actor`` is, or NOT_COMMITTEE_MEMBER (only members score)."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise DomainError(ErrorCode.NOT_AUTHENTICATED)
    member = CommitteeMember.objects.filter(session=session, user=actor).first()
    if member is None:
        raise DomainError(ErrorCode.NOT_COMMITTEE_MEMBER)
    if member.kind == MemberKind.EXPERT:
        require(actor, Perm.EVALUATION_SCORE_WRITE)
    return member


def _at(session: EvaluationSession, *steps: str) -> None:
    if session.step not in steps:
        code = ErrorCode.REPORT_SIGNED if session.step in LOCKED else ErrorCode.EVALUATION_STATE
        raise DomainError(
            code,
            None
            if code == ErrorCode.REPORT_SIGNED
            else f"评标当前处于“{Step(session.step).label}”阶段，不能执行此操作",
            detail={"step": session.step},
        )


def _move(session: EvaluationSession, frm: str, to: str, **fields: Any) -> None:
    """Compare-and-set transition (no check-then-act)."""
    changed = EvaluationSession.objects.filter(
        pk=session.pk, step=frm, version=session.version
    ).update(step=to, version=F("version") + 1, **fields)
    if changed != 1:
        raise DomainError(ErrorCode.CONFLICT)
    session.refresh_from_db()


def _price_of(opening: BidOpening) -> Decimal | None:
    p = opening.price or {}
    try:
        amount = Decimal(str(p.get("amount")))
    except (InvalidOperation, ValueError):
        return None
    if not amount.is_finite() or amount <= 0:
        return None
    return amount * 10000 if p.get("price_unit") == 1 else amount  # 万元 → 元


def _k_seed() -> str:
    from ggzy.ledger.proofs import published_checkpoint

    cp = published_checkpoint()
    if cp is None:
        return "checkpoint:0:" + "0" * 64
    return f"checkpoint:{cp.size}:{bytes(cp.root_hash).hex()}"


def evaluation_start(
    *, actor: Any, tender: Tender, template: dict[str, Any] | None = None
) -> EvaluationSession:
    """Open the evaluation of an OPENED tender with a scoring template (评分办法).

    Bids whose decrypted file is consistent enter review; a price above the ceiling price
    (最高投标限价) is rejected at once (实施条例 51(5)). K (下浮系数) is drawn here from the
    published ledger checkpoint + tender id (``k-draw/v1``), and both go on the ledger.
    """
    _staff(actor)
    if tender.status != TenderStatus.OPENED:
        raise DomainError(ErrorCode.TENDER_STATE, "只有开标完成的招标才能评标")
    raw = template or WORKS_COMPREHENSIVE
    if isinstance(raw, dict) and set(raw) == {"code"} and raw["code"] in DEFAULT_TEMPLATES:
        raw = DEFAULT_TEMPLATES[raw["code"]]
    try:
        tpl = parse_template(raw)
    except TemplateError as exc:
        raise DomainError(ErrorCode.SCORING_TEMPLATE_INVALID, str(exc), field=exc.field) from exc
    rs = ruleset_of(tender)
    allowed = rs.get("evaluation_methods") or ()
    if allowed and tpl.method not in allowed:
        raise DomainError(
            ErrorCode.SCORING_TEMPLATE_INVALID,
            f"规则 {rs.label} 不允许评标方法 {tpl.method}",
            field="method",
        )
    openings = list(
        BidOpening.objects.filter(
            bid__tender=tender, bid__status=BidStatus.SUBMITTED, consistency=Consistency.CONSISTENT
        ).select_related("bid", "bid__bidder")
    )
    seed = _k_seed()
    k, digest = (Decimal(0), "")
    if tpl.k_choices:
        k, digest = price.k_draw(seed, f"tender:{tender.pk}", tpl.k_choices)
    ceiling = tender.section.max_price
    now = clock.now()
    with transaction.atomic():
        # the tender row is the lock two concurrent starts meet at (OneToOne on the session)
        Tender.objects.select_for_update().filter(pk=tender.pk).first()
        if EvaluationSession.objects.filter(tender=tender).exists():
            raise DomainError(ErrorCode.CONFLICT, "该招标已开始评标")
        session = EvaluationSession.objects.create(
            tender=tender,
            template=json.loads(json.dumps(tpl.raw)),
            template_label=tpl.label,
            template_sha256=tpl.sha256,
            method=tpl.method,
            k_value=k if tpl.k_choices else None,
            k_seed=seed if tpl.k_choices else "",
            k_digest=digest,
            created_at=now,
            created_by=actor,
        )
        auto_rejected = []
        for o in openings:
            amount = _price_of(o)
            review = BidReview(
                session=session,
                bid=o.bid,
                bidder=o.bid.bidder,
                price=amount or Decimal(0),
                received_at=o.bid.received_at,
            )
            if amount is None:
                review.rejected, review.rejection_ground = True, "R51-6"
                review.rejection_reason = "开标记录中没有有效的投标报价"
            elif ceiling is not None and amount > ceiling:
                review.rejected, review.rejection_ground = True, "R51-5"
                review.rejection_reason = f"投标报价 {amount} 元高于最高投标限价 {ceiling} 元"
            if review.rejected:
                review.rejected_step = Step.QUALIFICATION
                auto_rejected.append(o.bid.bidder.uscc)
            review.save()
        _event(
            "session:started",
            session,
            actor,
            {
                "tender": tender.pk,
                "template": tpl.label,
                "template_sha256": tpl.sha256,
                "method": tpl.method,
                "bids": len(openings),
                "auto_rejected": auto_rejected,
                "k_algorithm": price.K_DRAW_V1 if tpl.k_choices else None,
                "k_seed": seed if tpl.k_choices else None,
                "k_choices": [str(c) for c in tpl.k_choices],
                "k": str(k) if tpl.k_choices else None,
                "k_digest_sha256": digest or None,
            },
            session,
        )
    return session


def _representative_ok(user: Any, tender: Tender) -> bool:
    tp = tender.section.tender_project
    orgs = [o for o in (tp.tenderer, tp.agency) if o is not None]
    return Membership.objects.filter(
        person__user=user,
        organization__in=orgs,
        role__in=[Role.TENDERER, Role.AGENCY],
        status=MembershipStatus.ACTIVE,
    ).exists()


def committee_check(
    *, size: int, experts: int, min_size: int, odd: bool, expert_share: Fraction
) -> str | None:
    """The binding violation of T18 (≥ min_size, odd, experts ≥ share), or None."""
    if size < min_size:
        return f"评标委员会成员不得少于 {min_size} 人（当前 {size} 人）"
    if odd and size % 2 == 0:
        return f"评标委员会成员人数应当为单数（当前 {size} 人）"
    if Fraction(experts, size) < expert_share:
        return f"技术、经济等方面的专家不得少于成员总数的 {expert_share}（当前 {experts}/{size}）"
    return None


def _committee_experts(tender: Any, given: Sequence[Any] | None) -> tuple[Sequence[Any], str]:
    """The experts to seat and where they came from ("draw" or "manual")."""
    from ggzy.experts.selectors import committee_experts

    drawn = committee_experts(tender.section)
    if given is None:
        if not drawn:
            raise DomainError(
                ErrorCode.COMMITTEE_INVALID,
                "本标段没有已确认并解密的随机抽取专家名单，请先抽取专家",
                field="experts",
            )
        return drawn, "draw"
    if drawn and {u.pk for u in given} != {u.pk for u in drawn}:
        raise DomainError(
            ErrorCode.COMMITTEE_INVALID,
            "评标专家须为本标段随机抽取并确认的专家，不得替换",
            field="experts",
        )
    return given, "draw" if drawn else "manual"


def committee_form(
    *,
    actor: Any,
    session: EvaluationSession,
    experts: Sequence[Any] | None = None,
    representatives: Sequence[Any] = (),
) -> list[CommitteeMember]:
    """组建评标委员会 (T18): experts (active 评标专家 role) plus tenderer representatives.

    The experts come from the section's verifiable draw (``ggzy.experts``: drawn, confirmed,
    list released): with ``experts`` omitted they are taken from it, and a list given while a
    released draw exists must be exactly the drawn experts. Without any draw an explicit list
    is accepted (招标人直接确定 for special projects, 招标投标法第三十七条) and recorded as such.
    """
    _staff(actor)
    _at(session, Step.CHAIR)
    tender = session.tender
    rs = ruleset_of(tender)
    experts, source = _committee_experts(tender, experts)
    users = list(experts) + list(representatives)
    ids = [u.pk for u in users]
    if len(set(ids)) != len(ids):
        raise DomainError(ErrorCode.COMMITTEE_INVALID, "同一人员不能重复担任委员")
    problem = committee_check(
        size=len(users),
        experts=len(experts),
        min_size=int(rs.get("committee_min_size") or 5),
        odd=bool(rs.get("committee_odd")),
        expert_share=Fraction(str(rs.get("expert_min_share") or "2/3")),
    )
    if problem:
        raise DomainError(ErrorCode.COMMITTEE_INVALID, problem, detail={"rule": rs.label})
    for u in experts:
        if not Membership.objects.filter(
            person__user=u, role=Role.EXPERT, status=MembershipStatus.ACTIVE
        ).exists():
            raise DomainError(
                ErrorCode.COMMITTEE_INVALID, f"{u.username} 不是在库的评标专家", field="experts"
            )
    bidder_orgs = set(session.reviews.values_list("bidder_id", flat=True))
    for u in users:
        if Membership.objects.filter(
            person__user=u, organization_id__in=bidder_orgs, status=MembershipStatus.ACTIVE
        ).exists():
            raise DomainError(
                ErrorCode.COMMITTEE_INVALID, f"{u.username} 与投标人有利害关系，应当回避"
            )
        if Membership.objects.filter(
            person__user=u, role=Role.REGULATOR, status=MembershipStatus.ACTIVE
        ).exists():
            raise DomainError(
                ErrorCode.COMMITTEE_INVALID, f"{u.username} 为行政监督部门人员，不得担任委员"
            )
    for u in representatives:
        if not _representative_ok(u, tender):
            raise DomainError(
                ErrorCode.COMMITTEE_INVALID,
                f"{u.username} 不是本项目招标人（代理机构）的人员",
                field="representatives",
            )
    with transaction.atomic():
        # compare-and-set on the session's version: two concurrent formations cannot both win
        claimed = EvaluationSession.objects.filter(
            pk=session.pk, step=Step.CHAIR, version=session.version
        ).update(version=F("version") + 1)
        if claimed != 1 or CommitteeMember.objects.filter(session=session).exists():
            raise DomainError(ErrorCode.CONFLICT, "评标委员会已组建")
        session.version += 1
        members = [
            CommitteeMember.objects.create(session=session, user=u, kind=MemberKind.EXPERT)
            for u in experts
        ] + [
            CommitteeMember.objects.create(session=session, user=u, kind=MemberKind.REPRESENTATIVE)
            for u in representatives
        ]
        _event(
            "committee:formed",
            session,
            actor,
            {
                "members": [f"user:{m.user_id}" for m in members],
                "experts": len(experts),
                "representatives": len(representatives),
                "source": source,
            },
            session,
        )
    return members


def chair_vote(
    *, actor: Any, session: EvaluationSession, candidate: CommitteeMember
) -> CommitteeMember:
    """推选组长: each member votes once; a majority of the committee elects the chair."""
    me = member_of(actor, session)
    _at(session, Step.CHAIR)
    if candidate.session_id != session.pk:
        raise DomainError(ErrorCode.VALIDATION, "候选人不是本委员会成员", field="candidate")
    with transaction.atomic():
        if (
            CommitteeMember.objects.filter(pk=me.pk, vote_for__isnull=True).update(
                vote_for=candidate
            )
            != 1
        ):
            raise DomainError(ErrorCode.CONFLICT, "您已投票")
        members = list(CommitteeMember.objects.filter(session=session))
        votes = sum(1 for m in members if m.vote_for_id == candidate.pk)
        elected = votes * 2 > len(members) and not any(m.is_chair for m in members)
        if elected:
            CommitteeMember.objects.filter(pk=candidate.pk).update(is_chair=True)
        _event(
            "chair:voted",
            me,
            actor,
            {"candidate": f"user:{candidate.user_id}", "votes": votes, "elected": elected},
            session,
        )
    candidate.refresh_from_db()
    return candidate


def session_advance(*, actor: Any, session: EvaluationSession, to: str) -> EvaluationSession:
    """Move to the next step (staff). Entering price/totals/ranking/report computes it."""
    _staff(actor)
    if session.step not in ORDER or to not in ORDER:
        _at(session, *ORDER[:8])
    i = ORDER.index(Step(session.step)) if session.step in ORDER else -1
    if (
        i < 0
        or i + 1 >= len(ORDER)
        or ORDER[i + 1] != to
        or to in (Step.SIGNED, Step.PUBLICITY, Step.AWARDED)
    ):
        target = Step(to).label if to in Step.values else to
        raise DomainError(
            ErrorCode.EVALUATION_STATE,
            f"不能从“{Step(session.step).label}”进入“{target}”",
            detail={"step": session.step, "to": to},
        )
    members = list(session.members.all())
    if not members:
        raise DomainError(ErrorCode.COMMITTEE_INVALID, "尚未组建评标委员会")
    if to == Step.QUALIFICATION and not any(m.is_chair for m in members):
        raise DomainError(ErrorCode.EVALUATION_STATE, "尚未推选出评标委员会组长")
    valid = list(session.reviews.filter(rejected=False))
    if to in (Step.PRELIMINARY, Step.DETAILED, Step.PRICE) and not valid:
        raise DomainError(ErrorCode.EVALUATION_STATE, "所有投标均被否决，请确认否决所有投标")
    if to == Step.PRICE:
        expected = len(members) * len(valid)
        done = ScoreSheet.objects.filter(review__in=valid, member__in=members).count()
        if done < expected:
            raise DomainError(
                ErrorCode.SCORES_INCOMPLETE, detail={"submitted": done, "expected": expected}
            )
    with transaction.atomic():
        payload: dict[str, Any] = {"from": session.step, "to": to}
        _move(session, session.step, to)
        if to == Step.PRICE:
            payload.update(compute_price(session))
        elif to == Step.TOTALS:
            payload.update(compute_totals(session))
        elif to == Step.RANKING:
            payload.update(compute_ranking(session))
        elif to == Step.REPORT:
            payload.update(build_report(session))
        _event("session:advanced", session, actor, payload, session)
    return session


def session_fail(*, actor: Any, session: EvaluationSession, reason: str) -> EvaluationSession:
    """否决所有投标 (法 42; 12号令 27): the committee rejects all; the tender is re-tendered."""
    _staff(actor)
    _at(session, *REVIEW_OPEN)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(ErrorCode.VALIDATION, "请填写理由", field="reason")
    with transaction.atomic():
        _move(session, session.step, Step.FAILED)
        _event("session:failed", session, actor, {"reason_sha256": _h(reason)}, session)
    return session


def _h(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def review_reject(*, actor: Any, review: BidReview, ground: str, reason: str) -> BidReview:
    """否决投标 with a mandatory ground (实施条例 51) and a written reason."""
    session = review.session
    member_of(actor, session)
    _at(session, *REVIEW_OPEN)
    if ground not in GROUND_TEXT:
        raise DomainError(
            ErrorCode.VALIDATION, "请选择实施条例第五十一条规定的否决情形", field="ground"
        )
    reason = (reason or "").strip()
    if not reason or len(reason) > 5000:
        raise DomainError(ErrorCode.VALIDATION, "请填写否决理由（不超过 5000 字）", field="reason")
    with transaction.atomic():
        if (
            BidReview.objects.filter(pk=review.pk, rejected=False).update(
                rejected=True,
                rejection_ground=ground,
                rejection_reason=reason,
                rejected_step=session.step,
            )
            != 1
        ):
            raise DomainError(ErrorCode.CONFLICT, "该投标已被否决")
        _event(
            "review:rejected",
            review,
            actor,
            {
                "bidder": review.bidder.uscc,
                "ground": ground,
                "basis": GROUND_BASIS[ground],
                "reason_sha256": _h(reason),
                "step": session.step,
            },
            session,
        )
    review.refresh_from_db()
    return review


def review_adjust(*, actor: Any, review: BidReview, adjustments: list[dict[str, Any]]) -> BidReview:
    """价格调整 for the lowest evaluated price method (quantified deviations), chair only."""
    session = review.session
    me = member_of(actor, session)
    if not me.is_chair:
        raise DomainError(ErrorCode.PERMISSION_DENIED, "价格调整由评标委员会组长录入")
    _at(session, Step.DETAILED)
    clean = []
    for i, a in enumerate(adjustments):
        try:
            amount = Decimal(str(a.get("amount")))
        except (InvalidOperation, ValueError, AttributeError) as exc:
            raise DomainError(
                ErrorCode.VALIDATION, "调整金额无效", field=f"adjustments.{i}"
            ) from exc
        reason = str(a.get("reason") or "").strip()
        if not amount.is_finite() or not reason:
            raise DomainError(ErrorCode.VALIDATION, "调整须有金额和理由", field=f"adjustments.{i}")
        if abs(amount) >= Decimal("1e15"):
            raise DomainError(ErrorCode.VALIDATION, "调整金额超出范围", field=f"adjustments.{i}")
        clean.append({"reason": reason[:500], "amount": str(price.q2(amount))})
    with transaction.atomic():
        BidReview.objects.filter(pk=review.pk).update(adjustments=clean)
        _event("review:adjusted", review, actor, {"adjustments": clean}, session)
    review.refresh_from_db()
    return review


def clarification_ask(*, actor: Any, review: BidReview, question: str) -> BidClarification:
    """书面澄清 request (实施条例 52) from the committee to one bidder."""
    session = review.session
    member_of(actor, session)
    _at(session, *REVIEW_OPEN)
    question = (question or "").strip()
    if not question or len(question) > 5000:
        raise DomainError(
            ErrorCode.VALIDATION, "请填写澄清问题（不超过 5000 字）", field="question"
        )
    with transaction.atomic():
        c = BidClarification.objects.create(
            review=review, question=question, asked_by=actor, asked_at=clock.now()
        )
        _event(
            "clarification:asked",
            c,
            actor,
            {"bidder": review.bidder.uscc, "question_sha256": _h(question)},
            session,
        )
    return c


def clarification_answer(
    *, actor: Any, clarification: BidClarification, answer: str
) -> BidClarification:
    """The bidder's written answer; it may not change the substance of the bid."""
    review = clarification.review
    if not Membership.objects.filter(
        person__user=actor,
        organization=review.bidder,
        role=Role.BIDDER,
        status=MembershipStatus.ACTIVE,
    ).exists():
        raise DomainError(ErrorCode.BID_NOT_MEMBER, "只有被澄清的投标人可以答复")
    _at(review.session, *REVIEW_OPEN)
    answer = (answer or "").strip()
    if not answer or len(answer) > 20000:
        raise DomainError(ErrorCode.VALIDATION, "请填写书面答复", field="answer")
    with transaction.atomic():
        if (
            BidClarification.objects.filter(pk=clarification.pk, answered_at__isnull=True).update(
                answer=answer, answered_by=actor, answered_at=clock.now()
            )
            != 1
        ):
            raise DomainError(ErrorCode.CONFLICT, "已答复")
        _event(
            "clarification:answered",
            clarification,
            actor,
            {"answer_sha256": _h(answer)},
            review.session,
        )
    clarification.refresh_from_db()
    return clarification


def can_manage(actor: Any, session: EvaluationSession) -> bool:
    return can_manage_tender(actor, session.tender.section.tender_project)
