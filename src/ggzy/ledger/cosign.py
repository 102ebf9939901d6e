"""Gathering witness cosignatures (见证) for the log's checkpoints (k-of-n policy in
``GGZY_WITNESS_POLICY``); ``proofs.published_checkpoint`` then serves the newest checkpoint
that meets the quorum."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.conf import settings
from django.db import IntegrityError, transaction

from ggzy import clock
from ggzy.ledger import proofs
from ggzy.ledger.models import Checkpoint, Cosignature
from ggzy.ledger.witness_client import (
    CosignResult,
    WitnessEndpoint,
    gather_cosignatures,
    load_policy,
)

log = logging.getLogger(__name__)


def cosign_latest(*, timeout: float = 5.0) -> CosignResult | None:
    """Ask every witness of the policy to cosign the newest checkpoint; store what verifies.

    Returns None when there is no policy or nothing new to cosign.
    """
    path = settings.GGZY_WITNESS_POLICY
    if not path:
        return None
    witnesses, threshold = load_policy(path)
    cp = proofs.latest_checkpoint()
    if cp is None:
        return None
    return cosign_checkpoint(cp, witnesses, threshold, timeout=timeout)


def cosign_checkpoint(
    cp: Checkpoint, witnesses: Sequence[WitnessEndpoint], threshold: int, *, timeout: float = 5.0
) -> CosignResult | None:
    """Gather cosignatures on ``cp`` from the ``witnesses`` that have not cosigned it yet."""
    have = set(Cosignature.objects.filter(checkpoint=cp).values_list("witness", flat=True))
    todo = [w for w in witnesses if w.name not in have]
    if not todo:
        return None
    previous = (
        Checkpoint.objects.filter(size__lt=cp.size, cosigs__witness__in=[w.name for w in todo])
        .order_by("-size")
        .values_list("size", flat=True)
        .first()
    ) or 0
    result = gather_cosignatures(
        bytes(cp.note),
        old_size=previous,
        consistency_proof=proofs.consistency(previous, cp.size) if previous else [],
        witnesses=todo,
        threshold=max(0, threshold - len(have)),
        timeout=timeout,
        fetch_consistency=lambda old: proofs.consistency(old, cp.size),
    )
    now = clock.now()
    for outcome in result.outcomes:
        if outcome.ok and outcome.line:
            try:
                with transaction.atomic():
                    Cosignature.objects.create(
                        checkpoint=cp,
                        witness=outcome.witness.name,
                        line=outcome.line,
                        received_at=now,
                    )
            except IntegrityError:  # another worker stored this witness's line first
                continue
        else:
            log.warning("witness %s: %s (%s)", outcome.witness.name, outcome.kind, outcome.detail)
    return result
