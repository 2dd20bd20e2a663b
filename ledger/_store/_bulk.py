"""Bulk inserts of entry and node rows: tuples handed straight to the driver's executemany.

A Core ``insert()`` run with a list of dicts builds and type-processes a parameter set per
row inside SQLAlchemy: about a third of a mirror's non-signature work per entry (cProfile of
``bench/mirror.py``). A mirror writes tens of thousands of verified rows a second, so these
methods pass plain tuples to the driver's own ``executemany`` (SQLite's C loop), with the
placeholders of the driver's parameter style; on PostgreSQL they go by ``COPY ... FROM
STDIN``, since psycopg's pipelined ``executemany`` spends about 40 µs of client CPU a row
in Python where its ``COPY`` writes a row in C. The rows and the transaction are the
caller's (the append lock held).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from sqlalchemy import Connection

from ledger._schema import entries, nodes

__all__ = ["BulkRows", "EntryRow", "NodeRow", "copy_rows"]

#: ``(seq, leaf, statement_hash, kind, key_id, log_time)``
EntryRow = tuple[int, bytes, bytes, str, str, str]
#: ``(node id, hash)``: the id as :func:`ledger._store.node_id` packs it.
NodeRow = tuple[int, bytes]

_ENTRY_COLUMNS = ("log_id", "seq", "leaf", "statement_hash", "kind", "key_id", "log_time")
_NODE_COLUMNS = ("log_id", "node", "hash")
# DB-API parameter styles that take positional parameters with these marks.
_MARKS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


@cache
def _insert_sql(table: str, columns: tuple[str, ...], mark: str) -> str:
    # Table and column names are this module's constants; the values travel as parameters.
    marks = ", ".join([mark] * len(columns))
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608


@cache
def _copy_sql(table: str, columns: tuple[str, ...]) -> str:
    return f"COPY {table} ({', '.join(columns)}) FROM STDIN"


def copy_rows(
    conn: Connection, table: str, columns: tuple[str, ...], rows: Iterable[tuple[Any, ...]]
) -> None:
    """Insert ``rows`` (tuples in ``columns``' order) into ``table`` by PostgreSQL's ``COPY``.

    Runs on ``conn``'s own psycopg connection, so inside its transaction; ``table`` and
    ``columns`` are the caller's constants, never input. A duplicate key fails the whole
    ``COPY`` (and the transaction), as it fails an ``executemany``.
    """
    driver = conn.connection.driver_connection
    assert driver is not None  # an open Connection always holds its driver's connection
    with driver.cursor() as cursor, cursor.copy(_copy_sql(table, columns)) as copy:
        for row in rows:
            copy.write_row(row)


class BulkRows:
    """Bulk writes of one log's rows (mixed into :class:`ledger._store.Store`)."""

    log_id: int

    def insert_entry_rows(self, conn: Connection, rows: Sequence[EntryRow]) -> None:
        """Insert entry rows given as :data:`EntryRow` tuples (inside the append lock)."""
        log_id = self.log_id
        mark = _MARKS.get(conn.dialect.paramstyle)
        if mark is None:  # a driver with named parameters only: the Core path
            names = _ENTRY_COLUMNS[1:]
            conn.execute(
                entries.insert(),
                [dict(zip(names, r, strict=True)) | {"log_id": log_id} for r in rows],
            )
            return
        if conn.dialect.name == "postgresql":
            copy_rows(conn, entries.name, _ENTRY_COLUMNS, ((log_id, *r) for r in rows))
            return
        sql = _insert_sql(entries.name, _ENTRY_COLUMNS, mark)
        conn.exec_driver_sql(sql, [(log_id, *r) for r in rows])

    def insert_node_rows(self, conn: Connection, rows: Sequence[NodeRow]) -> None:
        """Insert Merkle node rows given as :data:`NodeRow` tuples (inside the append lock)."""
        log_id = self.log_id
        mark = _MARKS.get(conn.dialect.paramstyle)
        if mark is None:
            conn.execute(
                nodes.insert(), [{"log_id": log_id, "node": n, "hash": h} for n, h in rows]
            )
            return
        if conn.dialect.name == "postgresql":
            copy_rows(conn, nodes.name, _NODE_COLUMNS, ((log_id, n, h) for n, h in rows))
            return
        sql = _insert_sql(nodes.name, _NODE_COLUMNS, mark)
        conn.exec_driver_sql(sql, [(log_id, n, h) for n, h in rows])
