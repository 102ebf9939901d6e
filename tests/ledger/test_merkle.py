"""RFC 9162 Merkle tree: known answers, proof generation/verification, compact ranges."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ggzy.ledger.merkle import (
    EMPTY_ROOT,
    CompactRange,
    HashReader,
    NodeID,
    ProofError,
    Subtree,
    consistency_proof,
    frontier_nodes,
    inclusion_proof,
    is_valid_subtree,
    leaf_hash,
    node_hash,
    reader_from_leaves,
    reader_from_node_function,
    root_from_inclusion_proof,
    root_from_leaves,
    split_stored_hash_index,
    stored_hash_count,
    stored_hash_index,
    subtree_consistency_proof,
    subtree_hash,
    subtree_inclusion_proof,
    tree_hash,
    verify_consistency,
    verify_inclusion,
    verify_subtree_consistency,
    verify_subtree_inclusion,
)

# The RFC 6962 reference leaves (certificate-transparency test data) and the
# roots of their prefixes of size 1..8.
RFC6962_LEAVES = [
    bytes.fromhex(h)
    for h in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]
RFC6962_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]

FAST = settings(max_examples=60, deadline=None)


def reference_root(leaves: Sequence[bytes]) -> bytes:
    """MTH straight from the RFC 9162 §2.1.1 definition (hashlib, recursion)."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(
        b"\x01" + reference_root(leaves[:k]) + reference_root(leaves[k:])
    ).digest()


def leaves_of(n: int) -> list[bytes]:
    return [leaf_hash(i.to_bytes(8, "big")) for i in range(n)]


def stored_reader(leaves: Sequence[bytes]) -> tuple[HashReader, list[list[NodeID]]]:
    """A reader over the hashes a CompactRange said to store, recording each batch."""
    store = dict(CompactRange().extend(leaves))
    batches: list[list[NodeID]] = []

    def read(nodes: Sequence[NodeID]) -> list[bytes]:
        batches.append(list(nodes))
        return [store[node] for node in nodes]

    return read, batches


def flip(data: bytes, bit: int) -> bytes:
    out = bytearray(data)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


# --------------------------------------------------------------------------- known answers


def test_empty_root_is_sha256_of_nothing() -> None:
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert root_from_leaves([]) == EMPTY_ROOT
    assert tree_hash(0, reader_from_leaves([])) == EMPTY_ROOT


def test_leaf_and_node_prefixes() -> None:
    assert leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
    left, right = b"\x11" * 32, b"\x22" * 32
    assert node_hash(left, right) == hashlib.sha256(b"\x01" + left + right).digest()


def test_node_hash_refuses_wrong_lengths() -> None:
    with pytest.raises(ValueError, match="32-byte"):
        node_hash(b"\x00" * 31, b"\x00" * 32)


@pytest.mark.parametrize("size", range(1, 9))
def test_rfc6962_reference_roots(size: int) -> None:
    leaves = [leaf_hash(d) for d in RFC6962_LEAVES[:size]]
    assert root_from_leaves(leaves).hex() == RFC6962_ROOTS[size - 1]
    assert tree_hash(size, reader_from_leaves(leaves)).hex() == RFC6962_ROOTS[size - 1]


def test_c2sp_seven_leaf_example() -> None:
    # c2sp.org/merkle-tree "Example": leaves a..g, nodes h..l.
    a, b, c, d, e, f, g = leaves_of(7)
    h, i, j = node_hash(a, b), node_hash(c, d), node_hash(e, f)
    k, l_ = node_hash(h, i), node_hash(j, g)
    root = node_hash(k, l_)
    read = reader_from_leaves([a, b, c, d, e, f, g])
    assert tree_hash(7, read) == root
    assert inclusion_proof(0, 7, read) == [b, i, l_]
    assert inclusion_proof(3, 7, read) == [c, h, l_]
    assert inclusion_proof(4, 7, read) == [f, g, k]
    assert inclusion_proof(6, 7, read) == [j, k]
    assert consistency_proof(3, 7, read) == [c, d, h, l_]
    assert consistency_proof(4, 7, read) == [l_]
    assert consistency_proof(6, 7, read) == [j, g, k]


def test_rfc6962_reference_consistency_proof_2_to_5() -> None:
    leaves = [leaf_hash(d) for d in RFC6962_LEAVES[:5]]
    proof = consistency_proof(2, 5, reader_from_leaves(leaves))
    assert [p.hex() for p in proof] == [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ]


# --------------------------------------------------------------------------- verification errors


def test_verify_inclusion_reasons() -> None:
    leaves = leaves_of(5)
    root = root_from_leaves(leaves)
    proof = inclusion_proof(2, 5, reader_from_leaves(leaves))
    verify_inclusion(leaves[2], 2, 5, proof, root)
    cases = [
        ((leaves[2], 5, 5, proof, root), "not below tree size"),
        ((leaves[2], 0, 0, [], EMPTY_ROOT), "not below tree size"),
        ((leaves[2][:31], 2, 5, proof, root), "leaf hash is 31 bytes"),
        ((leaves[2], 2, 5, proof, root + b"\x00"), "root hash is 33 bytes"),
        ((leaves[2], 2, 5, [*proof[:1], b"x", *proof[2:]], root), r"proof\[1\] is 1 bytes"),
        ((leaves[2], 2, 5, [*proof, root], root), "too long"),
        ((leaves[2], 2, 5, proof[:-1], root), "too short"),
        ((leaves[3], 2, 5, proof, root), "does not lead"),
        ((leaves[2], -1, 5, proof, root), "outside"),
        ((leaves[2], 2, 2**63, proof, root), "outside"),
    ]
    for args, reason in cases:
        with pytest.raises(ProofError, match=reason):
            verify_inclusion(*args)


def test_verify_consistency_reasons() -> None:
    leaves = leaves_of(7)
    read = reader_from_leaves(leaves)
    r3, r7 = root_from_leaves(leaves[:3]), root_from_leaves(leaves)
    proof = consistency_proof(3, 7, read)
    verify_consistency(3, 7, proof, r3, r7)
    verify_consistency(7, 7, [], r7, r7)
    cases = [
        ((7, 3, proof, r7, r3), "larger than size2"),
        ((0, 7, [], EMPTY_ROOT, r7), "empty tree is meaningless"),
        ((0, 0, [], EMPTY_ROOT, EMPTY_ROOT), "empty tree is meaningless"),
        ((7, 7, [r7], r7, r7), "proof is not empty"),
        ((7, 7, [], r7, r3), "roots differ"),
        ((3, 7, [], r3, r7), "proof is empty"),
        ((3, 7, [*proof, r7], r3, r7), "too long"),
        ((3, 7, proof[:-1], r3, r7), "too short"),
        ((3, 7, proof, r7, r7), "root1"),
        ((3, 7, proof, r3, r3), "root2"),
        ((3, 7, proof, r3[:16], r7), "root1 is 16 bytes"),
    ]
    for args, reason in cases:
        with pytest.raises(ProofError, match=reason):
            verify_consistency(*args)


def test_proof_error_is_a_value_error_with_reason() -> None:
    with pytest.raises(ValueError, match="empty tree") as info:
        verify_consistency(0, 1, [], EMPTY_ROOT, EMPTY_ROOT)
    assert isinstance(info.value, ProofError)
    assert info.value.reason == "a consistency proof from the empty tree is meaningless"


def test_generation_refuses_bad_arguments() -> None:
    read = reader_from_leaves(leaves_of(4))
    with pytest.raises(ValueError, match="not in a tree of size 4"):
        inclusion_proof(4, 4, read)
    with pytest.raises(ValueError, match="size1 <= size2"):
        consistency_proof(5, 4, read)
    assert consistency_proof(0, 4, read) == []
    assert consistency_proof(4, 4, read) == []
    with pytest.raises(ValueError, match="not a valid subtree"):
        subtree_consistency_proof(Subtree(1, 3), 4, read)
    with pytest.raises(ValueError, match="not a valid subtree"):
        subtree_inclusion_proof(0, Subtree(2, 2), read)


# --------------------------------------------------------------------------- properties


@FAST
@given(st.integers(1, 300), st.data())
def test_inclusion_proofs_verify_for_every_index(size: int, data: st.DataObject) -> None:
    leaves = leaves_of(size)
    root = reference_root(leaves)
    read, batches = stored_reader(leaves)
    for index in range(size):
        proof = inclusion_proof(index, size, read)
        verify_inclusion(leaves[index], index, size, proof, root)
        assert root_from_inclusion_proof(leaves[index], index, size, proof) == root
    # One batched read per proof (none for a single leaf), O(log n) nodes each.
    assert len(batches) == (size if size > 1 else 0)
    assert all(len(batch) <= 2 * size.bit_length() for batch in batches)
    if size > 1:
        index = data.draw(st.integers(0, size - 1))
        wrong = data.draw(st.integers(0, size - 1).filter(lambda i: i != index))
        proof = inclusion_proof(index, size, read)
        with pytest.raises(ProofError):
            verify_inclusion(leaves[index], wrong, size, proof, root)


@FAST
@given(st.integers(1, 400).flatmap(lambda n: st.tuples(st.integers(1, n), st.just(n))))
def test_any_prefix_is_consistent_with_any_later_size(sizes: tuple[int, int]) -> None:
    size1, size2 = sizes
    leaves = leaves_of(size2)
    read, batches = stored_reader(leaves)
    root1, root2 = reference_root(leaves[:size1]), reference_root(leaves)
    proof = consistency_proof(size1, size2, read)
    verify_consistency(size1, size2, proof, root1, root2)
    verify_subtree_consistency(Subtree(0, size1), size2, proof, root1, root2)
    assert len(batches) <= 1
    assert sum(len(b) for b in batches) <= 2 * size2.bit_length() + 1


@FAST
@given(st.integers(2, 200), st.data())
def test_any_flipped_bit_fails_inclusion(size: int, data: st.DataObject) -> None:
    leaves = leaves_of(size)
    index = data.draw(st.integers(0, size - 1))
    read, _ = stored_reader(leaves)
    proof = inclusion_proof(index, size, read)
    root = reference_root(leaves)
    part = data.draw(st.sampled_from(["leaf", "root", "proof"]))
    bit = data.draw(st.integers(0, 255))
    leaf = leaves[index]
    if part == "leaf":
        leaf = flip(leaf, bit)
    elif part == "root":
        root = flip(root, bit)
    else:
        i = data.draw(st.integers(0, len(proof) - 1))
        proof[i] = flip(proof[i], bit)
    with pytest.raises(ProofError):
        verify_inclusion(leaf, index, size, proof, root)


@FAST
@given(
    st.integers(2, 300).flatmap(lambda n: st.tuples(st.integers(1, n - 1), st.just(n))), st.data()
)
def test_any_flipped_bit_fails_consistency(sizes: tuple[int, int], data: st.DataObject) -> None:
    size1, size2 = sizes
    leaves = leaves_of(size2)
    read, _ = stored_reader(leaves)
    proof = consistency_proof(size1, size2, read)
    root1, root2 = reference_root(leaves[:size1]), reference_root(leaves)
    part = data.draw(st.sampled_from(["root1", "root2", "proof"]))
    bit = data.draw(st.integers(0, 255))
    if part == "root1":
        root1 = flip(root1, bit)
    elif part == "root2":
        root2 = flip(root2, bit)
    else:
        i = data.draw(st.integers(0, len(proof) - 1))
        proof[i] = flip(proof[i], bit)
    with pytest.raises(ProofError):
        verify_consistency(size1, size2, proof, root1, root2)
    with pytest.raises(ProofError):
        verify_subtree_consistency(Subtree(0, size1), size2, proof, root1, root2)


HASHES = st.binary(min_size=32, max_size=32)


@settings(max_examples=300, deadline=None)
@given(
    st.integers(0, 70),
    st.integers(0, 70),
    st.lists(HASHES, max_size=9),
    HASHES,
    HASHES,
)
def test_rfc_and_subtree_consistency_verifiers_agree_on_junk(
    size1: int, size2: int, proof: list[bytes], root1: bytes, root2: bytes
) -> None:
    # Random inputs never raise anything but ProofError, and both algorithms
    # (RFC 9162 iteration, plan walk) refuse exactly the same ones.
    def accepted_by_rfc() -> bool:
        try:
            verify_consistency(size1, size2, proof, root1, root2)
        except ProofError:
            return False
        return True

    def accepted_by_plan() -> bool:
        try:
            verify_subtree_consistency(Subtree(0, size1), size2, proof, root1, root2)
        except ProofError:
            return False
        return True

    outcomes = [accepted_by_rfc(), accepted_by_plan()]
    if size1 == 0:  # the empty tree has no consistency proof in either form
        assert outcomes == [False, False]
    assert outcomes[0] == outcomes[1]


@st.composite
def subtrees(draw: st.DrawFn) -> tuple[int, int, int]:
    width = draw(st.integers(1, 64))
    align = 1 << (width - 1).bit_length()
    start = align * draw(st.integers(0, 6))
    size = draw(st.integers(start + width, start + width + 100))
    return start, start + width, size


@FAST
@given(subtrees(), st.data())
def test_subtree_proofs_round_trip(bounds: tuple[int, int, int], data: st.DataObject) -> None:
    start, end, size = bounds
    subtree = Subtree(start, end)
    assert is_valid_subtree(start, end)
    leaves = leaves_of(size)
    read, _ = stored_reader(leaves)
    sub_root = subtree_hash(subtree, read)
    assert sub_root == reference_root(leaves[start:end])
    root = reference_root(leaves)
    proof = subtree_consistency_proof(subtree, size, read)
    verify_subtree_consistency(subtree, size, proof, sub_root, root)
    index = data.draw(st.integers(start, end - 1))
    inc = subtree_inclusion_proof(index, subtree, read)
    verify_subtree_inclusion(leaves[index], index, subtree, inc, sub_root)
    if proof:
        i = data.draw(st.integers(0, len(proof) - 1))
        bad = [*proof[:i], flip(proof[i], data.draw(st.integers(0, 255))), *proof[i + 1 :]]
        with pytest.raises(ProofError):
            verify_subtree_consistency(subtree, size, bad, sub_root, root)
    with pytest.raises(ProofError):
        verify_subtree_consistency(subtree, size, proof, flip(sub_root, 0), root)


def test_subtree_validity() -> None:
    assert is_valid_subtree(0, 1)
    assert is_valid_subtree(8, 13)
    assert is_valid_subtree(4, 8)
    assert not is_valid_subtree(4, 9)  # width 5 needs 8-alignment
    assert not is_valid_subtree(1, 3)
    assert not is_valid_subtree(2, 2)
    assert not is_valid_subtree(3, 2)
    assert not is_valid_subtree(0, 2**63)


# --------------------------------------------------------------------------- compact range


@FAST
@given(st.integers(0, 600))
def test_compact_range_root_matches_definition(size: int) -> None:
    leaves = leaves_of(size)
    frontier = CompactRange()
    for n, leaf in enumerate(leaves, start=1):
        frontier.append(leaf)
        assert frontier.size == n
    assert frontier.root() == reference_root(leaves) == root_from_leaves(leaves)
    assert len(frontier.hashes) == size.bit_count()


@FAST
@given(st.integers(0, 500).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_compact_range_resumes_after_serialisation(cut_total: tuple[int, int]) -> None:
    cut, total = cut_total
    leaves = leaves_of(total)
    straight = CompactRange()
    straight_nodes = straight.extend(leaves)
    first = CompactRange()
    nodes = first.extend(leaves[:cut])
    blob = first.to_bytes()
    assert len(blob) == 9 + 32 * cut.bit_count()
    resumed = CompactRange.from_bytes(blob)
    assert resumed == first
    nodes += resumed.extend(leaves[cut:])
    assert resumed == straight
    assert nodes == straight_nodes
    assert resumed.root() == reference_root(leaves)


def test_compact_range_serialisation_known_bytes() -> None:
    frontier = CompactRange()
    frontier.extend(leaves_of(3))
    blob = frontier.to_bytes()
    assert blob[:9] == bytes.fromhex("010000000000000003")
    assert blob[9:] == root_from_leaves(leaves_of(2)) + leaves_of(3)[2]
    assert CompactRange().to_bytes() == bytes.fromhex("010000000000000000")


@pytest.mark.parametrize(
    "blob",
    [
        b"",
        bytes.fromhex("020000000000000000"),
        bytes.fromhex("010000000000000001"),
        bytes.fromhex("01000000000000000000"),
        bytes.fromhex("018000000000000000"),
        bytes.fromhex("010000000000000001") + b"\x00" * 33,
    ],
)
def test_compact_range_refuses_bad_bytes(blob: bytes) -> None:
    with pytest.raises(ValueError, match="compact range"):
        CompactRange.from_bytes(blob)


def test_compact_range_append_reports_completed_subtrees() -> None:
    frontier = CompactRange()
    a, b, c, d = leaves_of(4)
    assert frontier.append(a) == [(NodeID(0, 0), a)]
    ab = node_hash(a, b)
    assert frontier.append(b) == [(NodeID(0, 1), b), (NodeID(1, 0), ab)]
    assert frontier.append(c) == [(NodeID(0, 2), c)]
    cd = node_hash(c, d)
    assert frontier.append(d) == [
        (NodeID(0, 3), d),
        (NodeID(1, 1), cd),
        (NodeID(2, 0), node_hash(ab, cd)),
    ]
    with pytest.raises(ValueError, match="32 bytes"):
        frontier.append(b"short")


@FAST
@given(st.integers(0, 400))
def test_compact_range_rebuilds_from_stored_hashes(size: int) -> None:
    leaves = leaves_of(size)
    read, _ = stored_reader(leaves)
    rebuilt = CompactRange.from_reader(size, read)
    assert rebuilt.root() == reference_root(leaves)
    assert [n.end - n.start for n in frontier_nodes(size)] == [
        1 << b for b in reversed(range(size.bit_length())) if size >> b & 1
    ]


# --------------------------------------------------------------------------- stored indexes


def test_stored_hash_index_follows_append_order() -> None:
    frontier = CompactRange()
    order = [node for leaf in leaves_of(300) for node, _ in frontier.append(leaf)]
    assert [stored_hash_index(n.level, n.index) for n in order] == list(range(len(order)))
    assert [split_stored_hash_index(i) for i in range(len(order))] == order
    assert stored_hash_count(300) == len(order)


def test_stored_hash_index_known_values() -> None:
    # leaf0, leaf1, node(1,0), leaf2, leaf3, node(1,1), node(2,0), leaf4 ...
    assert [stored_hash_index(0, i) for i in range(5)] == [0, 1, 3, 4, 7]
    assert stored_hash_index(1, 0) == 2
    assert stored_hash_index(1, 1) == 5
    assert stored_hash_index(2, 0) == 6
    assert split_stored_hash_index(6) == NodeID(2, 0)


@FAST
@given(st.integers(0, 40), st.integers(0, 2**40))
def test_stored_hash_index_round_trips(level: int, index: int) -> None:
    assert split_stored_hash_index(stored_hash_index(level, index)) == NodeID(level, index)


def test_reader_from_node_function_and_bad_readers() -> None:
    leaves = leaves_of(6)
    store = dict(CompactRange().extend(leaves))
    read = reader_from_node_function(lambda level, index: store[NodeID(level, index)])
    assert tree_hash(6, read) == reference_root(leaves)
    with pytest.raises(ValueError, match="returned 0 hashes"):
        tree_hash(6, lambda nodes: [])
    with pytest.raises(ValueError, match="returned 3 bytes"):
        tree_hash(6, lambda nodes: [b"abc"] * len(nodes))
    with pytest.raises(ValueError, match="not complete"):
        reader_from_leaves(leaves)([NodeID(3, 0)])
