"""``record()``: the one way a service leaves evidence of a state change.

Call it inside the service's ``transaction.atomic()`` block, after the rows
changed: the entry commits with the change or not at all.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db import connection, models

from ggzy import clock
from ggzy.core.canonical import canonical_json
from ggzy.ledger.models import Entry


class LedgerUsageError(RuntimeError):
    """``record`` was called outside a transaction or with a malformed event type."""


def actor_ref(actor: Any) -> str:
    """``user:<id>`` for a user, ``system:<name>`` for a string, ``anonymous`` for None."""
    if actor is None:
        return "anonymous"
    if isinstance(actor, str):
        return actor if ":" in actor else f"system:{actor}"
    pk = getattr(actor, "pk", None)
    if pk is None:
        return "anonymous"
    return f"user:{pk}"


def subject_ref(subject: models.Model | tuple[str, str]) -> tuple[str, str]:
    if isinstance(subject, tuple):
        return subject
    return subject._meta.label_lower, str(subject.pk)


def payload_digest(payload: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(payload)).hexdigest()


def record(
    event_type: str,
    subject: models.Model | tuple[str, str],
    actor: Any,
    payload: dict[str, Any],
    *,
    rule_version: str = "",
) -> Entry:
    """Append an entry for ``event_type`` (``source:subject:action``) about ``subject``."""
    if not connection.in_atomic_block:
        raise LedgerUsageError("ledger.record must run inside the service's transaction")
    parts = event_type.split(":")
    if len(parts) != 3 or not all(parts):
        raise LedgerUsageError(f"event type {event_type!r} is not source:subject:action")
    subject_type, subject_id = subject_ref(subject)
    canonical = canonical_json(payload)
    return Entry.objects.create(
        event_type=event_type,
        subject_type=subject_type,
        subject_id=subject_id,
        actor=actor_ref(actor),
        received_at=clock.now(),
        rule_version=rule_version,
        payload=json.loads(canonical),  # stored exactly as hashed
        payload_sha256=hashlib.sha256(canonical).hexdigest(),
    )
