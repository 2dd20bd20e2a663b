"""The ``ledger_key`` rows: a derived index of key registrations, kept for readers and audits.

Nothing the ledger decides reads these rows: key state is replayed from the ``ledger.*``
entries themselves (:mod:`ledger._keystate`), and the audit compares this table with that
replay, naming every row and column that differs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, select, update

from ledger._schema import entries, keys

__all__ = ["KeyRows"]


class KeyRows:
    """Key-table queries of one log (mixed into :class:`ledger._store.Store`)."""

    log_id: int

    def key_rows(self, conn: Connection) -> list[Any]:
        """Return every key row of this log, by key id."""
        query = select(keys).where(keys.c.log_id == self.log_id).order_by(keys.c.key_id)
        return list(conn.execute(query).all())

    def insert_key(self, conn: Connection, **values: Any) -> None:
        """Record a key registration (inside the append lock)."""
        conn.execute(keys.insert().values(log_id=self.log_id, **values))

    def revoke_key(self, conn: Connection, key_id: str, seq: int) -> None:
        """Record a key revocation (inside the append lock)."""
        conn.execute(
            update(keys)
            .where(keys.c.log_id == self.log_id, keys.c.key_id == key_id)
            .values(revoked_seq=seq)
        )

    def key_entry_rows(
        self, conn: Connection, kinds: Sequence[str], start: int, below: int | None = None
    ) -> list[Any]:
        """Return ``(seq, kind, leaf)`` of entries whose kind column is one of ``kinds``.

        Only entries with ``start <= seq`` (and ``seq < below`` when given), in order. One
        index range per kind (an IN list, not a LIKE prefix, which SQLite would scan).
        """
        query = select(entries.c.seq, entries.c.kind, entries.c.leaf).where(
            entries.c.log_id == self.log_id,
            entries.c.kind.in_(list(kinds)),
            entries.c.seq >= start,
        )
        if below is not None:
            query = query.where(entries.c.seq < below)
        # Sorted here, not by ORDER BY seq: with it SQLite walks the primary key from
        # ``start`` (every entry since the last key entry, once per append) instead of the
        # kind index; the rows are few.
        return sorted(conn.execute(query).all(), key=lambda row: row.seq)
