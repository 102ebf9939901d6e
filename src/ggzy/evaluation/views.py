"""Evaluation pages (评标): the session page (staff console, tenderer, bidder, regulator's live
read-only view refreshed by htmx) and the phone-friendly expert workspace. Thin: form →
service → redirect; every write goes through ``services`` / ``award``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ggzy.accounts.permissions import is_centre_staff
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.evaluation import award, compute, reports, scores, selectors, services
from ggzy.evaluation.models import (
    ORDER,
    BidClarification,
    BidReview,
    CommitteeMember,
    EvaluationSession,
    Notice,
    PublicityObjection,
    Score,
    Step,
)
from ggzy.evaluation.scoring.grounds import REJECTION_GROUNDS
from ggzy.tendering.models import Tender

STEP_LABELS = dict(Step.choices)


def _error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(request, "web/error.html", {"error": exc}, status=exc.status)


def _next_step(session: EvaluationSession) -> str | None:
    if session.step not in ORDER:
        return None
    i = ORDER.index(Step(session.step))
    nxt = ORDER[i + 1] if i + 1 < len(ORDER) else None
    return nxt if nxt in ORDER[1:8] else None


def _context(request: HttpRequest, session: EvaluationSession) -> dict[str, Any]:
    user = request.user
    watcher = selectors.can_watch(user, session)
    mine = selectors.bidder_orgs(user, session)
    reviews = list(session.reviews.select_related("bidder").order_by("rank", "received_at"))
    members = list(session.members.select_related("user", "user__person"))
    sheets = {}
    for m in members:
        sheets[m.pk] = m.sheets.count()
    return {
        "session": session,
        "tender": session.tender,
        "step_label": STEP_LABELS.get(session.step, session.step),
        "steps": [
            (s.value, s.label, s == session.step)
            for s in ORDER
            # 政府采购 has no 中标候选人公示 step (条例第四十三条)
            if s != Step.PUBLICITY or award.has_candidate_publicity(session.tender)
        ],
        "watcher": watcher,
        "is_staff": is_centre_staff(user),
        "is_manager": services.can_manage(user, session),
        "is_member": selectors.is_member(user, session),
        "reviews": reviews if watcher else [r for r in reviews if r.bidder_id in mine],
        "members": members if watcher else [],
        "sheets": sheets,
        "valid_count": sum(1 for r in reviews if not r.rejected),
        "changes": selectors.recent_score_changes(session) if watcher else [],
        "clarifications": (
            BidClarification.objects.filter(review__session=session).select_related(
                "review__bidder"
            )
            if watcher
            else selectors.clarifications_for_bidder(user, session)
        ),
        "objections": list(session.objections.select_related("raised_by")),
        "notices": list(selectors.notices_for(user, session)),
        "my_bidder": bool(mine),
        "next_step": _next_step(session),
        "next_label": STEP_LABELS.get(_next_step(session) or "", ""),
        "candidates": session.report.get("candidates", []),
        "public": session.step in selectors.PUBLIC_STEPS,
        # 政府采购: no candidate publicity, the purchaser decides on the signed report
        "purchaser_decides": not award.has_candidate_publicity(session.tender),
    }


@require_GET
def session_page(request: HttpRequest, session_id: int) -> HttpResponse:
    try:
        session = selectors.session_visible(selectors.session_get(session_id), request.user)
    except DomainError as exc:
        return _error(request, exc)
    ctx = _context(request, session)
    if request.headers.get("HX-Request"):
        return render(request, "evaluation/session.html#live", ctx)
    return render(request, "evaluation/session.html", ctx)


@login_required
@require_POST
def start(request: HttpRequest, tender_id: int) -> HttpResponse:
    tender = Tender.objects.filter(pk=tender_id).first()
    if tender is None:
        return _error(request, DomainError(ErrorCode.NOT_FOUND, "招标不存在"))
    try:
        code = request.POST.get("template_code") or "works-comprehensive"
        from ggzy.evaluation.scoring.template import DEFAULT_TEMPLATES

        if code not in DEFAULT_TEMPLATES:
            raise DomainError(ErrorCode.SCORING_TEMPLATE_INVALID, field="template_code")
        session = services.evaluation_start(
            actor=request.user, tender=tender, template=DEFAULT_TEMPLATES[code]
        )
    except DomainError as exc:
        return _error(request, exc)
    return redirect("evaluation:session", session_id=session.pk)


def _names(raw: str) -> list[Any]:
    names = [n.strip() for n in raw.replace("，", ",").split(",") if n.strip()]
    users = {u.username: u for u in get_user_model().objects.filter(username__in=names)}
    missing = [n for n in names if n not in users]
    if missing:
        raise DomainError(ErrorCode.VALIDATION, _("用户不存在：") + "、".join(missing))
    return [users[n] for n in names]


def _review(session: EvaluationSession, raw: str | None) -> BidReview:
    r = BidReview.objects.filter(session=session, pk=int(raw or 0)).select_related("bidder").first()
    if r is None:
        raise DomainError(ErrorCode.NOT_FOUND, "投标评审不存在")
    return r


def _act(request: HttpRequest, session: EvaluationSession, action: str) -> str:  # noqa: PLR0911, PLR0912 - one branch per action
    u, p = request.user, request.POST
    if action == "committee":
        services.committee_form(
            actor=u,
            session=session,
            experts=_names(p.get("experts", "")) or None,  # blank: the drawn experts
            representatives=_names(p.get("representatives", "")),
        )
        return _("评标委员会已组建")
    if action == "advance":
        services.session_advance(actor=u, session=session, to=p.get("to", ""))
        return _("已进入下一步骤")
    if action == "fail":
        services.session_fail(actor=u, session=session, reason=p.get("reason", ""))
        return _("已否决所有投标")
    if action == "vote":
        cand = CommitteeMember.objects.filter(
            session=session, pk=int(p.get("candidate") or 0)
        ).first()
        if cand is None:
            raise DomainError(ErrorCode.VALIDATION, "候选人不是本委员会成员", field="candidate")
        services.chair_vote(actor=u, session=session, candidate=cand)
        return _("已投票")
    if action == "reject":
        services.review_reject(
            actor=u,
            review=_review(session, p.get("review")),
            ground=p.get("ground", ""),
            reason=p.get("reason", ""),
        )
        return _("已否决该投标")
    if action == "ask":
        services.clarification_ask(
            actor=u, review=_review(session, p.get("review")), question=p.get("question", "")
        )
        return _("澄清问题已发出")
    if action == "answer":
        c = BidClarification.objects.filter(
            review__session=session, pk=int(p.get("clarification") or 0)
        ).first()
        if c is None:
            raise DomainError(ErrorCode.NOT_FOUND, "澄清不存在")
        services.clarification_answer(actor=u, clarification=c, answer=p.get("answer", ""))
        return _("已答复")
    if action == "sign":
        reports.report_sign(
            actor=u,
            session=session,
            report_sha256=p.get("report_sha256", ""),
            dissent=p.get("dissent", ""),
        )
        return _("已签署评标报告")
    if action == "publicity":
        award.publicity_start(actor=u, session=session)
        return _("中标候选人已公示")
    if action == "object":
        award.objection_raise(actor=u, session=session, content=p.get("content", ""))
        return _("异议已提交")
    if action == "object-answer":
        o = PublicityObjection.objects.filter(
            session=session, pk=int(p.get("objection") or 0)
        ).first()
        if o is None:
            raise DomainError(ErrorCode.NOT_FOUND, "异议不存在")
        award.objection_answer(actor=u, objection=o, answer=p.get("answer", ""))
        return _("已答复异议")
    if action == "award":
        frm = session.step
        award.award_issue(actor=u, session=session)
        if frm == Step.SIGNED:
            return _("已确定中标（成交）供应商，通知书已发出，结果已公告")
        return _("已定标，通知书已发出")
    raise DomainError(ErrorCode.NOT_FOUND, "未知操作")


@login_required
@require_POST
def action(request: HttpRequest, session_id: int, action: str) -> HttpResponse:
    try:
        session = selectors.session_visible(selectors.session_get(session_id), request.user)
        text = _act(request, session, action)
    except (DomainError, ValueError) as exc:
        err = exc if isinstance(exc, DomainError) else DomainError(ErrorCode.VALIDATION)
        messages.error(request, f"{err.message}（{err.code.value}）")
        back = request.POST.get("next") or ""
        if back.startswith("/evaluation/"):
            return redirect(back)
        return redirect("evaluation:session", session_id=session_id)
    messages.success(request, text)
    back = request.POST.get("next") or ""
    if back.startswith("/evaluation/"):
        return redirect(back)
    return redirect("evaluation:session", session_id=session_id)


@login_required
@require_GET
def workspace(request: HttpRequest, session_id: int) -> HttpResponse:
    """The expert's phone workspace: chair vote, per-bid scoring, rejection, clarification,
    signing the report."""
    try:
        session = selectors.session_get(session_id)
        me = services.member_of(request.user, session)
    except DomainError as exc:
        return _error(request, exc)
    tpl = compute.template_of(session)
    reviews = list(session.reviews.select_related("bidder").order_by("received_at"))
    current = None
    if request.GET.get("review"):
        current = next((r for r in reviews if str(r.pk) == request.GET["review"]), None)
    mine = {(s.review_id, s.criterion): s.value for s in Score.objects.filter(member=me)}
    submitted = set(me.sheets.values_list("review_id", flat=True))
    rows = []
    if current is not None:
        rows = [{"c": c, "value": mine.get((current.pk, c.code), "")} for c in tpl.criteria]
    return render(
        request,
        "evaluation/workspace.html",
        {
            "session": session,
            "tender": session.tender,
            "me": me,
            "step_label": STEP_LABELS.get(session.step, session.step),
            "members": list(session.members.select_related("user", "user__person")),
            "reviews": [(r, r.pk in submitted) for r in reviews],
            "current": current,
            "rows": rows,
            "scoring": session.step == Step.DETAILED,
            "reviewing": session.step in (Step.QUALIFICATION, Step.PRELIMINARY, Step.DETAILED),
            "grounds": REJECTION_GROUNDS,
            "template": tpl,
        },
    )


@login_required
@require_POST
def score(request: HttpRequest, session_id: int, review_id: int) -> HttpResponse:
    try:
        session = selectors.session_get(session_id)
        review = _review(session, str(review_id))
        tpl = compute.template_of(session)
        values = {c.code: request.POST.get(c.code, "").strip() for c in tpl.criteria}
        scores.scores_set(
            actor=request.user,
            review=review,
            scores={k: v for k, v in values.items() if v},
            submit=request.POST.get("submit") == "1",
        )
    except DomainError as exc:
        messages.error(request, f"{exc.message}（{exc.code.value}）")
        return redirect(f"{_ws(session_id)}?review={review_id}")
    messages.success(
        request, _("评分已提交") if request.POST.get("submit") == "1" else _("评分已保存")
    )
    return redirect(f"{_ws(session_id)}?review={review_id}")


def _ws(session_id: int) -> str:
    from django.urls import reverse

    return reverse("evaluation:workspace", args=[session_id])


@require_GET
def notice_pdf(request: HttpRequest, notice_id: int) -> HttpResponseBase:
    n = Notice.objects.filter(pk=notice_id).select_related("session", "review").first()
    try:
        if n is None:
            raise DomainError(ErrorCode.NOT_FOUND, "通知书不存在")
        selectors.notice_visible(n, request.user)
    except DomainError as exc:
        return _error(request, exc)
    response = FileResponse(
        n.pdf.open("rb"),
        content_type="application/pdf",
        as_attachment=True,
        filename=f"{n.number}.pdf",
    )
    response["X-Content-SHA256"] = n.pdf_sha256
    return response
