"""The lot-status map's hashing and proofs: pure, bytes in, verdict out.

The map commits to every lot's derived status (docs/adr/0017-lot-status-map.md): lot key ->
value ``{"status", "entries"}`` (the lifecycle status and the sorted ledger positions it
rests on). Two levels keep updates and proofs small:

- a lot's bucket is the first 16 bits (big-endian) of SHA-256 of its key (UTF-8);
- a bucket's hash is ``SHA-256(0x00 || JCS([[key, hex(SHA-256(JCS(value)))], ...]))`` over
  its lots sorted by key (an empty bucket hashes ``[]``);
- a binary Merkle tree over the 65,536 bucket hashes, in bucket order, with node hash
  ``SHA-256(0x01 || left || right)``, gives the root.

JCS is RFC 8785 (``ledger.canonical_bytes``), as for everything else the ledger hashes. A
proof for a key is its bucket's pairs and the 16 sibling hashes from the bucket up: it
shows the key's value, or that the key is absent (no pair in its bucket names it).
``verifier_app/static/statusmap.js`` is the same check for the phone;
``tests/verifier_app/vectors/statusmap.json`` holds the cases both must pass.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ledger import canonical_bytes

__all__ = [
    "DEPTH",
    "MapProof",
    "MapProofError",
    "bucket_hash",
    "bucket_of",
    "empty_hashes",
    "map_value",
    "node_hash",
    "proof_from_json",
    "proof_to_json",
    "root_from_map_proof",
    "value_hash",
    "verify_map_proof",
]

#: Levels of the bucket tree: 2**16 buckets.
DEPTH = 16


class MapProofError(ValueError):
    """A map proof that does not hold (or is malformed), with what was expected."""


def map_value(status: str, entries: Iterable[int]) -> dict[str, Any]:
    """The value a lot maps to: its status and the sorted positions it rests on."""
    return {"status": status, "entries": sorted({int(e) for e in entries})}


def value_hash(value: Mapping[str, Any]) -> bytes:
    """SHA-256 of the value's canonical JSON."""
    return hashlib.sha256(canonical_bytes(dict(value))).digest()


def bucket_of(key: str) -> int:
    """The bucket a lot key falls in: the first 16 bits of SHA-256(key)."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:2], "big")


def bucket_hash(pairs: Iterable[tuple[str, bytes]]) -> bytes:
    """Hash one bucket's ``(lot key, value hash)`` pairs (any order; sorted by key here)."""
    rows = sorted((key, digest.hex()) for key, digest in pairs)
    return hashlib.sha256(b"\x00" + canonical_bytes([list(r) for r in rows])).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """An inner node of the bucket tree (domain-separated from bucket hashes)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def empty_hashes() -> list[bytes]:
    """The hash of an all-empty subtree at each level, 0 (a bucket) to :data:`DEPTH` (root)."""
    out = [bucket_hash([])]
    for _ in range(DEPTH):
        out.append(node_hash(out[-1], out[-1]))
    return out


@dataclass(frozen=True)
class MapProof:
    """A lot key's proof: its bucket's pairs and the sibling hashes from the bucket up.

    Attributes:
        key: the lot key asked about (its GS1 element string).
        bucket: every ``(lot key, value hash)`` pair in the key's bucket.
        siblings: :data:`DEPTH` hashes, the bucket's sibling first.
    """

    key: str
    bucket: tuple[tuple[str, bytes], ...]
    siblings: tuple[bytes, ...]


def root_from_map_proof(proof: MapProof) -> bytes:
    """Return the root the proof leads to (requires :data:`DEPTH` 32-byte siblings).

    Raises:
        MapProofError: wrong number or size of siblings, a malformed pair, a pair in the
            wrong bucket, or a key twice.
    """
    if len(proof.siblings) != DEPTH:
        raise MapProofError(f"expected {DEPTH} sibling hashes, got {len(proof.siblings)}")
    index = bucket_of(proof.key)
    seen: set[str] = set()
    for key, digest in proof.bucket:
        if len(digest) != 32:
            raise MapProofError(f"value hash of {key!r}: expected 32 bytes, got {len(digest)}")
        if bucket_of(key) != index:
            raise MapProofError(f"{key!r} does not belong in bucket {index}")
        if key in seen:
            raise MapProofError(f"{key!r} is in the bucket twice")
        seen.add(key)
    digest = bucket_hash(proof.bucket)
    for level, sibling in enumerate(proof.siblings):
        if len(sibling) != 32:
            raise MapProofError(f"sibling {level}: expected 32 bytes, got {len(sibling)}")
        digest = node_hash(sibling, digest) if (index >> level) & 1 else node_hash(digest, sibling)
    return digest


def verify_map_proof(proof: MapProof, root: bytes, value: Mapping[str, Any] | None) -> None:
    """Check that the map of ``root`` maps ``proof.key`` to ``value`` (None: to nothing).

    Raises:
        MapProofError: the proof leads to another root, or the bucket holds another value
            for the key (or one where None was claimed, or none where a value was).
    """
    if root_from_map_proof(proof) != root:
        raise MapProofError("the bucket and siblings do not lead to the map's root")
    held = dict(proof.bucket).get(proof.key)
    if value is None:
        if held is not None:
            raise MapProofError(f"{proof.key!r} is in the map, claimed absent")
        return
    if held is None:
        raise MapProofError(f"{proof.key!r} is absent from the map")
    if held != value_hash(value):
        raise MapProofError(f"the map holds another value for {proof.key!r}")


def proof_from_json(data: Mapping[str, Any]) -> MapProof:
    """Read ``{"key", "bucket": [[key, hex]], "siblings": [base64]}`` (the page's form).

    Raises:
        MapProofError: a member is missing or not of the expected form.
    """
    try:
        bucket = tuple((str(k), bytes.fromhex(str(h))) for k, h in data["bucket"])
        siblings = tuple(base64.b64decode(str(s), validate=True) for s in data["siblings"])
        return MapProof(str(data["key"]), bucket, siblings)
    except (KeyError, TypeError, ValueError, binascii.Error) as e:
        raise MapProofError(f"malformed map proof: {e}") from e


def proof_to_json(proof: MapProof) -> dict[str, Any]:
    """The page's form of a proof (see :func:`proof_from_json`)."""
    return {
        "key": proof.key,
        "bucket": [[k, h.hex()] for k, h in proof.bucket],
        "siblings": [base64.b64encode(s).decode() for s in proof.siblings],
    }
