"""``record()``: the one way a service leaves evidence of a state change.

Call it inside the service's ``transaction.atomic()`` block, after the rows
changed: the entry commits with the change or not at all.
"""

from __future__ import annotations

import hashlib
from typing import Any

from cryptography.hazmat.primitives import hashes
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.base import ModelState

from ggzy import clock
from ggzy.core.canonical import canonical_json, encode_normalised, normalise
from ggzy.ledger.models import Entry
from ggzy.ledger.rawsql import adapt_datetime, insert_many


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
    conn = connections[DEFAULT_DB_ALIAS]  # one lookup of the thread-local proxy
    if not conn.in_atomic_block:
        raise LedgerUsageError("ledger.record must run inside the service's transaction")
    parts = event_type.split(":")
    if len(parts) != 3 or not all(parts):
        raise LedgerUsageError(f"event type {event_type!r} is not source:subject:action")
    subject_type, subject_id = subject_ref(subject)
    normalised = normalise(payload)
    canonical = encode_normalised(normalised)
    # Built without Model.__init__ (hot path); the row is inserted by _insert below.
    entry = Entry.__new__(Entry)
    entry._state = ModelState()
    entry._state.db = conn.alias
    entry.__dict__.update(
        event_type=event_type,
        subject_type=subject_type,
        subject_id=subject_id,
        actor=actor_ref(actor),
        received_at=clock.now(),
        rule_version=rule_version,
        payload=normalised,  # stored exactly as hashed
        payload_sha256=hashlib.sha256(canonical).hexdigest(),
        payload_sm3=_sm3(canonical) if settings.GGZY_LEDGER_SM3 else "",
    )
    entry.pk = _insert(conn, entry, canonical, _named_digests(entry.payload))
    entry._state.adding = False
    _schedule_integration(conn)
    return entry


_COLUMNS = (
    "event_type, subject_type, subject_id, actor, received_at, rule_version, payload, "
    "payload_sha256, payload_sm3"
)
_INSERT = {
    "sqlite": f"INSERT INTO ledger_entry ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?)",  # noqa: S608
    "postgresql": (
        f"INSERT INTO ledger_entry ({_COLUMNS}) "  # noqa: S608
        "VALUES (%s,%s,%s,%s,%s,%s,%s::jsonb,%s,%s) RETURNING id"
    ),
}


def _insert(
    conn: BaseDatabaseWrapper, entry: Entry, canonical: bytes, digests: list[tuple[str, str]]
) -> int:
    """One INSERT … RETURNING on the DB-API connection, without the ORM's per-row machinery:
    ``record`` is the hot path of every service (bench/bench_ledger.py measures it)."""
    vendor = conn.vendor
    received = adapt_datetime(conn, entry.received_at)
    params = (
        entry.event_type,
        entry.subject_type,
        entry.subject_id,
        entry.actor,
        received,
        entry.rule_version,
        canonical.decode("utf-8"),
        entry.payload_sha256,
        entry.payload_sm3,
    )
    with conn.wrap_database_errors:  # connected: record() runs inside a transaction
        if vendor == "sqlite":
            pk = int(conn.connection.execute(_INSERT[vendor], params).lastrowid)
        else:
            # server-side binding and a prepared statement: Django's own cursors bind on the
            # client, which makes the server parse every INSERT again
            import psycopg

            with psycopg.Cursor(conn.connection) as cur:
                cur.execute(_INSERT[vendor], params)
                row = cur.fetchone()
                assert row is not None
                pk = int(row[0])
    insert_many(
        conn,
        "ledger_entrydigest",
        ("sha256", "entry_id", "field"),
        [(value, pk, field) for field, value in digests],
    )
    return pk


def _sm3(data: bytes) -> str:
    """SM3 (GB/T 32905) of the canonical payload, for the national-crypto suite (国密)."""
    h = hashes.Hash(hashes.SM3())
    h.update(data)
    return h.finalize().hex()


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


def _schedule_integration(conn: BaseDatabaseWrapper) -> None:
    """With the inline sequencer, integrate once after the outermost transaction commits."""
    if settings.GGZY_LEDGER_SEQUENCER != "inline":
        return
    if any(item[1] is _integrate_after_commit for item in conn.run_on_commit):
        return
    conn.on_commit(_integrate_after_commit)
