"""Reads an alliance needs of each member's projection: status counts and cross-log intakes.

Each member's projection answers for its own log only (one database per member); the
alliance (traceability/_alliance.py) puts the answers side by side.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, func, select

from traceability.projection import _schema as t
from traceability.projection._lists import LotState, lot_rows

__all__ = ["IntakeView", "StatusCounts", "failed_lots", "intakes", "status_counts"]


@dataclass(frozen=True)
class StatusCounts:
    """How many lots a projection holds, per status, and how many carry a failing verdict.

    Attributes:
        total: every lot.
        by_status: lot status -> lots (statuses without lots are absent).
        failed: lots with a failing residue verdict on them or upstream (any status).
    """

    total: int
    by_status: dict[str, int]
    failed: int

    def of(self, status: str) -> int:
        """Lots in ``status`` (0 when none)."""
        return self.by_status.get(status, 0)


@dataclass(frozen=True)
class IntakeView:
    """A ``trace.intake`` as the projection keeps it: this log's lot and the source it names.

    Attributes:
        seq: the intake entry.
        lot: this log's lot key.
        site: where it was received.
        source_log: the source log's origin line.
        source_gtin: the lot's GTIN in the source log.
        source_lot: the lot code in the source log.
        source_shipment: the shipment id in the source log.
        source_seq: the source's shipping entry.
        source_leaf: that entry's leaf hash as the intake states it (hex).
        time: when it was taken in (ISO 8601 with its offset).
    """

    seq: int
    lot: str
    site: str
    source_log: str
    source_gtin: str
    source_lot: str
    source_shipment: str
    source_seq: int
    source_leaf: str
    time: str


def status_counts(conn: Connection) -> StatusCounts:
    """Count the projection's lots per status, and those with a failing verdict."""
    lots = t.lots.c
    rows = conn.execute(select(lots.status, func.count()).group_by(lots.status)).all()
    by_status = {str(status): int(n) for status, n in rows}
    failed = conn.execute(select(func.count()).where(lots.failed.is_(True))).scalar_one()
    return StatusCounts(sum(by_status.values()), by_status, int(failed))


def intakes(conn: Connection) -> list[IntakeView]:
    """Every lot this log took in from another log, in entry order."""
    rows = conn.execute(select(t.intakes).order_by(t.intakes.c.seq)).all()
    return [IntakeView(**row._mapping) for row in rows]


def failed_lots(conn: Connection, limit: int) -> list[LotState]:
    """Lots with a failing residue verdict on them or upstream, newest first."""
    lots = t.lots.c
    query = select(t.lots).where(lots.failed.is_(True)).order_by(lots.created_seq.desc())
    return lot_rows(conn.execute(query.limit(limit)))
