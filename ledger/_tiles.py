"""C2SP ``tlog-tiles`` encoding (c2sp.org/tlog-tiles): tile paths, hash tiles, entry bundles.

A tiled log is served as static files: ``checkpoint``, hash tiles ``tile/<L>/<N>[.p/<W>]``
and entry bundles ``tile/entries/<N>[.p/<W>]``. The ``i``-th hash of tile ``N`` at level
``L`` is the Merkle tree hash of leaves ``[(N*256+i) * 256**L, (N*256+i+1) * 256**L)`` —
that is, the perfect subtree at Merkle height ``8*L`` with index ``N*256+i``, exactly what
the ledger's node table already stores. Pure code: numbers and bytes in, paths and bytes out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ledger._errors import EncodingError
from ledger._merkle import HASH_SIZE

__all__ = [
    "ENTRIES",
    "MAX_ENTRY_BYTES",
    "TILE_HEIGHT",
    "TILE_WIDTH",
    "TileId",
    "decode_entry_bundle",
    "decode_hash_tile",
    "encode_entry_bundle",
    "encode_hash_tile",
    "encode_index",
    "parse_tile_path",
    "tiles_for_size",
]

#: tlog-tiles fixes the tile height at 8 Merkle levels, so a full tile holds 256 hashes.
TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
#: The pseudo-level of entry bundles (Go's ``tlog.Tile`` uses -1 for "data" the same way).
ENTRIES = -1
#: Entry bundles prefix each entry with a big-endian uint16 length.
MAX_ENTRY_BYTES = 0xFFFF
#: tlog-tiles: "<L> ... MUST be a decimal ASCII integer between 0 and 63".
MAX_LEVEL = 63

_LEVEL = re.compile(r"0|[1-9][0-9]?")
_WIDTH = re.compile(r"[1-9][0-9]{0,2}")
_ELEMENT = re.compile(r"x?[0-9]{3}")


@dataclass(frozen=True)
class TileId:
    """One tile (or entry bundle) of a tiled log.

    Attributes:
        level: The tile level, 0..63, or :data:`ENTRIES` for an entry bundle.
        index: The tile's index within its level, >= 0.
        width: How many hashes (entries) it holds: 256 for a full tile, 1..255 for a
            partial one.
    """

    level: int
    index: int
    width: int = TILE_WIDTH

    def __post_init__(self) -> None:
        for name in ("level", "index", "width"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise EncodingError(f"tile {name}: expected an int, got {type(value).__name__}")
        if self.level != ENTRIES and not 0 <= self.level <= MAX_LEVEL:
            raise EncodingError(f"tile level: expected 0..{MAX_LEVEL} or entries, got {self.level}")
        if self.index < 0:
            raise EncodingError(f"tile index: expected >= 0, got {self.index}")
        if not 1 <= self.width <= TILE_WIDTH:
            raise EncodingError(f"tile width: expected 1..{TILE_WIDTH}, got {self.width}")

    @property
    def full(self) -> bool:
        """Whether this is a full tile (immutable once written)."""
        return self.width == TILE_WIDTH

    @property
    def is_entries(self) -> bool:
        """Whether this is an entry bundle rather than a hash tile."""
        return self.level == ENTRIES

    @property
    def merkle_level(self) -> int:
        """The Merkle height of the subtrees whose hashes this tile holds (entries: 0)."""
        return 0 if self.is_entries else self.level * TILE_HEIGHT

    @property
    def first(self) -> int:
        """The index, at :attr:`merkle_level`, of the first subtree hash in the tile."""
        return self.index * TILE_WIDTH

    def leaf_span(self) -> tuple[int, int]:
        """Return the leaves ``[start, end)`` the hashes (entries) of this tile cover."""
        unit = 1 << self.merkle_level
        return self.first * unit, (self.first + self.width) * unit

    def path(self) -> str:
        """Return the tile's path under the log prefix, e.g. ``tile/1/x001/x234/067.p/17``."""
        level = "entries" if self.is_entries else str(self.level)
        partial = "" if self.full else f".p/{self.width}"
        return f"tile/{level}/{encode_index(self.index)}{partial}"


def encode_index(index: int) -> str:
    """Encode a tile index as zero-padded 3-digit path elements, all but the last ``x``-prefixed.

    >>> encode_index(1234067)
    'x001/x234/067'
    """
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise EncodingError(f"tile index: expected an int >= 0, got {index!r}")
    groups = [f"{index % 1000:03d}"]
    index //= 1000
    while index:
        groups.append(f"x{index % 1000:03d}")
        index //= 1000
    return "/".join(reversed(groups))


def parse_tile_path(path: str) -> TileId:
    """Parse ``tile/<L>/<N>[.p/<W>]`` or ``tile/entries/<N>[.p/<W>]``, refusing other spellings.

    Only the canonical spelling is accepted (no leading zeros in ``L`` or ``W``, the minimal
    number of index elements, ``.p/256`` never), so one tile has exactly one path.

    Raises:
        EncodingError: the path is not a canonical tile path.
    """
    parts = path.split("/")
    if len(parts) < 3 or parts[0] != "tile":
        raise EncodingError(f"tile path: expected tile/<L>/<N>[.p/<W>], got {path!r}")
    level_text, rest = parts[1], parts[2:]
    width = TILE_WIDTH
    if len(rest) >= 2 and rest[-2].endswith(".p"):
        if not _WIDTH.fullmatch(rest[-1]) or int(rest[-1]) >= TILE_WIDTH:
            raise EncodingError(f"tile path {path!r}: expected a width 1..255 after .p/")
        width = int(rest[-1])
        rest = [*rest[:-2], rest[-2][: -len(".p")]]
    if level_text == "entries":
        level = ENTRIES
    elif _LEVEL.fullmatch(level_text) and int(level_text) <= MAX_LEVEL:
        level = int(level_text)
    else:
        raise EncodingError(f"tile path {path!r}: expected a level 0..63 or 'entries'")
    if not all(_ELEMENT.fullmatch(p) for p in rest) or not rest:
        raise EncodingError(f"tile path {path!r}: expected index elements like x001/x234/067")
    if any(p.startswith("x") for p in rest[-1:]) or not all(p.startswith("x") for p in rest[:-1]):
        raise EncodingError(f"tile path {path!r}: all index elements but the last start with x")
    index = int("".join(p.lstrip("x") for p in rest))
    tile = TileId(level, index, width)
    if tile.path() != path:  # e.g. x000/001: a zero-padded, non-minimal index
        raise EncodingError(f"tile path {path!r}: not canonical, expected {tile.path()!r}")
    return tile


def tiles_for_size(size: int, *, entries: bool = True) -> Iterator[TileId]:
    """Yield every tile a tree of ``size`` leaves is served as, level by level.

    Level ``l`` has ``size // 256**(l+1)`` full tiles and, when ``size // 256**l`` is not a
    multiple of 256, one partial tile of that width mod 256 (tlog-tiles "Partial Tiles").
    Entry bundles mirror level 0. Empty tiles are never served.
    """
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise EncodingError(f"tree size: expected an int >= 0, got {size!r}")
    levels = [ENTRIES] if entries else []
    level = 0
    while size >> (TILE_HEIGHT * level):
        levels.append(level)
        level += 1
    for lvl in levels:
        hashes = size >> (TILE_HEIGHT * max(lvl, 0))  # subtree hashes at this level
        for index in range(hashes // TILE_WIDTH):
            yield TileId(lvl, index)
        if hashes % TILE_WIDTH:
            yield TileId(lvl, hashes // TILE_WIDTH, hashes % TILE_WIDTH)


def tile_for(level: int, index: int, size: int) -> TileId:
    """Return the tile holding hash ``index`` of tile level ``level`` in a tree of ``size``.

    Requires that hash to exist in the tree (``index < size // 256**level``): the tile is
    full if the tree covers it entirely, else partial with the tree's width.
    """
    hashes = size >> (TILE_HEIGHT * max(level, 0))
    if not 0 <= index < hashes:
        raise EncodingError(
            f"tile level {level}: expected a hash index below {hashes} for size {size}, got {index}"
        )
    n = index // TILE_WIDTH
    width = min(hashes - n * TILE_WIDTH, TILE_WIDTH)
    return TileId(level, n, width)


def encode_hash_tile(hashes: Sequence[bytes]) -> bytes:
    """Concatenate 1..256 subtree hashes into a hash tile."""
    if not 1 <= len(hashes) <= TILE_WIDTH:
        raise EncodingError(f"hash tile: expected 1..{TILE_WIDTH} hashes, got {len(hashes)}")
    for i, h in enumerate(hashes):
        if len(h) != HASH_SIZE:
            raise EncodingError(f"hash tile: hash {i} is {len(h)} bytes, expected {HASH_SIZE}")
    return b"".join(hashes)


def decode_hash_tile(data: bytes, tile: TileId) -> list[bytes]:
    """Split a hash tile into its hashes, refusing a body of the wrong length for ``tile``."""
    if len(data) != tile.width * HASH_SIZE:
        raise EncodingError(
            f"{tile.path()}: expected {tile.width * HASH_SIZE} bytes, got {len(data)}"
        )
    return [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]


def encode_entry_bundle(entries: Sequence[bytes]) -> bytes:
    """Encode 1..256 entries as an entry bundle: each is a big-endian uint16 length, then it."""
    if not 1 <= len(entries) <= TILE_WIDTH:
        raise EncodingError(f"entry bundle: expected 1..{TILE_WIDTH} entries, got {len(entries)}")
    out = bytearray()
    for i, entry in enumerate(entries):
        if len(entry) > MAX_ENTRY_BYTES:
            raise EncodingError(
                f"entry bundle: entry {i} is {len(entry)} bytes, "
                f"the uint16 length prefix allows at most {MAX_ENTRY_BYTES}"
            )
        out += len(entry).to_bytes(2, "big") + entry
    return bytes(out)


def decode_entry_bundle(data: bytes, tile: TileId) -> list[bytes]:
    """Split an entry bundle into exactly ``tile.width`` entries, or raise.

    Raises:
        EncodingError: a length runs past the end, or there are more or fewer entries.
    """
    entries: list[bytes] = []
    pos = 0
    while pos < len(data):
        if pos + 2 > len(data):
            raise EncodingError(f"{tile.path()}: truncated length prefix at byte {pos}")
        length = int.from_bytes(data[pos : pos + 2], "big")
        if pos + 2 + length > len(data):
            raise EncodingError(
                f"{tile.path()}: entry {len(entries)} needs {length} bytes at {pos + 2}, "
                f"the bundle has {len(data) - pos - 2}"
            )
        entries.append(data[pos + 2 : pos + 2 + length])
        pos += 2 + length
    if len(entries) != tile.width:
        raise EncodingError(f"{tile.path()}: expected {tile.width} entries, got {len(entries)}")
    return entries
