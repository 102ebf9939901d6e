"""``ggzy ledger audit``: recompute everything from the entries and pinpoint the first
tampered row (审计). Streams in id order, so memory stays flat for any log size."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from ggzy.core.canonical import canonical_json
from ggzy.crypto import note
from ggzy.ledger import keys, merkle
from ggzy.ledger.checkpoint import CheckpointError, open_checkpoint
from ggzy.ledger.models import Checkpoint, Entry, LogLeaf, LogState, TreeNode
from ggzy.ledger.recorder import _sm3
from ggzy.ledger.sequencer import leaf_data

_CHUNK = 2000


@dataclass
class AuditReport:
    entries: int = 0
    leaves: int = 0
    checkpoints: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def audit(*, stop_at_first: bool = True) -> AuditReport:  # noqa: PLR0911 - stops at first problem
    report = AuditReport()

    def problem(text: str) -> bool:
        report.problems.append(text)
        return stop_at_first

    if _bad_payloads(report, problem):
        return report

    verifier: note.Verifier = keys.verifier()
    checkpoints = iter(Checkpoint.objects.order_by("size").iterator(chunk_size=_CHUNK))
    next_cp = next(checkpoints, None)
    tree = merkle.CompactRange()
    pending_nodes: dict[int, bytes] = {}

    def check_nodes() -> bool:
        stored = dict(TreeNode.objects.filter(id__in=list(pending_nodes)).values_list("id", "hash"))
        for node_id, value in pending_nodes.items():
            if bytes(stored.get(node_id, b"")) != value and problem(
                f"tree node {node_id}: stored hash differs from the recomputed one"
            ):
                return True
        pending_nodes.clear()
        return False

    leaves = LogLeaf.objects.select_related("entry").order_by("index")
    for leaf in leaves.iterator(chunk_size=_CHUNK):
        if leaf.index != tree.size and problem(f"leaf index {tree.size} is missing"):
            return report
        expected = merkle.leaf_hash(leaf_data(leaf.entry))
        if bytes(leaf.leaf_hash) != expected and problem(
            f"entry {leaf.entry_id} (leaf {leaf.index}): entry fields were changed after "
            "integration"
        ):
            return report
        for node, value in tree.append(expected):
            pending_nodes[merkle.stored_hash_index(node.level, node.index)] = value
        report.leaves += 1
        if len(pending_nodes) >= _CHUNK and check_nodes():
            return report
        while next_cp is not None and next_cp.size == tree.size:
            report.checkpoints += 1
            if _bad_checkpoint(next_cp, tree.root(), verifier, problem):
                return report
            next_cp = next(checkpoints, None)
    if check_nodes():
        return report
    if next_cp is not None and problem(
        f"checkpoint {next_cp.size} is beyond the {tree.size} integrated leaves"
    ):
        return report
    state_size = LogState.objects.filter(pk=1).values_list("size", flat=True).first() or 0
    if state_size != tree.size:
        problem(f"sequencer state says size {state_size}, leaves give {tree.size}")
    return report


def _bad_payloads(report: AuditReport, problem: Callable[[str], bool]) -> bool:
    """Recompute every payload hash (SHA-256, and SM3 where recorded); True to stop."""
    for entry in Entry.objects.order_by("id").iterator(chunk_size=_CHUNK):
        report.entries += 1
        canonical = canonical_json(entry.payload)
        if hashlib.sha256(canonical).hexdigest() != entry.payload_sha256 and problem(
            f"entry {entry.pk}: payload does not match its recorded SHA-256"
        ):
            return True
        if (
            entry.payload_sm3
            and entry.payload_sm3 != _sm3(canonical)
            and problem(f"entry {entry.pk}: payload does not match its recorded SM3")
        ):
            return True
    return False


def _bad_checkpoint(
    cp: Checkpoint, root: bytes, verifier: note.Verifier, problem: Callable[[str], bool]
) -> bool:
    try:
        body, _note = open_checkpoint(bytes(cp.note), verifier)
    except CheckpointError as exc:
        return problem(f"checkpoint {cp.size}: signature does not verify ({exc})")
    if body.size != cp.size or body.root_hash != root or bytes(cp.root_hash) != root:
        return problem(f"checkpoint {cp.size}: root differs from the recomputed tree")
    return False
