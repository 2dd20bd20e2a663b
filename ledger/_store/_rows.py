"""The log's own rows: head, entries and Merkle nodes, and the transactions around them.

Appends are serialised by the database: SQLite takes the write lock up front with
``BEGIN IMMEDIATE`` (see :mod:`ledger._store._engine`); PostgreSQL locks the log's head row
with ``SELECT ... FOR UPDATE``. Readers never block on either.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    bindparam,
    func,
    select,
    union_all,
    update,
)
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from ledger._errors import StoreError
from ledger._schema import checkpoints, entries, heads, metadata, nodes
from ledger._store._bulk import BulkRows
from ledger._store._keys import KeyRows
from ledger._store._published import PublishedRows
from ledger._tree import NodeKey

__all__ = ["LEVEL_SHIFT", "Head", "Store", "node_id"]

#: Node ids are ``(level << LEVEL_SHIFT) | index``: 2**48 leaves is enough for any log.
LEVEL_SHIFT = 48


def node_id(key: NodeKey) -> int:
    """Pack a ``(level, index)`` node key into the single integer the store indexes."""
    level, index = key
    return (level << LEVEL_SHIFT) | index


def _node_key(value: int) -> NodeKey:
    return value >> LEVEL_SHIFT, value & ((1 << LEVEL_SHIFT) - 1)


@dataclass(frozen=True)
class Head:
    """The log's head row: where the next append goes and what the last checkpoint covers."""

    log_id: int
    origin: str
    size: int
    last_hash: bytes
    last_log_time: str
    border: bytes
    checkpoint_size: int
    checkpoint_time: str


class Store(KeyRows, PublishedRows, BulkRows):
    """One log's rows in one database: the only object that runs SQL for the ledger."""

    def __init__(self, engine: Engine, log_id: int, origin: str) -> None:
        self.engine = engine
        self.log_id = log_id
        self.origin = origin
        self._is_sqlite = engine.dialect.name == "sqlite"
        # Built once: statement construction costs more than a small indexed read.
        self._head_query = select(heads).where(heads.c.log_id == log_id)
        self._nodes_query = select(nodes.c.node, nodes.c.hash).where(
            nodes.c.log_id == log_id, nodes.c.node.in_(bindparam("ids", expanding=True))
        )
        #: Write transactions this object has ended (committed or not). Readers that keep
        #: what they read for a while (the resolver's log version) compare it to see this
        #: process's own writes at once; other processes' writes they learn by reading.
        self.writes = 0

    # --- opening ---------------------------------------------------------------------------

    @staticmethod
    def create_tables(engine: Engine) -> None:
        """Create the ledger tables if absent."""
        try:
            metadata.create_all(engine)
        except SQLAlchemyError as e:
            raise StoreError(f"cannot create the ledger tables: {e}") from e

    @classmethod
    def attach(cls, engine: Engine, origin: str | None = None) -> Store:
        """Open the log named ``origin`` (or the only log) in an existing database."""
        try:
            with engine.connect() as conn:
                query = select(heads.c.log_id, heads.c.origin)
                if origin is not None:
                    query = query.where(heads.c.origin == origin)
                rows = conn.execute(query).all()
        except OperationalError as e:
            reason = str(e.orig) if e.orig is not None else str(e)
            raise StoreError(
                f"no ledger in this database (run 'agritrace ledger init'): {reason}"
            ) from e
        if not rows:
            what = f"named {origin!r}" if origin else "at all"
            raise StoreError(f"no ledger {what} in this database (run 'agritrace ledger init')")
        if len(rows) > 1:
            names = ", ".join(r.origin for r in rows)
            raise StoreError(f"several ledgers in this database ({names}): name one")
        return cls(engine, rows[0].log_id, rows[0].origin)

    @classmethod
    def new_log(cls, engine: Engine, origin: str, empty_time: str) -> Store:
        """Insert the head row of a new, empty log."""
        cls.create_tables(engine)
        with engine.begin() as conn:
            exists = conn.execute(select(heads.c.log_id).where(heads.c.origin == origin)).first()
            if exists:
                raise StoreError(f"a ledger named {origin!r} already exists in this database")
            result = conn.execute(
                heads.insert().values(
                    origin=origin,
                    size=0,
                    last_hash=bytes(32),
                    last_log_time=empty_time,
                    border=b"",
                    checkpoint_size=0,
                    checkpoint_time=empty_time,
                )
            )
            log_id = result.inserted_primary_key[0] if result.inserted_primary_key else None
        if log_id is None:
            raise StoreError("the database did not return the new log's id")
        return cls(engine, int(log_id), origin)

    # --- transactions ----------------------------------------------------------------------

    @contextmanager
    def write(self) -> Iterator[tuple[Connection, Head]]:
        """Open a write transaction holding the log's append lock; yield it and the head."""
        with self.engine.connect() as conn:
            conn = conn.execution_options(ledger_write=True)
            try:
                with conn.begin():
                    query = select(heads).where(heads.c.log_id == self.log_id)
                    if not self._is_sqlite:
                        query = query.with_for_update()
                    row = conn.execute(query).one()
                    yield conn, Head(**row._mapping)
            finally:
                self.writes += 1

    @contextmanager
    def cas(self) -> Iterator[Connection]:
        """Open a short write transaction for a compare-and-swap (no append lock on PostgreSQL).

        On SQLite it still begins IMMEDIATE: a DEFERRED transaction that reads and then writes
        can fail at once with "database is locked" instead of waiting its turn.
        """
        with self.engine.connect() as conn:
            conn = conn.execution_options(ledger_write=True)
            try:
                with conn.begin():
                    yield conn
            finally:
                self.writes += 1

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """Open a read-only transaction: one consistent snapshot, no locks taken.

        PostgreSQL's default (READ COMMITTED) gives each statement its own snapshot, so a
        head read and a read of the entries after it could disagree under concurrent
        appends; REPEATABLE READ gives the whole transaction one. SQLite's WAL readers
        already see one snapshot from their first read.
        """
        with self.engine.connect() as conn:
            if not self._is_sqlite:
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn

    def head(self, conn: Connection | None = None) -> Head:
        """Return the committed head row."""
        if conn is not None:
            return Head(**conn.execute(self._head_query).one()._mapping)
        with self.read() as c:
            return Head(**c.execute(self._head_query).one()._mapping)

    def head_and_published(self, conn: Connection) -> tuple[Head, int]:
        """Return the head row and the greatest stored checkpoint size, in one round trip."""
        query = select(heads, self.latest_checkpoint_size().label("published")).where(
            heads.c.log_id == self.log_id
        )
        row = conn.execute(query).one()._mapping
        published = int(row["published"])
        return Head(**{k: v for k, v in row.items() if k != "published"}), published

    def publication_state(self, conn: Connection) -> tuple[int, int, str | None]:
        """Return the log's size, the latest checkpoint's size and its signing time (one query)."""
        query = select(
            heads.c.size,
            self.latest_checkpoint_size(),
            self.latest_checkpoint_signed_at(),
        ).where(heads.c.log_id == self.log_id)
        size, published, signed_at = conn.execute(query).one()
        return int(size), int(published), None if signed_at is None else str(signed_at)

    def tail(self, conn: Connection, size: int) -> list[Any]:
        """Return ``(seq, leaf)`` of the entries at ``size - 1`` and beyond (at most two).

        For checking a head that says ``size``: exactly one row, at ``size - 1``, is right.
        """
        query = (
            select(entries.c.seq, entries.c.leaf)
            .where(entries.c.log_id == self.log_id, entries.c.seq >= size - 1)
            .order_by(entries.c.seq)
            .limit(2)
        )
        return list(conn.execute(query).all())

    def insert_checkpoint(self, size: int, root: bytes, note: str, at: str) -> bool:
        """Store a signed checkpoint in its own transaction; False if ``size`` is taken.

        The head row's bookkeeping moves forward with it (never backwards). Of two writers
        signing the same size, the primary key lets one in; the other reads the first's.
        """
        try:
            with self.cas() as conn:
                conn.execute(
                    checkpoints.insert().values(
                        log_id=self.log_id, size=size, root=root, note=note, signed_at=at
                    )
                )
                conn.execute(
                    update(heads)
                    .where(heads.c.log_id == self.log_id, heads.c.checkpoint_size < size)
                    .values(checkpoint_size=size, checkpoint_time=at)
                )
        except IntegrityError:
            return False
        return True

    def replace_checkpoint_note(self, size: int, old: str, new: str) -> bool:
        """Replace the stored note of checkpoint ``size`` if it is still ``old``; True if done.

        For a mirror: the source's note of a checkpoint it holds, with more cosignatures.
        """
        with self.cas() as conn:
            done = conn.execute(
                update(checkpoints)
                .where(
                    checkpoints.c.log_id == self.log_id,
                    checkpoints.c.size == size,
                    checkpoints.c.note == old,
                )
                .values(note=new)
            )
        return bool(done.rowcount)

    # --- writes (inside :meth:`write`) -----------------------------------------------------

    def update_head(self, conn: Connection, **values: Any) -> None:
        """Move the head (inside the append lock)."""
        conn.execute(update(heads).where(heads.c.log_id == self.log_id).values(**values))

    # --- reads -----------------------------------------------------------------------------

    def find_statements(self, conn: Connection, hashes: Sequence[bytes]) -> dict[bytes, int]:
        """Return ``{statement_hash: seq}`` for statements already in the log."""
        if not hashes:
            return {}
        query = select(entries.c.statement_hash, entries.c.seq).where(
            entries.c.log_id == self.log_id,
            entries.c.statement_hash.in_(bindparam("hashes", expanding=True)),
        )
        return {r.statement_hash: r.seq for r in conn.execute(query, {"hashes": list(hashes)})}

    def fetch_nodes(
        self, wanted: Sequence[NodeKey], conn: Connection | None = None
    ) -> dict[NodeKey, bytes]:
        """Return the stored hashes of the requested perfect subtrees (one round trip)."""
        params = {"ids": [node_id(k) for k in wanted]}
        if conn is not None:
            rows = conn.execute(self._nodes_query, params).all()
        else:
            with self.engine.connect() as c:
                rows = c.execute(self._nodes_query, params).all()
        return {_node_key(r.node): r.hash for r in rows}

    def nodes_completed_by(
        self, conn: Connection, begin: int, end: int, top: int | None = None
    ) -> dict[int, bytes]:
        """Return ``{node id: hash}`` of the nodes whose last leaf is in ``[begin, end)``.

        One primary-key range per level (up to ``top``), joined with UNION ALL: the audit
        reads every node once. (An OR of the ranges made SQLite scan the whole table.)
        """
        parts = []
        highest = end.bit_length() if top is None else top
        for level in range(highest + 1):
            low = max(-(-(begin + 1) // (1 << level)) - 1, 0)  # first node ending >= begin
            high = end // (1 << level) - 1  # last node ending before end
            if high >= low:
                base = level << LEVEL_SHIFT
                parts.append(
                    select(nodes.c.node, nodes.c.hash).where(
                        nodes.c.log_id == self.log_id,
                        nodes.c.node.between(base | low, base | high),
                    )
                )
        if not parts:
            return {}
        return dict(conn.execute(union_all(*parts)).all())  # rows are (node, hash) pairs

    def nodes_above(self, conn: Connection, level: int) -> dict[int, bytes]:
        """Return ``{node id: hash}`` of every stored node above ``level``."""
        query = select(nodes.c.node, nodes.c.hash).where(
            nodes.c.log_id == self.log_id, nodes.c.node >= (level + 1) << LEVEL_SHIFT
        )
        return {r.node: r.hash for r in conn.execute(query)}

    def ledger_entry_rows(self, conn: Connection, below: int) -> list[Any]:
        """Return the rows whose kind column says ``ledger.*`` (key changes), in order."""
        query = (
            select(entries)
            .where(
                entries.c.log_id == self.log_id,
                entries.c.kind.startswith("ledger."),
                entries.c.seq < below,
            )
            .order_by(entries.c.seq)
        )
        return list(conn.execute(query).all())

    def count_entries_from(self, conn: Connection, seq: int) -> int:
        """Return how many entries are stored at position ``seq`` or later."""
        query = (
            select(func.count())
            .select_from(entries)
            .where(entries.c.log_id == self.log_id, entries.c.seq >= seq)
        )
        return int(conn.execute(query).scalar_one())

    def count_nodes(self, conn: Connection) -> int:
        """Return how many Merkle nodes are stored for this log."""
        query = select(func.count()).select_from(nodes).where(nodes.c.log_id == self.log_id)
        return int(conn.execute(query).scalar_one())

    def node_range(self, conn: Connection, level: int, start: int, stop: int) -> list[bytes]:
        """Return the stored hashes of nodes ``(level, i)`` for ``start <= i < stop``, in order.

        One primary-key range scan: a hash tile is 256 consecutive nodes of one level.
        """
        base = level << LEVEL_SHIFT
        query = (
            select(nodes.c.hash)
            .where(
                nodes.c.log_id == self.log_id, nodes.c.node.between(base | start, base | stop - 1)
            )
            .order_by(nodes.c.node)
        )
        return [bytes(h) for h in conn.execute(query).scalars()]

    def leaf_range(self, conn: Connection, start: int, stop: int) -> list[bytes]:
        """Return the leaf bytes of entries ``start <= seq < stop``, in order."""
        query = (
            select(entries.c.leaf)
            .where(entries.c.log_id == self.log_id, entries.c.seq >= start, entries.c.seq < stop)
            .order_by(entries.c.seq)
        )
        return [bytes(leaf) for leaf in conn.execute(query).scalars()]

    def entry_rows(self, conn: Connection, start: int, stop: int) -> list[Any]:
        """Return entry rows with ``start <= seq < stop`` in order."""
        query = (
            select(entries)
            .where(entries.c.log_id == self.log_id, entries.c.seq >= start, entries.c.seq < stop)
            .order_by(entries.c.seq)
        )
        return list(conn.execute(query).all())
