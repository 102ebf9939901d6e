"""评标 Evaluation and award (评标, 定标, 中标通知书) — API (``/api/v1/evaluation``).

Staff run the session (``evaluation:session:write``), committee members score
(``evaluation:score:write`` plus membership of this committee), regulators watch
(``evaluation:session:read``), bidders answer clarifications, object and fetch notices.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.http import FileResponse, HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from ggzy.accounts.permissions import Perm, is_centre_staff, require
from ggzy.core.auth import request_user
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.evaluation import award, reports, scores, selectors, services
from ggzy.evaluation.models import (
    BidClarification,
    BidReview,
    CommitteeMember,
    EvaluationSession,
    Notice,
    PublicityObjection,
    Reminder,
)
from ggzy.evaluation.scoring.grounds import REJECTION_GROUNDS
from ggzy.evaluation.scoring.template import DEFAULT_TEMPLATES
from ggzy.tendering.models import Tender

router = Router(tags=["evaluation 评标定标"])


def _session(request: HttpRequest, session_id: int) -> EvaluationSession:
    return selectors.session_visible(selectors.session_get(session_id), request_user(request))


def _get(model: Any, pk: int, label: str) -> Any:
    obj = model.objects.filter(pk=pk).first()
    if obj is None:
        raise DomainError(ErrorCode.NOT_FOUND, f"{label}不存在")
    return obj


def _users(names: list[str], field: str) -> list[Any]:
    users = {u.username: u for u in get_user_model().objects.filter(username__in=names)}
    missing = [n for n in names if n not in users]
    if missing:
        raise DomainError(ErrorCode.VALIDATION, "用户不存在：" + "、".join(missing), field=field)
    return [users[n] for n in names]


def review_out(r: BidReview) -> dict[str, Any]:
    return {
        "id": r.pk,
        "bid": str(r.bid_id),
        "bidder": r.bidder.name,
        "bidder_code": r.bidder.uscc,
        "price": r.price,
        "rejected": r.rejected,
        "rejection_ground": r.rejection_ground,
        "rejection_reason": r.rejection_reason,
        "evaluated_price": r.evaluated_price,
        "deviation": r.deviation,
        "price_score": r.price_score,
        "item_scores": r.item_scores,
        "total": r.total,
        "rank": r.rank,
        "tied": r.tied,
        "candidate_rank": r.candidate_rank,
    }


def session_out(s: EvaluationSession, user: Any) -> dict[str, Any]:
    watcher = selectors.can_watch(user, s)
    out: dict[str, Any] = {
        "id": s.pk,
        "tender": s.tender_id,
        "step": s.step,
        "method": s.method,
        "template": s.template_label,
        "template_sha256": s.template_sha256,
        "report_sha256": s.report_sha256,
        "publicity_from": s.publicity_from,
        "publicity_until": s.publicity_until,
        "awarded_at": s.awarded_at,
        # "after_publicity" (works: 中标候选人公示, then 定标) or "purchaser" (政府采购: the
        # purchaser decides straight from the signed report, 政府采购法实施条例第四十三条)
        "award_path": award.AFTER_PUBLICITY
        if award.has_candidate_publicity(s.tender)
        else award.PURCHASER,
        "candidates": s.report.get("candidates", []) if s.step in selectors.PUBLIC_STEPS else [],
    }
    if watcher:
        out.update(
            k=s.k_value,
            k_seed=s.k_seed,
            benchmark=s.benchmark,
            committee=[
                {
                    "id": m.pk,
                    "user": m.user.username,
                    "kind": m.kind,
                    "is_chair": m.is_chair,
                    "signed": m.signed_at is not None,
                    "dissent": m.dissent,
                }
                for m in s.members.select_related("user")
            ],
            reviews=[review_out(r) for r in s.reviews.select_related("bidder")],
        )
    else:
        mine = selectors.bidder_orgs(user, s)
        out["reviews"] = [
            review_out(r) for r in s.reviews.select_related("bidder") if r.bidder_id in mine
        ]
    return out


class StartIn(Schema):
    template_code: str | None = None
    template: dict[str, Any] | None = None


@router.post("/tenders/{tender_id}/start", response={201: dict[str, Any]}, summary="开始评标")
def start(request: HttpRequest, tender_id: int, body: StartIn) -> Status[Any]:
    user = request_user(request)
    tender = _get(Tender, tender_id, "招标")
    template = body.template
    if template is None and body.template_code:
        if body.template_code not in DEFAULT_TEMPLATES:
            raise DomainError(ErrorCode.SCORING_TEMPLATE_INVALID, field="template_code")
        template = DEFAULT_TEMPLATES[body.template_code]
    s = services.evaluation_start(actor=user, tender=tender, template=template)
    return Status(201, session_out(s, user))


@router.get("/templates", summary="评分办法模板（默认）")
def templates(request: HttpRequest) -> dict[str, Any]:
    return DEFAULT_TEMPLATES


@router.get("/rejection-grounds", summary="否决投标情形（实施条例第五十一条）")
def grounds(request: HttpRequest) -> list[dict[str, str]]:
    return [{"code": c, "text": t, "basis": b} for c, t, b in REJECTION_GROUNDS]


@router.get("/sessions/{session_id}", summary="评标详情")
def get_session(request: HttpRequest, session_id: int) -> dict[str, Any]:
    return session_out(_session(request, session_id), request_user(request))


class CommitteeIn(Schema):
    # omitted: the section's drawn, confirmed and released experts (the normal case)
    experts: list[str] | None = Field(default=None, max_length=51)
    representatives: list[str] = Field(default_factory=list, max_length=20)


@router.post(
    "/sessions/{session_id}/committee", response={201: dict[str, Any]}, summary="组建评标委员会"
)
def committee(request: HttpRequest, session_id: int, body: CommitteeIn) -> Status[Any]:
    user = request_user(request)
    s = _session(request, session_id)
    members = services.committee_form(
        actor=user,
        session=s,
        experts=None if body.experts is None else _users(body.experts, "experts"),
        representatives=_users(body.representatives, "representatives"),
    )
    return Status(
        201, {"members": [{"id": m.pk, "user": m.user.username, "kind": m.kind} for m in members]}
    )


class VoteIn(Schema):
    candidate: int


@router.post("/sessions/{session_id}/chair-vote", summary="推选组长（投票）")
def chair_vote(request: HttpRequest, session_id: int, body: VoteIn) -> dict[str, Any]:
    s = _session(request, session_id)
    cand = CommitteeMember.objects.filter(pk=body.candidate, session=s).first()
    if cand is None:
        raise DomainError(ErrorCode.VALIDATION, "候选人不是本委员会成员", field="candidate")
    cand = services.chair_vote(actor=request_user(request), session=s, candidate=cand)
    return {"candidate": cand.pk, "is_chair": cand.is_chair}


class AdvanceIn(Schema):
    to: str = Field(max_length=16)


@router.post("/sessions/{session_id}/advance", summary="进入下一评标步骤")
def advance(request: HttpRequest, session_id: int, body: AdvanceIn) -> dict[str, Any]:
    user = request_user(request)
    s = services.session_advance(actor=user, session=_session(request, session_id), to=body.to)
    return session_out(s, user)


class ReasonIn(Schema):
    reason: str = Field(max_length=5000)


@router.post("/sessions/{session_id}/fail", summary="否决所有投标")
def fail(request: HttpRequest, session_id: int, body: ReasonIn) -> dict[str, Any]:
    user = request_user(request)
    s = services.session_fail(actor=user, session=_session(request, session_id), reason=body.reason)
    return session_out(s, user)


def _review(request: HttpRequest, review_id: int) -> BidReview:
    r: BidReview = _get(BidReview, review_id, "投标评审")
    selectors.session_visible(r.session, request_user(request))
    return r


class RejectIn(Schema):
    ground: str = Field(max_length=10)
    reason: str = Field(max_length=5000)


@router.post("/reviews/{review_id}/reject", summary="否决投标（须注明情形和理由）")
def reject(request: HttpRequest, review_id: int, body: RejectIn) -> dict[str, Any]:
    r = services.review_reject(
        actor=request_user(request), review=_review(request, review_id), **body.dict()
    )
    return review_out(r)


class AdjustmentIn(Schema):
    reason: str = Field(max_length=500)
    amount: Decimal


class AdjustIn(Schema):
    adjustments: list[AdjustmentIn] = Field(max_length=50)


@router.post("/reviews/{review_id}/adjustments", summary="价格调整（最低评标价法）")
def adjust(request: HttpRequest, review_id: int, body: AdjustIn) -> dict[str, Any]:
    r = services.review_adjust(
        actor=request_user(request),
        review=_review(request, review_id),
        adjustments=[a.dict() for a in body.adjustments],
    )
    return review_out(r)


class ScoresIn(Schema):
    scores: dict[str, Decimal] = Field(max_length=200)
    submit: bool = False


@router.put("/reviews/{review_id}/scores", summary="评分（逐项，独立评分）")
def put_scores(request: HttpRequest, review_id: int, body: ScoresIn) -> dict[str, Any]:
    rows = scores.scores_set(
        actor=request_user(request),
        review=_review(request, review_id),
        scores={k: str(v) for k, v in body.scores.items()},
        submit=body.submit,
    )
    return {"scores": {s.criterion: str(s.value) for s in rows}, "submitted": body.submit}


@router.get("/sessions/{session_id}/my-scores", summary="本人评分")
def my_scores(request: HttpRequest, session_id: int) -> dict[str, Any]:
    user = request_user(request)
    s = _session(request, session_id)
    me = services.member_of(user, s)
    out: dict[str, dict[str, str]] = {}
    for sc in me.scores.all():
        out.setdefault(str(sc.review_id), {})[sc.criterion] = str(sc.value)
    submitted = [str(x) for x in me.sheets.values_list("review_id", flat=True)]
    return {"scores": out, "submitted": submitted}


@router.get("/sessions/{session_id}/score-changes", summary="评分变更记录（监管）")
def score_changes(request: HttpRequest, session_id: int, after: int = 0) -> list[dict[str, Any]]:
    user = request_user(request)
    s = _session(request, session_id)
    if not is_centre_staff(user):
        require(user, Perm.EVALUATION_SESSION_READ)
    return [
        {
            "entry": e.pk,
            "at": e.received_at,
            "actor": e.actor,
            "review": int(e.subject_id),
            **e.payload,
        }
        for e in selectors.score_changes(s, after=after)
    ]


class QuestionIn(Schema):
    question: str = Field(max_length=5000)


def _clar_out(c: BidClarification) -> dict[str, Any]:
    return {
        "id": c.pk,
        "review": c.review_id,
        "bidder": c.review.bidder.name,
        "question": c.question,
        "asked_at": c.asked_at,
        "answer": c.answer,
        "answered_at": c.answered_at,
    }


@router.post(
    "/reviews/{review_id}/clarifications", response={201: dict[str, Any]}, summary="发出书面澄清"
)
def ask(request: HttpRequest, review_id: int, body: QuestionIn) -> Status[Any]:
    c = services.clarification_ask(
        actor=request_user(request), review=_review(request, review_id), question=body.question
    )
    return Status(201, _clar_out(c))


@router.get("/sessions/{session_id}/clarifications", summary="澄清问题与答复")
def clarifications(request: HttpRequest, session_id: int) -> list[dict[str, Any]]:
    user = request_user(request)
    s = _session(request, session_id)
    if selectors.can_watch(user, s):
        qs = BidClarification.objects.filter(review__session=s).select_related("review__bidder")
    else:
        qs = selectors.clarifications_for_bidder(user, s)
    return [_clar_out(c) for c in qs]


class AnswerIn(Schema):
    answer: str = Field(max_length=20000)


@router.post("/clarifications/{clar_id}/answer", summary="投标人书面答复澄清")
def answer(request: HttpRequest, clar_id: int, body: AnswerIn) -> dict[str, Any]:
    c = _get(BidClarification, clar_id, "澄清")
    c = services.clarification_answer(
        actor=request_user(request), clarification=c, answer=body.answer
    )
    return _clar_out(c)


@router.get("/sessions/{session_id}/report", summary="评标报告")
def report(request: HttpRequest, session_id: int) -> dict[str, Any]:
    user = request_user(request)
    s = _session(request, session_id)
    if not selectors.can_watch(user, s):
        raise DomainError(ErrorCode.NOT_FOUND, "评标报告不存在")
    return {
        "report": s.report,
        "report_sha256": s.report_sha256,
        "signature": s.report_signature,
        "verified": reports.report_verify(s),
    }


class SignIn(Schema):
    report_sha256: str = Field(max_length=64)
    dissent: str = Field(default="", max_length=5000)


@router.post("/sessions/{session_id}/sign", summary="签署评标报告")
def sign(request: HttpRequest, session_id: int, body: SignIn) -> dict[str, Any]:
    s = _session(request, session_id)
    m = reports.report_sign(actor=request_user(request), session=s, **body.dict())
    s.refresh_from_db()
    return {"member": m.pk, "signed_sha256": m.signed_sha256, "step": s.step}


@router.post("/sessions/{session_id}/publicity", summary="公示中标候选人")
def publicity(request: HttpRequest, session_id: int) -> dict[str, Any]:
    """Works tenders only: a rule set without candidate publicity (政府采购) answers 409
    ``evaluation_state``; its award is ``POST …/award`` from the signed report."""
    user = request_user(request)
    s = award.publicity_start(actor=user, session=_session(request, session_id))
    return session_out(s, user)


class ObjectionIn(Schema):
    content: str = Field(max_length=20000)


def _obj_out(o: PublicityObjection) -> dict[str, Any]:
    return {
        "id": o.pk,
        "content": o.content,
        "raised_at": o.raised_at,
        "answer_due": o.answer_due,
        "answer": o.answer,
        "answered_at": o.answered_at,
    }


@router.post(
    "/sessions/{session_id}/objections",
    response={201: dict[str, Any]},
    summary="对中标候选人提出异议",
)
def object_(request: HttpRequest, session_id: int, body: ObjectionIn) -> Status[Any]:
    o = award.objection_raise(
        actor=request_user(request), session=_session(request, session_id), content=body.content
    )
    return Status(201, _obj_out(o))


@router.post("/objections/{objection_id}/answer", summary="答复异议")
def answer_objection(request: HttpRequest, objection_id: int, body: AnswerIn) -> dict[str, Any]:
    o = _get(PublicityObjection, objection_id, "异议")
    o = award.objection_answer(actor=request_user(request), objection=o, answer=body.answer)
    return _obj_out(o)


@router.post(
    "/sessions/{session_id}/award",
    summary="定标并发出中标通知书（政府采购：采购人确定中标（成交）供应商）",
)
def award_(request: HttpRequest, session_id: int) -> dict[str, Any]:
    """``award_path`` "after_publicity" (works): from ``publicity`` once it has ended and every
    objection is answered. "purchaser" (政府采购): from ``signed``, within
    ``evaluation_report_days`` + ``award_decision_days`` of the signed report (else 4xx
    ``period_expired``)."""
    user = request_user(request)
    s = award.award_issue(actor=user, session=_session(request, session_id))
    return session_out(s, user)


def _notice_out(n: Notice) -> dict[str, Any]:
    return {
        "id": n.pk,
        "kind": n.kind,
        "number": n.number,
        "bidder": n.review.bidder.name,
        "pdf_sha256": n.pdf_sha256,
        "content_sha256": n.content_sha256,
        "signature": n.signature,
        "issued_at": n.issued_at,
    }


@router.get("/sessions/{session_id}/notices", summary="中标（结果）通知书")
def notices(request: HttpRequest, session_id: int) -> list[dict[str, Any]]:
    user = request_user(request)
    s = _session(request, session_id)
    return [_notice_out(n) for n in selectors.notices_for(user, s)]


@router.get("/notices/{notice_id}/pdf", summary="下载通知书 PDF")
def notice_pdf(request: HttpRequest, notice_id: int) -> FileResponse:
    n = selectors.notice_visible(_get(Notice, notice_id, "通知书"), request_user(request))
    response = FileResponse(
        n.pdf.open("rb"), content_type="application/pdf", filename=f"{n.number}.pdf"
    )
    response["X-Content-SHA256"] = n.pdf_sha256
    return response


@router.get("/reminders", summary="我的待办期限（书面报告、合同）")
def reminders(request: HttpRequest) -> list[dict[str, Any]]:
    user = request_user(request)
    if not getattr(user, "is_authenticated", False):
        raise DomainError(ErrorCode.NOT_AUTHENTICATED)
    return [
        {
            "id": d.reminder.pk,
            "session": d.reminder.session_id,
            "kind": d.reminder.kind,
            "due_at": d.reminder.due_at,
            "overdue": d.overdue,
            "days_left": d.days_left,
        }
        for d in selectors.due_items(user)
    ]


@router.post("/reminders/{reminder_id}/done", summary="办结待办期限")
def reminder_done(request: HttpRequest, reminder_id: int) -> dict[str, Any]:
    r = award.reminder_done(
        actor=request_user(request), reminder=_get(Reminder, reminder_id, "待办")
    )
    done: dt.datetime | None = r.done_at
    return {"id": r.pk, "done_at": done}
