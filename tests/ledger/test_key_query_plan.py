"""The key state's per-append query reads the kind index, not every entry since the last key.

Every append asks for the ``ledger.*`` entries added since the last one it knows
(:mod:`ledger._keystate`). With ``ORDER BY seq`` SQLite chose the primary key and walked every
entry from the last key registration on, once per append: a cost growing with the log. This
test captures the query an append issues on SQLite and reads its plan.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy
from sqlalchemy import event, text

from tests.ledger.conftest import LogWorld, notes


def test_key_entries_are_read_through_the_kind_index(
    make_log: Callable[[str], LogWorld], sqlite_url: str
) -> None:
    world = make_log(sqlite_url)
    packer = world.actor("packer", ("packer",))
    world.ledger.append_batch(notes(packer, 50))
    seen: list[tuple[str, Any]] = []

    def keep(conn: Any, cursor: Any, statement: str, params: Any, *rest: Any) -> None:
        if "ledger_entry.kind IN" in statement and "ledger_entry.leaf" in statement:
            seen.append((statement, params))

    event.listen(sqlalchemy.Engine, "before_cursor_execute", keep)
    try:
        world.ledger.append_batch(notes(packer, 5, start=50))
    finally:
        event.remove(sqlalchemy.Engine, "before_cursor_execute", keep)
    assert seen, "an append reads the key entries added since the last one"
    statement, params = seen[-1]
    engine = sqlalchemy.create_engine(sqlite_url)
    try:
        with engine.connect() as conn:
            raw = conn.connection.driver_connection
            assert raw is not None
            plan = " ".join(
                str(row[-1]) for row in raw.execute(f"EXPLAIN QUERY PLAN {statement}", params)
            )
            assert conn.execute(text("SELECT count(*) FROM ledger_entry")).scalar_one() > 50
    finally:
        engine.dispose()
    assert "ix_ledger_entry_kind" in plan, plan
