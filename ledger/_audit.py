"""The audit: recompute everything the log claims, trusting none of its derived tables.

For every entry, in order: the stored bytes parse as a record at the expected position; the
``prev`` link equals the previous leaf hash; the index columns agree with the bytes; the
signer's key was valid at that position (replaying ``ledger.key.*`` entries, not reading the
key table); the signature verifies (on every core, while the main thread goes on); the stored
Merkle nodes equal the recomputed ones. At every stored checkpoint the recomputed root must
equal the signed root, and the note must verify with the log key named in the genesis entry.
A checkpoint the caller kept from earlier catches truncation and rewrites of history.
The first bad entry is reported with the reason; nothing is repaired.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any, Literal

from ledger._checkpoint import Checkpoint, open_checkpoint
from ledger._errors import LedgerError, NoteError
from ledger._keys import KeyRing
from ledger._merkle import leaf_hash
from ledger._note import NoteVerifier, parse_note
from ledger._record import GENESIS_PREV, statement_bytes_of
from ledger._statement import Statement
from ledger._store import Store, node_id
from ledger._tree import CompactRange
from ledger._verify import SignatureCheck, collect, process_pool, submit_checks

__all__ = ["AuditFailure", "AuditReport", "audit"]

Progress = Callable[[int, int], None]

_PROCESS_POOL_FROM = 20_000


@dataclass(frozen=True)
class AuditFailure:
    """Where the log first fails, and why. ``seq`` is None for a log-wide failure."""

    seq: int | None
    reason: str


@dataclass(frozen=True)
class AuditReport:
    """The audit's verdict. Read :attr:`verdict`; there is deliberately no truth value."""

    origin: str
    entries: int
    checkpoints: int
    root: bytes
    seconds: float
    failure: AuditFailure | None = None

    @property
    def verdict(self) -> Literal["valid", "invalid"]:
        """``"valid"`` only when every check passed."""
        return "valid" if self.failure is None else "invalid"

    def __bool__(self) -> bool:
        raise TypeError("an AuditReport has no truth value: compare .verdict to 'valid'")


class _Found(Exception):
    def __init__(self, seq: int | None, reason: str) -> None:
        super().__init__(reason)
        self.failure = AuditFailure(seq, reason)


@dataclass
class _State:
    ring: KeyRing = field(default_factory=KeyRing)
    tree: CompactRange = field(default_factory=CompactRange)
    prev: bytes = GENESIS_PREV
    last_time: str = ""
    checkpoints: dict[int, Any] = field(default_factory=dict)
    held: dict[int, bytes] = field(default_factory=dict)  # size -> root seen in the pass
    verified_checkpoints: int = 0


def audit(
    store: Store,
    *,
    held_checkpoint: bytes | None = None,
    trusted_root_key: bytes | None = None,
    progress: Progress | None = None,
    chunk: int = 2048,
) -> AuditReport:
    """Audit one log.

    Args:
        store: the log to read.
        held_checkpoint: a signed checkpoint note saved earlier (by a witness or regulator);
            the log must still contain it: same root at that size.
        trusted_root_key: the cooperative's root public key as known out of band; the
            genesis entry must name it.
        progress: called with (entries checked, entries in all) after each chunk.
        chunk: entries read per database round trip.

    Returns:
        The report; ``failure`` names the first bad entry and why.
    """
    started = time.perf_counter()
    state = _State()
    with store.read() as conn:
        head = store.head(conn)
        state.checkpoints = {r.size: r for r in store.checkpoint_rows(conn)}
    total = head.size
    # Worker processes pay for themselves only on long logs (start-up is ~0.1 s).
    with process_pool() if total >= _PROCESS_POOL_FROM else nullcontext() as pool:
        return _audit(
            store, state, head, held_checkpoint, trusted_root_key, progress, chunk, pool, started
        )


def _audit(
    store: Store,
    state: _State,
    head: Any,
    held_checkpoint: bytes | None,
    trusted_root_key: bytes | None,
    progress: Progress | None,
    chunk: int,
    pool: Executor | None,
    started: float,
) -> AuditReport:
    total = head.size
    try:
        if held_checkpoint is not None:
            # Its size is needed during the pass; its signature is checked after, with the
            # log key the genesis entry names.
            try:
                state.held[Checkpoint.parse(parse_note(held_checkpoint).text).size] = b""
            except NoteError as e:
                raise _Found(None, f"the checkpoint you hold does not parse: {e}") from e
        for size in state.checkpoints:
            if size > total:
                raise _Found(None, f"a checkpoint covers {size} entries, the log has {total}")
        pending: tuple[int, Sequence[int], list[Future[int | None]]] | None = None
        for begin in range(0, total, chunk):
            end = min(begin + chunk, total)
            with store.read() as conn:
                rows = store.entry_rows(conn, begin, end)
                seqs, checks, failure = _check_chunk(store, conn, rows, begin, end, state)
            # Verify this chunk's signatures while the next chunk is read and checked.
            if pending is not None:
                _settle(*pending)
            pending = (begin, seqs, submit_checks(checks, pool))
            if failure is not None:
                _settle(*pending)
                raise failure
            if progress is not None:
                progress(end, total)
        if pending is not None:
            _settle(*pending)
        _check_head(store, head, state, total)
        if held_checkpoint is not None:
            _check_held(held_checkpoint, store.origin, state, total)
        if trusted_root_key is not None:
            root_key = state.ring.keys.get(state.ring.root_key_id or "")
            if root_key is None or root_key.public_key != trusted_root_key:
                raise _Found(0, "the genesis entry names a different root key than the trusted one")
    except _Found as found:
        return AuditReport(
            store.origin,
            total,
            state.verified_checkpoints,
            state.tree.root(),
            time.perf_counter() - started,
            found.failure,
        )
    return AuditReport(
        store.origin,
        total,
        state.verified_checkpoints,
        state.tree.root(),
        time.perf_counter() - started,
    )


def _settle(begin: int, seqs: Sequence[int], futures: list[Future[int | None]]) -> None:
    bad = collect(futures)
    if bad is not None:
        raise _Found(seqs[bad], "signature does not verify with the key valid at this entry")


def _check_chunk(
    store: Store, conn: Any, rows: Sequence[Any], begin: int, end: int, state: _State
) -> tuple[list[int], list[SignatureCheck], _Found | None]:
    """Check a chunk; return its signature checks and the first structural failure, if any.

    A structural failure still returns the signature checks of the entries before it, so
    that the first bad entry overall is the one reported.
    """
    seqs: list[int] = []
    checks: list[SignatureCheck] = []
    # Each entry's leaf hash is compared with its stored level-0 node as it is read, so a
    # changed byte is reported at the entry that holds it, not at the next one's prev link.
    stored = store.nodes_completed_by(conn, begin, end)
    try:
        for offset, row in enumerate(rows):
            seq = begin + offset
            if row.seq != seq:
                raise _Found(seq, f"entry {seq} is missing (the next stored entry is {row.seq})")
            check = _check_entry(row, seq, state)
            state.prev, state.last_time = leaf_hash(row.leaf), row.log_time
            for key, value in state.tree.append(state.prev):
                if stored.get(node_id(key)) != value:
                    raise _Found(seq, f"entry {seq}: stored Merkle node {key} does not match")
            checks.append(check)
            seqs.append(seq)
            if seq + 1 in state.checkpoints or seq + 1 in state.held:
                _check_checkpoint(seq + 1, store.origin, state)
        if len(rows) < end - begin:
            raise _Found(begin + len(rows), f"entry {begin + len(rows)} is missing")
    except _Found as found:
        return seqs, checks, found
    return seqs, checks, None


def _check_entry(row: Any, seq: int, state: _State) -> SignatureCheck:
    # Works on the parsed JSON rather than building validated Statement/Record objects: the
    # write path validated their form, and every byte here is covered by the hash chain and
    # the signature checked below. Only ledger.* entries are rebuilt, to replay the key rules.
    leaf = row.leaf
    try:
        value = json.loads(leaf.decode())
        statement = value["statement"]
        kind, key_id, log_time = statement["kind"], statement["key"], value["log_time"]
        signed = statement_bytes_of(leaf)
        signature = base64.b64decode(value["sig"], validate=True)
        prev = bytes.fromhex(value["prev"])
        if value["seq"] != seq:
            raise _Found(seq, f"entry {seq} holds the record of position {value['seq']}")
    except (ValueError, TypeError, KeyError, LedgerError) as e:
        raise _Found(seq, f"entry {seq}: the record bytes do not parse ({e})") from e
    if prev != state.prev:
        raise _Found(seq, f"entry {seq}: prev does not match the hash of entry {seq - 1}")
    if not isinstance(log_time, str) or log_time < state.last_time:
        raise _Found(seq, f"entry {seq}: log time runs backwards")
    if (
        row.statement_hash != hashlib.sha256(signed).digest()
        or row.kind != kind
        or row.key_id != key_id
        or row.log_time != log_time
    ):
        raise _Found(seq, f"entry {seq}: index columns disagree with the record bytes")
    try:
        if seq == 0 or kind.startswith("ledger."):
            full = Statement.from_signed_bytes(signed, statement)
            signer = state.ring.signer(seq, full)
            state.ring.apply(seq, full)
        else:
            signer = state.ring.signer_of(seq, kind, key_id)
    except LedgerError as e:
        raise _Found(seq, f"entry {seq}: {e}") from e
    return signer.public_key, signature, signed


def _check_checkpoint(size: int, origin: str, state: _State) -> None:
    if size in state.held:
        state.held[size] = state.tree.root()
    row = state.checkpoints.get(size)
    if row is None:
        return
    root = state.tree.root()
    if row.root != root:
        raise _Found(size - 1, f"the checkpoint at size {size} signs a different root")
    try:
        verifier = NoteVerifier.from_key_string(state.ring.log_key or "")
        checkpoint, _ = open_checkpoint(row.note.encode(), origin, verifier)
    except NoteError as e:
        raise _Found(size - 1, f"the checkpoint at size {size} does not verify: {e}") from e
    if checkpoint.size != size or checkpoint.root_hash != root:
        raise _Found(size - 1, f"the checkpoint note at size {size} names another tree")
    state.verified_checkpoints += 1


def _check_head(store: Store, head: Any, state: _State, total: int) -> None:
    if head.last_hash != (state.prev if total else GENESIS_PREV):
        raise _Found(None, "the head's last hash does not match the last entry")
    if head.border != state.tree.to_bytes():
        raise _Found(None, "the head's Merkle border does not match the entries")
    if head.checkpoint_size and head.checkpoint_size not in state.checkpoints:
        raise _Found(None, f"the head names a checkpoint at {head.checkpoint_size} that is missing")
    with store.read() as conn:
        stored = store.count_nodes(conn)
        beyond = store.count_entries_from(conn, total)
    if beyond:
        raise _Found(total, f"{beyond} entries are stored beyond the head's size {total}")
    expected = 2 * total - bin(total).count("1")
    if stored != expected:
        raise _Found(None, f"expected {expected} stored Merkle nodes, found {stored}")


def _check_held(note: bytes, origin: str, state: _State, total: int) -> None:
    try:
        verifier = NoteVerifier.from_key_string(state.ring.log_key or "")
        held, _ = open_checkpoint(note, origin, verifier)
    except NoteError as e:
        raise _Found(
            None, f"the checkpoint you hold does not verify with this log's key: {e}"
        ) from e
    if held.size > total:
        raise _Found(
            None,
            f"the log was truncated: the checkpoint you hold covers {held.size} entries, "
            f"the log now has {total}",
        )
    if state.held.get(held.size) != held.root_hash:
        raise _Found(None, f"history was rewritten: the root at size {held.size} differs")
