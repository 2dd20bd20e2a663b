"""A lot's lineage as a graph to draw: plots and growers, lots, shipments, receivers.

:func:`lineage_graph` reads the projection (read-only; the caller catches it up first) and
returns nodes in columns, left to right: the plots the harvest lots were picked on (with farm
and grower), then lots by depth (a harvest lot, the lots graded from it, the lots processed
from those ...), then the shipments carrying any of them, then the receivers. Drawing is the
app's business; this module only says what is connected to what.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Connection, select

from traceability.projection import _schema as t
from traceability.projection._lineage import ancestors, descendants

__all__ = ["LineageEdge", "LineageGraph", "LineageNode", "NodeKind", "lineage_graph"]

NodeKind = Literal["plot", "lot", "shipment", "receiver"]
# SQLite before 3.32 allows 999 bound parameters per statement; stay well below.
_CHUNK = 500


@dataclass(frozen=True)
class LineageNode:
    """One box of the picture.

    Attributes:
        id: Unique in the graph: ``plot:<id>``, ``lot:<key>``, ``shipment:<id>``,
            ``receiver:<id>``.
        kind: What it is.
        label: The main line (lot code, shipment id, farm and plot); free text.
        detail: The second line (grower and village, grade, destination); free text.
        status: The lot's or shipment's status (``recalled``, ``on_hold`` ...), else None.
        column: Left-to-right position: 0 for plots, lots by depth, then shipments, receivers.
        focus: Whether this is the lot or shipment the trace started from.
        gtin: The lot's GTIN (lots only), for links.
        lot: The lot code (lots only), for links.
        grade: The lot's grade code (graded lots only), for wording ``detail`` in a language.
        made_by: The event kind that made the lot (``harvest``, ``grading``...; lots only).
        quantity: The lot's quantity as recorded (decimal text; lots only).
        unit: The quantity's unit (UN/CEFACT code; lots only).
        packed: Whether the lot was packed (lots only).
    """

    id: str
    kind: NodeKind
    label: str
    detail: str
    status: str | None
    column: int
    focus: bool = False
    gtin: str | None = None
    lot: str | None = None
    grade: str | None = None
    made_by: str = ""
    quantity: str = ""
    unit: str = ""
    packed: bool = False


@dataclass(frozen=True)
class LineageEdge:
    """``source`` went into, or travelled as, ``target`` (node ids)."""

    source: str
    target: str


@dataclass(frozen=True)
class LineageGraph:
    """Nodes (in column order, then by label) and the edges between them."""

    nodes: tuple[LineageNode, ...]
    edges: tuple[LineageEdge, ...]


def _chunks(keys: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(keys), _CHUNK):
        yield keys[start : start + _CHUNK]


def _rows(conn: Connection, table: Any, column: Any, keys: Sequence[str]) -> list[Any]:
    rows: list[Any] = []
    for part in _chunks(keys):
        rows.extend(conn.execute(select(table).where(column.in_(part))).all())
    return rows


def _depths(keys: list[str], parents: dict[str, list[str]]) -> dict[str, int]:
    """Column of each lot: 1 for a lot with no parent in the graph, else 1 + deepest parent."""
    depth: dict[str, int] = {}
    for start in keys:
        stack = [start]
        while stack:  # iterative, so a long chain of processing steps cannot overflow
            key = stack[-1]
            if key in depth:
                stack.pop()
                continue
            waiting = [p for p in parents.get(key, []) if p not in depth]
            if waiting:
                stack.extend(waiting)
                continue
            depth[key] = 1 + max((depth[p] for p in parents.get(key, [])), default=0)
            stack.pop()
    return depth


def lineage_graph(
    conn: Connection, keys: Sequence[str] = (), *, shipment: str | None = None
) -> LineageGraph:
    """Return the lineage of lots ``keys``: everything upstream and downstream of them.

    Args:
        conn: A connection to the projection's database.
        keys: Lot keys (``(01)<gtin>(10)<lot>``) the trace starts from, marked ``focus``.
        shipment: Start from this shipment's lots instead (``keys`` is then ignored); the
            shipment is marked ``focus``. An unknown shipment gives an empty graph.
    """
    if shipment is not None:
        query = select(t.shipment_lots.c.lot).where(t.shipment_lots.c.shipment == shipment)
        keys = sorted(conn.execute(query).scalars())
        if not keys:
            return LineageGraph((), ())
    lots = list(dict.fromkeys([*_ancestors_of(conn, keys), *_descendants_of(conn, keys)]))
    members, starts = set(lots), set(keys)
    lot_rows = {r.key: r for r in _rows(conn, t.lots, t.lots.c.key, lots)}
    edge_rows = [e for e in _rows(conn, t.edges, t.edges.c.child, lots) if e.parent in members]
    parents: dict[str, list[str]] = {}
    for e in edge_rows:
        parents.setdefault(e.child, []).append(e.parent)
    depth = _depths(lots, parents)
    packed = {r.lot for r in _rows(conn, t.packed, t.packed.c.lot, lots)}

    nodes: list[LineageNode] = []
    edges = [LineageEdge(f"lot:{e.parent}", f"lot:{e.child}") for e in edge_rows]
    plot_ids = sorted({r.plot for r in lot_rows.values() if r.plot})
    plots = {r.plot: r for r in _rows(conn, t.plots, t.plots.c.plot, plot_ids)}
    farm_ids = sorted({p.farm for p in plots.values()})
    farms = {r.farm: r for r in _rows(conn, t.farms, t.farms.c.farm, farm_ids)}
    for plot_id in plot_ids:
        farm = farms.get(plots[plot_id].farm) if plot_id in plots else None
        label = f"{farm.farm} · {plot_id}" if farm is not None else plot_id
        detail = f"{farm.grower}, {farm.village}, {farm.county}" if farm is not None else ""
        nodes.append(LineageNode(f"plot:{plot_id}", "plot", label, detail, None, 0))
    for key in lots:
        row = lot_rows.get(key)
        if row is None:
            continue
        if row.plot:
            edges.append(LineageEdge(f"plot:{row.plot}", f"lot:{key}"))
        what = row.grade or row.origin_kind.removeprefix("trace.")
        detail = f"{what}, {row.quantity} {row.unit}" + (", packed" if key in packed else "")
        focus = shipment is None and key in starts
        nodes.append(
            LineageNode(
                f"lot:{key}",
                "lot",
                row.lot,
                detail,
                row.status,
                depth[key],
                focus,
                row.gtin,
                row.lot,
                row.grade,
                row.origin_kind.removeprefix("trace."),
                row.quantity,
                row.unit,
                key in packed,
            )
        )
    last = max(depth.values(), default=0)
    carried = _rows(conn, t.shipment_lots, t.shipment_lots.c.lot, lots)
    ids = sorted({c.shipment for c in carried} | ({shipment} if shipment else set()))
    column: dict[str, int] = {}
    for c in carried:
        column[c.shipment] = max(column.get(c.shipment, 0), depth.get(c.lot, last) + 1)
        edges.append(LineageEdge(f"lot:{c.lot}", f"shipment:{c.shipment}"))
    receivers: dict[str, int] = {}
    for s in sorted(
        _rows(conn, t.shipments, t.shipments.c.shipment, ids), key=lambda s: s.shipment
    ):
        col = column.get(s.shipment, last + 1)
        nodes.append(
            LineageNode(
                f"shipment:{s.shipment}",
                "shipment",
                s.shipment,
                f"{s.origin} → {s.destination}",
                s.status,
                col,
                s.shipment == shipment,
            )
        )
        if s.receiver:
            receivers[s.receiver] = max(receivers.get(s.receiver, 0), col + 1)
            edges.append(LineageEdge(f"shipment:{s.shipment}", f"receiver:{s.receiver}"))
    for receiver, col in sorted(receivers.items()):
        nodes.append(LineageNode(f"receiver:{receiver}", "receiver", receiver, "", None, col))
    nodes.sort(key=lambda n: (n.column, not n.focus, n.label, n.id))
    return LineageGraph(tuple(nodes), tuple(dict.fromkeys(edges)))


def _ancestors_of(conn: Connection, keys: Sequence[str]) -> list[str]:
    """Return ``keys`` and every lot any of them was made from."""
    found: list[str] = []
    for key in keys:
        found.extend(ancestors(conn, key))
    return list(dict.fromkeys(found))


def _descendants_of(conn: Connection, keys: Sequence[str]) -> list[str]:
    """Return ``keys`` and every lot made from any of them."""
    found: list[str] = []
    for key in keys:
        found.extend(descendants(conn, key))
    return list(dict.fromkeys(found))
