"""Ledger read API (见证留痕): entries for staff and regulators."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema

from ggzy.accounts.permissions import Perm, require
from ggzy.core.auth import request_user
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.ledger import keys, proofs, selectors
from ggzy.ledger.models import Entry

router = Router(tags=["ledger 存证"])


class EntryOut(Schema):
    id: int
    event_type: str
    subject_type: str
    subject_id: str
    actor: str
    received_at: dt.datetime
    rule_version: str
    payload: dict[str, Any]
    payload_sha256: str


@router.get("/entries", response=list[EntryOut], summary="存证记录 Entries")
def list_entries(
    request: HttpRequest,
    subject_type: str = "",
    subject_id: str = "",
    after: int = Query(0, ge=0),  # type: ignore[type-arg]
    limit: int = Query(100, ge=1, le=1000),  # type: ignore[type-arg]
) -> Any:
    require(request_user(request), Perm.LEDGER_ENTRY_READ)
    return list(
        selectors.entries(
            subject_type=subject_type, subject_id=subject_id, after=after, limit=limit
        )
    )


class ProofOut(Schema):
    size: int
    proof: list[str]  # base64 hashes, RFC 9162 order


class LogKeyOut(Schema):
    origin: str
    vkey: str


@router.get("/log-key", response=LogKeyOut, summary="日志公钥 Log verifier key")
def log_key(request: HttpRequest) -> dict[str, str]:
    return {"origin": keys.origin(), "vkey": keys.verifier_key()}


@router.get("/checkpoint", summary="最新检查点 Latest checkpoint (signed note, text/plain)")
def checkpoint(request: HttpRequest) -> HttpResponse:
    cp = proofs.published_checkpoint()
    if cp is None:
        raise DomainError(ErrorCode.LEDGER_PENDING, "日志尚无检查点")
    return HttpResponse(proofs.checkpoint_note(cp), content_type="text/plain; charset=utf-8")


@router.get(
    "/entries/{entry_id}/receipt",
    summary="存证证明 Offline receipt (c2sp.org/tlog-proof@v1)",
)
def receipt(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = Entry.objects.filter(pk=entry_id).first()
    if entry is None:
        raise DomainError(ErrorCode.NOT_FOUND)
    response = HttpResponse(
        proofs.receipt(entry).to_bytes(), content_type="text/plain; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="ggzy-entry-{entry.pk}.tlog-proof"'
    return response


def _b64(hashes: list[bytes]) -> list[str]:
    return [base64.b64encode(h).decode("ascii") for h in hashes]


@router.get("/proof/inclusion", response=ProofOut, summary="包含证明 Inclusion proof")
def inclusion_proof(request: HttpRequest, index: int, size: int) -> dict[str, Any]:
    return {"size": size, "proof": _b64(proofs.inclusion(index, size))}


@router.get("/proof/consistency", response=ProofOut, summary="一致性证明 Consistency proof")
def consistency_proof(request: HttpRequest, old: int, new: int) -> dict[str, Any]:
    return {"size": new, "proof": _b64(proofs.consistency(old, new))}
