"""A plain insert's rows through the driver (projection/_bulk.py): the rows Core would write.

The batch's queued writes go as tuples (SQLite's ``executemany``, PostgreSQL's ``COPY``) only
for statements that are exactly ``insert(table)``; anything else, or rows naming different
columns, is left to Core. On SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert

from ledger._store import open_engine
from traceability.projection import _schema as t
from traceability.projection._bulk import insert_rows, plain_insert
from traceability.projection._ddl import ensure_tables

# Awkward values on purpose: a reserved word as a column ("limit"), NULLs, quotes,
# backslashes, tabs and newlines (COPY's own separators), non-ASCII text.
RESULTS: list[dict[str, Any]] = [
    {
        "seq": seq,
        "substance": name,
        "lot": lot,
        "value": value,
        "loq": "0.01",
        "limit": limit,
        "outcome": "pass",
        "rule_seq": 3,
        "edition": "GB 2763-2021",
        "reason": reason,
        "sample_id": f"S{seq}",
        "lab": "喀什检测中心",
        "time": None,
    }
    for seq, name, lot, value, limit, reason in [
        (10, "chlorpyrifos", "SB26-H01", "<LOQ", None, ""),
        (11, "多菌灵", "SB26\\H01", "0.02", "0.5", 'say "no"\tthen\nstop'),
        (12, "ئىمىداكلوپرىد", "SB26-H02", "0.30", "0.5", "\\N"),
    ]
]


def test_only_exactly_insert_of_a_table_is_plain() -> None:
    assert plain_insert(insert(t.results)) is t.results
    assert plain_insert(insert(t.results).values(seq=1)) is None
    assert plain_insert(insert(t.results).returning(t.results.c.seq)) is None
    assert plain_insert(postgresql_insert(t.lots).on_conflict_do_nothing()) is None
    assert plain_insert(select(t.results)) is None


def _stored(url: str, rows: list[dict[str, Any]], through_driver: bool) -> list[tuple[Any, ...]]:
    engine = open_engine(url, create=True)
    try:
        ensure_tables(engine, t.metadata)
        with engine.begin() as conn:
            if through_driver:
                assert insert_rows(conn, t.results, rows)
            else:
                conn.execute(insert(t.results), rows)
        with engine.connect() as conn:
            columns = [t.results.c[name] for name in rows[0]]
            query = select(*columns).order_by(t.results.c.seq)
            return [tuple(r) for r in conn.execute(query)]
    finally:
        engine.dispose()


def test_driver_rows_equal_core_rows(db_url: str, tmp_path: Any) -> None:
    by_driver = _stored(db_url, RESULTS, through_driver=True)
    assert [r[0] for r in by_driver] == [10, 11, 12]
    assert by_driver[1][2] == "SB26\\H01"
    assert by_driver[1][9] == 'say "no"\tthen\nstop'
    assert by_driver[2][9] == "\\N"  # text, not COPY's NULL
    assert by_driver[0][-1] is None  # time
    assert by_driver[0][5] is None  # limit
    if db_url.startswith("sqlite"):
        other = f"sqlite:///{tmp_path / 'core.db'}"
        assert by_driver == _stored(other, RESULTS, through_driver=False)


def test_rows_naming_different_columns_are_left_to_core(db_url: str) -> None:
    engine = open_engine(db_url, create=True)
    try:
        ensure_tables(engine, t.metadata)
        with engine.begin() as conn:
            short = {k: v for k, v in RESULTS[1].items() if k != "reason"}
            assert not insert_rows(conn, t.results, [RESULTS[0], short])
            assert not insert_rows(conn, t.results, [{**RESULTS[0], "nonsense": 1}] * 2)
            count = conn.execute(select(t.results.c.seq)).all()
        assert count == []
    finally:
        engine.dispose()
