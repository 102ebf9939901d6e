"""Ledger read API (见证留痕): entries for staff and regulators."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from ggzy.accounts.permissions import Perm, require
from ggzy.core.auth import request_user
from ggzy.ledger import selectors

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
