"""The entries a replay refused (``trace_anomalies``), read for the auditors."""

from __future__ import annotations

from sqlalchemy import select

from ledger import Ledger
from traceability.projection import _schema as t

__all__ = ["refused_entries"]


def refused_entries(ledger: Ledger, stop: int) -> list[tuple[int, str]]:
    """Return ``(seq, error)`` of every entry before ``stop`` the projection's replay refused."""
    with ledger.engine.connect() as conn:
        rows = conn.execute(
            select(t.anomalies.c.seq, t.anomalies.c.error)
            .where(t.anomalies.c.seq < stop)
            .order_by(t.anomalies.c.seq)
        ).all()
    return [(int(row.seq), str(row.error)) for row in rows]
