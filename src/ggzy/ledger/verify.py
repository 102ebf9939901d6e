"""Offline verification of a receipt (存证证明核验), shared by the CLI and the public page."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from ggzy.crypto import note
from ggzy.ledger import merkle
from ggzy.ledger.checkpoint import CheckpointError, TlogProof, WitnessPolicy


@dataclass(frozen=True)
class ReceiptCheck:
    index: int
    tree_size: int
    origin: str
    entry: dict[str, Any]
    witnesses: tuple[str, ...]
    recorded_at: str


def verify_receipt(
    data: bytes,
    *,
    log_vkey: str,
    policy: WitnessPolicy,
    now: dt.datetime | None = None,
) -> ReceiptCheck:
    """Check a ``.tlog-proof`` file: log signature, witness quorum, inclusion of its leaf.

    Raises ``CheckpointError`` (a ``ValueError``) with the reason when anything fails.
    """
    proof = TlogProof.from_bytes(data)
    if proof.extra is None:
        raise CheckpointError("receipt carries no entry data (extra line)")
    try:
        verifier = note.parse_verifier_key(log_vkey)
    except note.KeyFormatError as exc:
        raise CheckpointError(f"log key: {exc}") from exc
    verified = proof.verify(
        merkle.leaf_hash(proof.extra), log_verifier=verifier, policy=policy, now=now
    )
    try:
        entry = json.loads(proof.extra)
    except ValueError as exc:
        raise CheckpointError("entry data is not JSON") from exc
    return ReceiptCheck(
        index=proof.index,
        tree_size=verified.checkpoint.size,
        origin=verified.checkpoint.origin,
        entry=entry,
        witnesses=tuple(s.name for s in verified.cosignatures),
        recorded_at=str(entry.get("received_at", "")),
    )
