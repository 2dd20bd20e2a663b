"""What the staff pages and the event API read from the traceability projection.

Small read-only queries over the ``trace_*`` tables (:mod:`traceability.projection._schema`): the
products, plots and lots the ledger knows (for the forms' dropdowns), the lots an entry
touched (for the event API's answer), the recent lots, and what a lot was made from and
into. The caller brings the projection up to the ledger's head first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, Row, select

from traceability.projection import _schema as t

__all__ = [
    "LotRow",
    "PlotRow",
    "entry_lots",
    "lineage",
    "lots",
    "lots_coded",
    "plots",
    "products",
]


@dataclass(frozen=True)
class LotRow:
    """A lot as the lists show it: product, code, status and why, grade, quantity."""

    gtin: str
    lot: str
    status: str
    reason: str | None
    grade: str | None
    quantity: str
    unit: str


@dataclass(frozen=True)
class PlotRow:
    """A plot with its farm and grower (free text from the farm's master data)."""

    plot: str
    farm: str
    grower: str


def _lot_row(row: Row[Any]) -> LotRow:
    return LotRow(
        row.gtin,
        row.lot,
        row.status,
        row.status_reason,
        row.grade,
        row.quantity,
        row.unit,
    )


def products(engine: Engine) -> list[tuple[str, str]]:
    """Return ``(gtin, name)`` of every product, by GTIN."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(t.products.c.gtin, t.products.c.name).order_by(t.products.c.gtin)
        )
        return [(r.gtin, r.name) for r in rows]


def plots(engine: Engine) -> list[PlotRow]:
    """Return every plot with its farm and grower, by plot."""
    query = (
        select(t.plots.c.plot, t.plots.c.farm, t.farms.c.grower)
        .join(t.farms, t.farms.c.farm == t.plots.c.farm)
        .order_by(t.plots.c.plot)
    )
    with engine.connect() as conn:
        return [PlotRow(r.plot, r.farm, r.grower) for r in conn.execute(query)]


def lots(engine: Engine, *, statuses: tuple[str, ...] = (), limit: int = 200) -> list[LotRow]:
    """Return the newest lots first, optionally only those in ``statuses``."""
    query = select(t.lots).order_by(t.lots.c.created_seq.desc()).limit(limit)
    if statuses:
        query = query.where(t.lots.c.status.in_(statuses))
    with engine.connect() as conn:
        return [_lot_row(r) for r in conn.execute(query)]


def lots_coded(engine: Engine, code: str) -> list[LotRow]:
    """Return every lot with lot code ``code`` (one per product that uses it)."""
    query = select(t.lots).where(t.lots.c.lot == code).order_by(t.lots.c.gtin)
    with engine.connect() as conn:
        return [_lot_row(r) for r in conn.execute(query)]


def entry_lots(engine: Engine, seq: int) -> list[LotRow]:
    """Return the lots ledger entry ``seq`` concerns, with their status now."""
    query = (
        select(t.lots)
        .join(t.event_lots, t.event_lots.c.lot == t.lots.c.key)
        .where(t.event_lots.c.seq == seq)
        .order_by(t.lots.c.key)
    )
    with engine.connect() as conn:
        return [_lot_row(r) for r in conn.execute(query)]


def lineage(engine: Engine, key: str) -> tuple[list[LotRow], list[LotRow]]:
    """Return the lots ``key`` was made from and the lots made from it (one step each way)."""
    parents = select(t.edges.c.parent).where(t.edges.c.child == key)
    children = select(t.edges.c.child).where(t.edges.c.parent == key)
    with engine.connect() as conn:
        made_from = conn.execute(select(t.lots).where(t.lots.c.key.in_(parents)))
        made_into = conn.execute(select(t.lots).where(t.lots.c.key.in_(children)))
        return [_lot_row(r) for r in made_from], [_lot_row(r) for r in made_into]
