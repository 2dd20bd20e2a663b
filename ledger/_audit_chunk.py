"""One aligned chunk of the audit, checked on its own (in a worker process or in-line).

Everything about an entry that needs no other chunk is checked here: the stored bytes parse;
the index columns agree with them; the ``prev`` links inside the chunk; the log clock; the
signer's key was valid at that position (from the key timeline the main process replayed);
the signature verifies; and every stored Merkle node inside the chunk equals the recomputed
one. The chunk starts at a multiple of its length, so its subtree is a perfect node of the
whole tree; the main process stitches chunks together (see :mod:`ledger._audit`).
"""

from __future__ import annotations

import base64
import hashlib
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger._errors import LedgerError
from ledger._keys import GENESIS, KeyRing
from ledger._merkle import leaf_hash
from ledger._record import statement_bytes_of
from ledger._store import LEVEL_SHIFT, Store, open_engine
from ledger._tree import CompactRange

__all__ = ["ChunkResult", "ChunkTask", "check_chunk"]


@dataclass(frozen=True)
class ChunkTask:
    """What a worker needs: where the entries are, and the keys valid over time."""

    url: str
    log_id: int
    origin: str
    begin: int
    end: int
    ring: KeyRing
    sizes_of_interest: frozenset[int]  # checkpoint sizes whose root the main process needs


@dataclass
class ChunkResult:
    """What a chunk reports back for stitching. ``failure`` is the chunk's first, if any."""

    begin: int
    end: int
    first_prev: bytes = b""
    last_hash: bytes = b""
    first_time: str = ""
    last_time: str = ""
    border: list[tuple[int, bytes]] = field(default_factory=list)  # (level, hash), largest first
    borders_at: dict[int, list[tuple[int, bytes]]] = field(default_factory=dict)
    failure: tuple[int, str] | None = None
    cpu_seconds: float = 0.0  # what checking the chunk cost the process that did it


class _Bad(Exception):
    def __init__(self, seq: int, reason: str) -> None:
        super().__init__(reason)
        self.seq, self.reason = seq, reason


@lru_cache(maxsize=4)
def _store(url: str, log_id: int, origin: str) -> Store:
    # One engine per worker process and database, reused across chunks.
    return Store(open_engine(url), log_id, origin)


@lru_cache(maxsize=4096)
def _public_key(raw: bytes) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(raw)


def check_chunk(task: ChunkTask, store: Store | None = None) -> ChunkResult:
    """Check entries ``[task.begin, task.end)``; never raises for what it finds.

    Args:
        task: the chunk.
        store: the caller's store when run in-line; a worker process opens its own.
    """
    started = time.process_time()
    store = store or _store(task.url, task.log_id, task.origin)
    result = ChunkResult(task.begin, task.end)
    with store.read() as conn:
        rows = store.entry_rows(conn, task.begin, task.end)
        stored = store.nodes_completed_by(conn, task.begin, task.end, top=_level_of(task))
    tree = CompactRange()
    prev: bytes | None = None
    last_time = ""
    try:
        for offset, row in enumerate(rows):
            seq = task.begin + offset
            if row.seq != seq:
                raise _Bad(seq, f"entry {seq} is missing (the next stored entry is {row.seq})")
            record_prev, log_time = _check_entry(row, seq, task.ring)
            if prev is None:
                result.first_prev, result.first_time = record_prev, log_time
            elif record_prev != prev:
                raise _Bad(seq, f"entry {seq}: prev does not match the hash of entry {seq - 1}")
            if log_time < last_time:
                raise _Bad(seq, f"entry {seq}: log time runs backwards")
            prev, last_time = leaf_hash(row.leaf), log_time
            for (level, index), value in tree.append(prev):
                stored_id = (level << LEVEL_SHIFT) | ((task.begin >> level) + index)
                if stored.get(stored_id) != value:
                    key = (level, (task.begin >> level) + index)
                    raise _Bad(seq, f"entry {seq}: stored Merkle node {key} does not match")
            if seq + 1 in task.sizes_of_interest:
                result.borders_at[seq + 1] = _levelled(tree)
        if len(rows) < task.end - task.begin:
            seq = task.begin + len(rows)
            raise _Bad(seq, f"entry {seq} is missing")
    except _Bad as bad:
        result.failure = (bad.seq, bad.reason)
    result.last_hash, result.last_time = prev or b"", last_time
    result.border = _levelled(tree)
    result.cpu_seconds = time.process_time() - started
    return result


def _level_of(task: ChunkTask) -> int:
    """The highest level a node inside this chunk can have."""
    return max(task.end - task.begin, 1).bit_length() - 1


def _levelled(tree: CompactRange) -> list[tuple[int, bytes]]:
    return [
        (level, value) for (level, _), value in zip(tree.border_keys(), tree.border, strict=True)
    ]


def _check_entry(row: Any, seq: int, ring: KeyRing) -> tuple[bytes, str]:
    """Check one entry on its own; return its prev link and log time."""
    leaf = row.leaf
    try:
        value = orjson.loads(leaf)
        statement = value["statement"]
        kind, key_id, log_time = statement["kind"], statement["key"], value["log_time"]
        signed = statement_bytes_of(leaf)
        signature = base64.b64decode(value["sig"], validate=True)
        prev = bytes.fromhex(value["prev"])
        record_seq = value["seq"]
    except (ValueError, TypeError, KeyError, AttributeError, LedgerError) as e:
        raise _Bad(seq, f"entry {seq}: the record bytes do not parse ({e})") from e
    if type(record_seq) is not int or record_seq != seq:  # True == 1 in Python; not here
        raise _Bad(seq, f"entry {seq} holds the record of position {record_seq!r}")
    if (
        row.statement_hash != hashlib.sha256(signed).digest()
        or row.kind != kind
        or row.key_id != key_id
        or row.log_time != log_time
        or not isinstance(log_time, str)
    ):
        raise _Bad(seq, f"entry {seq}: index columns disagree with the record bytes")
    try:
        if seq == 0:
            # The main process replayed the genesis entry in full; here it must be that one.
            if kind != GENESIS or not ring.roots or key_id != ring.roots[0]:
                raise _Bad(0, "entry 0 is not the genesis entry signed by its root key")
            public_key = ring.keys[key_id].public_key
        else:
            public_key = ring.signer_of(seq, kind, key_id).public_key
    except LedgerError as e:
        raise _Bad(seq, f"entry {seq}: {e}") from e
    try:
        _public_key(public_key).verify(signature, signed)
    except (InvalidSignature, ValueError) as e:
        raise _Bad(seq, f"entry {seq}: signature does not verify with key {key_id}") from e
    return prev, log_time
