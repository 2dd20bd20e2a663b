"""RFC 6962 hashing and proof verification against third-party vectors and a naive tree."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import ProofError
from ledger._merkle import (
    EMPTY_ROOT,
    leaf_hash,
    node_hash,
    root_from_inclusion_proof,
    verify_consistency,
    verify_inclusion,
)

MERKLE = Path(__file__).resolve().parents[2] / "tests" / "vectors" / "conformance" / "merkle"


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((MERKLE / name).read_text())
    return data


def _b64(value: str | None) -> bytes:
    return base64.b64decode(value) if value else b""


def _proof(value: list[str] | None) -> list[bytes]:
    return [base64.b64decode(h) for h in value or []]


def naive_root(leaves: list[bytes]) -> bytes:
    """RFC 6962 §2.1 MTH, written straight from the definition."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaf_hash(leaves[0])
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(naive_root(leaves[:k]), naive_root(leaves[k:]))


def naive_path(m: int, leaves: list[bytes]) -> list[bytes]:
    """RFC 6962 §2.1.1 PATH(m, D[n])."""
    if len(leaves) == 1:
        return []
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    if m < k:
        return [*naive_path(m, leaves[:k]), naive_root(leaves[k:])]
    return [*naive_path(m - k, leaves[k:]), naive_root(leaves[:k])]


def naive_subproof(m: int, leaves: list[bytes], complete: bool) -> list[bytes]:
    """RFC 6962 §2.1.2 SUBPROOF(m, D[n], b)."""
    n = len(leaves)
    if m == n:
        return [] if complete else [naive_root(leaves)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return [*naive_subproof(m, leaves[:k], complete), naive_root(leaves[k:])]
    return [*naive_subproof(m - k, leaves[k:], False), naive_root(leaves[:k])]


# --- RFC 6962 reference tree (transparency-dev/merkle testonly) -------------------------


def test_reference_tree_roots_match_every_size() -> None:
    tree = _load("rfc6962_reference_tree.json")
    leaves = [bytes.fromhex(h) for h in tree["leaf_inputs_hex"]]
    for size, root_hex in enumerate(tree["root_hashes_hex_by_tree_size"]):
        assert naive_root(leaves[:size]).hex() == root_hex
    assert EMPTY_ROOT.hex() == tree["root_hashes_hex_by_tree_size"][0]


def test_reference_inclusion_proofs_verify() -> None:
    tree = _load("rfc6962_reference_tree.json")
    leaves = [bytes.fromhex(h) for h in tree["leaf_inputs_hex"]]
    roots = [bytes.fromhex(h) for h in tree["root_hashes_hex_by_tree_size"]]
    for case in tree["inclusion_proofs"]:
        index, size = case["leaf_index"], case["tree_size"]
        proof = [bytes.fromhex(h) for h in case["proof_hex"]]
        assert naive_path(index, leaves[:size]) == proof
        verify_inclusion(index, size, leaf_hash(leaves[index]), proof, roots[size])


def test_reference_consistency_proofs_verify() -> None:
    tree = _load("rfc6962_reference_tree.json")
    leaves = [bytes.fromhex(h) for h in tree["leaf_inputs_hex"]]
    roots = [bytes.fromhex(h) for h in tree["root_hashes_hex_by_tree_size"]]
    for case in tree["consistency_proofs"]:
        size1, size2 = case["size1"], case["size2"]
        proof = [bytes.fromhex(h) for h in case["proof_hex"]]
        assert naive_subproof(size1, leaves[:size2], True) == proof
        verify_consistency(size1, size2, proof, roots[size1], roots[size2])


# --- transparency-dev/merkle testdata probes: most must be rejected ---------------------

INCLUSION = _load("tdev_merkle_inclusion.json")["cases"]
CONSISTENCY = _load("tdev_merkle_consistency.json")["cases"]


@pytest.mark.parametrize("case", INCLUSION, ids=[c["source_path"] for c in INCLUSION])
def test_tdev_inclusion_probe(case: dict[str, Any]) -> None:
    def run() -> None:
        verify_inclusion(
            case["leafIdx"],
            case["treeSize"],
            _b64(case["leafHash"]),
            _proof(case["proof"]),
            _b64(case["root"]),
        )

    if case["wantErr"]:
        with pytest.raises(ProofError):
            run()
    else:
        run()


@pytest.mark.parametrize("case", CONSISTENCY, ids=[c["source_path"] for c in CONSISTENCY])
def test_tdev_consistency_probe(case: dict[str, Any]) -> None:
    def run() -> None:
        verify_consistency(
            case["size1"],
            case["size2"],
            _proof(case["proof"]),
            _b64(case["root1"]),
            _b64(case["root2"]),
        )

    if case["wantErr"]:
        with pytest.raises(ProofError):
            run()
    else:
        run()


def test_vector_files_hold_many_must_reject_cases() -> None:
    # Guards against a vector file silently shrinking to only happy paths.
    assert sum(c["wantErr"] for c in INCLUSION) > 50
    assert sum(c["wantErr"] for c in CONSISTENCY) > 50


# --- a real Certificate Transparency log (Argon 2020, size 961,984,013) -----------------


def test_ct_argon2020_inclusion_and_consistency() -> None:
    ct = _load("ct_argon2020.json")
    size = ct["sth"]["tree_size"]
    root = base64.b64decode(ct["sth"]["sha256_root_hash"])
    leaf = leaf_hash(base64.b64decode(ct["entries"]["entries"][0]["leaf_input"]))
    assert leaf == base64.b64decode(ct["expected"]["leaf_hash_b64"])
    path = _proof(ct["proof_by_hash"]["audit_path"])
    assert len(path) == ct["expected"]["inclusion_proof_length"]
    verify_inclusion(ct["entry_index"], size, leaf, path, root)

    old_size = ct["consistency_first_size"]
    old_root = base64.b64decode(ct["consistency_first_root_hash"])
    proof = _proof(ct["sth_consistency"]["consistency"])
    verify_consistency(old_size, size, proof, old_root, root)
    with pytest.raises(ProofError):
        verify_consistency(old_size, size, proof, root, old_root)


# --- properties against the naive reference ---------------------------------------------


@settings(max_examples=60, deadline=None)
@given(size=st.integers(1, 70), data=st.data())
def test_every_inclusion_proof_verifies_and_any_flipped_bit_fails(size: int, data: Any) -> None:
    leaves = [i.to_bytes(4, "big") for i in range(size)]
    root = naive_root(leaves)
    index = data.draw(st.integers(0, size - 1))
    proof = naive_path(index, leaves)
    leaf = leaf_hash(leaves[index])
    assert root_from_inclusion_proof(index, size, leaf, proof) == root

    target = data.draw(st.sampled_from(["leaf", "root", *(["proof"] if proof else [])]))
    bit = data.draw(st.integers(0, 255))

    def flip(value: bytes) -> bytes:
        changed = bytearray(value)
        changed[bit // 8] ^= 1 << (bit % 8)
        return bytes(changed)

    if target == "leaf":
        leaf = flip(leaf)
    elif target == "root":
        root = flip(root)
    else:
        i = data.draw(st.integers(0, len(proof) - 1))
        proof = [*proof[:i], flip(proof[i]), *proof[i + 1 :]]
    with pytest.raises(ProofError):
        verify_inclusion(index, size, leaf, proof, root)


@settings(max_examples=60, deadline=None)
@given(size2=st.integers(1, 70), data=st.data())
def test_consistency_between_any_two_sizes_verifies(size2: int, data: Any) -> None:
    leaves = [i.to_bytes(4, "big") for i in range(size2)]
    size1 = data.draw(st.integers(1, size2))
    proof = naive_subproof(size1, leaves, True)
    root1, root2 = naive_root(leaves[:size1]), naive_root(leaves)
    verify_consistency(size1, size2, proof, root1, root2)
    if proof:
        i = data.draw(st.integers(0, len(proof) - 1))
        tampered = [*proof[:i], bytes(32), *proof[i + 1 :]]
        with pytest.raises(ProofError):
            verify_consistency(size1, size2, tampered, root1, root2)
    if size1 < size2:
        with pytest.raises(ProofError):
            verify_consistency(size1, size2, proof, root2, root1)


def test_wrong_length_hashes_are_refused_before_hashing() -> None:
    with pytest.raises(ProofError, match="expected a 32-byte leaf hash, got 31"):
        root_from_inclusion_proof(0, 1, bytes(31), [])
    with pytest.raises(ProofError, match="expected 0 <= index < size, got index 5, size 5"):
        root_from_inclusion_proof(5, 5, bytes(32), [])
