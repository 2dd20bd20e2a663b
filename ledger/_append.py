"""Appending under the log's lock: the write half of :class:`ledger.Ledger`'s append protocol.

:meth:`Ledger.append_batch` prepares and verifies a batch outside the lock, then writes it
with an :class:`Appender` in a transaction of its own. A caller that keeps tables beside the
log (the traceability projection) opens the appender itself with
:meth:`Ledger.append_transaction` and writes its rows in the same transaction, so they
commit together with the entries or not at all.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ledger._errors import KeyStateError, SignatureError, StatementError
from ledger._keys import KEY_REVOKE, ROOT_ROTATE, KeyInfo, KeyRing
from ledger._keystate import KeyState
from ledger._record import Record
from ledger._sign import SignLater, sign_later
from ledger._statement import SignedStatement, Statement, format_time
from ledger._store import EntryRow, Head, NodeRow, Store, node_id
from ledger._tree import CompactRange
from ledger._verify import first_bad_signature_later

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from sqlalchemy import Connection

__all__ = ["Appender", "Pending", "PreparedBatch", "Receipt", "prepare", "prepare_unsigned"]


@dataclass(frozen=True)
class Receipt:
    """What the log acknowledges for an appended statement. Durable once returned."""

    seq: int
    leaf_hash: bytes
    log_time: str
    duplicate: bool = False


@dataclass
class Pending:
    """A statement on its way into the log: hashed, maybe verified, maybe acknowledged."""

    statement: Statement
    statement_hash: bytes
    #: None while its signature is being made on the worker processes (ADR 29).
    signed: SignedStatement | None = None
    verified: bool = False
    receipt: Receipt | None = None
    record: Record | None = field(default=None, repr=False)


def prepare(origin: str, batch: Sequence[SignedStatement]) -> list[Pending]:
    """Check each statement's form and log; errors name the index."""
    pending = []
    for index, signed in enumerate(batch):
        if not isinstance(signed, SignedStatement):
            raise StatementError(
                f"statement {index}: expected a SignedStatement",
                expected="SignedStatement",
                got=type(signed).__name__,
                index=index,
            )
        pending.append(_pending(origin, index, signed.statement, signed))
    return pending


def prepare_unsigned(origin: str, statements: Sequence[Statement]) -> list[Pending]:
    """:func:`prepare` for statements still to be signed (:meth:`Ledger.prepare_signing`)."""
    pending = []
    for index, statement in enumerate(statements):
        if not isinstance(statement, Statement):
            raise StatementError(
                f"statement {index}: expected a Statement",
                expected="Statement",
                got=type(statement).__name__,
                index=index,
            )
        pending.append(_pending(origin, index, statement, None))
    return pending


def _pending(
    origin: str, index: int, statement: Statement, signed: SignedStatement | None
) -> Pending:
    if statement.log != origin:
        raise StatementError(
            f"statement {index}: signed for log {statement.log!r}, this log is {origin!r}",
            field="log",
            expected=origin,
            got=statement.log,
            index=index,
        )
    return Pending(statement, hashlib.sha256(statement.signing_bytes()).digest(), signed)


class PreparedBatch:
    """Statements checked for form whose signatures are being verified (or made) on workers.

    Made by :meth:`Ledger.prepare_batch` (signed statements) or
    :meth:`Ledger.prepare_signing` (statements and their keys); :meth:`wait` (called by
    :meth:`Appender.append`) collects the verdicts, so a caller can do its own work
    meanwhile.
    """

    def __init__(
        self,
        store: Store,
        pending: list[Pending],
        keys: KeyState,
        signers: Sequence[Ed25519PrivateKey] | None = None,
    ) -> None:
        self.pending = pending
        with store.read() as conn:
            ring = keys.ring(store, conn)
        public = {k: info.public_key for k, info in ring.keys.items()}
        self._signing: SignLater | None = None
        self._signed_later: list[Pending] = []
        if signers is not None:
            self._signing, self._signed_later = _start_signing(pending, signers, public)
        # Statements by keys not registered yet (registered earlier in the batch) are
        # verified under the lock, against the key the batch registers.
        self._known = [p for p in pending if p.signed is not None and p.statement.key_id in public]
        checks = [
            (public[p.statement.key_id], _signed(p).signature, p.statement.signing_bytes())
            for p in self._known
        ]
        self._verdict: Callable[[], int | None] | None = first_bad_signature_later(checks)

    def wait(self) -> list[Pending]:
        """Return the statements once verified; raise SignatureError naming the first bad one."""
        if self._signing is not None:
            signatures, bad = self._signing()
            self._signing = None
            if bad is not None:
                self._refuse(self._signed_later[bad])
            for p, signature in zip(self._signed_later, signatures, strict=True):
                p.signed, p.verified = SignedStatement(p.statement, signature), True
        if self._verdict is not None:
            bad, self._verdict = self._verdict(), None
            if bad is not None:
                self._refuse(self._known[bad])
            for p in self._known:
                p.verified = True
        return self.pending

    def _refuse(self, failed: Pending) -> None:
        index = self.pending.index(failed)
        error = SignatureError(
            f"signature on {failed.statement.kind} does not "
            f"verify with key {failed.statement.key_id}",
            field="signature",
        )
        raise error.in_batch(index) if len(self.pending) > 1 else error


def _start_signing(
    pending: Sequence[Pending], signers: Sequence[Ed25519PrivateKey], public: dict[str, bytes]
) -> tuple[SignLater | None, list[Pending]]:
    """Sign ``pending`` with ``signers``: on the workers if large (ADR 29), else in line.

    Returns the signatures' wait function (None if all were signed in line) and the
    statements it signs. A statement by a key the log does not know yet is signed in line
    and verified under the lock, like any other such statement.
    """
    if len(signers) != len(pending):
        raise StatementError(
            f"signers: expected one key per statement ({len(pending)}), got {len(signers)}",
            field="signers",
            expected=len(pending),
            got=len(signers),
        )
    later = [
        (p, key) for p, key in zip(pending, signers, strict=True) if p.statement.key_id in public
    ]
    signing = sign_later(
        [(key, public[p.statement.key_id], p.statement.signing_bytes()) for p, key in later]
    )
    on_workers = {id(p) for p, _ in later} if signing is not None else set()
    for p, key in zip(pending, signers, strict=True):
        if id(p) not in on_workers:
            p.signed = SignedStatement(p.statement, key.sign(p.statement.signing_bytes()))
    return signing, [p for p, _ in later if id(p) in on_workers]


def _signed(p: Pending) -> SignedStatement:
    assert p.signed is not None, "waited for before use"
    return p.signed


class Appender:
    """Writes entries inside a transaction that holds the log's append lock.

    Made by :meth:`Ledger.append_transaction` (or internally by ``append_batch``); valid
    only inside that ``with`` block. ``conn`` is the transaction, for the caller's own rows.
    """

    def __init__(self, store: Store, conn: Connection, head: Head, keys: KeyState) -> None:
        self.store, self.conn, self._head, self._keys = store, conn, head, keys
        self._ring: KeyRing | None = None
        self._looked_up: tuple[list[bytes], dict[bytes, int]] | None = None

    @property
    def size(self) -> int:
        """The log's size in this transaction (grows with each :meth:`append`)."""
        return self._head.size

    def keys(self) -> dict[str, KeyInfo]:
        """Every registered key as this transaction sees it (before its own appends)."""
        return dict(self._key_ring().keys)

    def _key_ring(self) -> KeyRing:
        if self._ring is None:
            self._ring = self._keys.ring(self.store, self.conn)
        return self._ring

    def positions(self, prepared: PreparedBatch) -> list[int | None]:
        """Return the seq each statement will take, or None for an exact duplicate.

        A statement already in the log, or earlier in ``pending``, is not appended again
        (:meth:`append` returns its first receipt), so a caller applying the statements to
        its own tables can skip the same ones.
        """
        existing = self._existing(prepared.pending)
        seen: set[bytes] = set()
        seq = self.size
        out: list[int | None] = []
        for p in prepared.pending:
            if p.statement_hash in existing or p.statement_hash in seen:
                out.append(None)
                continue
            seen.add(p.statement_hash)
            out.append(seq)
            seq += 1
        return out

    def append(self, prepared: PreparedBatch) -> list[Receipt]:
        """Write the prepared statements as the next entries (all or none: this transaction).

        Raises:
            KeyStateError: a key is unknown, revoked, or may not sign the kind.
            SignatureError: a signature does not verify.
            StatementError: a ``ledger.*`` statement is malformed.
        """
        pending = prepared.wait()
        conn, head = self.conn, self._head
        existing = self._existing(pending)
        ring = self._key_ring()
        tree = CompactRange.from_bytes(head.size, head.border)
        seq, prev, last_time = head.size, head.last_hash, head.last_log_time
        seen: dict[bytes, Receipt] = {}
        entry_rows: list[EntryRow] = []
        node_rows: list[NodeRow] = []
        key_changes = []
        for index, p in enumerate(pending):
            if p.statement_hash in existing or p.statement_hash in seen:
                first = seen.get(p.statement_hash) or self._receipt_of(existing[p.statement_hash])
                p.receipt = Receipt(first.seq, first.leaf_hash, first.log_time, True)
                continue
            statement = p.statement
            try:
                signer = ring.signer(seq, statement)
                if not p.verified:
                    _signed(p).verify(signer.public_key)
                previous_root = ring.root_key_id
                changed = ring.apply(seq, statement)
            except (KeyStateError, SignatureError, StatementError) as e:
                if len(pending) == 1:
                    raise
                raise e.in_batch(index) from e
            if changed is not None:
                key_changes.append((seq, statement.kind, changed, previous_root))
            # The log's clock never runs backwards, even if the machine's does.
            log_time = max(format_time(datetime.now(UTC)), last_time)
            record = Record(seq, prev, log_time, _signed(p))
            leaf = record.leaf()
            leaf_hash = hashlib.sha256(b"\x00" + leaf).digest()
            entry_rows.append(
                (seq, leaf, p.statement_hash, statement.kind, statement.key_id, log_time)
            )
            node_rows.extend((node_id(k), h) for k, h in tree.append(leaf_hash))
            p.receipt = Receipt(seq, leaf_hash, log_time)
            seen[p.statement_hash] = p.receipt
            seq, prev, last_time = seq + 1, leaf_hash, log_time
        if entry_rows:
            self._looked_up = None  # the log now holds these statements too
            self.store.insert_entry_rows(conn, entry_rows)
            self.store.insert_node_rows(conn, node_rows)
            self._write_key_changes(key_changes)
            border = tree.to_bytes()
            self.store.update_head(
                conn, size=seq, last_hash=prev, last_log_time=last_time, border=border
            )
            self._head = Head(
                head.log_id,
                head.origin,
                seq,
                prev,
                last_time,
                border,
                head.checkpoint_size,
                head.checkpoint_time,
            )
        return [p.receipt for p in pending if p.receipt is not None]

    def _existing(self, pending: Sequence[Pending]) -> dict[bytes, int]:
        # positions() and append() ask about the same batch: one index lookup per statement.
        hashes = [p.statement_hash for p in pending]
        if self._looked_up is None or self._looked_up[0] != hashes:
            self._looked_up = hashes, self.store.find_statements(self.conn, hashes)
        return self._looked_up[1]

    def _write_key_changes(self, changes: Sequence[tuple[int, str, KeyInfo, str | None]]) -> None:
        for seq, kind, info, previous_root in changes:
            if kind == KEY_REVOKE:
                self.store.revoke_key(self.conn, info.key_id, seq)
                continue
            if kind == ROOT_ROTATE and previous_root is not None:
                # The old root signed the rotation entry: its span ends just after it.
                self.store.revoke_key(self.conn, previous_root, seq + 1)
            self.store.insert_key(
                self.conn,
                key_id=info.key_id,
                public_key=info.public_key,
                actor=info.actor,
                roles=json.dumps(list(info.roles)),
                registered_seq=max(info.registered_seq, 0),
                revoked_seq=None,
            )

    def _receipt_of(self, seq: int) -> Receipt:
        row = self.store.entry_rows(self.conn, seq, seq + 1)[0]
        return Receipt(seq, hashlib.sha256(b"\x00" + row.leaf).digest(), row.log_time)
