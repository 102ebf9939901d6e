"""The sequencer (排序器): integrates recorded entries into the Merkle tree in batches,
exactly once, and signs a checkpoint after each batch.

Entries are taken in id order among those not yet integrated (an anti-join on ``LogLeaf``),
so an entry whose transaction commits late is integrated by a later batch rather than
skipped. ``LogState.low_water`` bounds the scan: it only advances over ids whose entries were
recorded more than ``GGZY_LEDGER_SAFETY_SECONDS`` ago (no transaction may stay open that long
after recording), and ``ggzy ledger audit`` checks that no entry was ever left out.

Concurrent sequencers are safe: the state row is updated with compare-and-set on the size
and the leaf table's primary key and unique entry column refuse a second integration.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, transaction

from ggzy import clock
from ggzy.core.canonical import canonical_json
from ggzy.crypto.note import sign_note
from ggzy.ledger import keys, merkle
from ggzy.ledger.checkpoint import Checkpoint as CheckpointBody
from ggzy.ledger.checkpoint import format_checkpoint
from ggzy.ledger.models import Checkpoint, Entry, LogState
from ggzy.ledger.rawsql import adapt_datetime, insert_many

log = logging.getLogger(__name__)

LEAF_VERSION = 1


_LEAF_FIELDS = (
    "id",
    "event_type",
    "subject_type",
    "subject_id",
    "actor",
    "received_at",
    "rule_version",
    "payload_sha256",
)


def _leaf_bytes(
    seq: int,
    event_type: str,
    subject_type: str,
    subject_id: str,
    actor: str,
    received_at: dt.datetime,
    rule_version: str,
    payload_sha256: str,
) -> bytes:
    return canonical_json(
        {
            "v": LEAF_VERSION,
            "seq": seq,
            "event_type": event_type,
            "subject": f"{subject_type}:{subject_id}",
            "actor": actor,
            "received_at": received_at,
            "rule_version": rule_version,
            "payload_sha256": payload_sha256,
        }
    )


def leaf_data(entry: Entry) -> bytes:
    """The bytes a leaf commits to (RFC 9162 leaf input): the entry's canonical JSON, without
    its payload (only the payload's hash), so secrets never reach the public log."""
    return _leaf_bytes(*(getattr(entry, "pk" if f == "id" else f) for f in _LEAF_FIELDS))


_LEAF_COLUMNS = ("index", "entry_id", "leaf_hash", "integrated_at")


class SequencerConflict(RuntimeError):
    """Another sequencer advanced the log first; nothing was written by this one."""


def integrate(max_batch: int | None = None) -> int:
    """Integrate up to ``max_batch`` pending entries; return how many were integrated."""
    batch = max_batch or settings.GGZY_LEDGER_BATCH
    now = clock.now()
    try:
        with transaction.atomic():
            LogState.objects.get_or_create(pk=1)  # present since migration 0003, or re-created
            state = LogState.objects.select_for_update().get(pk=1)
            pending = list(
                Entry.objects.filter(id__gt=state.low_water, leaf__isnull=True)
                .order_by("id")
                .values_list(*_LEAF_FIELDS)[:batch]
            )
            if not pending:
                return 0
            conn = connections[DEFAULT_DB_ALIAS]
            tree = merkle.CompactRange.from_bytes(bytes(state.frontier))
            stamp = adapt_datetime(conn, now)
            leaves: list[tuple[object, ...]] = []
            nodes: list[tuple[int, bytes]] = []
            for row in pending:
                h = merkle.leaf_hash(_leaf_bytes(*row))
                leaves.append((tree.size, row[0], h, stamp))
                nodes.extend(
                    (merkle.stored_hash_index(node.level, node.index), value)
                    for node, value in tree.append(h)
                )
            insert_many(conn, "ledger_logleaf", _LEAF_COLUMNS, leaves)
            insert_many(conn, "ledger_treenode", ("id", "hash"), nodes)
            low_water = _next_low_water(state.low_water, pending[-1][0], now)
            advanced = LogState.objects.filter(pk=1, size=state.size).update(
                size=tree.size, frontier=tree.to_bytes(), low_water=low_water, updated_at=now
            )
            if advanced != 1:
                raise SequencerConflict
            root = tree.root()
            body = CheckpointBody(keys.origin(), tree.size, root)
            Checkpoint.objects.create(
                size=tree.size,
                root_hash=root,
                note=sign_note(format_checkpoint(body), keys.checkpoint_signers()),
                signed_at=now,
            )
    except IntegrityError as exc:  # a concurrent sequencer integrated the same entries
        raise SequencerConflict from exc
    return len(pending)


def _next_low_water(current: int, last_integrated: int, now: dt.datetime) -> int:
    """Highest id ≤ ``last_integrated`` below which no entry can still appear un-integrated."""
    gap = (
        Entry.objects.filter(id__gt=current, id__lte=last_integrated, leaf__isnull=True)
        .order_by("id")
        .values_list("id", flat=True)
        .first()
    )
    limit = (gap - 1) if gap is not None else last_integrated
    old_enough = (
        Entry.objects.filter(
            id__gt=current,
            id__lte=limit,
            received_at__lt=now - dt.timedelta(seconds=settings.GGZY_LEDGER_SAFETY_SECONDS),
        )
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    return old_enough if old_enough is not None else current


def integrate_all_logged() -> int:
    """Integrate everything pending (inline mode); failures are logged, never raised, because
    the caller's own transaction has already committed."""
    total = 0
    try:
        while True:
            done = integrate()
            total += done
            if done == 0:
                return total
    except SequencerConflict:
        return total  # the other sequencer carries on
    except Exception:
        log.exception("ledger integration failed; entries stay pending for the next run")
        return total
