"""Contract pages (合同): one page per tender (标段) — the tenderer/agency records the signed
contract, uploads the file, publishes the contract notice and files corrections; regulators
and staff read everything incl. the ledger entries; anyone reads the published contract.
Thin: form → service → redirect."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ggzy import clock
from ggzy.contracts import selectors, services
from ggzy.contracts.models import Contract, PriceForm, Status
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.evaluation.models import EvaluationSession, Step
from ggzy.rules.timecalc import local_date


def _error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(request, "web/error.html", {"error": exc}, status=exc.status)


@require_GET
def tender_page(request: HttpRequest, tender_id: int) -> HttpResponse:
    try:
        tender = selectors.tender_get(tender_id)
    except DomainError as exc:
        return _error(request, exc)
    user = request.user
    session = EvaluationSession.objects.filter(tender=tender).first()
    awarded = session is not None and session.step == Step.AWARDED
    contracts = selectors.contracts_for_tender(tender, user)
    contract: Contract | None = contracts[0] if contracts else None
    manager = services.can_manage(user, tender)
    reader = selectors.can_read_all(user, tender)
    winner_review = None
    if awarded and session is not None and session.winner_id:
        winner_review = (
            session.reviews.select_related("bidder").filter(bid=session.winner_id).first()
        )
    published = contract is not None and contract.status == Status.PUBLISHED
    form: dict[str, Any] = {"price_form": PriceForm.AMOUNT}
    if contract is not None and not published:  # 公告前修改: the record form, prefilled
        form = {k: getattr(contract, k) for k in services.UPDATABLE}
        form.update(price=services.dec(contract.price), signed_on=contract.signed_on.isoformat())
    elif winner_review is not None:  # the exact award price, accepted unchanged
        form["price"] = services.dec(winner_review.price)
    return render(
        request,
        "contracts/contract.html",
        {
            "tender": tender,
            "session": session,
            "awarded": awarded,
            "winner_review": winner_review,
            "contract": contract,
            "versions": selectors.versions(contract) if contract else [],
            "events": selectors.events(contract) if contract and reader else [],
            "manager": manager,
            "reader": reader,
            "price_forms": PriceForm.choices,
            "today": local_date(clock.now()).isoformat(),
            "published": published,
            "form": form,
            "form_action": "update" if contract is not None else "record",
            "award_price_text": services.dec(winner_review.price) if winner_review else "",
            "contract_price": services.dec(contract.price) if contract else "",
            "contract_award_price": services.dec(contract.award_price) if contract else "",
        },
    )


def _record_input(request: HttpRequest) -> dict[str, str]:
    """The record form (登记, and 公告前修改 with the same form)."""
    p = request.POST
    fields = ("code", "name", "price", "price_reason", "content", "term_days", "quality")
    return {
        **{k: p.get(k, "") for k in (*fields, "signed_on")},
        "price_form": p.get("price_form", "1"),
    }


def _act(request: HttpRequest, tender_id: int, action: str) -> str:
    u, p = request.user, request.POST
    tender = selectors.tender_get(tender_id)
    if action == "record":
        services.contract_record(
            actor=u,
            tender=tender,
            **_record_input(request),
        )
        return _("合同已登记")
    contract = next(iter(selectors.contracts_for_tender(tender, u)), None)
    if contract is None:
        raise DomainError(ErrorCode.CONTRACT_NOT_FOUND)
    if action == "update":
        services.contract_update(
            actor=u,
            contract=contract,
            **_record_input(request),
        )
        return _("合同登记信息已修改")
    if action == "file":
        upload = request.FILES.get("file")
        if upload is None:
            raise DomainError(ErrorCode.VALIDATION, _("请选择合同文件"), field="file")
        services.contract_file_attach(
            actor=u, contract=contract, upload=upload, reason=p.get("reason", "")
        )
        return _("合同文件已上传")
    if action == "publish":
        services.contract_publish(actor=u, contract=contract)
        return _("合同公告已发布")
    if action == "amend":
        changes: dict[str, Any] = {
            k: p[k] for k in services.AMENDABLE if k in p and p[k].strip() != ""
        }
        if "price" in changes and "price_reason" not in changes:
            changes["price_reason"] = ""  # a changed price is judged with the reason given
        services.contract_amend(
            actor=u, contract=contract, reason=p.get("reason", ""), changes=changes
        )
        return _("合同更正公告已发布")
    raise DomainError(ErrorCode.NOT_FOUND, "未知操作")


@login_required
@require_POST
def action(request: HttpRequest, tender_id: int, action: str) -> HttpResponse:
    try:
        text = _act(request, tender_id, action)
    except DomainError as exc:
        messages.error(request, f"{exc.message}（{exc.code.value}）")
        return redirect("contracts:tender", tender_id=tender_id)
    messages.success(request, text)
    return redirect("contracts:tender", tender_id=tender_id)


@require_GET
def contract_file(request: HttpRequest, contract_id: int) -> HttpResponseBase:
    try:
        c = selectors.contract_visible(selectors.contract_get(contract_id), request.user)
        if not c.file_sha256:
            raise DomainError(ErrorCode.CONTRACT_FILE_MISSING)
    except DomainError as exc:
        return _error(request, exc)
    response = FileResponse(c.file.open("rb"), as_attachment=True, filename=c.file_name)
    response["X-Content-SHA256"] = c.file_sha256
    return response


@require_GET
def contract_version_file(request: HttpRequest, contract_id: int, number: int) -> HttpResponseBase:
    """The signed file as published in one version (OCDS ``contractSigned`` of that release)."""
    try:
        c = selectors.contract_visible(selectors.contract_get(contract_id), request.user)
        handle, name, sha256 = selectors.version_file(c, number)
    except DomainError as exc:
        return _error(request, exc)
    response = FileResponse(handle, as_attachment=True, filename=name)
    response["X-Content-SHA256"] = sha256
    return response
