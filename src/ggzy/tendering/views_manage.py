"""Tenderer/agency pages (招标人/代理机构): draft a tender for a section, upload 招标文件,
choose the opening-key custodians and publish, issue 澄清/修改, answer 异议; and the
custodian's page (开标密钥保管人) where a share is unsealed in the browser (custodian.js)
and released after the deadline. Thin: form → service → template."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ggzy import clock
from ggzy.accounts.permissions import Perm, has_perm
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.projects import selectors as projects
from ggzy.projects.services import can_manage_tender
from ggzy.registry import selectors as registry
from ggzy.rules import selectors as rules
from ggzy.rules import timecalc
from ggzy.tendering import bids, selectors, services, termination
from ggzy.tendering.forms_manage import (
    BEIJING,
    ClarificationForm,
    DepositForm,
    DocumentForm,
    ObjectionAnswerForm,
    PublishForm,
    ShareReleaseForm,
    TenderCreateForm,
    TerminateForm,
)
from ggzy.tendering.models import (
    CustodianShare,
    Objection,
    ObjectionStatus,
    Tender,
    TenderStatus,
)
from ggzy.web.forms import attach_error

EDITABLE = frozenset({TenderStatus.DRAFT, TenderStatus.ANNOUNCED})


def _error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(request, "web/error.html", {"error": exc}, status=exc.status)


def _load(tender_id: int) -> Tender:
    tender = (
        Tender.objects.filter(pk=tender_id)
        .select_related("section", "section__tender_project")
        .first()
    )
    if tender is None:
        raise DomainError(ErrorCode.NOT_FOUND, "招标不存在")
    return tender


def _managed(request: HttpRequest, tender_id: int) -> Tender:
    """The tender if the caller manages it; a draft stays invisible (404) to everyone else."""
    tender = _load(tender_id)
    if not can_manage_tender(request.user, tender.section.tender_project):
        if tender.status == TenderStatus.DRAFT:
            raise DomainError(ErrorCode.NOT_FOUND, "招标不存在")
        raise DomainError(
            ErrorCode.PERMISSION_DENIED, "只有招标人、其招标代理机构或交易中心工作人员可以管理招标"
        )
    return tender


# --------------------------------------------------------------------------- draft


@login_required
@require_http_methods(["GET", "POST"])
def tender_new(request: HttpRequest, section_code: str) -> HttpResponse:
    """起草招标公告 for a section of a tender project the caller manages."""
    try:
        section = projects.section_get(request.user, section_code)
    except DomainError as exc:
        return _error(request, exc)
    if not can_manage_tender(request.user, section.tender_project):
        return _error(request, DomainError(ErrorCode.PERMISSION_DENIED))
    existing = Tender.objects.filter(section=section).first()
    if existing is not None:
        messages.info(request, _("该标段已有招标"))
        return redirect("tendering:manage", tender_id=existing.pk)
    form = TenderCreateForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                tender = services.tender_create(
                    actor=request.user,
                    section=section,
                    title=form.cleaned_data["title"],
                    announcement_html=form.cleaned_data["announcement_html"],
                )
            except DomainError as exc:
                status = attach_error(form, exc)
            else:
                messages.success(request, _("招标草稿已创建，请上传招标文件并发布"))
                return redirect("tendering:manage", tender_id=tender.pk)
    return render(
        request,
        "tendering/manage/new.html",
        {"form": form, "section": section, "tender_project": section.tender_project},
        status=status,
    )


# --------------------------------------------------------------------------- manage page


def _publish_initial(tender: Tender, user: Any) -> dict[str, Any]:
    start = (clock.now() + dt.timedelta(minutes=30)).astimezone(BEIJING)
    start = start.replace(minute=0 if start.minute < 30 else 30, second=0, microsecond=0)
    start += dt.timedelta(minutes=30)
    dates = selectors.earliest_schedule(tender, start, docs_days=7)
    initial: dict[str, Any] = {
        "docs_from": dates.docs_from,
        "docs_until": dates.docs_until,
        "bid_deadline": dates.bid_deadline,
    }
    return initial


def _publish_form(tender: Tender, request: HttpRequest, data: Any = None) -> PublishForm:
    form = PublishForm(
        data,
        tender_project=tender.section.tender_project,
        initial=_publish_initial(tender, request.user),
    )
    for role in ("centre", "supervisor", "tenderer"):
        field = form.fields[role]
        qs = field.queryset  # type: ignore[attr-defined]
        if qs.filter(pk=request.user.pk).exists():
            form.initial.setdefault(role, request.user.pk)
        elif qs.count() == 1:
            form.initial.setdefault(role, qs.get().pk)
    return form


def _manage_context(request: HttpRequest, tender: Tender, **forms: Any) -> dict[str, Any]:
    objections = list(
        Objection.objects.filter(tender=tender).select_related("raised_by").order_by("raised_at")
    )
    draft = tender.status == TenderStatus.DRAFT
    announced = tender.status == TenderStatus.ANNOUNCED
    answer_forms = forms.pop("answer_forms", {})
    for o in objections:
        o.answer_form = answer_forms.get(o.pk) or ObjectionAnswerForm(prefix=f"o{o.pk}")  # type: ignore[attr-defined]
    return {
        "tender": tender,
        "draft": draft,
        "announced": announced,
        "documents": list(tender.documents.order_by("uploaded_at")),
        "clarifications": list(tender.clarifications.order_by("issued_at")),
        "objections": objections,
        "open_objections": sum(o.status == ObjectionStatus.OPEN for o in objections),
        "shares": list(
            CustodianShare.objects.filter(tender=tender)
            .select_related("custodian", "custodian__person")
            .order_by("role")
        ),
        "can_upload": tender.status in EDITABLE,
        "doc_form": forms.pop("doc_form", None) or DocumentForm(),
        "publish_form": (forms.pop("publish_form", None) or _publish_form(tender, request))
        if draft
        else None,
        "clar_form": (forms.pop("clar_form", None) or ClarificationForm()) if announced else None,
        # evaluation, award and contract deadlines follow the bid deadline by weeks
        "calendar_gaps": rules.calendar_gaps(
            timecalc.local_date(clock.now()),
            timecalc.local_date(clock.now() + dt.timedelta(days=120)),
        )
        if draft
        else [],
        "action_error": forms.pop("action_error", None),
        "can_terminate": termination.can_terminate(tender, request.user),
        "now": clock.now(),
    }


def _manage_page(
    request: HttpRequest, tender: Tender, status: int = 200, **forms: Any
) -> HttpResponse:
    return render(
        request,
        "tendering/manage/manage.html",
        _manage_context(request, tender, **forms),
        status=status,
    )


def _state_error(request: HttpRequest, tender: Tender, message: str) -> HttpResponse:
    err = DomainError(ErrorCode.TENDER_STATE, message)
    return _manage_page(
        request, tender, err.status, action_error=f"{err.message}（{err.code.value}）"
    )


@login_required
@require_http_methods(["GET"])
def tender_manage(request: HttpRequest, tender_id: int) -> HttpResponse:
    try:
        tender = _managed(request, tender_id)
    except DomainError as exc:
        return _error(request, exc)
    return _manage_page(request, tender)


@login_required
@require_POST
def document_upload(request: HttpRequest, tender_id: int) -> HttpResponse:
    try:
        tender = _managed(request, tender_id)
    except DomainError as exc:
        return _error(request, exc)
    form = DocumentForm(request.POST, request.FILES)
    if not form.is_valid():
        return _manage_page(request, tender, 400, doc_form=form)
    try:
        doc = services.document_add(
            actor=request.user, tender=tender, upload=form.cleaned_data["file"]
        )
    except DomainError as exc:
        return _manage_page(request, tender, attach_error(form, exc), doc_form=form)
    messages.success(request, _("招标文件已上传：%(name)s") % {"name": doc.name})
    return redirect("tendering:manage", tender_id=tender.pk)


@login_required
@require_POST
def tender_publish(request: HttpRequest, tender_id: int) -> HttpResponse:
    try:
        tender = _managed(request, tender_id)
    except DomainError as exc:
        return _error(request, exc)
    if tender.status != TenderStatus.DRAFT:
        return _state_error(request, tender, "该招标已发布")
    form = _publish_form(tender, request, request.POST)
    if not form.is_valid():
        return _manage_page(request, tender, 400, publish_form=form)
    data = form.cleaned_data
    try:
        services.tender_publish(
            actor=request.user,
            tender=tender,
            docs_from=data["docs_from"],
            docs_until=data["docs_until"],
            bid_deadline=data["bid_deadline"],
            custodians=form.custodians(),
            deposit_amount=data.get("deposit_amount"),
            deposit_account=data.get("deposit_account") or "",
        )
    except DomainError as exc:
        return _manage_page(request, tender, attach_error(form, exc), publish_form=form)
    messages.success(request, _("招标公告已发布"))
    return redirect("tendering:manage", tender_id=tender.pk)


@login_required
@require_POST
def clarification_issue(request: HttpRequest, tender_id: int) -> HttpResponse:
    try:
        tender = _managed(request, tender_id)
    except DomainError as exc:
        return _error(request, exc)
    form = ClarificationForm(request.POST, request.FILES)
    if tender.status != TenderStatus.ANNOUNCED:
        return _state_error(request, tender, "只有发布中的招标可以澄清或修改")
    if not form.is_valid():
        return _manage_page(request, tender, 400, clar_form=form)
    data = form.cleaned_data
    try:
        clar = services.clarification_issue(
            actor=request.user,
            tender=tender,
            content_html=data["content_html"],
            upload=data.get("file"),
            new_deadline=data.get("new_deadline"),
        )
    except DomainError as exc:
        return _manage_page(request, tender, attach_error(form, exc), clar_form=form)
    if clar.new_deadline != clar.old_deadline:
        messages.success(
            request,
            _("澄清已发布，投标截止时间顺延至 %(t)s（北京时间）")
            % {"t": clar.new_deadline.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")},
        )
    else:
        messages.success(request, _("澄清已发布"))
    return redirect("tendering:manage", tender_id=tender.pk)


@login_required
@require_POST
def objection_answer(request: HttpRequest, tender_id: int, objection_id: int) -> HttpResponse:
    try:
        tender = _managed(request, tender_id)
        objection = Objection.objects.filter(pk=objection_id, tender=tender).first()
        if objection is None:
            raise DomainError(ErrorCode.NOT_FOUND, "异议不存在")
    except DomainError as exc:
        return _error(request, exc)
    form = ObjectionAnswerForm(request.POST, prefix=f"o{objection.pk}")
    if not form.is_valid():
        return _manage_page(request, tender, 400, answer_forms={objection.pk: form})
    try:
        services.objection_answer(
            actor=request.user, objection=objection, answer=form.cleaned_data["answer"]
        )
    except DomainError as exc:
        status = attach_error(form, exc)
        return _manage_page(request, tender, status, answer_forms={objection.pk: form})
    messages.success(request, _("异议已答复"))
    return redirect("tendering:manage", tender_id=tender.pk)


# --------------------------------------------------------------------------- termination


def _terminate_page(
    request: HttpRequest, tender: Tender, form: TerminateForm, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "tendering/manage/terminate.html",
        {
            "tender": tender,
            "form": form,
            "bids": tender.bids.filter(status="submitted").count(),
            "deposits": tender.deposits.count(),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def tender_terminate(request: HttpRequest, tender_id: int) -> HttpResponse:
    """终止招标, with a confirmation step: the reason and an explicit confirmation."""
    try:
        tender = _managed(request, tender_id)
    except DomainError as exc:
        return _error(request, exc)
    if tender.status not in termination.TERMINABLE:
        return _state_error(request, tender, "只有已发布或开标中的招标可以终止")
    if request.method == "GET":
        return _terminate_page(request, tender, TerminateForm())
    form = TerminateForm(request.POST)
    if not form.is_valid():
        return _terminate_page(request, tender, form, 400)
    try:
        termination.tender_terminate(
            actor=request.user, tender=tender, reason=form.cleaned_data["reason"]
        )
    except DomainError as exc:
        return _terminate_page(request, tender, form, attach_error(form, exc))
    messages.success(request, _("招标已终止，终止公告已发布"))
    return redirect("tendering:manage", tender_id=tender.pk)


# --------------------------------------------------------------------------- custodian page


def _custody(request: HttpRequest, tender_id: int) -> tuple[Tender, list[CustodianShare]]:
    tender = selectors.tender_visible(_load(tender_id), request.user)
    shares = list(
        CustodianShare.objects.filter(tender=tender, custodian_id=request.user.pk).order_by("role")
    )
    if not shares:
        raise DomainError(ErrorCode.PERMISSION_DENIED, "只有该招标的开标密钥保管人可以访问此页")
    return tender, shares


def _custody_page(
    request: HttpRequest,
    tender: Tender,
    shares: list[CustodianShare],
    status: int = 200,
    form: ShareReleaseForm | None = None,
    form_role: str = "",
) -> HttpResponse:
    now = clock.now()
    after = tender.bid_deadline is not None and now >= tender.bid_deadline
    return render(
        request,
        "tendering/manage/custody.html",
        {
            "tender": tender,
            "shares": shares,
            "after_deadline": after,
            "pending": [s for s in shares if s.released_at is None],
            "form": form,
            "form_role": form_role,
            "release_form": ShareReleaseForm(),
            "too_early": DomainError(ErrorCode.SHARE_TOO_EARLY),
            "now": now,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET"])
def custody(request: HttpRequest, tender_id: int) -> HttpResponse:
    try:
        tender, shares = _custody(request, tender_id)
    except DomainError as exc:
        return _error(request, exc)
    return _custody_page(request, tender, shares)


@login_required
@require_POST
def custody_release(request: HttpRequest, tender_id: int, role: str) -> HttpResponse:
    """Release through the page (no script): the Base64 share unsealed elsewhere."""
    try:
        tender, shares = _custody(request, tender_id)
        share = next((s for s in shares if s.role == role), None)
        if share is None:
            raise DomainError(ErrorCode.NOT_FOUND, "您未保管该分片")
    except DomainError as exc:
        return _error(request, exc)
    form = ShareReleaseForm(request.POST)
    if not form.is_valid():
        return _custody_page(request, tender, shares, 400, form, role)
    try:
        bids.share_release(
            actor=request.user, share=share, plaintext_share=form.cleaned_data["share"]
        )
    except DomainError as exc:
        return _custody_page(request, tender, shares, attach_error(form, exc), form, role)
    messages.success(request, _("密钥分片已释放"))
    return redirect("tendering:custody", tender_id=tender.pk)


# --------------------------------------------------------------------------- deposits


def _deposit_reader(request: HttpRequest, tender_id: int) -> Tender:
    tender = selectors.tender_visible(_load(tender_id), request.user)
    selectors.deposits_for(request.user, tender)  # refuses everyone but staff and regulators
    return tender


def _deposits_page(
    request: HttpRequest, tender: Tender, form: DepositForm | None, status: int = 200
) -> HttpResponse:
    rows = list(selectors.deposits_for(request.user, tender))
    return render(
        request,
        "tendering/manage/deposits.html",
        {"tender": tender, "deposits": rows, "form": form},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def deposits(request: HttpRequest, tender_id: int) -> HttpResponse:
    """投标保证金: the centre records each deposit received; regulators read the list."""
    try:
        tender = _deposit_reader(request, tender_id)
    except DomainError as exc:
        return _error(request, exc)
    writer = has_perm(request.user, Perm.TENDERING_DEPOSIT_WRITE)
    if request.method == "GET":
        due = tender.deposit_amount
        initial = {"amount": due and due.quantize(Decimal("0.01")), "is_basic_account": True}
        offer = bids.can_record_deposit(tender, request.user)
        form = DepositForm(initial=initial) if offer else None
        return _deposits_page(request, tender, form)
    if not writer:
        return _error(
            request, DomainError(ErrorCode.PERMISSION_DENIED, "只有交易中心可以登记保证金到账")
        )
    form = DepositForm(request.POST)
    if not form.is_valid():
        return _deposits_page(request, tender, form, 400)
    data = form.cleaned_data
    try:
        bidder = registry.organization_get(data["bidder"])
        bids.deposit_record(
            actor=request.user,
            tender=tender,
            bidder=bidder,
            amount=data["amount"],
            payer_account_name=data["payer_account_name"],
            payer_account_no=data["payer_account_no"],
            payer_bank=data["payer_bank"],
            is_basic_account=data["is_basic_account"],
        )
    except DomainError as exc:
        return _deposits_page(request, tender, form, attach_error(form, exc))
    messages.success(request, _("保证金到账已登记：%(name)s") % {"name": bidder.name})
    return redirect("tendering:deposits", tender_id=tender.pk)
