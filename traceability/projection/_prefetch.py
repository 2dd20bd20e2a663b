"""Ask ahead, in a few queries, what a batch's events will look up one by one.

A batch of 900 events names a hundred plots and a hundred residue samples and creates three
hundred lots and a hundred shipments; each look-up, and each insert of a lot that returned
its key to tell a taken code, was a round trip to PostgreSQL. :func:`prefetch` reads them
all with one ``IN`` query per kind and keeps each answer in the batch's memo
(:meth:`BatchCache.prime`) under the statement the handler asks, so the handler's
:func:`~traceability.projection._cache.read` finds it.
The memo drops an answer as soon as its table is written on this connection (a farm or a
sample recorded earlier in the same batch), and the handler then asks the database: the
answers read ahead are never staler than the ones it would have read. Free lot keys and
codes and free shipment ids are kept apart (:meth:`BatchCache.free`): the batch takes them
as it creates lots and shipments, and forgets them all if anything else inserts either.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Select, bindparam, select

from traceability.events._events import (
    Grading,
    Harvest,
    InputApplication,
    LotRef,
    Processing,
    ResidueTest,
    Shipping,
)
from traceability.events._ids import lot_key
from traceability.events._model import Model
from traceability.projection import _schema as t
from traceability.projection._cache import active
from traceability.projection._making import PESTICIDES, PLOT
from traceability.projection._query import LOT_INSERTS
from traceability.projection._sampling import SAMPLE

__all__ = ["prefetch"]

_PLOTS = select(t.plots).where(t.plots.c.plot.in_(bindparam("keys", expanding=True)))
_INPUTS = (
    select(t.inputs)
    .where(
        t.inputs.c.plot.in_(bindparam("keys", expanding=True)), t.inputs.c.category == "pesticide"
    )
    .order_by(t.inputs.c.seq)
)
_LOTS_TAKEN = select(t.lots.c.key, t.lots.c.folded).where(
    t.lots.c.key.in_(bindparam("keys", expanding=True))
    | t.lots.c.folded.in_(bindparam("codes", expanding=True))
)
_SHIPMENTS_TAKEN = select(t.shipments.c.shipment).where(
    t.shipments.c.shipment.in_(bindparam("keys", expanding=True))
)
_SAMPLES = select(t.samples).where(t.samples.c.sample_id.in_(bindparam("keys", expanding=True)))
# SQLite before 3.32 allows 999 bound parameters per statement; stay well below.
_CHUNK = 500


def prefetch(conn: Connection, events: Sequence[Model]) -> None:
    """Read ahead what ``events`` will look up (plots, pesticides, samples, free codes)."""
    cache = active(conn)
    if cache is None:
        return
    plots = sorted({e.plot for e in events if isinstance(e, Harvest | InputApplication)})
    samples = sorted({e.sample_id for e in events if isinstance(e, ResidueTest)})
    _ahead(conn, _PLOTS, PLOT, "plot", plots)
    harvested = sorted({e.plot for e in events if isinstance(e, Harvest)})
    _ahead(conn, _INPUTS, PESTICIDES, "plot", harvested)
    _ahead(conn, _SAMPLES, SAMPLE, "sample_id", samples)
    _free_lots(conn, events)
    cache.free_shipments |= _free(
        conn, _SHIPMENTS_TAKEN, "shipment", [e.shipment for e in events if isinstance(e, Shipping)]
    )


def _free(conn: Connection, wide: Select[Any], column: str, keys: list[str]) -> set[str]:
    """Those of ``keys`` no row of ``wide`` names."""
    free = set(keys)
    ordered = sorted(free)
    for start in range(0, len(ordered), _CHUNK):
        free -= {
            getattr(r, column)
            for r in conn.execute(wide, {"keys": ordered[start : start + _CHUNK]})
        }
    return free


def _free_lots(conn: Connection, events: Sequence[Model]) -> None:
    """Read which keys and folded codes of the lots ``events`` create are free."""
    cache = active(conn)
    if cache is None:
        return
    refs: list[LotRef] = []
    for e in events:
        if isinstance(e, Harvest):
            refs.append(e.lot)
        elif isinstance(e, Grading):
            refs.extend(o.lot for o in e.outputs)
        elif isinstance(e, Processing):
            refs.append(e.output)
    pairs = {(lot_key(r.gtin, r.lot), lot_key(r.gtin, r.lot.casefold())) for r in refs}
    ordered = sorted(pairs)
    for start in range(0, len(ordered), _CHUNK // 2):
        chunk = ordered[start : start + _CHUNK // 2]
        keys, codes = {k for k, _ in chunk}, {c for _, c in chunk}
        params = {"keys": sorted(keys), "codes": sorted(codes)}
        for row in conn.execute(_LOTS_TAKEN, params):
            keys.discard(row.key)
            codes.discard(row.folded)
        cache.free(keys, codes, LOT_INSERTS)


def _ahead(
    conn: Connection, wide: Select[Any], narrow: Select[Any], column: str, keys: list[str]
) -> None:
    cache = active(conn)
    if cache is None:
        return
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        found: dict[str, list[Any]] = defaultdict(list)
        for row in conn.execute(wide, {"keys": chunk}):
            found[getattr(row, column)].append(row)
        for key in chunk:
            cache.prime(narrow, {column: key}, found.get(key, []))
