"""``record()``: the one way a service leaves evidence of a state change.

Call it inside the service's ``transaction.atomic()`` block, after the rows
changed: the entry commits with the change or not at all.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction

from ggzy import clock
from ggzy.core.canonical import canonical_json
from ggzy.ledger.models import Entry, EntryDigest


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
    entry = Entry.objects.create(
        event_type=event_type,
        subject_type=subject_type,
        subject_id=subject_id,
        actor=actor_ref(actor),
        received_at=clock.now(),
        rule_version=rule_version,
        payload=json.loads(canonical),  # stored exactly as hashed
        payload_sha256=hashlib.sha256(canonical).hexdigest(),
    )
    digests = [
        EntryDigest(sha256=value, entry=entry, field=field)
        for field, value in _named_digests(entry.payload)
    ]
    if digests:
        EntryDigest.objects.bulk_create(digests)
    _schedule_integration()
    return entry


def _named_digests(payload: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Every ``…sha256`` field holding a 64-hex digest, with its dotted path."""
    found: list[tuple[str, str]] = []
    if isinstance(payload, dict):
        for key, value in payload.items():
            path = f"{prefix}{key}"
            if (
                key.endswith("sha256")
                and isinstance(value, str)
                and len(value) == 64
                and all(c in "0123456789abcdef" for c in value)
            ):
                found.append((path[:100], value))
            else:
                found.extend(_named_digests(value, path + "."))
    elif isinstance(payload, list):
        for i, value in enumerate(payload):
            found.extend(_named_digests(value, f"{prefix}{i}."))
    return found


def _integrate_after_commit() -> None:
    from ggzy.ledger.sequencer import integrate_all_logged

    integrate_all_logged()


def _schedule_integration() -> None:
    """With the inline sequencer, integrate once after the outermost transaction commits."""
    if settings.GGZY_LEDGER_SEQUENCER != "inline":
        return
    if any(item[1] is _integrate_after_commit for item in connection.run_on_commit):
        return
    transaction.on_commit(_integrate_after_commit)
