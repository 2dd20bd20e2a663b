"""Lineage over the projection's edges: backward to farm and grower, forward to shipments.

Walks are breadth-first with a visited set, so any depth and any diamond (two graded lots
processed into one jam lot) is visited once.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, select

from traceability.projection import _schema as t
from traceability.projection._cache import active

__all__ = ["BackTrace", "ForwardTrace", "ancestors", "descendants", "trace_back", "trace_forward"]


# Built once: a walk runs for every release and pre-cooling check, and building the
# statement cost more than running it.
_STEP = {
    forward: select(target).where(source.in_(bindparam("frontier", expanding=True)))
    for forward, source, target in (
        (True, t.edges.c.parent, t.edges.c.child),
        (False, t.edges.c.child, t.edges.c.parent),
    )
}


def _walk(conn: Connection, start: list[str], forward: bool) -> list[str]:
    step = _STEP[forward]
    seen = list(dict.fromkeys(start))
    frontier = list(seen)
    while frontier:
        rows = conn.execute(step, {"frontier": frontier}).scalars().all()
        frontier = [k for k in dict.fromkeys(rows) if k not in seen]
        seen.extend(frontier)
    return seen


def ancestors(conn: Connection, key: str) -> list[str]:
    """Return ``key`` and every lot it was made from, at any depth."""
    cache = active(conn)
    if cache is None:
        return _walk(conn, [key], forward=False)
    # A lot's parents are written with the lot itself and never change, so within a batch
    # each lot's ancestry is looked up once and reused by the lots made from it.
    if key in cache.ancestors:
        return list(cache.ancestors[key])
    found, frontier = [key], [key]
    while frontier:
        unknown = []
        for k in frontier:
            known = cache.ancestors.get(k)
            if known is None:
                unknown.append(k)
            else:
                found.extend(a for a in known if a not in found)
        if not unknown:
            break
        parents = conn.execute(_STEP[False], {"frontier": unknown}).scalars().all()
        frontier = [p for p in dict.fromkeys(parents) if p not in found]
        found.extend(frontier)
    cache.ancestors[key] = found
    return list(found)


def descendants(conn: Connection, key: str) -> list[str]:
    """Return ``key`` and every lot made from it, at any depth."""
    return _walk(conn, [key], forward=True)


@dataclass(frozen=True)
class FarmOrigin:
    """Where a harvest lot was picked: plot, farm, grower, village, county."""

    lot: str
    plot: str
    farm: str
    grower: str
    village: str
    county: str
    harvest_time: str


@dataclass(frozen=True)
class BackTrace:
    """A backward trace: every lot upstream and the farms and growers they came from."""

    lots: tuple[str, ...]
    origins: tuple[FarmOrigin, ...]
    inputs: tuple[int, ...]  # ledger seqs of farm input applications on those plots


@dataclass(frozen=True)
class Shipment:
    """A shipment reached by a forward trace."""

    shipment: str
    destination: str
    receiver: str | None
    status: str
    lots: tuple[str, ...]


@dataclass(frozen=True)
class ForwardTrace:
    """A forward trace: every lot downstream and every shipment carrying any of them."""

    lots: tuple[str, ...]
    shipments: tuple[Shipment, ...]


def trace_back(conn: Connection, keys: list[str]) -> BackTrace:
    """Trace lots back through every transformation to their harvest, farm and grower."""
    lots = _walk(conn, keys, forward=False)
    query = (
        select(t.lots.c.key, t.lots.c.plot, t.lots.c.harvest_time, t.farms)
        .join(t.plots, t.plots.c.plot == t.lots.c.plot)
        .join(t.farms, t.farms.c.farm == t.plots.c.farm)
        .where(t.lots.c.key.in_(lots))
        .order_by(t.lots.c.key)
    )
    origins = tuple(
        FarmOrigin(r.key, r.plot, r.farm, r.grower, r.village, r.county, r.harvest_time)
        for r in conn.execute(query)
    )
    plots = sorted({o.plot for o in origins})
    inputs = conn.execute(
        select(t.inputs.c.seq).where(t.inputs.c.plot.in_(plots)).order_by(t.inputs.c.seq)
    ).scalars()
    return BackTrace(tuple(lots), origins, tuple(inputs))


def shipment_lots(conn: Connection, shipment: str) -> list[str]:
    """Return the lots a shipment carries (empty when unknown)."""
    query = select(t.shipment_lots.c.lot).where(t.shipment_lots.c.shipment == shipment)
    return sorted(conn.execute(query).scalars())


def trace_forward(conn: Connection, keys: list[str]) -> ForwardTrace:
    """Trace lots forward to every lot derived from them and every shipment carrying one."""
    lots = _walk(conn, keys, forward=True)
    ids = sorted(
        set(
            conn.execute(
                select(t.shipment_lots.c.shipment).where(t.shipment_lots.c.lot.in_(lots))
            ).scalars()
        )
    )
    shipments = []
    for row in conn.execute(select(t.shipments).where(t.shipments.c.shipment.in_(ids))):
        shipments.append(
            Shipment(
                row.shipment,
                row.destination,
                row.receiver,
                row.status,
                tuple(shipment_lots(conn, row.shipment)),
            )
        )
    shipments.sort(key=lambda s: s.shipment)
    return ForwardTrace(tuple(lots), tuple(shipments))
