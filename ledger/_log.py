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

A layer above may set :attr:`Ledger.seal`: called under the append lock just before each
checkpoint is signed, it may append entries (the domain appends a commitment to its derived
state there), and the checkpoint then covers exactly up to its last append, so a
checkpoint always ends with the seal's entry. The ledger knows nothing of what it appends.

Step 2 lives in :mod:`ledger._append`. :meth:`Ledger.append_transaction` opens it for a
caller that writes its own rows (a projection) in the same transaction as the entries.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger._append import Appender, PreparedBatch, Receipt, prepare, prepare_unsigned
from ledger._audit import AuditReport, Progress, audit
from ledger._cosignature import CosignatureVerifier
from ledger._errors import (
    AppendConflictError,
    KeyStateError,
    LedgerError,
    StatementError,
    StoreError,
)
from ledger._head import checked_head
from ledger._keys import GENESIS, KeyInfo, genesis_body
from ledger._keystate import KeyState
from ledger._note import NoteSigner, NoteVerifier
from ledger._publish import (
    checkpoint_due,
    publish_checkpoint,
    store_cosignature,
    stored_checkpoint,
)
from ledger._record import Record
from ledger._statement import SignedStatement, Statement, format_time, key_id_for, sign_statement
from ledger._store import Head, Store, open_engine
from ledger._tree import CompactRange, consistency_proof, inclusion_proof, root_at

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

__all__ = ["Ledger", "LogHead", "Receipt"]

_logger = logging.getLogger("ledger")

#: Under load, checkpoints are signed at most this often; see :meth:`Ledger.checkpoint`.
DEFAULT_CHECKPOINT_INTERVAL = timedelta(seconds=2)


@dataclass(frozen=True)
class LogHead:
    """The log's head as readers need it: one consistent read.

    Attributes:
        origin: the log's origin line.
        size: how many entries the log holds.
        checkpoint_size: the size of the latest signed checkpoint (0 before the first);
            read from the stored checkpoints themselves.
    """

    origin: str
    size: int
    checkpoint_size: int


class Ledger:
    """One append-only log in a database (SQLite file or PostgreSQL)."""

    def __init__(
        self,
        store: Store,
        log_signer: NoteSigner | None = None,
        checkpoint_interval: timedelta = DEFAULT_CHECKPOINT_INTERVAL,
    ) -> None:
        self._store = store
        self._keys = KeyState()
        self.log_signer = log_signer
        self.checkpoint_interval = checkpoint_interval
        #: Called with an :class:`Appender` under the append lock before each checkpoint
        #: is signed; what it appends ends the checkpoint (see the module docstring).
        self.seal: Callable[[Appender], None] | None = None

    @property
    def store(self) -> Store:
        """The private store. Deprecated: use :meth:`head`, :meth:`audit`, :attr:`engine`.

        Kept until the callers outside the ledger have moved to the public methods.
        """
        return self._store

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
        return self._store.engine

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A write transaction on the ledger's database for tables kept beside the log.

        On SQLite it begins IMMEDIATE, so such writers queue behind appends instead of
        failing with "database is locked". It does not take the log's append lock.
        """
        with self._store.cas() as conn:
            yield conn

    def close(self) -> None:
        """Release the database connections (the ledger cannot be used afterwards)."""
        self._store.engine.dispose()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def origin(self) -> str:
        """The log's origin line (its name in checkpoints)."""
        return self._store.origin

    def size(self) -> int:
        """Return how many entries the log holds (committed)."""
        return self._store.head().size

    @property
    def writes(self) -> int:
        """How many write transactions this object has ended (committed or rolled back).

        It changes with every append, checkpoint and cosignature made through this object;
        other processes' writes are not counted (read the head to see them).
        """
        return self._store.writes

    def head(self) -> LogHead:
        """Return the committed size and the latest checkpoint's size (one query)."""
        with self._store.read() as conn:
            head, published = self._store.head_and_published(conn)
        return LogHead(head.origin, head.size, published)

    def log_key(self) -> str:
        """Return the log's checkpoint verifier key, as its signature-checked genesis names it.

        Raises:
            StoreError: the stored key entries do not replay (the database was edited).
        """
        with self._store.read() as conn:
            ring = self._keys.ring(self._store, conn)
        if ring.log_key is None:
            raise StoreError("the log has no genesis entry", field="ledger_entry")
        return ring.log_key

    def log_verifier(self) -> NoteVerifier:
        """Return the verifier of the log's checkpoints (see :meth:`log_key`)."""
        return NoteVerifier.from_key_string(self.log_key())

    def audit(
        self,
        *,
        held_checkpoint: bytes | None = None,
        witnesses: Sequence[CosignatureVerifier] = (),
        trusted_root_key: bytes | None = None,
        progress: Progress | None = None,
        processes: bool | None = None,
    ) -> AuditReport:
        """Audit the whole log and the state derived from it; see :func:`ledger.audit`.

        Args:
            held_checkpoint: a signed checkpoint kept from earlier; the log must extend it.
            witnesses: witnesses whose stored cosignatures must verify, and of which each
                must have cosigned at least one stored checkpoint.
            trusted_root_key: a root public key known out of band (any root in the chain).
            progress: called with (entries checked, entries in all).
            processes: check chunks on worker processes (default: for long logs).
        """
        return audit(
            self._store,
            held_checkpoint=held_checkpoint,
            witnesses=witnesses,
            trusted_root_key=trusted_root_key,
            progress=progress,
            processes=processes,
        )

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
        prepared = self.prepare_batch(batch)
        prepared.wait()  # every signature checked before the lock is taken
        receipts = self._commit(prepared, expected_size)
        self._checkpoint_if_due()
        return receipts

    def prepare_batch(self, batch: Sequence[SignedStatement]) -> PreparedBatch:
        """Check the form of ``batch`` and start verifying its signatures, without the lock.

        The result is written by :meth:`Appender.append` inside :meth:`append_transaction`,
        which waits for the signatures; errors are as for :meth:`append_batch` (a bad
        signature raises there, or from :meth:`PreparedBatch.wait`).
        """
        return PreparedBatch(self._store, prepare(self.origin, batch), self._keys)

    def prepare_signing(
        self, statements: Sequence[Statement], keys: Sequence[Ed25519PrivateKey]
    ) -> PreparedBatch:
        """:meth:`prepare_batch` for statements not signed yet: ``keys[i]`` signs statement i.

        A large batch is signed on the ledger's worker processes while the caller goes on
        (ADR 29), each signature verified there with the key the log registered for the
        statement's ``key_id``; a small one is signed in line. A key that is not the one its
        statement names is refused like a bad signature, when the batch is appended.
        """
        return PreparedBatch(
            self._store, prepare_unsigned(self.origin, statements), self._keys, signers=keys
        )

    @contextmanager
    def append_transaction(self) -> Iterator[Appender]:
        """Hold the log's append lock for one transaction; yield its :class:`Appender`.

        For tables kept beside the log that must commit atomically with the entries they
        derive from: the caller reads ``appender.size`` (no one else can append meanwhile),
        writes its rows on ``appender.conn`` and appends with ``appender.append``. Leaving
        the block commits everything; an exception rolls everything back. The lock is the
        same as for appends: ``BEGIN IMMEDIATE`` on SQLite, the head row ``FOR UPDATE`` on
        PostgreSQL.
        """
        with self._locked() as (conn, head):
            yield Appender(self._store, conn, head, self._keys)
        self._checkpoint_if_due()

    @contextmanager
    def _locked(self) -> Iterator[tuple[Connection, Head]]:
        """The append lock, with the head checked against the last entry (or refused)."""
        with self._store.write() as (conn, head):
            yield conn, checked_head(head, self._store.tail(conn, head.size))

    def _commit(self, prepared: PreparedBatch, expected_size: int | None) -> list[Receipt]:
        with self._locked() as (conn, head):
            if expected_size is not None and head.size != expected_size:
                raise AppendConflictError(
                    f"expected the log at {expected_size} entries, it has {head.size}: "
                    "check again against the new entries",
                    field="expected_size",
                    expected=expected_size,
                    got=head.size,
                )
            return Appender(self._store, conn, head, self._keys).append(prepared)

    # --- reading ---------------------------------------------------------------------------

    def entry(self, seq: int) -> Record:
        """Return entry ``seq``: the :class:`Record` the log stored there."""
        with self._store.read() as conn:
            rows = self._store.entry_rows(conn, seq, seq + 1)
        if not rows:
            raise StoreError(f"no entry {seq}: the log has {self.size()} entries")
        return Record.from_leaf(rows[0].leaf)

    def entries(
        self, start: int = 0, stop: int | None = None, chunk: int = 1000
    ) -> Iterator[Record]:
        """Yield entries ``start <= seq < stop`` in order, reading ``chunk`` rows at a time."""
        end = self.size() if stop is None else stop
        for begin in range(start, end, chunk):
            with self._store.read() as conn:
                rows = self._store.entry_rows(conn, begin, min(begin + chunk, end))
            for row in rows:
                yield Record.from_leaf(row.leaf)

    def keys(self) -> dict[str, KeyInfo]:
        """Return every registered key, replayed from the signature-checked key entries.

        Never read from the ``ledger_key`` table, which anyone with the database can edit.
        """
        with self._store.read() as conn:
            ring = self._keys.ring(self._store, conn)
        return ring.keys

    # --- proofs ----------------------------------------------------------------------------

    def root(self, size: int | None = None) -> bytes:
        """Return the Merkle root of the first ``size`` entries (default: all)."""
        with self._store.read() as conn:
            head = self._store.head(conn)
            size = head.size if size is None else size
            if size == head.size:
                return CompactRange.from_bytes(head.size, head.border).root()
            self._check_size(size, head)
            return root_at(size, lambda keys: self._store.fetch_nodes(keys, conn))

    def inclusion_proof(self, seq: int, size: int | None = None) -> list[bytes]:
        """Return the inclusion proof of entry ``seq`` in the tree of ``size`` entries."""
        with self._store.read() as conn:
            head = self._store.head(conn)
            size = head.size if size is None else size
            self._check_size(size, head)
            return inclusion_proof(seq, size, lambda keys: self._store.fetch_nodes(keys, conn))

    def consistency_proof(self, size1: int, size2: int | None = None) -> list[bytes]:
        """Return the consistency proof from ``size1`` to ``size2`` (default: current size)."""
        with self._store.read() as conn:
            head = self._store.head(conn)
            size2 = head.size if size2 is None else size2
            self._check_size(size2, head)
            return consistency_proof(size1, size2, lambda keys: self._store.fetch_nodes(keys, conn))

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
        size = None
        if self.seal is not None:
            # Not append_transaction: leaving it publishes when due, which would come back here.
            with self._locked() as (conn, head):
                appender = Appender(self._store, conn, head, self._keys)
                self.seal(appender)
                size = appender.size
            # Signed at the size the seal left: an append racing in after the lock is
            # covered by the next checkpoint (and its seal), never by this one.
        return publish_checkpoint(self._store, self.log_signer, size)

    def add_cosignature(self, line: str, verifier: CosignatureVerifier, size: int) -> int:
        """Store a witness's cosignature on the stored checkpoint of ``size``.

        Returns the cosignature's timestamp. A witness's newer cosignature of the same
        checkpoint replaces its older one.

        Raises:
            NoteError: the line is not a valid cosignature of that checkpoint by ``verifier``.
            StoreError: no checkpoint of that size is stored.
        """
        return store_cosignature(self._store, line, verifier, size)

    def cosigned_checkpoint(self, size: int | None = None) -> str | None:
        """Return a stored checkpoint (default: the latest) with every witness's cosignature."""
        return stored_checkpoint(self._store, size, cosigned=True)

    def latest_checkpoint(self) -> str | None:
        """Return the latest published checkpoint note, or None before the first."""
        return stored_checkpoint(self._store, None, cosigned=False)

    def _checkpoint_if_due(self) -> None:
        # Runs after the append committed: its receipt is durable, so a failure to publish
        # is logged, never raised as if the append had failed.
        if self.log_signer is None:
            return
        try:
            if checkpoint_due(self._store, self.checkpoint_interval):
                self.checkpoint()
        except LedgerError as e:
            _logger.warning("appended, but no checkpoint was published: %s", e)
