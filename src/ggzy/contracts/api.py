"""合同 Contracts (合同订立, 合同公告) — API (``/api/v1/contracts``).

The tenderer/agency of the tender (or centre staff) records, corrects before publishing,
uploads, publishes and amends (``tendering:tender:write`` plus being that tender's
招标人/代理机构); regulators read everything; anyone reads a published contract.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import FileResponse, HttpRequest
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from ggzy.contracts import selectors, services
from ggzy.contracts.models import Contract
from ggzy.core.auth import request_user
from ggzy.core.errors import DomainError, ErrorCode

router = Router(tags=["contracts 合同"])


def _contract(request: HttpRequest, contract_id: int) -> Contract:
    return selectors.contract_visible(selectors.contract_get(contract_id), request_user(request))


def contract_out(c: Contract, user: Any, *, history: bool = True) -> dict[str, Any]:
    full = selectors.can_read_all(user, c.tender) or selectors.is_winner(user, c)
    out: dict[str, Any] = {
        "id": c.pk,
        "tender": c.tender_id,
        "section": c.tender.section.code,
        "unified_deal_code": c.tender.section.unified_deal_code,
        "status": c.status,
        "code": c.code,
        "name": c.name,
        "tenderer": {"name": c.tenderer.name, "uscc": c.tenderer.uscc},
        "winner": {"name": c.winner.name, "uscc": c.winner.uscc},
        "award_price": services.dec(c.award_price),
        "price": services.dec(c.price),
        "price_reason": c.price_reason,
        "price_form": c.price_form,
        "content": c.content,
        "term_days": c.term_days,
        "quality": c.quality,
        "signed_on": c.signed_on,
        "sign_due": c.sign_due,
        "sign_overdue": c.sign_overdue,
        "publish_due": c.publish_due,
        "publish_overdue": c.publish_overdue,
        "file": {"name": c.file_name, "size": c.file_size, "sha256": c.file_sha256}
        if c.file_sha256
        else None,
        "published_at": c.published_at,
        "version": c.published_version,
        "corrected": c.corrected,
    }
    if history:
        out["versions"] = [
            {
                "number": v.number,
                "reason": v.reason,
                "created_at": v.created_at,
                "data_sha256": v.data_sha256,
                "data": v.data,
            }
            for v in selectors.versions(c)
        ]
    if full:
        out["ledger"] = [
            {
                "id": e.pk,
                "event_type": e.event_type,
                "at": e.received_at,
                "sha256": e.payload_sha256,
            }
            for e in selectors.events(c)
        ]
    return out


class RecordIn(Schema):
    code: str = Field(max_length=100)
    name: str = Field("", max_length=600)
    price: str = Field(max_length=60, description="合同金额（元），十进制文本")
    price_reason: str = Field("", max_length=2000)
    price_form: str = Field("1", max_length=1)
    content: str = Field(max_length=20000)
    term_days: int = Field(ge=1, le=9999)
    quality: str = Field("", max_length=500)
    signed_on: dt.date


class UpdateIn(RecordIn):
    """All recorded fields again (公告前修改), checked as when recording."""


class AmendIn(Schema):
    reason: str = Field(max_length=2000)
    code: str | None = Field(None, max_length=100)
    name: str | None = Field(None, max_length=600)
    price: str | None = Field(None, max_length=60)
    price_reason: str | None = Field(None, max_length=2000)
    price_form: str | None = Field(None, max_length=1)
    content: str | None = Field(None, max_length=20000)
    term_days: int | None = Field(None, ge=1, le=9999)
    quality: str | None = Field(None, max_length=500)
    signed_on: dt.date | None = None


@router.post("/tenders/{tender_id}", response={201: dict[str, Any]}, summary="登记合同")
def record(request: HttpRequest, tender_id: int, body: RecordIn) -> Status[Any]:
    user = request_user(request)
    c = services.contract_record(
        actor=user, tender=selectors.tender_get(tender_id), **body.model_dump()
    )
    return Status(201, contract_out(selectors.contract_get(c.pk), user))


@router.get("/tenders/{tender_id}", summary="某招标（标段）的合同")
def by_tender(request: HttpRequest, tender_id: int) -> list[dict[str, Any]]:
    user = request_user(request)
    tender = selectors.tender_get(tender_id)
    return [contract_out(c, user) for c in selectors.contracts_for_tender(tender, user)]


@router.get("/{contract_id}", summary="合同详情（含历次公告版本）")
def get(request: HttpRequest, contract_id: int) -> dict[str, Any]:
    return contract_out(_contract(request, contract_id), request_user(request))


@router.post("/{contract_id}/file", summary="上传已签署的合同文件（公告后上传须填写更正原因）")
def upload(
    request: HttpRequest,
    contract_id: int,
    file: UploadedFile = File(...),  # type: ignore[type-arg]  # noqa: B008
    reason: Form[str] = "",
) -> dict[str, Any]:
    user = request_user(request)
    c = services.contract_file_attach(
        actor=user, contract=_contract(request, contract_id), upload=file, reason=reason
    )
    return contract_out(selectors.contract_get(c.pk), user)


@router.get("/{contract_id}/file", summary="下载合同文件（公告后公开）")
def download(request: HttpRequest, contract_id: int) -> FileResponse:
    c = _contract(request, contract_id)
    if not c.file_sha256:
        raise DomainError(ErrorCode.CONTRACT_FILE_MISSING)
    response = FileResponse(c.file.open("rb"), as_attachment=True, filename=c.file_name)
    response["X-Content-SHA256"] = c.file_sha256
    return response


@router.get("/{contract_id}/versions/{number}/file", summary="下载某一公告版本的合同文件")
def version_download(request: HttpRequest, contract_id: int, number: int) -> FileResponse:
    handle, name, sha256 = selectors.version_file(_contract(request, contract_id), number)
    response = FileResponse(handle, as_attachment=True, filename=name)
    response["X-Content-SHA256"] = sha256
    return response


@router.post("/{contract_id}/publish", summary="发布合同公告")
def publish(request: HttpRequest, contract_id: int) -> dict[str, Any]:
    user = request_user(request)
    c = services.contract_publish(actor=user, contract=_contract(request, contract_id))
    return contract_out(selectors.contract_get(c.pk), user)


@router.post("/{contract_id}/update", summary="修改合同登记信息（公告前）")
def update(request: HttpRequest, contract_id: int, body: UpdateIn) -> dict[str, Any]:
    user = request_user(request)
    c = services.contract_update(
        actor=user, contract=_contract(request, contract_id), **body.model_dump()
    )
    return contract_out(selectors.contract_get(c.pk), user)


@router.post("/{contract_id}/amend", summary="合同更正（公告后，新版本并说明原因）")
def amend(request: HttpRequest, contract_id: int, body: AmendIn) -> dict[str, Any]:
    user = request_user(request)
    data = body.model_dump()
    reason = data.pop("reason")
    c = services.contract_amend(
        actor=user, contract=_contract(request, contract_id), reason=reason, changes=data
    )
    return contract_out(selectors.contract_get(c.pk), user)
