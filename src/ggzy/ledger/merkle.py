"""RFC 9162 Merkle tree (默克尔树) for the evidence ledger (区块链存证). Pure, no Django.

The tree is the one of RFC 9162 §2.1 (identical to RFC 6962 §2.1 and to
c2sp.org/merkle-tree) with SHA-256:

* ``leaf_hash(d) = SHA-256(0x00 ‖ d)``, ``node_hash(l, r) = SHA-256(0x01 ‖ l ‖ r)``;
* the root of ``n > 1`` leaves splits at ``k``, the largest power of two below ``n``;
* the root of the empty tree is ``SHA-256("")`` (:data:`EMPTY_ROOT`).

Nodes are named ``NodeID(level, index)``: the *complete* subtree of ``2**level``
leaves starting at leaf ``index * 2**level``. A tree of any size is made of
complete subtrees only, so storage keeps nothing else; proofs are built from
those stored hashes through a batched :data:`HashReader` in O(log n) reads,
in the manner of Go's ``golang.org/x/mod/sumdb/tlog`` "stored hash indexes"
(:func:`stored_hash_index` gives the same flat append order).

Verification follows RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2
(consistency) and raises :class:`ProofError` with a reason.

Subtree proofs (``[start, end)`` with ``start`` a multiple of the smallest
power of two ≥ ``end - start``) follow the "subtrees" of the Merkle Tree
Certificates draft (draft-ietf-plants-merkle-tree-certs §4); with
``start == 0`` they are exactly the RFC 9162 proofs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from cryptography.hazmat.primitives import hashes

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MAX_TREE_SIZE",
    "CompactRange",
    "HashReader",
    "NodeID",
    "ProofError",
    "Subtree",
    "consistency_proof",
    "frontier_nodes",
    "inclusion_proof",
    "is_valid_subtree",
    "leaf_hash",
    "node_hash",
    "reader_from_leaves",
    "reader_from_node_function",
    "root_from_inclusion_proof",
    "root_from_leaves",
    "split_stored_hash_index",
    "stored_hash_count",
    "stored_hash_index",
    "subtree_consistency_proof",
    "subtree_hash",
    "subtree_inclusion_proof",
    "tree_hash",
    "verify_consistency",
    "verify_inclusion",
    "verify_subtree_consistency",
    "verify_subtree_inclusion",
]

HASH_SIZE = 32
#: Tree sizes and indexes are limited to what a checkpoint can carry (int64).
MAX_TREE_SIZE = 2**63 - 1

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"
_SHA256 = hashes.SHA256()


def _sha256(*parts: bytes) -> bytes:
    digest = hashes.Hash(_SHA256)
    for part in parts:
        digest.update(part)
    return digest.finalize()


#: Root hash of the empty tree: SHA-256 of the empty string.
EMPTY_ROOT = _sha256(b"")


class ProofError(ValueError):
    """A Merkle proof, hash or tree size failed verification; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, order=True, slots=True)
class NodeID:
    """A complete subtree: ``2**level`` leaves starting at leaf ``index * 2**level``."""

    level: int
    index: int

    @property
    def start(self) -> int:
        """First leaf covered."""
        return self.index << self.level

    @property
    def end(self) -> int:
        """One past the last leaf covered."""
        return (self.index + 1) << self.level


class Subtree(NamedTuple):
    """The leaves ``[start, end)``; valid when :func:`is_valid_subtree` says so."""

    start: int
    end: int


#: Returns the hash of each requested complete subtree, in order, in one batch.
HashReader = Callable[[Sequence[NodeID]], Sequence[bytes]]


def leaf_hash(data: bytes) -> bytes:
    """RFC 9162 leaf hash: ``SHA-256(0x00 ‖ data)``."""
    return _sha256(_LEAF_PREFIX, data)


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 interior node hash: ``SHA-256(0x01 ‖ left ‖ right)``."""
    if len(left) != HASH_SIZE or len(right) != HASH_SIZE:
        raise ValueError("node_hash takes two 32-byte hashes")
    return _sha256(_NODE_PREFIX, left, right)


def root_from_leaves(leaf_hashes: Iterable[bytes]) -> bytes:
    """Root of the tree whose leaves have these (already leaf-hashed) values."""
    frontier = CompactRange()
    for h in leaf_hashes:
        frontier.append(h)
    return frontier.root()


# --------------------------------------------------------------------------- helpers


def _split(n: int) -> int:
    """Largest power of two strictly smaller than ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


def _bit_ceil(n: int) -> int:
    """Smallest power of two greater than or equal to ``n`` (``n >= 1``)."""
    return 1 << (n - 1).bit_length()


def _check_size(name: str, value: int) -> None:
    if not 0 <= value <= MAX_TREE_SIZE:
        raise ProofError(f"{name} {value} is outside [0, 2^63-1]")


def _check_hash(name: str, value: bytes) -> None:
    if len(value) != HASH_SIZE:
        raise ProofError(f"{name} is {len(value)} bytes, want {HASH_SIZE}")


def _check_proof(proof: Sequence[bytes]) -> None:
    for i, h in enumerate(proof):
        _check_hash(f"proof[{i}]", h)


def is_valid_subtree(start: int, end: int) -> bool:
    """True when ``[start, end)`` is a subtree: non-empty, ``start`` aligned to
    the smallest power of two ≥ ``end - start`` (MTC draft §4.1)."""
    if not 0 <= start < end <= MAX_TREE_SIZE:
        return False
    return start % _bit_ceil(end - start) == 0


def _range_nodes(start: int, end: int) -> list[NodeID]:
    """Complete subtrees whose right fold is the hash of the subtree [start, end)."""
    nodes: list[NodeID] = []
    width = end - start
    cursor = start
    for level in range(width.bit_length() - 1, -1, -1):
        if width >> level & 1:
            nodes.append(NodeID(level, cursor >> level))
            cursor += 1 << level
    return nodes


def _fold(hashes_: Sequence[bytes]) -> bytes:
    """Right fold ``h0 ‖ (h1 ‖ (h2 ‖ ...))`` of complete subtree hashes, big to small."""
    result = hashes_[-1]
    for h in reversed(hashes_[:-1]):
        result = node_hash(h, result)
    return result


def _read_ranges(ranges: Sequence[tuple[int, int]], read: HashReader) -> list[bytes]:
    """Hashes of the given subtrees, fetched with a single call to ``read``."""
    plans = [_range_nodes(a, b) for a, b in ranges]
    wanted = [node for plan in plans for node in plan]
    if not wanted:
        return []
    got = list(read(wanted))
    if len(got) != len(wanted):
        raise ValueError(f"hash reader returned {len(got)} hashes for {len(wanted)} nodes")
    for node, h in zip(wanted, got, strict=True):
        if len(h) != HASH_SIZE:
            raise ValueError(f"hash reader returned {len(h)} bytes for {node}")
    out: list[bytes] = []
    pos = 0
    for plan in plans:
        out.append(_fold(got[pos : pos + len(plan)]))
        pos += len(plan)
    return out


# --------------------------------------------------------------------------- readers


def reader_from_leaves(leaf_hashes: Sequence[bytes]) -> HashReader:
    """A :data:`HashReader` over an in-memory list of leaf hashes (tests, small trees).

    Each node costs O(2**level) hashing; production code reads stored hashes.
    """

    def read(nodes: Sequence[NodeID]) -> list[bytes]:
        out = []
        for node in nodes:
            if node.end > len(leaf_hashes):
                raise ValueError(f"{node} is not complete in a tree of {len(leaf_hashes)}")
            out.append(_perfect_root(leaf_hashes[node.start : node.end]))
        return out

    return read


def _perfect_root(level_hashes: Sequence[bytes]) -> bytes:
    layer = list(level_hashes)
    while len(layer) > 1:
        layer = [node_hash(layer[i], layer[i + 1]) for i in range(0, len(layer), 2)]
    return layer[0]


def reader_from_node_function(get: Callable[[int, int], bytes]) -> HashReader:
    """Adapt ``get(level, index) -> hash`` (one lookup per node) to a :data:`HashReader`."""

    def read(nodes: Sequence[NodeID]) -> list[bytes]:
        return [get(node.level, node.index) for node in nodes]

    return read


# --------------------------------------------------------------------------- stored indexes


def stored_hash_count(size: int) -> int:
    """How many complete-subtree hashes a tree of ``size`` leaves stores (``2n - popcount(n)``)."""
    if size < 0:
        raise ValueError("size must be non-negative")
    return 2 * size - size.bit_count()


def stored_hash_index(level: int, index: int) -> int:
    """Flat storage position of ``NodeID(level, index)`` in append order.

    Appending leaf ``m`` stores its leaf hash and then every subtree it
    completes, lowest first; this numbers them 0, 1, 2, ... (the numbering of
    Go's ``tlog.StoredHashIndex``).
    """
    if level < 0 or index < 0:
        raise ValueError("level and index must be non-negative")
    last_leaf = ((index + 1) << level) - 1
    return stored_hash_count(last_leaf) + level


def split_stored_hash_index(position: int) -> NodeID:
    """Inverse of :func:`stored_hash_index`."""
    if position < 0:
        raise ValueError("position must be non-negative")
    # The leaf whose append stored it is the largest m with 2m - popcount(m) <= position;
    # popcount(m) <= bit_length(position) + 1 bounds the search from above.
    leaf = (position + position.bit_length() + 1) // 2 + 1
    while stored_hash_count(leaf) > position:
        leaf -= 1
    level = position - stored_hash_count(leaf)
    return NodeID(level, ((leaf + 1) >> level) - 1)


# --------------------------------------------------------------------------- tree hash


def frontier_nodes(size: int) -> list[NodeID]:
    """The complete subtrees that make up a tree of ``size`` leaves, left to right."""
    _check_size("size", size)
    return _range_nodes(0, size) if size else []


def tree_hash(size: int, read: HashReader) -> bytes:
    """Root hash of the tree of ``size`` leaves, from stored complete-subtree hashes."""
    if size == 0:
        return EMPTY_ROOT
    return _read_ranges([(0, size)], read)[0]


def subtree_hash(subtree: Subtree, read: HashReader) -> bytes:
    """Hash of the subtree ``[start, end)`` (see :func:`is_valid_subtree`)."""
    start, end = subtree
    if not is_valid_subtree(start, end):
        raise ValueError(f"[{start}, {end}) is not a valid subtree")
    return _read_ranges([(start, end)], read)[0]


# --------------------------------------------------------------------------- proof plans


def _inclusion_ranges(index: int, start: int, end: int) -> list[tuple[int, int]]:
    """PATH(index, D[start:end]) as subtree ranges, bottom-up (RFC 9162 §2.1.3.1)."""
    steps: list[tuple[int, int]] = []
    lo, hi = start, end
    while hi - lo > 1:
        mid = lo + _split(hi - lo)
        if index < mid:
            steps.append((mid, hi))
            hi = mid
        else:
            steps.append((lo, mid))
            lo = mid
    steps.reverse()
    return steps


_LEFT, _RIGHT, _STRADDLE = 0, 1, 2


class _ConsistencyPlan(NamedTuple):
    # Top-down: (kind, sibling range). The proof lists siblings bottom-up.
    steps: list[tuple[int, tuple[int, int]]]
    # The proof's first element is the hash of this range, or None when the
    # subtree itself is a node of the tree and is not repeated in the proof.
    seed: tuple[int, int] | None


def _consistency_plan(start: int, end: int, size: int) -> _ConsistencyPlan:
    """SUBPROOF / SUBTREE_SUBPROOF (RFC 9162 §2.1.4.1, MTC draft §4.4.1) as a plan."""
    steps: list[tuple[int, tuple[int, int]]] = []
    lo, hi = 0, size
    include_seed = False  # the "b == false" of the recursive definition
    while not (start == lo and end == hi):
        mid = lo + _split(hi - lo)
        if end <= mid:
            steps.append((_LEFT, (mid, hi)))
            hi = mid
        elif start >= mid:
            steps.append((_RIGHT, (lo, mid)))
            lo = mid
        else:  # start == lo for a valid subtree: its left part is [lo, mid)
            steps.append((_STRADDLE, (lo, mid)))
            lo = start = mid
            include_seed = True
    return _ConsistencyPlan(steps, (lo, hi) if include_seed else None)


def _consistency_ranges(plan: _ConsistencyPlan) -> list[tuple[int, int]]:
    ranges = [] if plan.seed is None else [plan.seed]
    ranges.extend(rng for _, rng in reversed(plan.steps))
    return ranges


# --------------------------------------------------------------------------- generation


def inclusion_proof(index: int, size: int, read: HashReader) -> list[bytes]:
    """Inclusion proof for leaf ``index`` in the tree of ``size`` leaves (RFC 9162 §2.1.3.1)."""
    _check_size("size", size)
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is not in a tree of size {size}")
    return _read_ranges(_inclusion_ranges(index, 0, size), read)


def subtree_inclusion_proof(index: int, subtree: Subtree, read: HashReader) -> list[bytes]:
    """Inclusion proof for leaf ``index`` in the subtree ``[start, end)`` (MTC draft §4.3)."""
    start, end = subtree
    if not is_valid_subtree(start, end):
        raise ValueError(f"[{start}, {end}) is not a valid subtree")
    if not start <= index < end:
        raise ValueError(f"leaf index {index} is not in [{start}, {end})")
    return _read_ranges(_inclusion_ranges(index, start, end), read)


def consistency_proof(size1: int, size2: int, read: HashReader) -> list[bytes]:
    """Consistency proof from ``size1`` to ``size2`` leaves (RFC 9162 §2.1.4.1).

    Empty when ``size1`` is 0 or equals ``size2``.
    """
    _check_size("size2", size2)
    if not 0 <= size1 <= size2:
        raise ValueError(f"need 0 <= size1 <= size2, got {size1} and {size2}")
    if size1 in (0, size2):
        return []
    return _read_ranges(_consistency_ranges(_consistency_plan(0, size1, size2)), read)


def subtree_consistency_proof(subtree: Subtree, size: int, read: HashReader) -> list[bytes]:
    """Proof that subtree ``[start, end)`` is part of the tree of ``size`` leaves (MTC §4.4)."""
    start, end = subtree
    _check_size("size", size)
    if not is_valid_subtree(start, end) or end > size:
        raise ValueError(f"[{start}, {end}) is not a valid subtree of a tree of size {size}")
    return _read_ranges(_consistency_ranges(_consistency_plan(start, end, size)), read)


# --------------------------------------------------------------------------- verification


def root_from_inclusion_proof(leaf: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes:
    """The root that ``proof`` yields for ``leaf`` at ``index`` (RFC 9162 §2.1.3.2 steps 1-4)."""
    _check_size("size", size)
    _check_size("index", index)
    if index >= size:
        raise ProofError(f"leaf index {index} is not below tree size {size}")
    _check_hash("leaf hash", leaf)
    _check_proof(proof)
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError("inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("inclusion proof is too short")
    return r


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf`` (a leaf hash) is at ``index`` in the tree ``(size, root)``.

    Raises :class:`ProofError` on any failure (RFC 9162 §2.1.3.2).
    """
    _check_hash("root hash", root)
    if root_from_inclusion_proof(leaf, index, size, proof) != root:
        raise ProofError("inclusion proof does not lead to the root hash")


def verify_subtree_inclusion(
    leaf: bytes, index: int, subtree: Subtree, proof: Sequence[bytes], subtree_root: bytes
) -> None:
    """Check that ``leaf`` is at ``index`` in the subtree ``[start, end)`` (MTC draft §4.3.2).

    The subtree's leaves form a tree of their own, so this is RFC 9162
    inclusion at ``index - start`` in a tree of ``end - start`` leaves.
    """
    start, end = subtree
    if not is_valid_subtree(start, end):
        raise ProofError(f"[{start}, {end}) is not a valid subtree")
    if not start <= index < end:
        raise ProofError(f"leaf index {index} is not in [{start}, {end})")
    verify_inclusion(leaf, index - start, end - start, proof, subtree_root)


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> None:
    """Check that the tree ``(size1, root1)`` is a prefix of ``(size2, root2)``.

    RFC 9162 §2.1.4.2 for ``0 < size1 < size2``; equal sizes need an empty
    proof and equal roots. A proof from the empty tree proves nothing and is
    refused (a witness handles ``old 0`` without a proof, see
    :mod:`ggzy.ledger.witness_protocol`). Raises :class:`ProofError`.
    """
    _check_size("size1", size1)
    _check_size("size2", size2)
    _check_hash("root1", root1)
    _check_hash("root2", root2)
    _check_proof(proof)
    if size1 > size2:
        raise ProofError(f"size1 {size1} is larger than size2 {size2}")
    if size1 == 0:
        raise ProofError("a consistency proof from the empty tree is meaningless")
    if size1 == size2:
        if proof:
            raise ProofError("sizes are equal but the proof is not empty")
        if root1 != root2:
            raise ProofError("sizes are equal but the roots differ")
        return
    if not proof:
        raise ProofError("consistency proof is empty")
    fr, sr = _roots_from_consistency_path(size1, size2, proof, root1)
    if fr != root1:
        raise ProofError("consistency proof does not lead to root1")
    if sr != root2:
        raise ProofError("consistency proof does not lead to root2")


def _roots_from_consistency_path(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes
) -> tuple[bytes, bytes]:
    """RFC 9162 §2.1.4.2 steps 2-6 for ``0 < size1 < size2``: the two recomputed roots."""
    path = list(proof)
    if size1 & (size1 - 1) == 0:  # size1 is a power of two: its root is a node of tree 2
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("consistency proof is too short")
    return fr, sr


def verify_subtree_consistency(
    subtree: Subtree, size: int, proof: Sequence[bytes], subtree_root: bytes, root: bytes
) -> None:
    """Check that subtree ``[start, end)`` with ``subtree_root`` is part of ``(size, root)``.

    MTC draft §4.4 (subtree consistency proofs); for ``start == 0`` the proof
    is the RFC 9162 consistency proof from ``end`` to ``size``. The proof's
    shape is fixed by ``(start, end, size)``, so this walks the generation
    plan and recomputes both hashes. Raises :class:`ProofError`.
    """
    start, end = subtree
    _check_size("size", size)
    if not is_valid_subtree(start, end):
        raise ProofError(f"[{start}, {end}) is not a valid subtree")
    if end > size:
        raise ProofError(f"subtree end {end} is beyond tree size {size}")
    _check_hash("subtree root", subtree_root)
    _check_hash("root", root)
    _check_proof(proof)
    plan = _consistency_plan(start, end, size)
    want = len(plan.steps) + (plan.seed is not None)
    if len(proof) != want:
        raise ProofError(f"subtree consistency proof has {len(proof)} hashes, want {want}")
    rest = list(proof)
    if plan.seed is not None:
        old = new = rest.pop(0)
    else:
        old = new = subtree_root
    for (kind, _), p in zip(reversed(plan.steps), rest, strict=True):
        if kind == _LEFT:
            new = node_hash(new, p)
        elif kind == _RIGHT:
            new = node_hash(p, new)
        else:
            old = node_hash(p, old)
            new = node_hash(p, new)
    if old != subtree_root:
        raise ProofError("subtree consistency proof does not lead to the subtree root")
    if new != root:
        raise ProofError("subtree consistency proof does not lead to the root hash")


# --------------------------------------------------------------------------- compact range


_COMPACT_RANGE_VERSION = 1


class CompactRange:
    """The right frontier (紧凑范围) of a growing tree: O(log n) hashes.

    Holds the hashes of :func:`frontier_nodes` for the current size. Each
    :meth:`append` returns the complete subtrees it finished — exactly the
    hashes a sequencer must store — and :meth:`to_bytes` /
    :meth:`from_bytes` let it resume after a crash.
    """

    __slots__ = ("_hashes", "_size")

    def __init__(self, size: int = 0, frontier: Sequence[bytes] = ()) -> None:
        _check_size("size", size)
        if len(frontier) != size.bit_count():
            raise ValueError(f"a frontier of size {size} has {size.bit_count()} hashes")
        for h in frontier:
            if len(h) != HASH_SIZE:
                raise ValueError("frontier hashes are 32 bytes")
        self._size = size
        self._hashes = list(frontier)

    @property
    def size(self) -> int:
        return self._size

    @property
    def hashes(self) -> tuple[bytes, ...]:
        """Frontier hashes, left (largest subtree) to right."""
        return tuple(self._hashes)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CompactRange):
            return NotImplemented
        return self._size == other._size and self._hashes == other._hashes

    def __hash__(self) -> int:
        return hash((self._size, tuple(self._hashes)))

    def __repr__(self) -> str:
        return f"CompactRange(size={self._size})"

    def copy(self) -> CompactRange:
        return CompactRange(self._size, self._hashes)

    def append(self, leaf: bytes) -> list[tuple[NodeID, bytes]]:
        """Add a leaf hash; return the newly complete subtrees, the leaf first."""
        if len(leaf) != HASH_SIZE:
            raise ValueError("leaf hashes are 32 bytes")
        if self._size >= MAX_TREE_SIZE:
            raise ValueError("tree is full")
        index = self._size
        completed = [(NodeID(0, index), leaf)]
        current = leaf
        level = 0
        while index >> level & 1:
            current = node_hash(self._hashes.pop(), current)
            level += 1
            completed.append((NodeID(level, index >> level), current))
        self._hashes.append(current)
        self._size += 1
        return completed

    def extend(self, leaves: Iterable[bytes]) -> list[tuple[NodeID, bytes]]:
        """Append several leaf hashes; return every subtree completed on the way."""
        completed: list[tuple[NodeID, bytes]] = []
        for leaf in leaves:
            completed.extend(self.append(leaf))
        return completed

    def root(self) -> bytes:
        """Root hash of the tree of the current size."""
        return _fold(self._hashes) if self._hashes else EMPTY_ROOT

    def to_bytes(self) -> bytes:
        """``0x01 ‖ uint64 size (big-endian) ‖ frontier hashes``."""
        return (
            bytes([_COMPACT_RANGE_VERSION]) + self._size.to_bytes(8, "big") + b"".join(self._hashes)
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> CompactRange:
        if len(data) < 9 or data[0] != _COMPACT_RANGE_VERSION:
            raise ValueError("not a serialised compact range (version 1)")
        size = int.from_bytes(data[1:9], "big")
        if size > MAX_TREE_SIZE:
            raise ValueError("compact range size is beyond 2^63-1")
        body = data[9:]
        if len(body) != HASH_SIZE * size.bit_count():
            raise ValueError(f"compact range of size {size} needs {size.bit_count()} hashes")
        return cls(size, [body[i : i + HASH_SIZE] for i in range(0, len(body), HASH_SIZE)])

    @classmethod
    def from_reader(cls, size: int, read: HashReader) -> CompactRange:
        """Rebuild the frontier of a stored tree from its complete-subtree hashes."""
        nodes = frontier_nodes(size)
        got = list(read(nodes)) if nodes else []
        if len(got) != len(nodes):
            raise ValueError("hash reader returned the wrong number of hashes")
        return cls(size, got)
