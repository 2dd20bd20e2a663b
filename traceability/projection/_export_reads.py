"""Reads the exports need from the projection: lots, master data, shipments, entries.

The export modules (EPCIS, FSMA 204) build documents; this module is the only place their
SQL lives, so the projection package stays the one reader and writer of the ``trace_*``
tables. Each function returns a frozen value or ``None`` when the projection has no row.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import Connection, select

from traceability.projection import _schema as t

__all__ = [
    "CooperativeRow",
    "FarmRow",
    "LotRow",
    "ResultRow",
    "ShipmentRow",
    "SiteRow",
    "cooperative_row",
    "entries_of_lots",
    "entry_results",
    "farm_of_plot",
    "lot_entry_seqs",
    "lot_row",
    "shipment_lots",
    "shipment_row",
    "site_row",
]


@dataclass(frozen=True)
class LotRow:
    """A lot as the projection holds it, with its product's name."""

    key: str
    gtin: str
    lot: str
    commodity: str
    product_name: str
    origin_kind: str
    plot: str | None
    harvest_time: str | None
    grade: str | None
    quantity: str
    unit: str


@dataclass(frozen=True)
class FarmRow:
    """A farm's master data (``trace.farm``)."""

    farm: str
    grower: str
    village: str
    county: str
    phone: str | None


@dataclass(frozen=True)
class SiteRow:
    """A site's location description (``trace.site``)."""

    site: str
    business_name: str
    address: str
    phone: str | None
    gln: str | None


@dataclass(frozen=True)
class CooperativeRow:
    """The cooperative's master data (``trace.cooperative``)."""

    name_zh: str
    name_ug: str | None
    name_en: str | None
    address: str
    county: str
    phone: str | None
    gln: str | None
    seq: int  # the entry it comes from


@dataclass(frozen=True)
class ResultRow:
    """A residue verdict the projection derived for one substance of a test entry."""

    substance: str
    outcome: str
    limit: str | None
    rule_seq: int


@dataclass(frozen=True)
class ShipmentRow:
    """A shipment: where it left from and where it went."""

    shipment: str
    origin: str
    destination: str


def lot_row(conn: Connection, key: str) -> LotRow | None:
    """Return the lot with element-string ``key`` and its product name, or None."""
    query = (
        select(t.lots, t.products.c.name)
        .join(t.products, t.products.c.gtin == t.lots.c.gtin)
        .where(t.lots.c.key == key)
    )
    row = conn.execute(query).first()
    if row is None:
        return None
    return LotRow(
        key=row.key,
        gtin=row.gtin,
        lot=row.lot,
        commodity=row.commodity,
        product_name=row.name,
        origin_kind=row.origin_kind,
        plot=row.plot,
        harvest_time=row.harvest_time,
        grade=row.grade,
        quantity=row.quantity,
        unit=row.unit,
    )


def farm_of_plot(conn: Connection, plot: str) -> FarmRow | None:
    """Return the farm a plot belongs to, or None for an unregistered plot."""
    row = conn.execute(
        select(t.farms)
        .join(t.plots, t.plots.c.farm == t.farms.c.farm)
        .where(t.plots.c.plot == plot)
    ).first()
    if row is None:
        return None
    return FarmRow(row.farm, row.grower, row.village, row.county, row.phone)


def site_row(conn: Connection, site: str) -> SiteRow | None:
    """Return a site's latest ``trace.site`` description, or None if it has none."""
    row = conn.execute(select(t.sites).where(t.sites.c.site == site)).first()
    if row is None:
        return None
    return SiteRow(row.site, row.business_name, row.address, row.phone, row.gln)


def cooperative_row(conn: Connection) -> CooperativeRow | None:
    """Return the cooperative's latest master data, or None before its first entry."""
    row = conn.execute(select(t.cooperative)).first()
    if row is None:
        return None
    return CooperativeRow(
        row.name_zh, row.name_ug, row.name_en, row.address, row.county, row.phone, row.gln, row.seq
    )


def shipment_row(conn: Connection, shipment: str) -> ShipmentRow | None:
    """Return a shipment's origin and destination, or None for an unknown shipment."""
    row = conn.execute(select(t.shipments).where(t.shipments.c.shipment == shipment)).first()
    if row is None:
        return None
    return ShipmentRow(row.shipment, row.origin, row.destination)


def shipment_lots(conn: Connection, shipment: str) -> list[tuple[str, str]]:
    """Return the (GTIN, lot) of every lot on a shipment, in lot-key order."""
    rows = conn.execute(
        select(t.lots.c.gtin, t.lots.c.lot)
        .join(t.shipment_lots, t.shipment_lots.c.lot == t.lots.c.key)
        .where(t.shipment_lots.c.shipment == shipment)
        .order_by(t.lots.c.key)
    ).all()
    return [(r.gtin, r.lot) for r in rows]


def lot_entry_seqs(conn: Connection, key: str) -> list[int]:
    """Return the seqs of the entries that name the lot ``key``, in ledger order."""
    query = select(t.event_lots.c.seq).where(t.event_lots.c.lot == key).order_by(t.event_lots.c.seq)
    return list(conn.execute(query).scalars())


def entry_results(conn: Connection, seq: int) -> dict[str, ResultRow]:
    """Return the verdicts of residue-test entry ``seq``, by substance."""
    rows = conn.execute(select(t.results).where(t.results.c.seq == seq))
    return {r.substance: ResultRow(r.substance, r.outcome, r.limit, r.rule_seq) for r in rows}


def entries_of_lots(conn: Connection, keys: Collection[str]) -> list[int]:
    """Return the seqs of every entry naming any of the lots ``keys``, in ledger order."""
    query = select(t.event_lots.c.seq).where(t.event_lots.c.lot.in_(list(keys))).distinct()
    return sorted(conn.execute(query).scalars())
