"""The log: appends signed statements, keeps the Merkle tree, signs checkpoints, proves.

Append protocol (every step is in one database transaction, or nothing happens):

1. Outside the lock, each statement is checked for form and its signature verified (on all
   cores for a batch) with the key the store holds for it.
2. Under the log's append lock, the head is read, each statement's key is checked against
   the keys valid at the position it will take (a revocation may have landed meanwhile),
   ``ledger.*`` statements are applied, records are built, and entries, Merkle nodes, key
   changes and the new head are written. An exact statement already in the log is not
   appended again: its first receipt is returned (a retry on a patchy network is safe).
3. After commit, a checkpoint is signed when the last one is older than the interval.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, Engine

from ledger._cosignature import CosignatureVerifier
from ledger._errors import (
    AppendConflictError,
    KeyStateError,
    SignatureError,
    StatementError,
    StoreError,
)
from ledger._keys import GENESIS, KeyInfo, KeyRing, genesis_body
from ledger._note import NoteSigner
from ledger._publish import publish_checkpoint, store_cosignature, stored_checkpoint
from ledger._record import Record
from ledger._statement import SignedStatement, Statement, format_time, key_id_for, sign_statement
from ledger._store import Head, Store, open_engine
from ledger._tree import CompactRange, consistency_proof, inclusion_proof, root_at
from ledger._verify import first_bad_signature

__all__ = ["Ledger", "Receipt"]

#: Under load, checkpoints are signed at most this often; see :meth:`Ledger.checkpoint`.
DEFAULT_CHECKPOINT_INTERVAL = timedelta(seconds=2)


@dataclass(frozen=True)
class Receipt:
    """What the log acknowledges for an appended statement. Durable once returned."""

    seq: int
    leaf_hash: bytes
    log_time: str
    duplicate: bool = False


@dataclass
class _Pending:
    signed: SignedStatement
    statement_hash: bytes
    verified: bool = False
    receipt: Receipt | None = None
    record: Record | None = field(default=None, repr=False)


class Ledger:
    """One append-only log in a database (SQLite file or PostgreSQL)."""

    def __init__(
        self,
        store: Store,
        log_signer: NoteSigner | None = None,
        checkpoint_interval: timedelta = DEFAULT_CHECKPOINT_INTERVAL,
    ) -> None:
        self.store = store
        self.log_signer = log_signer
        self.checkpoint_interval = checkpoint_interval

    # --- opening ---------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        url: str,
        origin: str,
        root_key: Ed25519PrivateKey,
        log_signer: NoteSigner,
        checkpoint_interval: timedelta = DEFAULT_CHECKPOINT_INTERVAL,
    ) -> Ledger:
        """Create a new log: its genesis entry names the root key and the checkpoint key."""
        if log_signer.name != origin:
            raise StatementError(
                f"log key name: expected the origin {origin!r}, got {log_signer.name!r}"
            )
        engine = open_engine(url, create=True)
        Store.create_tables(engine)
        store = Store.new_log(engine, origin, format_time(datetime.now(UTC)))
        ledger = cls(store, log_signer, checkpoint_interval)
        root_public = root_key.public_key().public_bytes_raw()
        genesis = Statement(
            origin,
            GENESIS,
            genesis_body(origin, root_public, log_signer.verifier_key()),
            key_id_for(root_public),
            format_time(datetime.now(UTC)),
        )
        ledger.append(sign_statement(genesis, root_key))
        ledger.checkpoint()
        return ledger

    @classmethod
    def open(
        cls,
        url: str,
        origin: str | None = None,
        log_signer: NoteSigner | None = None,
        checkpoint_interval: timedelta = DEFAULT_CHECKPOINT_INTERVAL,
    ) -> Ledger:
        """Open an existing log (the only one in the database, or the one named)."""
        return cls(Store.attach(open_engine(url), origin), log_signer, checkpoint_interval)

    @property
    def engine(self) -> Engine:
        """The ledger's database engine, for tables kept beside the log (projections)."""
        return self.store.engine

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A write transaction on the ledger's database for tables kept beside the log.

        On SQLite it begins IMMEDIATE, so such writers queue behind appends instead of
        failing with "database is locked". It does not take the log's append lock.
        """
        with self.store.cas() as conn:
            yield conn

    def close(self) -> None:
        """Release the database connections (the ledger cannot be used afterwards)."""
        self.store.engine.dispose()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def origin(self) -> str:
        """The log's origin line (its name in checkpoints)."""
        return self.store.origin

    def size(self) -> int:
        """Return how many entries the log holds (committed)."""
        return self.store.head().size

    # --- appending -------------------------------------------------------------------------

    def append(self, signed: SignedStatement, *, expected_size: int | None = None) -> Receipt:
        """Append one signed statement; return its durable receipt.

        Args:
            signed: the statement.
            expected_size: append only if the log still has exactly this many entries (for a
                caller that checked its statement against the log at that size).

        Raises:
            AppendConflictError: the log is no longer at ``expected_size``; nothing appended.
            StatementError: the statement is malformed or for another log.
            SignatureError: the signature does not verify.
            KeyStateError: the key is unknown, revoked, or may not sign this kind.
        """
        return self.append_batch([signed], expected_size=expected_size)[0]

    def append_batch(
        self, batch: Sequence[SignedStatement], *, expected_size: int | None = None
    ) -> list[Receipt]:
        """Append many signed statements in one transaction: all of them, or none.

        Errors name the failing statement's index in ``batch``; nothing is appended.
        ``expected_size`` is as for :meth:`append`.
        """
        if not batch:
            return []
        pending = [self._prepare(i, s) for i, s in enumerate(batch)]
        self._verify_known_keys(pending)
        receipts = self._commit(pending, expected_size)
        self._checkpoint_if_due()
        return receipts

    def _prepare(self, index: int, signed: SignedStatement) -> _Pending:
        if not isinstance(signed, SignedStatement):
            raise StatementError(f"statement {index}: expected a SignedStatement")
        if signed.statement.log != self.origin:
            raise StatementError(
                f"statement {index}: signed for log {signed.statement.log!r}, "
                f"this log is {self.origin!r}"
            )
        digest = hashlib.sha256(signed.statement.signing_bytes()).digest()
        return _Pending(signed, digest)

    def _verify_known_keys(self, pending: Sequence[_Pending]) -> None:
        """Check signatures whose keys are already registered, before taking the lock."""
        wanted = sorted({p.signed.statement.key_id for p in pending})
        with self.store.read() as conn:
            public = {r.key_id: r.public_key for r in self.store.key_rows(conn, wanted)}
        known = [p for p in pending if p.signed.statement.key_id in public]
        checks = [
            (
                public[p.signed.statement.key_id],
                p.signed.signature,
                p.signed.statement.signing_bytes(),
            )
            for p in known
        ]
        bad = first_bad_signature(checks)
        if bad is not None:
            failed = known[bad]
            where = f"statement {list(pending).index(failed)}: " if len(pending) > 1 else ""
            raise SignatureError(
                f"{where}signature on {failed.signed.statement.kind} does not "
                f"verify with key {failed.signed.statement.key_id}"
            )
        for p in known:
            p.verified = True

    def _commit(self, pending: Sequence[_Pending], expected_size: int | None) -> list[Receipt]:
        with self.store.write() as (conn, head):
            if expected_size is not None and head.size != expected_size:
                raise AppendConflictError(
                    f"expected the log at {expected_size} entries, it has {head.size}: "
                    "check again against the new entries"
                )
            existing = self.store.find_statements(conn, [p.statement_hash for p in pending])
            ring = self._key_ring(conn)
            tree = CompactRange.from_bytes(head.size, head.border)
            seq, prev, last_time = head.size, head.last_hash, head.last_log_time
            seen: dict[bytes, Receipt] = {}
            entry_rows, node_rows, key_changes = [], [], []
            for index, p in enumerate(pending):
                if p.statement_hash in existing or p.statement_hash in seen:
                    p.receipt = seen.get(p.statement_hash) or self._receipt_of(
                        conn, existing[p.statement_hash]
                    )
                    p.receipt = Receipt(
                        p.receipt.seq, p.receipt.leaf_hash, p.receipt.log_time, True
                    )
                    continue
                statement = p.signed.statement
                try:
                    signer = ring.signer(seq, statement)
                    if not p.verified:
                        p.signed.verify(signer.public_key)
                    changed = ring.apply(seq, statement)
                except (KeyStateError, SignatureError, StatementError) as e:
                    if len(pending) == 1:
                        raise
                    raise type(e)(f"statement {index}: {e}") from e
                if changed is not None:
                    key_changes.append((seq, statement.kind, changed))
                # The log's clock never runs backwards, even if the machine's does.
                log_time = max(format_time(datetime.now(UTC)), last_time)
                record = Record(seq, prev, log_time, p.signed)
                leaf = record.leaf()
                leaf_hash = hashlib.sha256(b"\x00" + leaf).digest()
                entry_rows.append(
                    {
                        "seq": seq,
                        "leaf": leaf,
                        "statement_hash": p.statement_hash,
                        "kind": statement.kind,
                        "key_id": statement.key_id,
                        "log_time": log_time,
                    }
                )
                node_rows.extend(tree.append(leaf_hash))
                p.receipt = Receipt(seq, leaf_hash, log_time)
                seen[p.statement_hash] = p.receipt
                seq, prev, last_time = seq + 1, leaf_hash, log_time
            if entry_rows:
                self.store.insert_entries(conn, entry_rows)
                self.store.insert_nodes(conn, node_rows)
                self._write_key_changes(conn, key_changes)
                self.store.update_head(
                    conn, size=seq, last_hash=prev, last_log_time=last_time, border=tree.to_bytes()
                )
        return [p.receipt for p in pending if p.receipt is not None]

    def _key_ring(self, conn: Connection) -> KeyRing:
        """Load the keys as valid right now (a small table: one row per actor key)."""
        ring = KeyRing()
        for row in self.store.key_rows(conn):
            info = KeyInfo(
                row.key_id,
                row.public_key,
                row.actor,
                tuple(json.loads(row.roles)),
                row.registered_seq,
                row.revoked_seq,
            )
            ring.keys[row.key_id] = info
            if "root" in info.roles:
                ring.root_key_id = row.key_id
        return ring

    def _write_key_changes(
        self, conn: Connection, changes: Sequence[tuple[int, str, KeyInfo]]
    ) -> None:
        for seq, kind, info in changes:
            if kind == "ledger.key.revoke":
                self.store.revoke_key(conn, info.key_id, seq)
            else:
                self.store.insert_key(
                    conn,
                    key_id=info.key_id,
                    public_key=info.public_key,
                    actor=info.actor,
                    roles=json.dumps(list(info.roles)),
                    registered_seq=max(info.registered_seq, 0),
                    revoked_seq=None,
                )

    def _receipt_of(self, conn: Connection, seq: int) -> Receipt:
        row = self.store.entry_rows(conn, seq, seq + 1)[0]
        return Receipt(seq, hashlib.sha256(b"\x00" + row.leaf).digest(), row.log_time)

    # --- reading ---------------------------------------------------------------------------

    def record(self, seq: int) -> Record:
        """Return the record at ``seq``."""
        with self.store.read() as conn:
            rows = self.store.entry_rows(conn, seq, seq + 1)
        if not rows:
            raise StoreError(f"no entry {seq}: the log has {self.size()} entries")
        return Record.from_leaf(rows[0].leaf)

    def records(
        self, start: int = 0, stop: int | None = None, chunk: int = 1000
    ) -> Iterator[Record]:
        """Yield records ``start <= seq < stop`` in order, reading ``chunk`` rows at a time."""
        end = self.size() if stop is None else stop
        for begin in range(start, end, chunk):
            with self.store.read() as conn:
                rows = self.store.entry_rows(conn, begin, min(begin + chunk, end))
            for row in rows:
                yield Record.from_leaf(row.leaf)

    def keys(self) -> dict[str, KeyInfo]:
        """Return every registered key as the store holds it."""
        with self.store.read() as conn:
            ring = self._key_ring(conn)
        return ring.keys

    # --- proofs ----------------------------------------------------------------------------

    def root(self, size: int | None = None) -> bytes:
        """Return the Merkle root of the first ``size`` entries (default: all)."""
        with self.store.read() as conn:
            head = self.store.head(conn)
            size = head.size if size is None else size
            if size == head.size:
                return CompactRange.from_bytes(head.size, head.border).root()
            self._check_size(size, head)
            return root_at(size, lambda keys: self.store.fetch_nodes(keys, conn))

    def inclusion_proof(self, seq: int, size: int | None = None) -> list[bytes]:
        """Return the inclusion proof of entry ``seq`` in the tree of ``size`` entries."""
        with self.store.read() as conn:
            head = self.store.head(conn)
            size = head.size if size is None else size
            self._check_size(size, head)
            return inclusion_proof(seq, size, lambda keys: self.store.fetch_nodes(keys, conn))

    def consistency_proof(self, size1: int, size2: int | None = None) -> list[bytes]:
        """Return the consistency proof from ``size1`` to ``size2`` (default: current size)."""
        with self.store.read() as conn:
            head = self.store.head(conn)
            size2 = head.size if size2 is None else size2
            self._check_size(size2, head)
            return consistency_proof(size1, size2, lambda keys: self.store.fetch_nodes(keys, conn))

    @staticmethod
    def _check_size(size: int, head: Head) -> None:
        if not 0 <= size <= head.size:
            raise StoreError(f"expected a tree size between 0 and {head.size}, got {size}")

    # --- checkpoints (see ledger._publish) --------------------------------------------------

    def checkpoint(self) -> str:
        """Sign and publish a checkpoint of the current tree now; return the signed note.

        Of two writers racing, one publishes and the other returns the published note, so
        two different checkpoints are never published for one log.
        """
        if self.log_signer is None:
            raise KeyStateError("this ledger was opened without the log key: cannot sign")
        return publish_checkpoint(self.store, self.log_signer)

    def add_cosignature(self, line: str, verifier: CosignatureVerifier, size: int) -> int:
        """Store a witness's cosignature on the stored checkpoint of ``size``.

        Returns the cosignature's timestamp. A witness's newer cosignature of the same
        checkpoint replaces its older one.

        Raises:
            NoteError: the line is not a valid cosignature of that checkpoint by ``verifier``.
            StoreError: no checkpoint of that size is stored.
        """
        return store_cosignature(self.store, line, verifier, size)

    def cosigned_checkpoint(self, size: int | None = None) -> str | None:
        """Return a stored checkpoint (default: the latest) with every witness's cosignature."""
        return stored_checkpoint(self.store, size, cosigned=True)

    def latest_checkpoint(self) -> str | None:
        """Return the latest published checkpoint note, or None before the first."""
        return stored_checkpoint(self.store, None, cosigned=False)

    def _checkpoint_if_due(self) -> None:
        if self.log_signer is None:
            return
        head = self.store.head()
        if head.size <= head.checkpoint_size:
            return
        last = datetime.fromisoformat(head.checkpoint_time.replace("Z", "+00:00"))
        if datetime.now(UTC) - last >= self.checkpoint_interval:
            self.checkpoint()
