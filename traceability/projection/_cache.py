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

A savepoint rolled back undoes writes the cache may mirror, so its owner flushes before the
savepoint and calls :meth:`BatchCache.reset` after rolling it back.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection, bindparam, insert, update

from traceability.projection import _schema as t
from traceability.rules._tables import MrlTable, Profile

__all__ = ["BatchCache", "active", "batch_cache"]

_TOUCH = insert(t.event_lots)
_SET_STAGE = update(t.lots).where(t.lots.c.key == bindparam("k")).values(stage_time=bindparam("at"))
_LOT_COLUMNS = tuple(c.name for c in t.lots.c)


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

    # --- deferred writes -------------------------------------------------------------------------

    def flush(self) -> None:
        """Write the deferred ``trace_event_lots`` rows and stage times (one statement each)."""
        if self.touched:
            rows, self.touched = self.touched, []
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


_ACTIVE: ContextVar[BatchCache | None] = ContextVar("traceability_batch_cache", default=None)


@contextmanager
def batch_cache(conn: Connection) -> Iterator[BatchCache]:
    """Open a cache for ``conn`` until the block ends; the block must :meth:`flush` it."""
    cache = BatchCache(conn)
    token = _ACTIVE.set(cache)
    try:
        yield cache
    finally:
        _ACTIVE.reset(token)


def active(conn: Connection) -> BatchCache | None:
    """The cache opened for ``conn``, or None (never another connection's)."""
    cache = _ACTIVE.get()
    return cache if cache is not None and cache.conn is conn else None
