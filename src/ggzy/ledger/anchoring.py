"""Anchoring (锚定): writing the log's checkpoints somewhere outside the platform's control.

``Anchor`` is the interface a backend implements — another ggzy node's witness today, an
external blockchain tomorrow (its ``anchor`` would submit the checkpoint hash in a
transaction and return the transaction id as ``reference``). The checkpoint is what gets
anchored: a small signed note committing to every entry before it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from ggzy.ledger import proofs
from ggzy.ledger.cosign import cosign_checkpoint
from ggzy.ledger.models import Checkpoint, Cosignature
from ggzy.ledger.witness_client import WitnessEndpoint


class AnchorError(RuntimeError):
    """The backend did not anchor the checkpoint."""


@dataclass(frozen=True)
class AnchorReceipt:
    backend: str
    size: int
    reference: str  # what the backend returns as proof: a cosignature line, a transaction id
    anchored_at: dt.datetime


class Anchor(Protocol):
    name: str

    def anchor(self, checkpoint: Checkpoint) -> AnchorReceipt:
        """Anchor ``checkpoint``; raise AnchorError when the backend refuses or is unreachable."""
        ...

    def lookup(self, size: int) -> AnchorReceipt | None:
        """The receipt for the checkpoint of ``size``, if it was anchored here."""
        ...


class WitnessAnchor:
    """Anchor on another ggzy node (another city or province) running ``ggzy witness serve``:
    its cosignature is the anchor receipt (跨省互认)."""

    def __init__(self, endpoint: WitnessEndpoint, *, timeout: float = 5.0) -> None:
        self.endpoint = endpoint
        self.name = f"witness:{endpoint.name}"
        self.timeout = timeout

    def anchor(self, checkpoint: Checkpoint) -> AnchorReceipt:
        existing = self.lookup(checkpoint.size)
        if existing is not None:
            return existing
        result = cosign_checkpoint(checkpoint, [self.endpoint], 1, timeout=self.timeout)
        receipt = self.lookup(checkpoint.size)
        if receipt is None:
            detail = result.outcomes[0].detail if result and result.outcomes else "no answer"
            raise AnchorError(f"{self.endpoint.name}: {detail}")
        return receipt

    def lookup(self, size: int) -> AnchorReceipt | None:
        row = Cosignature.objects.filter(checkpoint_id=size, witness=self.endpoint.name).first()
        if row is None:
            return None
        return AnchorReceipt(self.name, size, row.line, row.received_at)


def anchor_latest(anchor: Anchor) -> AnchorReceipt:
    cp = proofs.latest_checkpoint()
    if cp is None:
        raise AnchorError("the log has no checkpoint yet")
    return anchor.anchor(cp)
