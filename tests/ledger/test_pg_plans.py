"""PostgreSQL connections plan each statement for its own values and the table as it is.

psycopg prepares a statement on the server after a few runs; PostgreSQL may then keep one
generic plan for the connection's life. One made while the log was small (a sequential scan
of a few rows) stayed as it grew: the duplicate check took a second per batch at 100,000
entries and recording fell from 2,000 to 570 events/s over the run (bench/trace.py,
docs/performance.md). ``open_engine`` sets ``plan_cache_mode = force_custom_plan`` on every
connection, including ones the pool opens again after a restart.
"""

from __future__ import annotations

import pytest

from ledger._store import open_engine


@pytest.mark.postgres
def test_every_postgresql_connection_plans_for_its_own_values(postgres_url: str) -> None:
    engine = open_engine(postgres_url)
    try:
        with engine.connect() as first, engine.connect() as second:
            for conn in (first, second):
                mode = conn.exec_driver_sql("SHOW plan_cache_mode").scalar()
                assert mode == "force_custom_plan"
        engine.dispose()  # the pool's next connection is a new one: set again
        with engine.connect() as again:
            assert again.exec_driver_sql("SHOW plan_cache_mode").scalar() == "force_custom_plan"
    finally:
        engine.dispose()
