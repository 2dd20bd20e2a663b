"""Proofs built from stored perfect subtrees equal RFC 6962's naive definitions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import ProofError
from ledger._merkle import leaf_hash, verify_consistency, verify_inclusion
from ledger._tree import CompactRange, NodeKey, consistency_proof, inclusion_proof, root_at
from tests.ledger.test_merkle import naive_path, naive_root, naive_subproof


class CountingStore:
    """A dict of perfect-subtree nodes that counts what each proof reads."""

    def __init__(self, size: int) -> None:
        self.nodes: dict[NodeKey, bytes] = {}
        self.reads = 0
        self.range = CompactRange()
        for i in range(size):
            self.nodes.update(self.range.append(leaf_hash(i.to_bytes(4, "big"))))

    def fetch(self, keys: Sequence[NodeKey]) -> Mapping[NodeKey, bytes]:
        self.reads += len(keys)
        return {k: self.nodes[k] for k in keys if k in self.nodes}


def _leaves(n: int) -> list[bytes]:
    return [i.to_bytes(4, "big") for i in range(n)]


@settings(max_examples=80, deadline=None)
@given(size=st.integers(1, 90), data=st.data())
def test_stored_node_proofs_equal_naive_proofs(size: int, data: Any) -> None:
    store = CountingStore(size)
    leaves = _leaves(size)
    assert store.range.root() == naive_root(leaves)
    assert root_at(size, store.fetch) == naive_root(leaves)
    index = data.draw(st.integers(0, size - 1))
    assert inclusion_proof(index, size, store.fetch) == naive_path(index, leaves)
    size1 = data.draw(st.integers(1, size))
    assert consistency_proof(size1, size, store.fetch) == naive_subproof(size1, leaves, True)
    # An older size is answered from the same store: nodes are never rewritten.
    assert root_at(size1, store.fetch) == naive_root(leaves[:size1])


def test_every_leaf_of_a_ragged_tree_proves_inclusion() -> None:
    size = 1000
    store = CountingStore(size)
    root = store.range.root()
    verified = 0
    for index in range(size):
        proof = inclusion_proof(index, size, store.fetch)
        verify_inclusion(index, size, leaf_hash(index.to_bytes(4, "big")), proof, root)
        verified += 1
    for size1 in range(1, size + 1, 37):
        proof = consistency_proof(size1, size, store.fetch)
        verify_consistency(size1, size, proof, root_at(size1, store.fetch), root)
        verified += 1
    assert verified == size + len(range(1, size + 1, 37))  # verify_* raise on any failure


def test_proofs_read_logarithmically_many_nodes() -> None:
    size = 2**16 - 3
    store = CountingStore(size)
    for index in (0, 12345, size - 1):
        store.reads = 0
        inclusion_proof(index, size, store.fetch)
        assert store.reads <= 2 * size.bit_length()
    store.reads = 0
    consistency_proof(777, size, store.fetch)
    assert store.reads <= 2 * size.bit_length()


def test_compact_range_round_trips_through_bytes() -> None:
    store = CountingStore(77)
    again = CompactRange.from_bytes(77, store.range.to_bytes())
    assert again.root() == store.range.root()
    assert again.border_keys() == [(6, 0), (3, 8), (2, 18), (0, 76)]


def test_missing_nodes_are_a_clear_error() -> None:
    with pytest.raises(ProofError, match="lacks Merkle nodes"):
        inclusion_proof(3, 8, lambda keys: {})
    with pytest.raises(ProofError, match="expected 0 < size1 <= size2, got size1 9, size2 8"):
        consistency_proof(9, 8, lambda keys: {})
    with pytest.raises(ProofError, match="expected 2 border hashes for size 3, got 1"):
        CompactRange(3, [bytes(32)])
