"""RFC 6962 / RFC 9162 Merkle tree hashing and proof verification. Pure: bytes in, verdict out.

Shaped like transparency-dev/merkle ``proof/verify.go``: an inclusion proof for leaf
``index`` in a tree of ``size`` leaves splits into an *inner* part (siblings below the point
where the leaf's path meets the tree's right border) and a *border* part (left siblings on
the border). Verification validates every input before hashing and raises
:class:`~ledger.ProofError`; it never returns a truthy "result" to be forgotten.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from ledger._errors import ProofError

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "leaf_hash",
    "node_hash",
    "root_from_inclusion_proof",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32

#: RFC 6962 §2.1: the hash of an empty tree is the hash of the empty string.
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    """Return the RFC 6962 leaf hash SHA-256(0x00 ‖ data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the RFC 6962 interior node hash SHA-256(0x01 ‖ left ‖ right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_inclusion_proof(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """Return the root that an inclusion proof implies for a leaf hash.

    Requires ``0 <= index < size``, ``len(leaf) == 32`` and exactly as many 32-byte proof
    hashes as the tree shape dictates.

    Args:
        index: the leaf's position, 0-based.
        size: the tree size the proof is for.
        leaf: the leaf *hash* (see :func:`leaf_hash`), not the leaf data.
        proof: sibling hashes from the leaf up (RFC 9162 §2.1.3.1 order).

    Raises:
        ProofError: a precondition does not hold.
    """
    if not 0 <= index < size:
        raise ProofError(f"expected 0 <= index < size, got index {index}, size {size}")
    _check_hash("leaf hash", leaf)
    inner, border = _decompose_inclusion_proof(index, size)
    if len(proof) != inner + border:
        raise ProofError(
            f"expected {inner + border} hashes in the inclusion proof for leaf {index} "
            f"of {size}, got {len(proof)}"
        )
    for i, h in enumerate(proof):
        _check_hash(f"proof hash {i}", h)
    seed = _chain_inner(leaf, proof[:inner], index)
    return _chain_border_right(seed, proof[inner:])


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf`` is at ``index`` in the tree of ``size`` leaves with ``root``.

    Requires the preconditions of :func:`root_from_inclusion_proof`.

    Raises:
        ProofError: a precondition does not hold, or the proof leads to another root.
    """
    calculated = root_from_inclusion_proof(index, size, leaf, proof)
    if calculated != root:
        raise ProofError(
            f"inclusion proof for leaf {index} of {size} leads to root {calculated.hex()}, "
            f"expected {root.hex()}"
        )


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> None:
    """Check that the tree of ``size2`` leaves with ``root2`` extends the one of ``size1``.

    Requires ``0 < size1 <= size2``; an empty proof when ``size1 == size2`` (and then equal
    roots); 32-byte proof hashes; exactly as many hashes as the shape dictates.
    A consistency proof from the empty tree is refused: it proves nothing (as upstream).

    Raises:
        ProofError: a precondition does not hold, or the proof does not link the two roots.
    """
    # Roots are compared, not parsed: a root of the wrong length simply never matches
    # (upstream accepts equal sizes with equal, arbitrary root bytes; so do we).
    for i, h in enumerate(proof):
        _check_hash(f"proof hash {i}", h)
    if size1 <= 0:
        raise ProofError(f"expected size1 > 0 (a proof from the empty tree), got {size1}")
    if size2 < size1:
        raise ProofError(f"expected size2 >= size1, got size1 {size1}, size2 {size2}")
    if size1 == size2:
        if proof:
            raise ProofError(f"expected an empty proof for equal sizes, got {len(proof)} hashes")
        if root1 != root2:
            raise ProofError(f"roots differ at equal size {size1}")
        return
    if not proof:
        raise ProofError(f"expected a non-empty proof from size {size1} to {size2}")

    # The proof is a suffix of the inclusion proof of leaf size1-1 in the tree of size2,
    # starting at the level of size1's largest power-of-two left part (RFC 9162 §2.1.4.2).
    inner, border = _decompose_inclusion_proof(size1 - 1, size2)
    shift = _trailing_zeros(size1)
    inner -= shift
    if size1 == 1 << shift:
        # size1 is a power of two: its root is a node of the bigger tree, not in the proof.
        seed, rest = root1, list(proof)
    else:
        seed, rest = proof[0], list(proof[1:])
    if len(rest) != inner + border:
        expected = inner + border + (0 if size1 == 1 << shift else 1)
        raise ProofError(
            f"expected {expected} hashes in the consistency proof from {size1} to {size2}, "
            f"got {len(proof)}"
        )
    mask = (size1 - 1) >> shift
    hash1 = _chain_border_right(_chain_inner_right(seed, rest[:inner], mask), rest[inner:])
    if hash1 != root1:
        raise ProofError(
            f"consistency proof leads to root {hash1.hex()} at size {size1}, expected {root1.hex()}"
        )
    hash2 = _chain_border_right(_chain_inner(seed, rest[:inner], mask), rest[inner:])
    if hash2 != root2:
        raise ProofError(
            f"consistency proof leads to root {hash2.hex()} at size {size2}, expected {root2.hex()}"
        )


def _check_hash(what: str, value: bytes) -> None:
    if not isinstance(value, bytes) or len(value) != HASH_SIZE:
        got = len(value) if isinstance(value, bytes) else type(value).__name__
        raise ProofError(f"expected a {HASH_SIZE}-byte {what}, got {got}")


def _decompose_inclusion_proof(index: int, size: int) -> tuple[int, int]:
    """Return (inner, border) proof lengths for leaf ``index`` in a tree of ``size``."""
    inner = (index ^ (size - 1)).bit_length()
    border = bin(index >> inner).count("1")
    return inner, border


def _trailing_zeros(n: int) -> int:
    return (n & -n).bit_length() - 1


def _chain_inner(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    for i, h in enumerate(proof):
        seed = node_hash(seed, h) if (index >> i) & 1 == 0 else node_hash(h, seed)
    return seed


def _chain_inner_right(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    # Only right-child steps: the left siblings are what the smaller tree also contains.
    for i, h in enumerate(proof):
        if (index >> i) & 1 == 1:
            seed = node_hash(h, seed)
    return seed


def _chain_border_right(seed: bytes, proof: Sequence[bytes]) -> bytes:
    for h in proof:
        seed = node_hash(h, seed)
    return seed
