"""The same season on PostgreSQL: copy a SQLite ledger's tables into a fresh schema.

``bench/scan.py`` compares the resolver on SQLite and PostgreSQL over the same ledger.
Rebuilding a million-event season on PostgreSQL would take most of an hour; the ledger and
its projection are plain tables, so the rows are copied as they are (PostgreSQL ``COPY``)
into tables created from the packages' own schema definitions. Nothing is re-signed or
re-derived: the copy holds the very entries, nodes, checkpoints and projection rows.
"""

from __future__ import annotations

import time
from urllib.parse import quote

import sqlalchemy
from sqlalchemy import Table

from ledger._schema import metadata as ledger_tables
from traceability.projection._schema import metadata as trace_tables

__all__ = ["copy_to_postgres", "schema_url"]

_CHUNK = 20_000


def schema_url(server: str, schema: str) -> str:
    """``server``'s URL with ``schema`` first on the search path (as the tests do)."""
    separator = "&" if "?" in server else "?"
    return f"{server}{separator}options={quote(f'-csearch_path={schema}')}"


def copy_to_postgres(sqlite_url: str, server: str, schema: str) -> str:
    """Copy every ledger and ``trace_*`` table into ``schema`` (dropped first); return its URL.

    Args:
        sqlite_url: The SQLite ledger (with its projection) to copy.
        server: A PostgreSQL server URL (``postgresql+psycopg://...``).
        schema: The schema to (re)create for the copy.
    """
    admin = sqlalchemy.create_engine(server)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    admin.dispose()
    url = schema_url(server, schema)
    source = sqlalchemy.create_engine(sqlite_url)
    target = sqlalchemy.create_engine(url)
    tables: list[Table] = ledger_tables.sorted_tables + trace_tables.sorted_tables
    ledger_tables.create_all(target)
    trace_tables.create_all(target)
    started = time.perf_counter()
    rows = 0
    raw = target.raw_connection()
    try:
        cursor = raw.cursor()
        with source.connect() as reader:
            for table in tables:
                names = [c.name for c in table.columns]
                result = reader.execution_options(stream_results=True).execute(
                    sqlalchemy.select(*table.columns)
                )
                columns = ", ".join(f'"{n}"' for n in names)
                with cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
                    for chunk in result.partitions(_CHUNK):
                        for row in chunk:
                            copy.write_row(tuple(row))
                        rows += len(chunk)
        # Explicit ids were copied; later inserts must not collide with them.
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('ledger_head', 'log_id'), "
            "(SELECT max(log_id) FROM ledger_head))"
        )
        cursor.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
        source.dispose()
        target.dispose()
    print(f"  copied {rows:,} rows to PostgreSQL schema {schema} in "
          f"{time.perf_counter() - started:.0f} s")  # fmt: skip
    return url
