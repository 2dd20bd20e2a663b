"""The log's tiles, read from the store: hash tiles from stored nodes, bundles from leaves.

Nothing is rehashed: tile ``N`` at level ``L`` is 256 consecutive stored perfect-subtree
hashes at Merkle height ``8*L`` (one indexed range scan), and entry bundle ``N`` is 256
consecutive stored leaves with their length prefixes. A tile is served only when the tree of
the latest published checkpoint covers it, so every byte served is committed to by a signed
checkpoint; older partial tiles stay servable (their content never changes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ledger._errors import EncodingError, StoreError
from ledger._store import Store
from ledger._tiles import (
    TILE_HEIGHT,
    TileId,
    encode_entry_bundle,
    encode_hash_tile,
    parse_tile_path,
)

if TYPE_CHECKING:  # the store hands its connections through; no SQL here
    from sqlalchemy import Connection

__all__ = ["TileNotFoundError", "TileSource"]


class TileNotFoundError(StoreError):
    """The tile is not part of the tree of the latest checkpoint (or is not a tile path)."""


@dataclass(frozen=True)
class TileSource:
    """Reads tiles of one log's published tree from its store."""

    store: Store

    def checkpoint_size(self, conn: Connection | None = None) -> int:
        """Return the size of the latest published checkpoint (tiles are served up to it)."""
        if conn is None:
            with self.store.read() as c:
                return self.store.publication_state(c)[1]
        return self.store.publication_state(conn)[1]

    def read_path(self, path: str) -> tuple[TileId, bytes]:
        """Return the tile at a ``tile/...`` path and its bytes.

        Raises:
            TileNotFoundError: not a canonical tile path, or beyond the published tree.
            StoreError: the store lacks nodes or leaves it should hold.
        """
        try:
            tile = parse_tile_path(path)
        except EncodingError as e:
            raise TileNotFoundError(f"no such tile: {e}") from e
        with self.store.read() as conn:
            return tile, self.read(conn, tile, self.checkpoint_size(conn))

    def read(self, conn: Connection, tile: TileId, size: int) -> bytes:
        """Return the bytes of ``tile`` as part of the tree of ``size`` leaves.

        Raises:
            TileNotFoundError: the tree of ``size`` does not cover the tile.
            StoreError: the store lacks nodes or leaves it should hold.
        """
        available = size >> (TILE_HEIGHT * max(tile.level, 0))  # hashes at this level
        if tile.first + tile.width > available:
            raise TileNotFoundError(
                f"no tile {tile.path()}: the published tree of {size} entries has "
                f"{available} hashes at that level, the tile needs {tile.first + tile.width}"
            )
        start, stop = tile.first, tile.first + tile.width
        if tile.is_entries:
            leaves = self.store.leaf_range(conn, start, stop)
            self._check_count(tile, "entries", len(leaves))
            return encode_entry_bundle(leaves)
        hashes = self.store.node_range(conn, tile.merkle_level, start, stop)
        self._check_count(tile, "Merkle nodes", len(hashes))
        return encode_hash_tile(hashes)

    @staticmethod
    def _check_count(tile: TileId, what: str, got: int) -> None:
        if got != tile.width:
            raise StoreError(
                f"{tile.path()}: expected {tile.width} stored {what}, got {got}: "
                "the database was changed outside the ledger"
            )
