"""Merkle proofs built from stored perfect-subtree hashes, in O(log n), never by rehashing.

The store keeps the hash of every *perfect* subtree: node ``(level, index)`` covers leaves
``[index * 2**level, (index + 1) * 2**level)``. Every range that RFC 9162's recursion visits
starts at a multiple of a power of two at least its length, so its hash is a right fold of
at most ``log2 n`` stored nodes (its binary decomposition). A proof therefore needs
``O(log n)`` stored nodes, all named up front and fetched in one round trip.

:class:`CompactRange` is the log's write-side companion: it holds the right border of the
tree (one hash per set bit of the size) and yields the perfect nodes each new leaf completes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ledger._errors import ProofError
from ledger._merkle import EMPTY_ROOT, HASH_SIZE, node_hash

__all__ = [
    "CompactRange",
    "NodeFetcher",
    "NodeKey",
    "consistency_proof",
    "inclusion_proof",
    "root_at",
]

#: ``(level, index)`` of a perfect subtree.
NodeKey = tuple[int, int]

#: Returns the stored hash of each requested perfect subtree (all of them, or raises).
NodeFetcher = Callable[[Sequence[NodeKey]], Mapping[NodeKey, bytes]]


def root_at(size: int, fetch: NodeFetcher) -> bytes:
    """Return the Merkle tree hash of the first ``size`` leaves (``size >= 0``)."""
    if size < 0:
        raise ProofError(f"expected size >= 0, got {size}")
    if size == 0:
        return EMPTY_ROOT
    keys = _range_keys(0, size)
    return _fold(keys, _fetch_all(keys, fetch))


def inclusion_proof(index: int, size: int, fetch: NodeFetcher) -> list[bytes]:
    """Return the RFC 9162 §2.1.3.1 inclusion proof of leaf ``index`` in a tree of ``size``.

    Requires ``0 <= index < size``. Hashes are ordered from the leaf up.
    """
    if not 0 <= index < size:
        raise ProofError(f"expected 0 <= index < size, got index {index}, size {size}")
    ranges: list[tuple[int, int]] = []
    begin, end = 0, size
    while end - begin > 1:
        split = begin + _largest_power_of_two_below(end - begin)
        if index < split:
            ranges.append((split, end))
            end = split
        else:
            ranges.append((begin, split))
            begin = split
    ranges.reverse()
    return _range_hashes(ranges, fetch)


def consistency_proof(size1: int, size2: int, fetch: NodeFetcher) -> list[bytes]:
    """Return the RFC 9162 §2.1.4.1 consistency proof between tree sizes.

    Requires ``0 < size1 <= size2``; equal sizes give an empty proof.
    """
    if not 0 < size1 <= size2:
        raise ProofError(f"expected 0 < size1 <= size2, got size1 {size1}, size2 {size2}")
    ranges: list[tuple[int, int]] = []
    begin, end, complete = 0, size2, True
    # SUBPROOF(size1 - begin, D[begin:end], complete), unrolled: the recursion only descends,
    # and stops where the old tree's last subtree ends exactly at ``end``.
    while size1 != end:
        k = _largest_power_of_two_below(end - begin)
        if size1 - begin <= k:
            ranges.append((begin + k, end))
            end = begin + k
        else:
            ranges.append((begin, begin + k))
            begin += k
            complete = False
    if not complete:
        ranges.append((begin, end))
    ranges.reverse()
    return _range_hashes(ranges, fetch)


@dataclass
class CompactRange:
    """The right border of a tree: enough to extend it and compute its root.

    ``border`` holds one hash per set bit of ``size``, largest subtree first.
    """

    size: int = 0
    border: list[bytes] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.size < 0 or len(self.border) != bin(self.size).count("1"):
            raise ProofError(
                f"expected {bin(max(self.size, 0)).count('1')} border hashes for size "
                f"{self.size}, got {len(self.border)}"
            )

    def append(self, leaf: bytes) -> list[tuple[NodeKey, bytes]]:
        """Add a leaf hash; return every perfect node it completes, leaf level first."""
        return self.append_subtree(0, leaf)

    def append_subtree(self, level: int, value: bytes) -> list[tuple[NodeKey, bytes]]:
        """Add the hash of a perfect subtree of ``2**level`` leaves at the current end.

        Requires the size to be a multiple of ``2**level`` (the subtree is aligned). Returns
        the subtree's own node and every node it completes, lowest level first.
        """
        if self.size % (1 << level):
            raise ProofError(f"a subtree of 2**{level} leaves cannot start at {self.size}")
        index = self.size >> level
        completed: list[tuple[NodeKey, bytes]] = [((level, index), value)]
        start = level
        # Like adding to a binary counter: each 1-bit of the size from here up merges.
        while (index >> (level - start)) & 1:
            value = node_hash(self.border.pop(), value)
            level += 1
            completed.append(((level, self.size >> level), value))
        self.border.append(value)
        self.size += 1 << start
        return completed

    def root(self) -> bytes:
        """Return the Merkle tree hash of the leaves appended so far."""
        if not self.border:
            return EMPTY_ROOT
        value = self.border[-1]
        for h in reversed(self.border[:-1]):
            value = node_hash(h, value)
        return value

    def to_bytes(self) -> bytes:
        """Serialise the border hashes (the size is stored beside them)."""
        return b"".join(self.border)

    @classmethod
    def from_bytes(cls, size: int, data: bytes) -> CompactRange:
        """Rebuild a range from :meth:`to_bytes` output and its size."""
        if len(data) % HASH_SIZE:
            raise ProofError(f"expected a multiple of {HASH_SIZE} border bytes, got {len(data)}")
        border = [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]
        return cls(size, border)

    def border_keys(self) -> list[NodeKey]:
        """Return the stored-node keys of the border hashes, largest subtree first."""
        return _range_keys(0, self.size)


def _largest_power_of_two_below(n: int) -> int:
    """Return the largest power of two strictly less than ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


def _range_keys(begin: int, end: int) -> list[NodeKey]:
    """Return the perfect subtrees that tile ``[begin, end)``, largest first."""
    keys: list[NodeKey] = []
    while begin < end:
        level = (end - begin).bit_length() - 1
        keys.append((level, begin >> level))
        begin += 1 << level
    return keys


def _fold(keys: Sequence[NodeKey], nodes: Mapping[NodeKey, bytes]) -> bytes:
    value = nodes[keys[-1]]
    for key in reversed(keys[:-1]):
        value = node_hash(nodes[key], value)
    return value


def _fetch_all(keys: Iterable[NodeKey], fetch: NodeFetcher) -> Mapping[NodeKey, bytes]:
    wanted = sorted(set(keys))
    nodes = fetch(wanted)
    missing = [k for k in wanted if k not in nodes]
    if missing:
        raise ProofError(f"the store lacks Merkle nodes {missing[:4]} (level, index)")
    return nodes


def _range_hashes(ranges: Sequence[tuple[int, int]], fetch: NodeFetcher) -> list[bytes]:
    per_range = [_range_keys(b, e) for b, e in ranges]
    nodes = _fetch_all((k for keys in per_range for k in keys), fetch)
    return [_fold(keys, nodes) for keys in per_range]
