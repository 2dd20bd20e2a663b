"""What a batch of entries already read or wrote, so applying it costs fewer statements.

The projection helpers in :mod:`traceability.projection._query` consult the
:class:`BatchCache` of the connection they are given, when the recorder or a catch-up opened
one (:func:`batch_cache`);
any other caller (a read path, a test) sees no cache and reads the database.

What is kept, and why it cannot go stale:

- lot rows read or written in this transaction: every write to ``trace_lots`` goes through
  the helpers, which update the database and the cached copy together;
- the latest commodity profile and MRL table, and products' commodities: dropped whenever
  a rule or product entry is applied (:func:`traceability.projection._apply.apply_entry`);
- each lot's ancestors: a lot's parents are written with it and never change;
- ``trace_event_lots`` rows, written with one ``executemany`` at :meth:`BatchCache.flush`:
  nothing reads that table while entries are applied (it serves exports);
- lots' ``stage_time`` (the time-order clock, :mod:`traceability.projection._timing`),
  written with one ``executemany`` at :meth:`BatchCache.flush`: only lots cached here are
  deferred, so every read of that column while entries are applied (through the cached row)
  sees the new time; one statement per stage event was the largest cost the time rule added
  to recording (bench/trace.py).

- plain writes the handlers hand to :func:`write` (status updates, edges, packed units,
  shipments, results...): queued in order and sent when a statement is about to touch one of
  their tables (a read, or a write that cannot wait, such as a lot insert that returns its
  key), or at :meth:`BatchCache.flush`. Consecutive rows of the same statement go as one
  ``executemany`` (a plain insert's rows as tuples through the driver, by ``COPY`` on
  PostgreSQL: :mod:`traceability.projection._bulk`): on PostgreSQL each statement is a
  round trip to the server, and these writes were half of recording's statements
  (bench/trace.py). The check runs on every statement the connection executes
  (:func:`batch_cache` listens to it), so no read can miss a queued write, and no caller has
  to know which writes are queued. There are no foreign keys between the ``trace_*`` tables,
  so writes to different tables may land in any order; one table's writes keep theirs;
- what the batch wrote about lots and shipments it created itself (:meth:`BatchCache.made`):
  a lot or shipment first inserted in this transaction has no rows in the packed, results,
  readings and shipment tables but those the batch queued through :func:`write`, so a
  question about it is answered here instead of by a round trip. Any other write to those
  tables on this connection (not through :func:`write`) makes the cache forget it all;
- which lot keys and case-folded codes are free (:meth:`BatchCache.free`), read ahead for
  the lots the batch's events create (:mod:`traceability.projection._prefetch`): a new lot
  whose key and code are free and not yet taken in this batch is inserted with the queued
  writes instead of by a round trip that returns its key. Only
  :func:`~traceability.projection._query.new_lot` inserts lots, and it takes the key and
  code here; any other insert or delete on the lots table makes the cache forget them.
  A status set on a lot whose insert is still queued goes into the queued row (and a
  receiving into its shipment's queued row), so that the table's writes stay one run;
- answers to reads the handlers ask through :func:`read` (sampling plans, a lab's key):
  kept until any write to one of the tables they read (queued or executed on this
  connection, seen by the same listener) drops them.

A savepoint rolled back undoes writes the cache may mirror, so its owner flushes before the
savepoint and calls :meth:`BatchCache.reset` after rolling it back.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from types import SimpleNamespace
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Table, bindparam, event, insert, update
from sqlalchemy.sql import ClauseElement, Delete, Insert, Select, Update
from sqlalchemy.sql.util import find_tables

from traceability.projection import _schema as t
from traceability.projection._bulk import insert_rows, plain_insert
from traceability.rules._tables import MrlTable, Profile

__all__ = ["BatchCache", "active", "batch_cache", "no_wait", "read", "write"]

_TOUCH = insert(t.event_lots)
_SET_STAGE = update(t.lots).where(t.lots.c.key == bindparam("k")).values(stage_time=bindparam("at"))
_LOT_COLUMNS = tuple(c.name for c in t.lots.c)

# Tables whose rows the cache keeps for lots and shipments the batch created, by the column
# that names the lot or shipment (see BatchCache.made).
_MADE = {
    t.packed.name: "lot",
    t.results.name: "lot",
    t.readings.name: "subject",
    t.shipment_lots.name: "shipment",
    t.shipments.name: "shipment",
}

# Inserts the cache may fold later updates into, by the column naming the row.
_FOLD = {t.lots.name: "key", t.shipments.name: "shipment"}

# The tables each statement touches, by statement object: the handlers' statements are built
# once, so this is a dictionary look-up per execution (finding them costs ~30 µs).
_TABLES: WeakKeyDictionary[ClauseElement, frozenset[str]] = WeakKeyDictionary()
# Statements that need not wait for some queued writes to their table (see no_wait).
_NO_WAIT: WeakKeyDictionary[ClauseElement, frozenset[ClauseElement]] = WeakKeyDictionary()


def no_wait(statement: ClauseElement, *queued: ClauseElement) -> None:
    """Let ``statement`` run before queued writes of the statements ``queued`` have landed.

    For a statement whose outcome cannot depend on those writes (a lot's insert, which is
    decided by its key and code, beside queued status updates that change neither).
    """
    _NO_WAIT[statement] = frozenset(queued)


def _tables_of(statement: Any) -> frozenset[str] | None:
    """The names of the tables ``statement`` reads or writes; None when not known."""
    if not isinstance(statement, Select | Insert | Update | Delete):
        return None  # text, DDL, anything else: may touch any table
    known = _TABLES.get(statement)
    if known is None:
        found = find_tables(
            statement,
            include_aliases=True,
            include_joins=True,
            include_selects=True,
            include_crud=True,
        )
        known = frozenset(f.name for f in found if isinstance(f, Table))
        _TABLES[statement] = known
    return known or None


class BatchCache:
    """Rows one transaction has read or written, kept beside its connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.lots: dict[str, dict[str, Any]] = {}
        self.profiles: dict[str, tuple[int, Profile]] = {}
        self.tables: dict[str, tuple[int, MrlTable]] = {}
        self.commodities: dict[str, str] = {}
        self.touched: list[dict[str, Any]] = []
        self.stages: dict[str, str] = {}
        self.ancestors: dict[str, list[str]] = {}
        # Queued writes: (statement, parameters, table name), in the order they were made.
        self.pending: list[tuple[Any, Mapping[str, Any], str]] = []
        self._sending = False
        # Lots ("lot") and shipments ("shipment") created in this batch, and the rows queued
        # for them: (table, lot or shipment) -> rows as written, oldest first.
        self.fresh: dict[str, set[str]] = {"lot": set(), "shipment": set()}
        self.rows: dict[tuple[str, str], list[dict[str, Any]]] = {}
        # Queued inserts still waiting, by (table, key) (see _FOLD): the very dict queued.
        self.queued: dict[tuple[str, str], dict[str, Any]] = {}
        # Lot keys and folded codes known to be free (see free() and take()).
        self.free_keys: set[str] = set()
        self.free_codes: set[str] = set()
        self.lot_inserts: frozenset[Any] = frozenset()
        # Shipment ids known to be free (read ahead; taken by the shipping that uses one).
        self.free_shipments: set[str] = set()
        # Memoised reads: answers by (statement, parameters), and which answers read a table.
        self.answers: dict[tuple[Any, tuple[tuple[str, Any], ...]], list[Any]] = {}
        self.readers: dict[str, set[tuple[Any, tuple[tuple[str, Any], ...]]]] = {}

    # --- lots --------------------------------------------------------------------------------

    def lot(self, key: str) -> SimpleNamespace | None:
        """A copy of the cached lot row (a snapshot, like a database row), or None."""
        row = self.lots.get(key)
        return None if row is None else SimpleNamespace(**row)

    def keep_lot(self, values: dict[str, Any]) -> None:
        """Cache a lot row as read or inserted (columns not given are NULL)."""
        row = dict.fromkeys(_LOT_COLUMNS)
        row.update(values)
        self.lots[str(row["key"])] = row

    def update_lot(self, key: str, **values: Any) -> None:
        """Mirror an update already written to the database."""
        row = self.lots.get(key)
        if row is not None:
            row.update(values)

    def defer_stage(self, key: str, at: str) -> bool:
        """Move a cached lot's ``stage_time`` to ``at``, written at :meth:`flush`.

        Returns False, deferring nothing, when the lot is not cached (the caller writes it).
        """
        row = self.lots.get(key)
        if row is None:
            return False
        row["stage_time"] = at
        self.stages[key] = at
        return True

    # --- rules and products --------------------------------------------------------------------

    def rules_changed(self) -> None:
        """A rule or product entry was applied: forget what was derived from the old ones."""
        self.profiles.clear()
        self.tables.clear()
        self.commodities.clear()

    # --- what the batch created ------------------------------------------------------------------

    def created(self, kind: str, key: str) -> None:
        """Note that lot or shipment ``key`` (``kind`` "lot" or "shipment") was inserted now."""
        self.fresh[kind].add(key)

    def made(self, table: str, kind: str, key: str) -> list[SimpleNamespace] | None:
        """Copies of ``table``'s rows for ``key`` when the batch created it, else None.

        None means "ask the database": the lot or shipment existed before this batch.
        """
        if key not in self.fresh[kind]:
            return None
        return [SimpleNamespace(**row) for row in self.rows.get((table, key), ())]

    def keep_row(self, table: str, key: str, **values: Any) -> None:
        """Cache the row the caller wrote for a lot or shipment of this batch (others NULL)."""
        columns = dict.fromkeys(c.name for c in t.metadata.tables[table].c)
        self.rows[(table, key)] = [columns | values]

    def update_row(self, table: str, key: str, **values: Any) -> None:
        """Mirror an update of the one cached row of ``key`` in ``table`` (if cached)."""
        for row in self.rows.get((table, key), ()):
            row.update(values)

    def _forget_made(self) -> None:
        self.fresh = {"lot": set(), "shipment": set()}
        self.rows = {}

    # --- free lot codes ----------------------------------------------------------------------

    def free(self, keys: set[str], codes: set[str], inserts: frozenset[Any]) -> None:
        """Note lot ``keys`` and folded ``codes`` as free now (``inserts``: new_lot's)."""
        self.free_keys |= keys
        self.free_codes |= codes
        self.lot_inserts = inserts

    def take(self, key: str, code: str) -> bool:
        """Take a free key and code for a new lot; False (nothing taken) when not known free."""
        if key not in self.free_keys or code not in self.free_codes:
            return False
        self.free_keys.discard(key)
        self.free_codes.discard(code)
        return True

    def queued_row(self, table: str, key: str) -> dict[str, Any] | None:
        """The row of a queued insert into ``table`` not sent yet, to fold an update into."""
        return self.queued.get((table, key))

    # --- memoised reads ---------------------------------------------------------------------------

    def read(self, statement: Any, params: Mapping[str, Any]) -> list[Any]:
        """The rows of ``statement``: asked once, then kept until one of its tables is written."""
        key = (statement, tuple(sorted(params.items())))
        known = self.answers.get(key)
        if known is not None:
            return known
        rows = list(self.conn.execute(statement, params).all())
        tables = _tables_of(statement)
        if tables is not None and isinstance(statement, Select):
            self.answers[key] = rows
            for table in tables:
                self.readers.setdefault(table, set()).add(key)
        return rows

    def prime(self, statement: Select[Any], params: Mapping[str, Any], rows: list[Any]) -> None:
        """Keep ``rows`` as the answer ``statement`` gives now (read ahead in a wider query).

        Call with no write queued for the statement's tables (the wider query sent them).
        """
        tables = _tables_of(statement)
        if tables is None:
            return
        key = (statement, tuple(sorted(params.items())))
        self.answers[key] = rows
        for table in tables:
            self.readers.setdefault(table, set()).add(key)

    def _written(self, tables: frozenset[str] | None) -> None:
        """Forget the answers that read any of ``tables`` (None: every answer)."""
        if not self.answers:
            return
        if tables is None:
            self.answers.clear()
            self.readers.clear()
            return
        for table in tables:
            for key in self.readers.pop(table, ()):
                self.answers.pop(key, None)

    # --- deferred writes -------------------------------------------------------------------------

    def defer(self, statement: Any, params: Mapping[str, Any]) -> None:
        """Queue a write (no rows returned, no row count read) until its table is touched."""
        tables = _tables_of(statement)
        if tables is None or len(tables) != 1:
            self.conn.execute(statement, params)  # not one known table: write it now
            return
        (table,) = tables
        self._written(tables)
        column = _MADE.get(table)
        if column is not None and isinstance(statement, Insert) and table != t.shipments.name:
            self.rows.setdefault((table, str(params[column])), []).append(dict(params))
        fold = _FOLD.get(table)
        if fold is not None and isinstance(statement, Insert) and isinstance(params, dict):
            self.queued[(table, str(params[fold]))] = params
        self.pending.append((statement, params, table))

    def send(
        self, tables: frozenset[str] | None = None, but: frozenset[ClauseElement] = frozenset()
    ) -> None:
        """Write the queued writes to ``tables`` (None: all), except those of statements ``but``.

        Each table's writes go in the order they were made; runs of one statement naming the
        same columns go as one ``executemany`` (tables in any order: no foreign keys join them).
        """
        if not self.pending or self._sending:
            return
        if tables is None:
            due, self.pending = self.pending, []
        else:
            due = [p for p in self.pending if p[2] in tables and p[0] not in but]
            if not due:
                return
            self.pending = [p for p in self.pending if p[2] not in tables or p[0] in but]
        by_table: dict[str, list[tuple[Any, Mapping[str, Any], str]]] = {}
        for p in due:
            by_table.setdefault(p[2], []).append(p)
        if self.queued and not _FOLD.keys().isdisjoint(by_table):
            self.queued = {k: v for k, v in self.queued.items() if k[0] not in by_table}
        self._sending = True
        try:
            for writes in by_table.values():
                start = 0
                while start < len(writes):
                    statement, end = writes[start][0], start + 1
                    # One executemany takes rows naming the same columns: a status folded
                    # into one queued row (see _FOLD) adds columns its neighbours lack.
                    keys = writes[start][1].keys()
                    while (
                        end < len(writes)
                        and writes[end][0] is statement
                        and writes[end][1].keys() == keys
                    ):
                        end += 1
                    rows: Sequence[Mapping[str, Any]] = [p[1] for p in writes[start:end]]
                    table = plain_insert(statement) if len(rows) > 1 else None
                    if table is None or not insert_rows(self.conn, table, rows):
                        self.conn.execute(statement, rows[0] if len(rows) == 1 else list(rows))
                    start = end
        finally:
            self._sending = False

    def _before_execute(self, _conn: Connection, statement: Any, *_: Any) -> None:
        # Every statement the connection runs: queued writes to its tables go first.
        if self._sending:
            return
        tables = _tables_of(statement)
        if not isinstance(statement, Select):
            self._written(tables)  # a write, or a statement that might be one
            lots = tables is None or t.lots.name in tables
            if lots and not isinstance(statement, Update) and statement not in self.lot_inserts:
                self.free_keys.clear()  # a lot inserted or deleted around new_lot
                self.free_codes.clear()
            shipments = tables is None or t.shipments.name in tables
            if shipments and not isinstance(statement, Update):
                self.free_shipments.clear()  # only write() may insert shipments meanwhile
            if tables is None or not tables.isdisjoint(_MADE):
                # Written around write(): the copies may be wrong. What was queued for the
                # batch's own lots and shipments lands first, so that no question about
                # them can skip it from now on (see no_wait).
                self.send(frozenset(_MADE))
                self._forget_made()
        if self.pending:
            self.send(tables, _NO_WAIT.get(statement, frozenset()))

    def flush(self) -> None:
        """Write every queued write, the ``trace_event_lots`` rows and the stage times."""
        self.send()
        if self.touched:
            rows, self.touched = self.touched, []
            if len(rows) < 2 or not insert_rows(self.conn, t.event_lots, rows):
                self.conn.execute(_TOUCH, rows)
        if self.stages:
            stages, self.stages = self.stages, {}
            self.conn.execute(_SET_STAGE, [{"k": k, "at": at} for k, at in stages.items()])

    def reset(self) -> None:
        """Forget everything (after a savepoint rollback that may have undone cached writes)."""
        self.lots.clear()
        self.ancestors.clear()
        self.rules_changed()
        self.touched = []
        self.stages = {}  # rolled back with the savepoint: never written
        self.pending = []
        self.answers.clear()
        self.readers.clear()
        self._forget_made()
        self.queued = {}
        self.free_keys.clear()
        self.free_codes.clear()
        self.free_shipments.clear()


_ACTIVE: ContextVar[BatchCache | None] = ContextVar("traceability_batch_cache", default=None)


@contextmanager
def batch_cache(conn: Connection) -> Iterator[BatchCache]:
    """Open a cache for ``conn`` until the block ends; the block must :meth:`flush` it."""
    cache = BatchCache(conn)
    token = _ACTIVE.set(cache)
    event.listen(conn, "before_execute", cache._before_execute)
    try:
        yield cache
    finally:
        event.remove(conn, "before_execute", cache._before_execute)
        _ACTIVE.reset(token)


def active(conn: Connection) -> BatchCache | None:
    """The cache opened for ``conn``, or None (never another connection's)."""
    cache = _ACTIVE.get()
    return cache if cache is not None and cache.conn is conn else None


def write(conn: Connection, statement: Any, params: Mapping[str, Any]) -> None:
    """Execute a plain write now, or queue it in the batch's cache when one is open."""
    cache = active(conn)
    if cache is None:
        conn.execute(statement, params)
    else:
        cache.defer(statement, params)


def read(conn: Connection, statement: Any, params: Mapping[str, Any]) -> list[Any]:
    """The rows of a read the batch may ask again (:meth:`BatchCache.read`), or asked now."""
    cache = active(conn)
    if cache is None:
        return list(conn.execute(statement, params).all())
    return cache.read(statement, params)
