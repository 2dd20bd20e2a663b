"""Database access for the ledger: the only module that talks SQL.

SQLite (embedded default, WAL, ``synchronous=FULL`` so an acknowledged append survives a
power cut) and PostgreSQL share every statement. Appends are serialised by the database:
SQLite takes the write lock up front with ``BEGIN IMMEDIATE``; PostgreSQL locks the log's
head row with ``SELECT ... FOR UPDATE``. Readers never block on either.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    bindparam,
    create_engine,
    delete,
    event,
    func,
    select,
    union_all,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError

from ledger._errors import StoreError
from ledger._schema import checkpoints, cosignatures, entries, heads, keys, metadata, nodes
from ledger._tree import NodeKey

__all__ = ["DEFAULT_URL_ENV", "LEVEL_SHIFT", "Head", "Store", "node_id", "open_engine"]

#: Environment variable holding the database URL when none is given.
DEFAULT_URL_ENV = "AGRITRACE_DB"

#: Node ids are ``(level << LEVEL_SHIFT) | index``: 2**48 leaves is enough for any log.
LEVEL_SHIFT = 48


def node_id(key: NodeKey) -> int:
    """Pack a ``(level, index)`` node key into the single integer the store indexes."""
    level, index = key
    return (level << LEVEL_SHIFT) | index


def _node_key(value: int) -> NodeKey:
    return value >> LEVEL_SHIFT, value & ((1 << LEVEL_SHIFT) - 1)


def open_engine(url: str, *, create: bool = False) -> Engine:
    """Create an engine for ``url`` with the ledger's durability and locking settings.

    Args:
        url: SQLAlchemy database URL.
        create: allow a new SQLite file to be made (only ``init`` should); otherwise a
            missing file is an error rather than a silently created empty database.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as e:
        raise StoreError(f"database URL: expected e.g. sqlite:///ledger.db, got {url!r}") from e
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            if not create and not Path(database).exists():
                raise StoreError(f"no ledger at {database} (run 'agritrace ledger init')")
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own would be DEFERRED).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=60000")
    cursor.execute("PRAGMA foreign_keys=ON")
    # 64 MiB of page cache per connection instead of SQLite's 2 MiB: at a million entries the
    # indexes an append and the projection touch no longer fit in 2 MiB, and recording slowed
    # as the file grew (bench/trace.py).
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


def _sqlite_on_begin(conn: Connection) -> None:
    # A writer must hold the lock before it reads the head, or two writers could both read
    # size n and both try to append seq n. Readers stay DEFERRED and never wait.
    mode = "IMMEDIATE" if conn.get_execution_options().get("ledger_write") else "DEFERRED"
    conn.exec_driver_sql(f"BEGIN {mode}")


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


class Store:
    """One log's rows in one database."""

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
            with conn.begin():
                query = select(heads).where(heads.c.log_id == self.log_id)
                if not self._is_sqlite:
                    query = query.with_for_update()
                row = conn.execute(query).one()
                yield conn, Head(**row._mapping)

    @contextmanager
    def cas(self) -> Iterator[Connection]:
        """Open a short write transaction for a compare-and-swap (no append lock on PostgreSQL).

        On SQLite it still begins IMMEDIATE: a DEFERRED transaction that reads and then writes
        can fail at once with "database is locked" instead of waiting its turn.
        """
        with self.engine.connect() as conn:
            conn = conn.execution_options(ledger_write=True)
            with conn.begin():
                yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """Open a read-only transaction: one consistent snapshot, no locks taken."""
        with self.engine.connect() as conn, conn.begin():
            yield conn

    def head(self, conn: Connection | None = None) -> Head:
        """Return the committed head row."""
        if conn is not None:
            return Head(**conn.execute(self._head_query).one()._mapping)
        with self.read() as c:
            return Head(**c.execute(self._head_query).one()._mapping)

    # --- writes (inside :meth:`write`) -----------------------------------------------------

    def insert_entries(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert entry rows (``seq``, ``leaf``, ``statement_hash``, ``kind``, ...)."""
        conn.execute(entries.insert(), [{"log_id": self.log_id, **r} for r in rows])

    def insert_nodes(self, conn: Connection, new: Sequence[tuple[NodeKey, bytes]]) -> None:
        """Insert perfect-subtree hashes."""
        conn.execute(
            nodes.insert(),
            [{"log_id": self.log_id, "node": node_id(k), "hash": h} for k, h in new],
        )

    def update_head(self, conn: Connection, **values: Any) -> None:
        """Move the head (inside the append lock)."""
        conn.execute(update(heads).where(heads.c.log_id == self.log_id).values(**values))

    def compare_and_swap_checkpoint(
        self, conn: Connection, old_size: int, new_size: int, signed_at: str
    ) -> bool:
        """Advance the published checkpoint size from ``old_size``; False if it moved."""
        result = conn.execute(
            update(heads)
            .where(heads.c.log_id == self.log_id, heads.c.checkpoint_size == old_size)
            .values(checkpoint_size=new_size, checkpoint_time=signed_at)
        )
        return result.rowcount == 1

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

    def entry_rows(self, conn: Connection, start: int, stop: int) -> list[Any]:
        """Return entry rows with ``start <= seq < stop`` in order."""
        query = (
            select(entries)
            .where(entries.c.log_id == self.log_id, entries.c.seq >= start, entries.c.seq < stop)
            .order_by(entries.c.seq)
        )
        return list(conn.execute(query).all())

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

    def key_rows(self, conn: Connection, key_ids: Sequence[str] | None = None) -> list[Any]:
        """Return key rows (all of them, or those named)."""
        query = select(keys).where(keys.c.log_id == self.log_id)
        if key_ids is not None:
            query = query.where(keys.c.key_id.in_(bindparam("ids", expanding=True)))
            return list(conn.execute(query, {"ids": list(key_ids)}).all())
        return list(conn.execute(query).all())

    def insert_key(self, conn: Connection, **values: Any) -> None:
        """Record a key registration (inside the append lock)."""
        conn.execute(keys.insert().values(log_id=self.log_id, **values))

    def revoke_key(self, conn: Connection, key_id: str, seq: int) -> None:
        """Record a key revocation (inside the append lock)."""
        conn.execute(
            update(keys)
            .where(keys.c.log_id == self.log_id, keys.c.key_id == key_id)
            .values(revoked_seq=seq)
        )

    def checkpoint_rows(self, conn: Connection) -> list[Any]:
        """Return every stored checkpoint, smallest size first."""
        query = (
            select(checkpoints)
            .where(checkpoints.c.log_id == self.log_id)
            .order_by(checkpoints.c.size)
        )
        return list(conn.execute(query).all())

    def checkpoint_row(self, conn: Connection, size: int) -> Any:
        """Return the stored checkpoint of ``size`` or None."""
        query = select(checkpoints).where(
            checkpoints.c.log_id == self.log_id, checkpoints.c.size == size
        )
        return conn.execute(query).first()

    def put_cosignature(
        self, conn: Connection, size: int, witness: str, line: str, timestamp: int
    ) -> None:
        """Store a witness's cosignature of checkpoint ``size``, replacing its older one."""
        conn.execute(
            delete(cosignatures).where(
                cosignatures.c.log_id == self.log_id,
                cosignatures.c.size == size,
                cosignatures.c.witness == witness,
            )
        )
        conn.execute(
            cosignatures.insert().values(
                log_id=self.log_id, size=size, witness=witness, line=line, timestamp=timestamp
            )
        )

    def cosignature_lines(self, conn: Connection, size: int) -> list[str]:
        """Return the cosignature lines stored for checkpoint ``size``, by witness name."""
        query = (
            select(cosignatures.c.line)
            .where(cosignatures.c.log_id == self.log_id, cosignatures.c.size == size)
            .order_by(cosignatures.c.witness)
        )
        return [str(line) for line in conn.execute(query).scalars()]

    def cosigned_size(self, conn: Connection, witness: str) -> int | None:
        """Return the largest checkpoint size ``witness`` cosigned for this log, or None."""
        query = select(func.max(cosignatures.c.size)).where(
            cosignatures.c.log_id == self.log_id, cosignatures.c.witness == witness
        )
        size = conn.execute(query).scalar_one()
        return None if size is None else int(size)

    def insert_checkpoint(
        self, conn: Connection, size: int, root: bytes, note: str, at: str
    ) -> None:
        """Store a signed checkpoint."""
        conn.execute(
            checkpoints.insert().values(
                log_id=self.log_id, size=size, root=root, note=note, signed_at=at
            )
        )


def database_url(url: str | None) -> str:
    """Resolve the database URL: the argument, else ``$AGRITRACE_DB``, else a local file."""
    return url or os.environ.get(DEFAULT_URL_ENV) or "sqlite:///agritrace-data/ledger.db"
