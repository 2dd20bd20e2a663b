"""Side tables created on first use stay usable when another connection writes meanwhile.

SQLite refuses at once ("database is locked", busy timeout unused) a DEFERRED transaction
that read and then writes after another connection committed. The scan counter and its
dashboard read create their table on first use; a concurrent writer between that check and
the create (CI saw the dashboards' background warm-up do it) must not fail the page.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event

from ledger._store import open_engine
from traceability import count_scan, suspicious_serials


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """A fresh SQLite database in which another connection commits right after each check
    of whether ``trace_scans`` exists."""
    path = tmp_path / "db.sqlite"
    engine = open_engine(f"sqlite:///{path}", create=True)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("PRAGMA journal_mode=WAL")
    other.execute("CREATE TABLE elsewhere (n INTEGER)")

    def interleave(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # A transaction holding the write lock cannot be written past: only a check made
        # without it leaves the gap another writer can commit in.
        if conn.get_execution_options().get("ledger_write"):
            return
        if "table_info" in statement.lower() or "sqlite_master" in statement.lower():
            other.execute("INSERT INTO elsewhere VALUES (1)")

    event.listen(engine, "after_cursor_execute", interleave)
    yield engine
    engine.dispose()
    other.close()


def test_first_scan_is_counted_when_another_writer_commits_in_between(engine: Engine) -> None:
    counted = count_scan(engine, "06912345670012", "S1", datetime.now(UTC))
    assert counted is not None
    assert counted.count == 1


def test_suspicious_list_answers_when_another_writer_commits_in_between(engine: Engine) -> None:
    assert suspicious_serials(engine) == []
