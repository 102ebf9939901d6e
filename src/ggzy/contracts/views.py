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
            "published": contract is not None and contract.status == Status.PUBLISHED,
        },
    )


def _act(request: HttpRequest, tender_id: int, action: str) -> str:
    u, p = request.user, request.POST
    tender = selectors.tender_get(tender_id)
    if action == "record":
        services.contract_record(
            actor=u,
            tender=tender,
            code=p.get("code", ""),
            name=p.get("name", ""),
            price=p.get("price", ""),
            price_reason=p.get("price_reason", ""),
            price_form=p.get("price_form", "1"),
            content=p.get("content", ""),
            term_days=p.get("term_days", ""),
            quality=p.get("quality", ""),
            signed_on=p.get("signed_on", ""),
        )
        return _("合同已登记")
    contract = next(iter(selectors.contracts_for_tender(tender, u)), None)
    if contract is None:
        raise DomainError(ErrorCode.CONTRACT_NOT_FOUND)
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
