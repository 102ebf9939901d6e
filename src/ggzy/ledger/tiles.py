"""C2SP tlog-tiles (瓦片) for static serving of the ledger tree. Pure, no Django.

Implements https://c2sp.org/tlog-tiles with SHA-256 and tile height 8:

* ``tile/<L>/<N>[.p/<W>]`` holds ``W`` (1..256) consecutive hashes of tree
  level ``8·L``; at level 0 these are leaf hashes, above each hash is the root
  of a *full* tile one level down. ``N`` is written in 3-digit path elements,
  all but the last prefixed ``x`` (``1234067`` → ``x001/x234/067``).
* Partial tiles (``.p/<W>``, ``W < 256``) exist only at the right edge; for a
  tree of size ``s`` the partial tile at level ``L`` has ``(s >> 8L) mod 256``
  hashes. Empty tiles are never served.
* ``tile/entries/<N>[.p/<W>]`` bundles the leaf *data* of the level-0 tile
  ``N``, each entry prefixed by its big-endian uint16 length.

Tree nodes use :class:`ggzy.ledger.merkle.NodeID`; hashes come through a
batched :data:`ggzy.ledger.merkle.HashReader`, and :func:`tile_hash_reader`
turns a tile fetcher back into one, so proofs can be built from tiles.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from ggzy.ledger.merkle import HASH_SIZE, MAX_TREE_SIZE, HashReader, NodeID, node_hash

__all__ = [
    "MAX_ENTRY_SIZE",
    "MAX_TILE_LEVEL",
    "TILE_HEIGHT",
    "TILE_WIDTH",
    "EntryBundleID",
    "TileID",
    "bundles_to_publish",
    "decode_entry_bundle",
    "decode_tile_index",
    "encode_entry_bundle",
    "encode_tile_index",
    "node_from_tile",
    "parse_entry_bundle_path",
    "parse_tile_path",
    "read_tile",
    "split_tile",
    "tile_for_node",
    "tile_hash_reader",
    "tile_nodes",
    "tile_width",
    "tiles_for_size",
    "tiles_to_publish",
]

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT  # 256 hashes, 8192 bytes
MAX_TILE_LEVEL = 63
#: Entries are framed by a uint16 length.
MAX_ENTRY_SIZE = 0xFFFF

_LEVEL_RE = r"(0|[1-9][0-9]?)"
_INDEX_RE = r"((?:x[0-9]{3}/)*[0-9]{3})"
_WIDTH_RE = r"(?:\.p/([1-9][0-9]{0,2}))?"
_TILE_PATH = re.compile(rf"tile/{_LEVEL_RE}/{_INDEX_RE}{_WIDTH_RE}")
_BUNDLE_PATH = re.compile(rf"tile/entries/{_INDEX_RE}{_WIDTH_RE}")


def encode_tile_index(index: int) -> str:
    """``1234067`` → ``x001/x234/067``: 3-digit elements, all but the last ``x``-prefixed."""
    if index < 0:
        raise ValueError("tile index must be non-negative")
    groups = [f"{index % 1000:03d}"]
    index //= 1000
    while index:
        groups.append(f"x{index % 1000:03d}")
        index //= 1000
    return "/".join(reversed(groups))


def decode_tile_index(text: str) -> int:
    """Inverse of :func:`encode_tile_index`; refuses redundant leading ``x000`` elements."""
    if not re.fullmatch(_INDEX_RE, text):
        raise ValueError(f"malformed tile index {text!r}")
    parts = text.split("/")
    if len(parts) > 1 and parts[0] == "x000":
        raise ValueError(f"tile index {text!r} has a leading zero element")
    value = 0
    for part in parts:
        value = value * 1000 + int(part.lstrip("x"))
    return value


def _check_width(width: int) -> None:
    if not 1 <= width <= TILE_WIDTH:
        raise ValueError(f"tile width {width} is outside 1..{TILE_WIDTH}")


@dataclass(frozen=True, order=True)
class TileID:
    """Tile ``index`` at tile ``level`` holding ``width`` hashes (256 = full)."""

    level: int
    index: int
    width: int = TILE_WIDTH

    def __post_init__(self) -> None:
        if not 0 <= self.level <= MAX_TILE_LEVEL:
            raise ValueError(f"tile level {self.level} is outside 0..{MAX_TILE_LEVEL}")
        if self.index < 0:
            raise ValueError("tile index must be non-negative")
        _check_width(self.width)

    @property
    def is_full(self) -> bool:
        return self.width == TILE_WIDTH

    @property
    def path(self) -> str:
        """``tile/<L>/<N>[.p/<W>]``."""
        suffix = "" if self.is_full else f".p/{self.width}"
        return f"tile/{self.level}/{encode_tile_index(self.index)}{suffix}"

    def full(self) -> TileID:
        """The full tile this (possibly partial) tile grows into."""
        return TileID(self.level, self.index)


@dataclass(frozen=True, order=True)
class EntryBundleID:
    """Entry bundle ``index`` holding ``width`` entries: the data of level-0 tile ``index``."""

    index: int
    width: int = TILE_WIDTH

    def __post_init__(self) -> None:
        if self.index < 0:
            raise ValueError("bundle index must be non-negative")
        _check_width(self.width)

    @property
    def path(self) -> str:
        """``tile/entries/<N>[.p/<W>]``."""
        suffix = "" if self.width == TILE_WIDTH else f".p/{self.width}"
        return f"tile/entries/{encode_tile_index(self.index)}{suffix}"

    @property
    def first_entry(self) -> int:
        return self.index * TILE_WIDTH


def parse_tile_path(path: str) -> TileID:
    """Strictly parse ``tile/<L>/<N>[.p/<W>]`` (no leading zeros, ``W`` in 1..255)."""
    match = _TILE_PATH.fullmatch(path)
    if match is None:
        raise ValueError(f"malformed tile path {path!r}")
    level_text, index_text, width_text = match.groups()
    level = int(level_text)
    width = TILE_WIDTH if width_text is None else int(width_text)
    if width_text is not None and width >= TILE_WIDTH:
        raise ValueError(f"partial tile width must be below {TILE_WIDTH} in {path!r}")
    return TileID(level, decode_tile_index(index_text), width)


def parse_entry_bundle_path(path: str) -> EntryBundleID:
    """Strictly parse ``tile/entries/<N>[.p/<W>]``."""
    match = _BUNDLE_PATH.fullmatch(path)
    if match is None:
        raise ValueError(f"malformed entry bundle path {path!r}")
    index_text, width_text = match.groups()
    width = TILE_WIDTH if width_text is None else int(width_text)
    if width_text is not None and width >= TILE_WIDTH:
        raise ValueError(f"partial bundle width must be below {TILE_WIDTH} in {path!r}")
    return EntryBundleID(decode_tile_index(index_text), width)


# --------------------------------------------------------------------------- tile geometry


def _check_tree_size(size: int) -> None:
    if not 0 <= size <= MAX_TREE_SIZE:
        raise ValueError(f"tree size {size} is outside [0, 2^63-1]")


def tile_width(level: int, index: int, size: int) -> int:
    """How many hashes tile ``(level, index)`` holds in a tree of ``size`` leaves (0..256)."""
    _check_tree_size(size)
    available = (size >> (TILE_HEIGHT * level)) - index * TILE_WIDTH
    return max(0, min(TILE_WIDTH, available))


def tiles_for_size(size: int) -> list[TileID]:
    """Every tile of a tree of ``size`` leaves, level by level (for small trees and tests)."""
    return tiles_to_publish(0, size)


def tiles_to_publish(old_size: int, new_size: int) -> list[TileID]:
    """Tiles to write when the tree grows from ``old_size`` to ``new_size`` leaves.

    Every tile that gained hashes, at its width for ``new_size``: newly full
    tiles and at most one partial tile per level. Earlier partial tiles may
    be deleted once the full tile exists.
    """
    _check_tree_size(new_size)
    if not 0 <= old_size <= new_size:
        raise ValueError(f"need 0 <= old_size <= new_size, got {old_size} and {new_size}")
    tiles: list[TileID] = []
    for level in range(MAX_TILE_LEVEL + 1):
        old_count = old_size >> (TILE_HEIGHT * level)
        new_count = new_size >> (TILE_HEIGHT * level)
        if new_count == old_count:  # nothing new here, so nothing new above either
            break
        first = old_count // TILE_WIDTH
        last = (new_count - 1) // TILE_WIDTH
        for index in range(first, last + 1):
            tiles.append(TileID(level, index, tile_width(level, index, new_size)))
    return tiles


def bundles_to_publish(old_size: int, new_size: int) -> list[EntryBundleID]:
    """Entry bundles to write when the tree grows from ``old_size`` to ``new_size``."""
    return [
        EntryBundleID(tile.index, tile.width)
        for tile in tiles_to_publish(old_size, new_size)
        if tile.level == 0
    ]


def tile_nodes(tile: TileID) -> list[NodeID]:
    """The tree nodes whose hashes, in order, make up ``tile``."""
    base = tile.index * TILE_WIDTH
    return [NodeID(TILE_HEIGHT * tile.level, base + i) for i in range(tile.width)]


def tile_for_node(node: NodeID) -> tuple[TileID, int, int]:
    """Where a node lives: ``(full tile, first position, count)``.

    The node's hash is the root of the ``count`` (a power of two, ≤ 256)
    hashes of that tile from ``first`` on; ``count == 1`` when the node's
    level is a multiple of 8.
    """
    tile_level, height_in_tile = divmod(node.level, TILE_HEIGHT)
    first_hash = node.index << height_in_tile  # index of its first hash at level 8·L
    tile_index, first = divmod(first_hash, TILE_WIDTH)
    return TileID(tile_level, tile_index), first, 1 << height_in_tile


# --------------------------------------------------------------------------- tile data


def read_tile(tile: TileID, read: HashReader) -> bytes:
    """Build a tile's bytes (``width × 32``) from stored hashes."""
    nodes = tile_nodes(tile)
    got = list(read(nodes))
    if len(got) != len(nodes) or any(len(h) != HASH_SIZE for h in got):
        raise ValueError(f"hash reader returned bad hashes for {tile.path}")
    return b"".join(got)


def split_tile(data: bytes, width: int | None = None) -> list[bytes]:
    """The hashes in a tile's bytes; with ``width``, the length must match exactly."""
    if len(data) % HASH_SIZE or not data:
        raise ValueError(f"tile data of {len(data)} bytes is not a list of hashes")
    count = len(data) // HASH_SIZE
    if count > TILE_WIDTH:
        raise ValueError(f"tile data holds {count} hashes, more than {TILE_WIDTH}")
    if width is not None and count != width:
        raise ValueError(f"tile data holds {count} hashes, want {width}")
    return [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]


def node_from_tile(node: NodeID, tile: TileID, data: bytes) -> bytes:
    """Read a subtree hash back out of the bytes of the tile holding it.

    Also accepts the full tile just below a node whose level is a multiple of
    8: that node is the root of the whole tile (how tiles chain to parents).
    """
    home, first, count = tile_for_node(node)
    below = node.level % TILE_HEIGHT == 0 and node.level > 0 and tile.is_full
    if below and (tile.level, tile.index) == (node.level // TILE_HEIGHT - 1, node.index):
        first, count = 0, TILE_WIDTH
    elif (home.level, home.index) != (tile.level, tile.index):
        raise ValueError(f"{node} lives in {home.path}, not {tile.path}")
    hashes_ = split_tile(data, tile.width)
    if first + count > len(hashes_):
        raise ValueError(f"{node} is not complete in {tile.path}")
    layer = hashes_[first : first + count]
    while len(layer) > 1:
        layer = [node_hash(layer[i], layer[i + 1]) for i in range(0, len(layer), 2)]
    return layer[0]


def tile_hash_reader(size: int, fetch: Callable[[TileID], bytes]) -> HashReader:
    """A :data:`HashReader` answering from tiles of the tree of ``size`` leaves.

    ``fetch(tile)`` returns the bytes of a tile at the width the tree has
    (full, or the partial width for ``size``); each tile is fetched once per
    batch. This trusts the tiles: a client checks what it derives against a
    verified checkpoint (proof verification does that).
    """
    _check_tree_size(size)

    def read(nodes: Sequence[NodeID]) -> list[bytes]:
        cache: dict[tuple[int, int], tuple[TileID, bytes]] = {}
        out: list[bytes] = []
        for node in nodes:
            if node.end > size:
                raise ValueError(f"{node} is not complete in a tree of size {size}")
            home, _, _ = tile_for_node(node)
            key = (home.level, home.index)
            if key not in cache:
                width = tile_width(home.level, home.index, size)
                tile = TileID(home.level, home.index, width)
                cache[key] = (tile, fetch(tile))
            tile, data = cache[key]
            out.append(node_from_tile(node, tile, data))
        return out

    return read


# --------------------------------------------------------------------------- entry bundles


def encode_entry_bundle(entries: Iterable[bytes]) -> bytes:
    """Concatenate entries, each prefixed by its big-endian uint16 length."""
    out = bytearray()
    count = 0
    for entry in entries:
        if len(entry) > MAX_ENTRY_SIZE:
            raise ValueError(f"entry of {len(entry)} bytes exceeds {MAX_ENTRY_SIZE}")
        out += len(entry).to_bytes(2, "big")
        out += entry
        count += 1
    if count > TILE_WIDTH:
        raise ValueError(f"a bundle holds at most {TILE_WIDTH} entries")
    return bytes(out)


def decode_entry_bundle(data: bytes, width: int | None = None) -> list[bytes]:
    """Split an entry bundle; refuses truncation, and a count other than ``width`` if given."""
    entries: list[bytes] = []
    pos = 0
    while pos < len(data):
        if pos + 2 > len(data):
            raise ValueError("entry bundle ends inside a length prefix")
        length = int.from_bytes(data[pos : pos + 2], "big")
        pos += 2
        if pos + length > len(data):
            raise ValueError("entry bundle ends inside an entry")
        entries.append(data[pos : pos + length])
        pos += length
        if len(entries) > TILE_WIDTH:
            raise ValueError(f"entry bundle holds more than {TILE_WIDTH} entries")
    if width is not None and len(entries) != width:
        raise ValueError(f"entry bundle holds {len(entries)} entries, want {width}")
    return entries
