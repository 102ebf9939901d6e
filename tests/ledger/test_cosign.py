"""The platform's log cosigned by real witness processes on loopback (k-of-n policy)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.db import transaction
from tests.ledger.test_witness_server import WitnessProcess, start_witness, write_config

from ggzy import ledger
from ggzy.core.errors import DomainError, ErrorCode
from ggzy.ledger import keys, proofs
from ggzy.ledger.cosign import cosign_latest
from ggzy.ledger.policy import current_policy
from ggzy.ledger.sequencer import integrate
from ggzy.ledger.verify import verify_receipt

pytestmark = pytest.mark.django_db


@pytest.fixture
def witnesses(tmp_path: Path, settings) -> Iterator[list[WitnessProcess]]:
    settings.GGZY_LEDGER_SEQUENCER = "worker"
    settings.GGZY_LEDGER_SAFETY_SECONDS = 0
    log = SimpleNamespace(origin=keys.origin(), vkey=keys.verifier_key())
    procs = [
        start_witness(write_config(tmp_path / f"w{i}", [log], name=f"witness.dept{i}.example"))
        for i in range(3)
    ]
    policy = tmp_path / "witnesses.policy"
    policy.write_text(
        "".join(f"witness w{i} {w.vkey} {w.url}\n" for i, w in enumerate(procs)) + "quorum 2\n"
    )
    settings.GGZY_WITNESS_POLICY = str(policy)
    yield procs
    for w in procs:
        if w.proc.poll() is None:
            w.stop()


def _record(n: int) -> list:
    with transaction.atomic():
        return [
            ledger.record("test:x:y", ("test.x", str(i)), "system:t", {"i": i}) for i in range(n)
        ]


def test_checkpoints_published_only_with_quorum(witnesses: list[WitnessProcess]) -> None:
    first = _record(3)
    integrate()
    assert proofs.published_checkpoint() is None  # signed by the log only: not published
    result = cosign_latest()
    assert result is not None
    assert result.policy_met
    assert result.cosigned == 3
    cp = proofs.published_checkpoint()
    assert cp.size == 3
    check = verify_receipt(
        proofs.receipt(first[1]).to_bytes(), log_vkey=keys.verifier_key(), policy=current_policy()
    )
    assert len(check.witnesses) == 3

    # one witness down: 2 of 3 still publish the grown log (consistency proof from size 3)
    witnesses[0].stop()
    second = _record(2)
    integrate()
    result = cosign_latest(timeout=2)
    assert result.policy_met
    assert proofs.published_checkpoint().size == 5
    assert (
        verify_receipt(
            proofs.receipt(second[0]).to_bytes(),
            log_vkey=keys.verifier_key(),
            policy=current_policy(),
        ).tree_size
        == 5
    )

    # two down: the new checkpoint is not published and its entries have no receipt yet
    witnesses[1].stop()
    third = _record(1)
    integrate()
    result = cosign_latest(timeout=2)
    assert not result.policy_met
    assert proofs.published_checkpoint().size == 5
    with pytest.raises(DomainError) as err:
        proofs.receipt(third[0])
    assert err.value.code == ErrorCode.LEDGER_PENDING


def test_witness_anchor_backend(witnesses: list[WitnessProcess]) -> None:
    from ggzy.ledger.anchoring import AnchorError, WitnessAnchor, anchor_latest
    from ggzy.ledger.witness_client import WitnessEndpoint

    _record(2)
    integrate()
    endpoint = WitnessEndpoint("w2", witnesses[2].url, witnesses[2].vkey)
    anchor = WitnessAnchor(endpoint, timeout=2)
    receipt = anchor_latest(anchor)
    assert receipt.size == 2
    assert receipt.reference.startswith("— witness.dept2.example ")
    assert anchor.lookup(2) == receipt
    assert anchor.lookup(1) is None
    witnesses[2].stop()
    _record(1)
    integrate()
    with pytest.raises(AnchorError, match="w2"):
        anchor_latest(anchor)
