"""Tendering API (招标投标): a third-party trading system can drive the whole flow here."""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponseBase
from ninja import Body, File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from ggzy.core.auth import request_user
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.projects.models import Section
from ggzy.registry import selectors as registry
from ggzy.tendering import bids, opening, selectors, services, termination
from ggzy.tendering.models import BidUpload, CustodianShare, DocumentKind, Tender

router = Router(tags=["tendering 招标投标"])

MAX_CHUNK_BODY = bids.MAX_CHUNK


def _section(code: str) -> Section:
    section = Section.objects.filter(code=code).select_related("tender_project").first()
    if section is None:
        raise DomainError(ErrorCode.NOT_FOUND, "标段（包）不存在")
    return section


def _tender(tender_id: int) -> Tender:
    tender = Tender.objects.filter(pk=tender_id).select_related("section").first()
    if tender is None:
        raise DomainError(ErrorCode.NOT_FOUND, "招标不存在")
    return tender


class TenderIn(Schema):
    title: str = Field(max_length=600)
    announcement_html: str


class TenderOut(Schema):
    id: int
    section: str
    status: str
    title: str
    announcement_html: str
    docs_from: dt.datetime | None
    docs_until: dt.datetime | None
    bid_deadline: dt.datetime | None
    opening_public_key: str
    opening_key_id: str
    deposit_amount: Decimal | None
    ruleset: str
    ruleset_sha256: str
    documents: list[dict[str, Any]]


def _out(t: Tender) -> dict[str, Any]:
    return {
        "id": t.pk,
        "section": t.section.code,
        "status": t.status,
        "title": t.title,
        "announcement_html": t.announcement_html,
        "docs_from": t.docs_from,
        "docs_until": t.docs_until,
        "bid_deadline": t.bid_deadline,
        "opening_public_key": t.opening_public_key,
        "opening_key_id": t.opening_key_id,
        "deposit_amount": t.deposit_amount,
        "ruleset": t.ruleset_label,
        "ruleset_sha256": t.ruleset_sha256,
        "documents": [
            {"id": d.pk, "kind": d.kind, "name": d.name, "sha256": d.sha256, "size": d.size}
            for d in t.documents.all()
        ],
    }


@router.post("/sections/{code}/tender", response={201: TenderOut}, summary="创建招标（草稿）")
def create_tender(request: HttpRequest, code: str, body: TenderIn) -> Status[Any]:
    tender = services.tender_create(
        actor=request_user(request), section=_section(code), **body.dict()
    )
    return Status(201, _out(tender))


@router.get("/tenders/{tender_id}", response=TenderOut, summary="招标详情")
def get_tender(request: HttpRequest, tender_id: int) -> dict[str, Any]:
    tender = selectors.tender_visible(_tender(tender_id), request_user(request))
    return _out(tender)


@router.post(
    "/tenders/{tender_id}/documents", response={201: dict[str, Any]}, summary="上传招标文件"
)
def add_document(
    request: HttpRequest,
    tender_id: int,
    file: UploadedFile = File(...),  # type: ignore[type-arg]  # noqa: B008
    kind: Form[str] = DocumentKind.TENDER,
) -> Status[Any]:
    doc = services.document_add(
        actor=request_user(request), tender=_tender(tender_id), upload=file, kind=kind
    )
    return Status(201, {"id": doc.pk, "name": doc.name, "sha256": doc.sha256, "size": doc.size})


@router.get("/documents/{doc_id}", summary="下载招标文件（无需报名）")
def download_document(request: HttpRequest, doc_id: int) -> HttpResponseBase:
    from django.http import FileResponse

    from ggzy.tendering.models import TenderDocument

    doc = TenderDocument.objects.filter(pk=doc_id).select_related("tender").first()
    if doc is None:
        raise DomainError(ErrorCode.NOT_FOUND)
    services.document_download(actor=request_user(request), document=doc)
    response = FileResponse(doc.file.open("rb"), as_attachment=True, filename=doc.name)
    response["X-Content-SHA256"] = doc.sha256
    return response


class PublishIn(Schema):
    docs_from: dt.datetime
    docs_until: dt.datetime
    bid_deadline: dt.datetime
    custodians: dict[str, str] = Field(
        description="role → username: centre, supervisor, tenderer (开标密钥保管人)"
    )
    threshold: int = 2
    deposit_amount: Decimal | None = None
    deposit_account: str = ""


@router.post("/tenders/{tender_id}/publish", response=TenderOut, summary="发布招标公告")
def publish(request: HttpRequest, tender_id: int, body: PublishIn) -> dict[str, Any]:
    from ggzy.accounts.models import User

    users = {u.username: u for u in User.objects.filter(username__in=body.custodians.values())}
    custodians = {role: users.get(name) for role, name in body.custodians.items()}
    data = body.dict(exclude={"custodians"})
    for key in ("docs_from", "docs_until", "bid_deadline"):
        if data[key].tzinfo is None:
            raise DomainError(ErrorCode.VALIDATION, "时间须带时区，例如 +08:00", field=key)
    tender = services.tender_publish(
        actor=request_user(request), tender=_tender(tender_id), custodians=custodians, **data
    )
    return _out(tender)


class ClarificationIn(Schema):
    content_html: str
    new_deadline: dt.datetime | None = None


@router.post(
    "/tenders/{tender_id}/clarifications", response={201: dict[str, Any]}, summary="澄清或修改"
)
def clarify(request: HttpRequest, tender_id: int, body: ClarificationIn) -> Status[Any]:
    clar = services.clarification_issue(
        actor=request_user(request), tender=_tender(tender_id), **body.dict()
    )
    return Status(
        201,
        {
            "id": clar.pk,
            "old_deadline": clar.old_deadline,
            "new_deadline": clar.new_deadline,
            "postponed": clar.new_deadline != clar.old_deadline,
        },
    )


class ObjectionIn(Schema):
    organization: str = Field(description="统一社会信用代码")
    content: str


@router.post("/tenders/{tender_id}/objections", response={201: dict[str, Any]}, summary="提出异议")
def object_(request: HttpRequest, tender_id: int, body: ObjectionIn) -> Status[Any]:
    obj = services.objection_raise(
        actor=request_user(request),
        tender=_tender(tender_id),
        organization=registry.organization_get(body.organization),
        content=body.content,
    )
    return Status(201, {"id": obj.pk, "answer_due": obj.answer_due, "status": obj.status})


class TerminateIn(Schema):
    reason: str = Field("", max_length=termination.REASON_MAX, description="终止原因（必填）")


class TerminateOut(Schema):
    id: int
    status: str
    terminated_at: dt.datetime
    reason: str
    notice_title: str


@router.post("/tenders/{tender_id}/terminate", response=TerminateOut, summary="终止招标")
def terminate(request: HttpRequest, tender_id: int, body: TerminateIn) -> dict[str, Any]:
    """终止招标 (实施条例第三十一条): publishes the 终止公告, marks deposits for refund."""
    tender = termination.tender_terminate(
        actor=request_user(request), tender=_tender(tender_id), reason=body.reason
    )
    assert tender.terminated_at is not None
    return {
        "id": tender.pk,
        "status": tender.status,
        "terminated_at": tender.terminated_at,
        "reason": tender.termination_reason,
        "notice_title": f"{tender.title}（终止公告）",
    }


class UploadIn(Schema):
    size: int
    sha256: str
    chunk_size: int = bids.DEFAULT_CHUNK
    bidder: str | None = Field(None, description="投标人统一社会信用代码（多单位用户须指定）")


class UploadOut(Schema):
    upload_id: uuid.UUID
    size: int
    chunk_size: int
    received: list[int]
    status: str


def _upload_out(u: BidUpload) -> dict[str, Any]:
    return {
        "upload_id": u.pk,
        "size": u.size,
        "chunk_size": u.chunk_size,
        "received": bids.upload_received(u),
        "status": u.status,
    }


@router.post("/sections/{code}/uploads", response={201: UploadOut}, summary="开始上传投标文件")
def start_upload(request: HttpRequest, code: str, body: UploadIn) -> Status[Any]:
    actor = request_user(request)
    section = _section(code)
    tender = Tender.objects.filter(section=section).first()
    if tender is None:
        raise DomainError(ErrorCode.TENDER_STATE, "该标段尚未发布招标")
    bidder = selectors.bidder_for(actor, body.bidder)
    upload = bids.upload_start(
        actor=actor,
        tender=tender,
        bidder=bidder,
        size=body.size,
        sha256=body.sha256,
        chunk_size=body.chunk_size,
    )
    return Status(201, _upload_out(upload))


def _upload(request: HttpRequest, upload_id: uuid.UUID) -> BidUpload:
    actor = request_user(request)
    upload = BidUpload.objects.filter(pk=upload_id, user_id=getattr(actor, "pk", 0) or 0).first()
    if upload is None:
        raise DomainError(ErrorCode.NOT_FOUND, "上传不存在")
    return upload


@router.get("/uploads/{upload_id}", response=UploadOut, summary="上传进度（断点续传）")
def upload_status(request: HttpRequest, upload_id: uuid.UUID) -> dict[str, Any]:
    return _upload_out(_upload(request, upload_id))


@router.put("/uploads/{upload_id}/chunks/{index}", response={204: None}, summary="上传分片")
def put_chunk(request: HttpRequest, upload_id: uuid.UUID, index: int) -> Status[None]:
    upload = _upload(request, upload_id)
    length = int(request.headers.get("Content-Length") or 0)
    if length > MAX_CHUNK_BODY:
        raise DomainError(ErrorCode.FILE_TOO_LARGE, "分片过大")
    data = request.read(MAX_CHUNK_BODY + 1)
    bids.upload_chunk(
        actor=request_user(request),
        upload=upload,
        index=index,
        data=data,
        sha256=request.headers.get("X-Chunk-SHA256", ""),
    )
    return Status(204, None)


class CompleteIn(Schema):
    fingerprint: dict[str, Any] = Field(default_factory=dict)


class ReceiptOut(Schema):
    bid_id: uuid.UUID
    received_at: dt.datetime
    envelope_sha256: str
    ledger_entry_id: int
    receipt: dict[str, Any] = Field(description="the signed receipt body (回执)")
    signature: dict[str, Any] = Field(
        description="Ed25519 by the platform key over the canonical JSON of `receipt`"
    )


def _receipt(bid: Any) -> dict[str, Any]:
    return {
        "bid_id": bid.pk,
        "received_at": bid.received_at,
        "envelope_sha256": bid.envelope_sha256,
        "ledger_entry_id": bid.ledger_entry_id,
        "receipt": bid.receipt["document"],
        "signature": bid.receipt["signature"],
    }


@router.post(
    "/uploads/{upload_id}/complete", response={201: ReceiptOut}, summary="完成上传并递交（回执）"
)
def complete(request: HttpRequest, upload_id: uuid.UUID, body: CompleteIn) -> Status[Any]:
    bid = bids.upload_complete(
        actor=request_user(request),
        upload=_upload(request, upload_id),
        fingerprint=body.fingerprint,
    )
    return Status(201, _receipt(bid))


@router.post("/bids/{bid_id}/withdraw", response=dict[str, Any], summary="撤回投标文件")
def withdraw(request: HttpRequest, bid_id: uuid.UUID) -> dict[str, Any]:
    bid = selectors.own_bid(request_user(request), bid_id)
    bid = bids.bid_withdraw(actor=request_user(request), bid=bid)
    return {"bid_id": str(bid.pk), "status": bid.status}


@router.get("/bids/{bid_id}/receipt", response=ReceiptOut, summary="投标回执")
def bid_receipt(request: HttpRequest, bid_id: uuid.UUID) -> dict[str, Any]:
    return _receipt(selectors.own_bid(request_user(request), bid_id))


class DepositIn(Schema):
    bidder: str
    amount: Decimal
    payer_account_name: str
    payer_account_no: str
    payer_bank: str
    is_basic_account: bool = True


@router.post("/tenders/{tender_id}/deposits", response={201: dict[str, Any]}, summary="登记保证金")
def deposit(request: HttpRequest, tender_id: int, body: DepositIn) -> Status[Any]:
    data = body.dict()
    bidder = registry.organization_get(data.pop("bidder"))
    dep = bids.deposit_record(
        actor=request_user(request), tender=_tender(tender_id), bidder=bidder, **data
    )
    return Status(201, {"id": dep.pk, "amount": dep.amount})


class DepositOut(Schema):
    id: int
    bidder: str
    bidder_name: str
    amount: Decimal
    payer_account_name: str
    payer_account_no: str
    payer_bank: str
    paid_at: dt.datetime
    refund_due_at: dt.datetime | None
    refund_reason: str


@router.get(
    "/tenders/{tender_id}/deposits", response=list[DepositOut], summary="保证金到账（中心、监管）"
)
def deposit_list(request: HttpRequest, tender_id: int) -> list[dict[str, Any]]:
    """Who paid reveals who bids: centre staff and regulators only, at any stage."""
    rows = selectors.deposits_for(request_user(request), _tender(tender_id))
    return [
        {
            "id": d.pk,
            "bidder": d.bidder.uscc,
            "bidder_name": d.bidder.name,
            "amount": d.amount,
            "payer_account_name": d.payer_account_name,
            "payer_account_no": d.payer_account_no,
            "payer_bank": d.payer_bank,
            "paid_at": d.paid_at,
            "refund_due_at": d.refund_due_at,
            "refund_reason": d.refund_reason,
        }
        for d in rows
    ]


class ShareOut(Schema):
    role: str
    key_id: str
    sealed_share: str  # base64 of the sealed JSON
    released: bool


@router.get("/tenders/{tender_id}/shares/mine", response=list[ShareOut], summary="我保管的密钥分片")
def my_shares(request: HttpRequest, tender_id: int) -> list[dict[str, Any]]:
    actor = request_user(request)
    rows = CustodianShare.objects.filter(tender_id=tender_id, custodian_id=getattr(actor, "pk", 0))
    return [
        {
            "role": s.role,
            "key_id": s.key_id,
            "sealed_share": base64.b64encode(bytes(s.wrapped_share)).decode(),
            "released": s.released_at is not None,
        }
        for s in rows
    ]


class ReleaseIn(Schema):
    share: str = Field(description="base64 of the unsealed Shamir share")


@router.post(
    "/tenders/{tender_id}/shares/{role}/release",
    response=dict[str, Any],
    summary="释放密钥分片（截止后）",
)
def release_share(
    request: HttpRequest, tender_id: int, role: str, body: ReleaseIn
) -> dict[str, Any]:
    share = CustodianShare.objects.filter(tender_id=tender_id, role=role).first()
    if share is None:
        raise DomainError(ErrorCode.NOT_FOUND)
    try:
        raw = base64.b64decode(body.share, validate=True)
    except ValueError as exc:
        raise DomainError(ErrorCode.KEY_INVALID, "分片不是有效的 Base64") from exc
    share = bids.share_release(actor=request_user(request), share=share, plaintext_share=raw)
    return {"role": share.role, "released_at": share.released_at}


# --------------------------------------------------------------------------- opening 开标


class OpeningOut(Schema):
    tender: int
    state: str
    started_at: dt.datetime
    decrypt_until: dt.datetime
    record: dict[str, Any]
    record_sha256: str
    bids: list[dict[str, Any]]


def _opening_out(session: Any) -> dict[str, Any]:
    return {
        "tender": session.tender_id,
        "state": session.state,
        "started_at": session.started_at,
        "decrypt_until": session.decrypt_until,
        "record": session.record,
        "record_sha256": session.record_sha256,
        "bids": [
            {
                "bid_id": str(o.bid_id),
                "bidder": o.bid.bidder.name,
                "signed_in": o.signed_in_at is not None,
                "decrypted": o.decrypted_at is not None,
                "consistency": o.consistency,
                "confirmed": o.confirmed_at is not None,
            }
            for o in session.bids.select_related("bid__bidder").order_by("bid__received_at")
        ],
    }


@router.post("/tenders/{tender_id}/opening", response={201: OpeningOut}, summary="开始开标")
def start_opening(request: HttpRequest, tender_id: int) -> Status[Any]:
    session = opening.opening_start(actor=request_user(request), tender=_tender(tender_id))
    return Status(201, _opening_out(session))


@router.get("/tenders/{tender_id}/opening", response=OpeningOut, summary="开标进度与开标记录")
def get_opening(request: HttpRequest, tender_id: int) -> dict[str, Any]:
    from ggzy.tendering.models import OpeningSession

    session = OpeningSession.objects.filter(tender_id=tender_id).first()
    if session is None:
        raise DomainError(ErrorCode.NOT_FOUND, "尚未开标")
    return _opening_out(session)


@router.post("/bids/{bid_id}/sign-in", response=dict[str, Any], summary="签到")
def sign_in(request: HttpRequest, bid_id: uuid.UUID) -> dict[str, Any]:
    actor = request_user(request)
    row = opening.sign_in(actor=actor, bid=selectors.own_bid(actor, bid_id))
    return {"signed_in_at": row.signed_in_at}


@router.post("/bids/{bid_id}/key-release", response=dict[str, Any], summary="解密（释放内容密钥）")
def key_release(
    request: HttpRequest, bid_id: uuid.UUID, body: Body[dict[str, Any]]
) -> dict[str, Any]:
    actor = request_user(request)
    row = opening.bid_key_release(actor=actor, bid=selectors.own_bid(actor, bid_id), statement=body)
    return {"consistency": row.consistency, "detail": row.detail, "price": row.price}


@router.post(
    "/bids/{bid_id}/custodian-decrypt",
    response=dict[str, Any],
    summary="以开标密钥解密（保管人门限）",
)
def custodian_decrypt(request: HttpRequest, bid_id: uuid.UUID) -> dict[str, Any]:
    from ggzy.tendering.models import Bid

    bid = Bid.objects.filter(pk=bid_id).select_related("tender").first()
    if bid is None:
        raise DomainError(ErrorCode.NOT_FOUND)
    row = opening.custodian_decrypt(actor=request_user(request), bid=bid)
    return {"consistency": row.consistency, "detail": row.detail, "price": row.price}


@router.post("/tenders/{tender_id}/opening/record", response=OpeningOut, summary="生成开标记录")
def make_record(request: HttpRequest, tender_id: int) -> dict[str, Any]:
    return _opening_out(
        opening.opening_record(actor=request_user(request), tender=_tender(tender_id))
    )


class ConfirmIn(Schema):
    objection: str = ""


@router.post("/bids/{bid_id}/confirm", response=dict[str, Any], summary="确认开标记录或提出异议")
def confirm(request: HttpRequest, bid_id: uuid.UUID, body: ConfirmIn) -> dict[str, Any]:
    actor = request_user(request)
    row = opening.bidder_confirm(
        actor=actor, bid=selectors.own_bid(actor, bid_id), objection=body.objection
    )
    return {"confirmed_at": row.confirmed_at, "objection": bool(row.objection)}


@router.post("/tenders/{tender_id}/opening/close", response=OpeningOut, summary="结束开标")
def close_opening(request: HttpRequest, tender_id: int) -> dict[str, Any]:
    return _opening_out(
        opening.opening_close(actor=request_user(request), tender=_tender(tender_id))
    )
