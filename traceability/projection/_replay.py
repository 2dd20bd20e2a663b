"""Bring the projection up to the ledger: replay entries it has not applied yet.

Every projection write happens under the ledger's append lock
(:meth:`ledger.Ledger.append_transaction`), whether it is a recorder applying its own batch
or a catch-up replaying entries appended around the recorder. So two processes never apply
the same entry twice, and on PostgreSQL, as on SQLite, a projection write queues behind
appends instead of racing them.
"""

from __future__ import annotations

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from ledger import Appender, KeyInfo, Ledger, Record, begin_write
from traceability._errors import TraceError
from traceability.projection import _schema as t
from traceability.projection._apply import apply_entry, parse_event
from traceability.projection._cache import BatchCache, batch_cache

__all__ = ["applied_size", "catch_up", "catch_up_locked", "rebuild", "set_applied_size"]

_PREFIX = "trace."

# Entries replayed under one savepoint; an entry that breaks a rule sends its chunk back to
# one savepoint per entry, so the common case costs two statements per chunk, not per entry.
_CHUNK = 1000

_APPLIED = select(t.state.c.applied_size).where(t.state.c.id == 1)


def applied_size(conn: Connection) -> int:
    """Return how many ledger entries the projection has applied."""
    row = conn.execute(_APPLIED).first()
    return 0 if row is None else int(row.applied_size)


def set_applied_size(conn: Connection, size: int) -> None:
    """Record the projection's position (in the transaction that wrote its rows)."""
    if conn.execute(update(t.state).where(t.state.c.id == 1).values(applied_size=size)).rowcount:
        return
    conn.execute(insert(t.state).values(id=1, applied_size=size))


class _Replay:
    def __init__(self, ledger: Ledger, conn: Connection) -> None:
        self.ledger, self.conn = ledger, conn
        self.keys: dict[str, KeyInfo] | None = None

    def apply(self, record: Record) -> None:
        statement = record.statement
        if not statement.kind.startswith(_PREFIX):
            return
        keys = self.keys
        if keys is None or statement.key_id not in keys:
            keys = self.keys = self.ledger.keys()
        info = keys.get(statement.key_id)
        roles = info.roles if info is not None and info.valid_at(record.seq) else ()
        actor = info.actor if info is not None else statement.key_id
        event = parse_event(statement.kind, statement.body)
        apply_entry(self.conn, record.seq, event, actor, roles, key_id=statement.key_id)

    def chunk(self, records: list[Record]) -> None:
        with batch_cache(self.conn) as cache:
            if self._try(cache, records):
                return
            for record in records:
                try:
                    self._try(cache, [record], raise_error=True)
                except (TraceError, IntegrityError) as e:
                    # Kept and named, never silently dropped: an entry appended around the
                    # recorder that breaks a rule.
                    self.conn.execute(insert(t.anomalies).values(seq=record.seq, error=str(e)))

    def _try(self, cache: BatchCache, records: list[Record], *, raise_error: bool = False) -> bool:
        """Apply ``records`` under one savepoint: all of them (True), or none."""
        savepoint = self.conn.begin_nested()
        try:
            for record in records:
                self.apply(record)
            cache.flush()  # a deferred row's own error belongs to this savepoint
        except (TraceError, IntegrityError):
            savepoint.rollback()
            cache.reset()
            if raise_error:
                raise
            return False
        savepoint.commit()
        return True


def catch_up_locked(ledger: Ledger, appender: Appender) -> int:
    """Apply every entry after the projection's position up to the log's size.

    Call inside ``ledger.append_transaction()``: no one can append meanwhile, so the entries
    read are exactly those the projection lacks. Returns how many were applied.
    """
    conn = appender.conn
    start, stop = applied_size(conn), appender.size
    if start >= stop:
        return 0
    replay = _Replay(ledger, conn)
    pending: list[Record] = []
    for record in ledger.entries(start, stop):
        pending.append(record)
        if len(pending) == _CHUNK:
            replay.chunk(pending)
            pending = []
    if pending:
        replay.chunk(pending)
    set_applied_size(conn, stop)
    return stop - start


def catch_up(ledger: Ledger) -> int:
    """Bring the projection up to the ledger's head; return how many entries it applied."""
    with ledger.engine.connect() as conn, conn.begin():
        behind = applied_size(conn) < ledger.size()
    if not behind:
        return 0  # the common case on a read path: no write lock taken
    with ledger.append_transaction() as appender:
        return catch_up_locked(ledger, appender)


def rebuild(ledger: Ledger) -> int:
    """Drop the ``trace_*`` tables, recreate them and replay the whole ledger into them."""
    with begin_write(ledger.engine) as conn:
        t.metadata.drop_all(conn)
        t.metadata.create_all(conn)
    return catch_up(ledger)
