"""The projection's plain rows as frozen views: lots, products, plots, shipments in transit.

Every function here reads one connection's view of the ``trace_*`` tables and returns
frozen values; :class:`traceability.Projection` is the public way in (it opens the
connection). Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, select

from traceability.projection import _schema as t
from traceability.rules._lifecycle import LotStatus

__all__ = [
    "LotState",
    "PlotInfo",
    "ProductInfo",
    "entry_lots",
    "lot_rows",
    "lot_state",
    "lots",
    "lots_needing_attention",
    "neighbours",
    "plots",
    "products",
    "shipment_in_transit",
]


@dataclass(frozen=True)
class LotState:
    """A lot as the projection holds it: what it is and where it stands now.

    Attributes:
        key: The projection's key ``(01)<gtin>(10)<lot>``.
        gtin: GTIN-14.
        lot: Lot code (AI 10).
        commodity: The product's commodity (``strawberry`` ...).
        status: The lifecycle status.
        status_seq: The ledger entry that set the status.
        status_reason: Why it is in that status (hold rule, recall reason, release note).
        failed: A failing residue verdict on it or a lot it was made from.
        created_seq: The ledger entry that created the lot.
        grade: The grade band, for graded lots.
        quantity: The quantity as recorded (decimal text).
        unit: The quantity's unit (UN/CEFACT code, e.g. ``KGM``).
    """

    key: str
    gtin: str
    lot: str
    commodity: str
    status: LotStatus
    status_seq: int
    status_reason: str | None
    failed: bool
    created_seq: int
    grade: str | None
    quantity: str
    unit: str


@dataclass(frozen=True)
class ProductInfo:
    """A product the ledger registered (``trace.product``): GTIN, commodity and name."""

    gtin: str
    commodity: str
    name: str


@dataclass(frozen=True)
class PlotInfo:
    """A plot with its farm and grower (free text from the farm's master data)."""

    plot: str
    farm: str
    grower: str


def lot_rows(rows: Iterable[Row[Any]]) -> list[LotState]:
    """Return ``trace_lots`` rows as :class:`LotState` views."""
    return [_state(r) for r in rows]


def _state(row: Row[Any]) -> LotState:
    return LotState(
        row.key,
        row.gtin,
        row.lot,
        row.commodity,
        LotStatus(row.status),
        row.status_seq,
        row.status_reason,
        bool(row.failed),
        row.created_seq,
        row.grade,
        row.quantity,
        row.unit,
    )


def lot_state(conn: Connection, key: str) -> LotState | None:
    """Return the lot with projection key ``key``, or None."""
    row = conn.execute(select(t.lots).where(t.lots.c.key == key)).first()
    return None if row is None else _state(row)


def lots(
    conn: Connection,
    *,
    statuses: tuple[LotStatus, ...] = (),
    code: str | None = None,
    limit: int = 200,
) -> list[LotState]:
    """Return lots newest first (or, with ``code``, every lot of that code by GTIN)."""
    query = select(t.lots)
    if code is not None:
        query = query.where(t.lots.c.lot == code).order_by(t.lots.c.gtin)
    else:
        query = query.order_by(t.lots.c.created_seq.desc())
    if statuses:
        query = query.where(t.lots.c.status.in_([s.value for s in statuses]))
    return [_state(r) for r in conn.execute(query.limit(limit))]


def lots_needing_attention(conn: Connection) -> list[LotState]:
    """Return every held lot, then every recalled lot still in stock, each newest first.

    A recalled lot is still in stock when it left in no shipment and was not made into other
    lots: it is in the shed and must be withdrawn by hand. Unlimited on purpose: a held lot
    must never drop off the staff home's list, however many lots are newer.
    """
    shipped = select(t.shipment_lots.c.lot)
    made_into = select(t.edges.c.parent)
    held = (
        select(t.lots)
        .where(t.lots.c.status == LotStatus.ON_HOLD.value)
        .order_by(t.lots.c.created_seq.desc())
    )
    recalled = (
        select(t.lots)
        .where(t.lots.c.status == LotStatus.RECALLED.value)
        .where(t.lots.c.key.not_in(shipped), t.lots.c.key.not_in(made_into))
        .order_by(t.lots.c.created_seq.desc())
    )
    return [_state(r) for query in (held, recalled) for r in conn.execute(query)]


def entry_lots(conn: Connection, seq: int) -> list[LotState]:
    """Return the lots ledger entry ``seq`` concerns, with their status now."""
    query = (
        select(t.lots)
        .join(t.event_lots, t.event_lots.c.lot == t.lots.c.key)
        .where(t.event_lots.c.seq == seq)
        .order_by(t.lots.c.key)
    )
    return [_state(r) for r in conn.execute(query)]


def neighbours(conn: Connection, key: str) -> tuple[list[LotState], list[LotState]]:
    """Return the lots ``key`` was made from and the lots made from it (one step each way)."""
    parents = select(t.edges.c.parent).where(t.edges.c.child == key)
    children = select(t.edges.c.child).where(t.edges.c.parent == key)
    made_from = conn.execute(select(t.lots).where(t.lots.c.key.in_(parents)))
    made_into = conn.execute(select(t.lots).where(t.lots.c.key.in_(children)))
    return [_state(r) for r in made_from], [_state(r) for r in made_into]


def products(conn: Connection) -> list[ProductInfo]:
    """Return every registered product, by GTIN."""
    query = select(t.products).order_by(t.products.c.gtin)
    return [ProductInfo(r.gtin, r.commodity, r.name) for r in conn.execute(query)]


def plots(conn: Connection) -> list[PlotInfo]:
    """Return every plot with its farm and grower, by plot."""
    query = (
        select(t.plots.c.plot, t.plots.c.farm, t.farms.c.grower)
        .join(t.farms, t.farms.c.farm == t.plots.c.farm)
        .order_by(t.plots.c.plot)
    )
    return [PlotInfo(r.plot, r.farm, r.grower) for r in conn.execute(query)]


def shipment_in_transit(conn: Connection, key: str) -> str | None:
    """Return the shipment carrying lot ``key`` that has not been received yet, if any."""
    found = conn.execute(
        select(t.shipments.c.shipment)
        .join(t.shipment_lots, t.shipment_lots.c.shipment == t.shipments.c.shipment)
        .where(t.shipment_lots.c.lot == key, t.shipments.c.status == "in_transit")
    ).scalar()
    return None if found is None else str(found)
