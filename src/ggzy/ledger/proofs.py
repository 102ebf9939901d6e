"""Reads that prove things (证明): inclusion and consistency proofs, tiles, receipts.

Everything is served from the stored subtree hashes (``TreeNode``), so a proof costs one
batched primary-key read of O(log n) rows.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Count

from ggzy.core.errors import DomainError, ErrorCode
from ggzy.ledger import merkle, tiles
from ggzy.ledger.checkpoint import TlogProof
from ggzy.ledger.models import Checkpoint, Cosignature, Entry, LogLeaf, LogState, TreeNode
from ggzy.ledger.sequencer import leaf_data


def read_nodes(nodes: Sequence[merkle.NodeID]) -> list[bytes]:
    ids = [merkle.stored_hash_index(n.level, n.index) for n in nodes]
    found = {
        row[0]: bytes(row[1])
        for row in TreeNode.objects.filter(id__in=ids).values_list("id", "hash")
    }
    missing = [i for i in ids if i not in found]
    if missing:
        raise DomainError(ErrorCode.NOT_FOUND, "日志中没有该节点", detail={"node": missing[0]})
    return [found[i] for i in ids]


def tree_size() -> int:
    size = LogState.objects.filter(pk=1).values_list("size", flat=True).first()
    return int(size or 0)


def latest_checkpoint() -> Checkpoint | None:
    return Checkpoint.objects.order_by("-size").first()


def published_checkpoint() -> Checkpoint | None:
    """The newest checkpoint cosigned by the witness quorum in force (见证策略); without a
    policy, the newest checkpoint. Only published checkpoints are served and put in receipts."""
    from ggzy.ledger.policy import current_policy

    threshold = current_policy().threshold
    if threshold == 0:
        return latest_checkpoint()
    return (
        Checkpoint.objects.annotate(n=Count("cosigs"))
        .filter(n__gte=threshold)
        .order_by("-size")
        .first()
    )


def checkpoint_note(cp: Checkpoint) -> bytes:
    """The checkpoint's signed note with every witness cosignature gathered so far."""
    note = bytes(cp.note)
    lines = [c.line for c in Cosignature.objects.filter(checkpoint=cp).order_by("witness")]
    if not lines:
        return note
    return note + "".join(line.rstrip("\n") + "\n" for line in lines).encode("utf-8")


def _checked_size(size: int) -> int:
    current = tree_size()
    if size < 0 or size > current:
        raise DomainError(ErrorCode.VALIDATION, f"树大小应在 0 到 {current} 之间", field="size")
    return size


def inclusion(index: int, size: int) -> list[bytes]:
    size = _checked_size(size)
    if not 0 <= index < size:
        raise DomainError(ErrorCode.VALIDATION, "叶子序号超出树的大小", field="index")
    return merkle.inclusion_proof(index, size, read_nodes)


def consistency(old: int, new: int) -> list[bytes]:
    new = _checked_size(new)
    if not 0 <= old <= new:
        raise DomainError(ErrorCode.VALIDATION, "旧树大小不能大于新树大小", field="old")
    return merkle.consistency_proof(old, new, read_nodes)


def receipt(entry: Entry) -> TlogProof:
    """存证证明: the offline proof file for ``entry`` (c2sp.org/tlog-proof@v1) against the
    latest checkpoint; ``extra`` carries the leaf data so the verifier needs nothing else."""
    leaf = LogLeaf.objects.filter(entry=entry).first()
    cp = published_checkpoint()
    if leaf is None or cp is None or cp.size <= leaf.index:
        raise DomainError(ErrorCode.LEDGER_PENDING)
    return TlogProof(
        index=leaf.index,
        inclusion_proof=tuple(merkle.inclusion_proof(leaf.index, cp.size, read_nodes)),
        checkpoint_note=checkpoint_note(cp),
        extra=leaf_data(entry),
    )


def tile_bytes(path: str) -> bytes:
    """A tile or entry bundle by its C2SP tlog-tiles path (``tile/0/x001/234.p/5``)."""
    size = tree_size()
    try:
        if path.startswith("tile/entries/"):
            bundle = tiles.parse_entry_bundle_path(path)
            wanted = bundle.first_entry, bundle.first_entry + bundle.width
            if wanted[1] > size:
                raise DomainError(ErrorCode.NOT_FOUND)
            leaves = (
                LogLeaf.objects.filter(index__gte=wanted[0], index__lt=wanted[1])
                .select_related("entry")
                .order_by("index")
            )
            return tiles.encode_entry_bundle(leaf_data(leaf.entry) for leaf in leaves)
        tile = tiles.parse_tile_path(path)
    except ValueError as exc:
        raise DomainError(ErrorCode.NOT_FOUND, "瓦片路径无效") from exc
    if tile.width > tiles.tile_width(tile.level, tile.index, size):
        raise DomainError(ErrorCode.NOT_FOUND)
    return tiles.read_tile(tile, read_nodes)
