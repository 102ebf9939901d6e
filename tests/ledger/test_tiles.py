"""C2SP tlog-tiles: paths, tile sets, tile bytes and entry bundles."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ggzy.ledger.merkle import (
    CompactRange,
    NodeID,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_from_leaves,
    tree_hash,
)
from ggzy.ledger.tiles import (
    EntryBundleID,
    TileID,
    bundles_to_publish,
    decode_entry_bundle,
    decode_tile_index,
    encode_entry_bundle,
    encode_tile_index,
    node_from_tile,
    parse_entry_bundle_path,
    parse_tile_path,
    read_tile,
    split_tile,
    tile_for_node,
    tile_hash_reader,
    tile_nodes,
    tile_width,
    tiles_for_size,
    tiles_to_publish,
)

FAST = settings(max_examples=40, deadline=None)


def leaves_of(n: int) -> list[bytes]:
    return [leaf_hash(i.to_bytes(8, "big")) for i in range(n)]


@cache
def big_store(size: int) -> dict[NodeID, bytes]:
    return dict(CompactRange().extend(leaves_of(size)))


def store_reader(store: dict[NodeID, bytes]):  # type: ignore[no-untyped-def]
    def read(nodes: Sequence[NodeID]) -> list[bytes]:
        return [store[n] for n in nodes]

    return read


# --------------------------------------------------------------------------- paths


@pytest.mark.parametrize(
    ("index", "text"),
    [(0, "000"), (7, "007"), (999, "999"), (1000, "x001/000"), (1234067, "x001/x234/067")],
)
def test_tile_index_encoding(index: int, text: str) -> None:
    assert encode_tile_index(index) == text
    assert decode_tile_index(text) == index


def test_tile_paths_from_the_spec() -> None:
    assert TileID(0, 1234067).path == "tile/0/x001/x234/067"
    assert TileID(4, 1234067, 1).path == "tile/4/x001/x234/067.p/1"
    assert TileID(63, 0, 255).path == "tile/63/000.p/255"
    assert parse_tile_path("tile/4/x001/x234/067.p/1") == TileID(4, 1234067, 1)
    assert parse_tile_path("tile/0/x001/x234/067") == TileID(0, 1234067, 256)
    assert EntryBundleID(1234067, 17).path == "tile/entries/x001/x234/067.p/17"
    assert EntryBundleID(5).path == "tile/entries/005"
    assert parse_entry_bundle_path("tile/entries/x001/000.p/3") == EntryBundleID(1000, 3)


@pytest.mark.parametrize(
    "path",
    [
        "tile/00/000",
        "tile/01/000",
        "tile/64/000",
        "tile/-1/000",
        "tile/0/1",
        "tile/0/0001",
        "tile/0/x000/001",
        "tile/0/001/002",
        "tile/0/x001",
        "tile/0/000.p/0",
        "tile/0/000.p/007",
        "tile/0/000.p/256",
        "tile/0/000.p/",
        "tile/0/000/",
        "/tile/0/000",
        "tile/entries/000",
        "tile/data/000",
    ],
)
def test_parse_tile_path_is_strict(path: str) -> None:
    with pytest.raises(ValueError, match="tile"):
        parse_tile_path(path)


@pytest.mark.parametrize(
    "path", ["tile/entries/0", "tile/entries/000.p/256", "tile/entries/x000/001", "tile/0/000"]
)
def test_parse_entry_bundle_path_is_strict(path: str) -> None:
    with pytest.raises(ValueError, match=r"bundle|tile"):
        parse_entry_bundle_path(path)


@FAST
@given(st.integers(0, 63), st.integers(0, 10**12), st.integers(1, 256))
def test_tile_path_round_trips(level: int, index: int, width: int) -> None:
    tile = TileID(level, index, width)
    assert parse_tile_path(tile.path) == tile


def test_tile_id_validation() -> None:
    with pytest.raises(ValueError, match="level"):
        TileID(64, 0)
    with pytest.raises(ValueError, match="width"):
        TileID(0, 0, 0)
    with pytest.raises(ValueError, match="width"):
        TileID(0, 0, 257)
    with pytest.raises(ValueError, match="non-negative"):
        TileID(0, -1)


# --------------------------------------------------------------------------- tile sets


def test_tiles_of_a_tree_of_70000_match_the_spec() -> None:
    # c2sp.org/tlog-tiles: 273 full level-0 tiles, a level-0 partial of 112,
    # one full level-1 tile, a level-1 partial of 17, a level-2 partial of 1.
    tiles = tiles_for_size(70000)
    level0 = [t for t in tiles if t.level == 0]
    assert sum(t.is_full for t in level0) == 273
    assert [t for t in level0 if not t.is_full] == [TileID(0, 273, 112)]
    assert [t for t in tiles if t.level == 1] == [TileID(1, 0), TileID(1, 1, 17)]
    assert [t for t in tiles if t.level == 2] == [TileID(2, 0, 1)]
    assert len(tiles) == 277


def test_tiles_of_a_tree_of_256_match_the_spec() -> None:
    assert tiles_for_size(256) == [TileID(0, 0), TileID(1, 0, 1)]
    assert tiles_for_size(0) == []
    assert tiles_for_size(1) == [TileID(0, 0, 1)]


def test_tiles_to_publish_known_growth() -> None:
    assert tiles_to_publish(10, 10) == []
    assert tiles_to_publish(10, 20) == [TileID(0, 0, 20)]
    assert tiles_to_publish(250, 260) == [TileID(0, 0), TileID(0, 1, 4), TileID(1, 0, 1)]
    assert tiles_to_publish(256, 300) == [TileID(0, 1, 44)]
    assert bundles_to_publish(250, 260) == [EntryBundleID(0), EntryBundleID(1, 4)]
    with pytest.raises(ValueError, match="old_size <= new_size"):
        tiles_to_publish(5, 4)


@FAST
@given(st.integers(0, 300_000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_tiles_to_publish_is_exactly_the_new_tiles(sizes: tuple[int, int]) -> None:
    old, new = sizes
    published = tiles_to_publish(old, new)
    assert len(set(published)) == len(published)
    assert set(published) == set(tiles_for_size(new)) - set(tiles_for_size(old))
    for tile in published:
        assert tile.width == tile_width(tile.level, tile.index, new)


def test_tile_for_node() -> None:
    assert tile_for_node(NodeID(0, 300)) == (TileID(0, 1), 44, 1)
    assert tile_for_node(NodeID(3, 1)) == (TileID(0, 0), 8, 8)
    assert tile_for_node(NodeID(8, 0)) == (TileID(1, 0), 0, 1)
    assert tile_for_node(NodeID(9, 3)) == (TileID(1, 0), 6, 2)
    assert tile_for_node(NodeID(16, 2)) == (TileID(2, 0), 2, 1)
    assert tile_nodes(TileID(1, 2, 3)) == [NodeID(8, 512), NodeID(8, 513), NodeID(8, 514)]


# --------------------------------------------------------------------------- tile data


def test_tile_bytes_are_the_concatenated_hashes() -> None:
    leaves = leaves_of(300)
    store = big_store(300)
    read = store_reader(store)
    full = read_tile(TileID(0, 0), read)
    assert full == b"".join(leaves[:256])
    assert read_tile(TileID(0, 1, 44), read) == b"".join(leaves[256:300])
    assert read_tile(TileID(1, 0, 1), read) == root_from_leaves(leaves[:256])
    assert split_tile(full, 256) == leaves[:256]
    assert node_from_tile(NodeID(1, 0), TileID(0, 0), full) == node_hash(leaves[0], leaves[1])
    assert node_from_tile(NodeID(8, 0), TileID(0, 0), full) == store[NodeID(8, 0)]
    assert node_from_tile(NodeID(8, 0), TileID(1, 0, 1), store[NodeID(8, 0)]) == store[NodeID(8, 0)]
    with pytest.raises(ValueError, match="lives in"):
        node_from_tile(NodeID(8, 1), TileID(0, 0), full)
    with pytest.raises(ValueError, match="lives in"):
        node_from_tile(NodeID(0, 300), TileID(0, 0), full)
    with pytest.raises(ValueError, match="not complete"):
        node_from_tile(NodeID(3, 5), TileID(0, 0, 40), full[: 40 * 32])
    with pytest.raises(ValueError, match="want 40"):
        split_tile(full, 40)
    with pytest.raises(ValueError, match="not a list of hashes"):
        split_tile(full[:-1])


@pytest.mark.parametrize("size", [1, 255, 256, 257, 70000])
def test_proofs_from_tiles_equal_proofs_from_storage(size: int) -> None:
    store = big_store(size)
    stored = store_reader(store)
    tiles = {t: read_tile(t, stored) for t in tiles_for_size(size)}
    fetched: list[TileID] = []

    def fetch(tile: TileID) -> bytes:
        fetched.append(tile)
        return tiles[tile]

    from_tiles = tile_hash_reader(size, fetch)
    assert tree_hash(size, from_tiles) == tree_hash(size, stored)
    for index in {0, size // 3, size - 1}:
        assert inclusion_proof(index, size, from_tiles) == inclusion_proof(index, size, stored)
    for old in {1, size // 2, size - 1} - {0}:
        assert consistency_proof(old, size, from_tiles) == consistency_proof(old, size, stored)
    # Only tiles the tree has are asked for, and each at its published width.
    assert set(fetched) <= set(tiles)


def test_tile_hash_reader_fetches_each_tile_once_per_batch() -> None:
    size = 70000
    stored = store_reader(big_store(size))
    tiles = {t: read_tile(t, stored) for t in tiles_for_size(size)}
    fetched: list[TileID] = []

    def fetch(tile: TileID) -> bytes:
        fetched.append(tile)
        return tiles[tile]

    inclusion_proof(12345, size, tile_hash_reader(size, fetch))
    assert len(fetched) == len(set(fetched))
    assert len(fetched) <= 4
    with pytest.raises(ValueError, match="not complete"):
        tile_hash_reader(10, fetch)([NodeID(4, 0)])


# --------------------------------------------------------------------------- entry bundles


def test_entry_bundle_known_bytes() -> None:
    bundle = encode_entry_bundle([b"a", b"", b"\xff" * 258])
    assert bundle == b"\x00\x01a" + b"\x00\x00" + b"\x01\x02" + b"\xff" * 258
    assert decode_entry_bundle(bundle, 3) == [b"a", b"", b"\xff" * 258]
    assert encode_entry_bundle([]) == b""


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x00", "length prefix"),
        (b"\x00\x02a", "inside an entry"),
        (b"\x00\x01a\x00", "length prefix"),
        (b"\x00\x00" * 257, "more than 256"),
    ],
)
def test_entry_bundle_decoding_is_strict(data: bytes, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        decode_entry_bundle(data)


def test_entry_bundle_limits() -> None:
    with pytest.raises(ValueError, match="exceeds 65535"):
        encode_entry_bundle([b"x" * 65536])
    with pytest.raises(ValueError, match="at most 256"):
        encode_entry_bundle([b""] * 257)
    with pytest.raises(ValueError, match="want 2"):
        decode_entry_bundle(encode_entry_bundle([b"a"]), 2)


@FAST
@given(st.lists(st.binary(max_size=300), max_size=256))
def test_entry_bundle_round_trips_and_matches_level0_tile(entries: list[bytes]) -> None:
    bundle = encode_entry_bundle(entries)
    assert decode_entry_bundle(bundle) == entries
    if entries:
        hashes = [leaf_hash(e) for e in entries]
        frontier = CompactRange()
        store = dict(frontier.extend(hashes))
        tile = TileID(0, 0, len(entries))
        assert split_tile(read_tile(tile, store_reader(store)), tile.width) == hashes
