"""Many rows of a plain insert handed to the driver as tuples: the batch's queued writes.

A batch of 900 events queues about six rows per event (results, readings, edges, packed
units, event-lot links...). Sent as a Core ``executemany`` each row costs SQLAlchemy's
parameter building and, on PostgreSQL, psycopg's pipelined per-row protocol work in Python:
together about half of recording's client CPU there (cProfile of ``bench/trace.py``). An
insert with nothing but column values needs none of that: SQLite takes the tuples in its C
``executemany``, PostgreSQL by ``COPY ... FROM STDIN``, which psycopg writes in C.

Only statements that are exactly ``insert(table)`` qualify (no ``values()``, no ``ON
CONFLICT``, no ``RETURNING``), on tables whose columns are strings, integers, booleans or
bytes: the driver stores those values exactly as SQLAlchemy's own binding would.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Boolean, Connection, Integer, LargeBinary, String, Table, insert
from sqlalchemy.sql import ClauseElement, Insert

__all__ = ["insert_rows", "plain_insert"]

# Column types whose values the drivers take as they are (Text is a String).
_PLAIN_TYPES = (String, Integer, Boolean, LargeBinary)
# Per statement object (the handlers build theirs once): its table, or None.
_PLAIN: WeakKeyDictionary[ClauseElement, Table | None] = WeakKeyDictionary()


def plain_insert(statement: Any) -> Table | None:
    """The table ``statement`` inserts into, if it is exactly ``insert(table)``; else None."""
    if not isinstance(statement, Insert):
        return None
    try:
        return _PLAIN[statement]
    except KeyError:
        pass
    table = statement.table
    plain = (
        isinstance(table, Table)
        and statement.compare(insert(table))
        and all(isinstance(c.type, _PLAIN_TYPES) for c in table.c)
    )
    _PLAIN[statement] = table if plain and isinstance(table, Table) else None
    return _PLAIN[statement]


def insert_rows(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> bool:
    """Insert ``rows`` into ``table`` through the driver; False (nothing done) if they differ.

    Every row must name the same columns of ``table``; a run that does not goes back to the
    caller, who sends it the ordinary way.
    """
    names = tuple(rows[0])
    keys = rows[0].keys()
    if any(r.keys() != keys for r in rows) or any(n not in table.c for n in names):
        return False
    values = [tuple(map(r.__getitem__, names)) for r in rows]
    quote = conn.dialect.identifier_preparer.quote  # "limit" is a column name
    target = quote(table.name), tuple(quote(n) for n in names)
    if conn.dialect.name == "postgresql":
        driver = conn.connection.driver_connection
        assert driver is not None  # an open Connection holds its driver's connection
        with driver.cursor() as cursor, cursor.copy(_copy_sql(*target)) as copy:
            for row in values:
                copy.write_row(row)
        return True
    mark = {"qmark": "?", "format": "%s", "pyformat": "%s"}.get(conn.dialect.paramstyle)
    if mark is None:
        return False
    conn.exec_driver_sql(_insert_sql(*target, mark), values)
    return True


@cache
def _copy_sql(table: str, columns: tuple[str, ...]) -> str:
    # Names are the schema's own (checked against the table, quoted), never input.
    return f"COPY {table} ({', '.join(columns)}) FROM STDIN"


@cache
def _insert_sql(table: str, columns: tuple[str, ...], mark: str) -> str:
    marks = ", ".join([mark] * len(columns))
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608
