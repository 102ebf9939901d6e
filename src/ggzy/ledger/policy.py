"""The witness policy in force (k-of-n 见证策略), from ``GGZY_WITNESS_POLICY`` (a policy file,
format in docs/witness.md). Without one the log publishes checkpoints signed by itself only."""

from __future__ import annotations

from django.conf import settings

from ggzy.crypto import note
from ggzy.ledger.checkpoint import WitnessPolicy


def current_policy() -> WitnessPolicy:
    path = settings.GGZY_WITNESS_POLICY
    return policy_from_file(path) if path else WitnessPolicy((), 0)


def policy_from_file(path: str) -> WitnessPolicy:
    from ggzy.ledger.witness_client import load_policy

    endpoints, threshold = load_policy(path)
    return WitnessPolicy(tuple(note.parse_verifier_key(w.vkey) for w in endpoints), threshold)
