"""Opening the database: URL, engine, and the durability and locking settings.

SQLite (embedded default, WAL, ``synchronous=FULL`` so an acknowledged append survives a
power cut) and PostgreSQL share every statement. SQLite writers take the write lock up front
with ``BEGIN IMMEDIATE``; PostgreSQL writers lock the log's head row (see ``Store.write``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from ledger._errors import StoreError

__all__ = ["DEFAULT_URL_ENV", "begin_write", "database_url", "open_engine"]

#: Environment variable holding the database URL when none is given.
DEFAULT_URL_ENV = "AGRITRACE_DB"


def database_url(url: str | None) -> str:
    """Resolve the database URL: the argument, else ``$AGRITRACE_DB``, else a local file."""
    return url or os.environ.get(DEFAULT_URL_ENV) or "sqlite:///agritrace-data/ledger.db"


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
        raise StoreError(
            f"database URL: expected e.g. sqlite:///ledger.db, got {url!r}",
            field="database URL",
            got=url,
        ) from e
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
    engine = create_engine(url, pool_pre_ping=True)
    event.listen(engine, "connect", _postgresql_on_connect)
    return engine


def _postgresql_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # psycopg prepares a statement on the server after a few runs, and PostgreSQL may then
    # keep one generic plan for the connection's life. A plan made while the log was small
    # (a sequential scan is cheapest there) stayed in use as it grew: the duplicate check's
    # IN list took a second per batch at 100,000 entries and recording slowed as the log
    # grew (docs/performance.md). Custom plans are made for each run's own values and the
    # table as it is now.
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET plan_cache_mode = force_custom_plan")
    dbapi_connection.commit()


@contextmanager
def begin_write(engine: Engine) -> Iterator[Connection]:
    """Open a transaction that will write, holding SQLite's write lock from its first statement.

    A plain (DEFERRED) SQLite transaction that reads first (``CREATE TABLE IF NOT EXISTS``,
    a check, a select) and writes after fails at once with "database is locked" when another
    connection wrote in between: its snapshot is stale and waiting cannot help, so the busy
    timeout is never used. Beginning IMMEDIATE makes it wait its turn instead. On PostgreSQL
    this is an ordinary transaction.
    """
    with engine.connect() as conn:
        conn = conn.execution_options(ledger_write=True)
        with conn.begin():
            yield conn


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
