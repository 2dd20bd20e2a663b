"""Creating the projection's tables when a database has none, safely beside other writers."""

from __future__ import annotations

from sqlalchemy import Engine, MetaData, inspect

from ledger import begin_write

__all__ = ["ensure_tables"]


def ensure_tables(engine: Engine, metadata: MetaData) -> None:
    """Create the tables of ``metadata`` the database lacks.

    When all exist (every open after the first) this only reads. Otherwise the checks and
    creates run in one write transaction from its first statement: SQLite refuses at once,
    without waiting, a plain transaction that read and then writes after another connection
    wrote (see :func:`ledger.begin_write`).
    """
    with engine.connect() as conn:
        present = set(inspect(conn).get_table_names())
    if all(table.name in present for table in metadata.sorted_tables):
        return
    with begin_write(engine) as conn:
        metadata.create_all(conn)
