"""A tiled log read back from its tiles alone: roots, proofs and entries, checked against a root.

:class:`TiledTree` answers the same :data:`~ledger._tree.NodeFetcher` questions as the store
(the hash of perfect subtree ``(h, k)``) from fetched tiles: the subtree is hash ``k >> r``'s
share of tile level ``h // 8``, folded over ``2**r`` consecutive tile hashes (``r = h % 8``).
So roots, inclusion and consistency proofs come from the very code the log uses, with tiles
in place of the node table. Tiles are untrusted input: :meth:`TiledTree.verify_root` checks
the tree against a verified checkpoint, and :meth:`TiledTree.entries` checks every entry
against its leaf hash. The fetch function is the only I/O; it is the caller's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from ledger._errors import EncodingError, ProofError
from ledger._merkle import leaf_hash, node_hash
from ledger._tiles import ENTRIES, TILE_HEIGHT, decode_entry_bundle, decode_hash_tile, tile_for
from ledger._tree import NodeKey, consistency_proof, inclusion_proof, root_at

__all__ = ["Fetch", "TiledTree"]

#: Returns the body of a path under the log's prefix (e.g. ``tile/0/000``), or raises.
Fetch = Callable[[str], bytes]


class TiledTree:
    """The tree of ``size`` leaves of a tiled log, read lazily through ``fetch``.

    Each tile is fetched at most once and kept. Requires ``size >= 0``.
    """

    def __init__(self, size: int, fetch: Fetch) -> None:
        if size < 0:
            raise ProofError(f"expected a tree size >= 0, got {size}")
        self.size = size
        self._fetch = fetch
        self._tiles: dict[str, list[bytes]] = {}

    def _tile_hashes(self, level: int, index: int) -> list[bytes]:
        """Return the hashes of the tile holding hash ``index`` of tile level ``level``."""
        tile = tile_for(level, index, self.size)
        path = tile.path()
        if path not in self._tiles:
            if tile.is_entries:
                raise EncodingError("entry bundles hold entries, not hashes")
            self._tiles[path] = decode_hash_tile(self._fetch(path), tile)
        return self._tiles[path]

    def node(self, key: NodeKey) -> bytes:
        """Return the hash of perfect subtree ``(height, index)`` of the tree."""
        height, index = key
        level, rise = divmod(height, TILE_HEIGHT)
        first = index << rise
        if (first + (1 << rise)) << (level * TILE_HEIGHT) > self.size:
            raise ProofError(f"node {key} is not a complete subtree of a tree of {self.size}")
        tile = self._tile_hashes(level, first)
        offset = first % (1 << TILE_HEIGHT)
        row = tile[offset : offset + (1 << rise)]
        while len(row) > 1:  # the levels between tile rows are rehashed (tlog-tiles)
            row = [node_hash(row[i], row[i + 1]) for i in range(0, len(row), 2)]
        return row[0]

    def nodes(self, keys: Sequence[NodeKey]) -> Mapping[NodeKey, bytes]:
        """Return every requested subtree hash (a :data:`~ledger._tree.NodeFetcher`)."""
        return {key: self.node(key) for key in keys}

    def root(self) -> bytes:
        """Return the Merkle tree hash of the tree, from tiles."""
        return root_at(self.size, self.nodes)

    def verify_root(self, root: bytes) -> None:
        """Check the tiles against a trusted root (e.g. a verified checkpoint's).

        Raises:
            ProofError: the tiles lead to another root.
        """
        got = self.root()
        if got != root:
            raise ProofError(
                f"tiles lead to root {got.hex()} at size {self.size}, checkpoint says {root.hex()}"
            )

    def inclusion_proof(self, index: int) -> list[bytes]:
        """Return the inclusion proof of leaf ``index`` in this tree, from tiles."""
        return inclusion_proof(index, self.size, self.nodes)

    def consistency_proof(self, size1: int) -> list[bytes]:
        """Return the consistency proof from the tree of ``size1`` leaves to this one."""
        return consistency_proof(size1, self.size, self.nodes)

    def leaf_hashes(self, start: int, stop: int) -> list[bytes]:
        """Return the leaf hashes ``start <= i < stop`` from level-0 tiles."""
        if not 0 <= start <= stop <= self.size:
            raise ProofError(f"expected 0 <= start <= stop <= {self.size}, got {start}, {stop}")
        out: list[bytes] = []
        i = start
        while i < stop:
            tile = self._tile_hashes(0, i)
            offset = i % (1 << TILE_HEIGHT)
            take = min(len(tile) - offset, stop - i)
            out.extend(tile[offset : offset + take])
            i += take
        return out

    def entries(self, start: int, stop: int) -> list[bytes]:
        """Return entries ``start <= i < stop`` from entry bundles, each checked against its leaf.

        Raises:
            ProofError: an entry does not hash to the leaf hash in the level-0 tile.
            EncodingError: a bundle is malformed.
        """
        hashes = self.leaf_hashes(start, stop)
        out: list[bytes] = []
        i = start
        while i < stop:
            bundle = tile_for(ENTRIES, i, self.size)
            entries = decode_entry_bundle(self._fetch(bundle.path()), bundle)
            offset = i - bundle.first
            take = min(bundle.width - offset, stop - i)
            out.extend(entries[offset : offset + take])
            i += take
        for n, (entry, expected) in enumerate(zip(out, hashes, strict=True), start):
            if leaf_hash(entry) != expected:
                raise ProofError(f"entry {n} does not hash to leaf hash {expected.hex()}")
        return out
