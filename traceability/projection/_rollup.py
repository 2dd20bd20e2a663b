"""Per-day and per-route sums of the append-only rows, brought forward entry by entry.

The dashboards and the quarterly evaluation sum residue tests, kilograms harvested and
shipped, and shipments weighed on arrival, by day and route. Summed afresh over a million
entries that is seconds of scans; but those rows never change once written (a result, a
harvest lot's quantity and time, a shipment's route, lots and time, an arrival), so sums up
to entry ``a`` plus the rows of entries ``a``..``b`` are the sums up to ``b``. A
:class:`Rollup` is such a sum; :func:`advance` adds a range of entries reading only those
rows, through indexes on their entry (results by ``seq``, lots by ``created_seq``, shipments
through ``trace_event_lots``, arrivals by ``seq``).

One rollup per database engine is kept in memory (:func:`rollup_at`), moved forward on each
read; a read at an earlier position than the kept one sums afresh from the start. The sums are a
cache, never a witness: the reference functions of :mod:`traceability.projection._dashboard`
compute the same figures from the tables directly (tests compare them).
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, func, select

from traceability.projection import _schema as t

__all__ = ["DaySums", "Rollup", "RouteDaySums", "advance", "rollup_at"]

_KG = "KGM"


@dataclass
class DaySums:
    """One calendar day: tests and passes, kilograms, and the entries with that day's time."""

    tests: int = 0
    passed: int = 0
    harvested_kg: Decimal = Decimal(0)
    shipped_kg: Decimal = Decimal(0)
    first_seq: int | None = None

    def saw(self, seq: int) -> None:
        """Note an entry timed on this day (the quarter's first entry is the least)."""
        if self.first_seq is None or seq < self.first_seq:
            self.first_seq = seq


@dataclass
class RouteDaySums:
    """One route on one day (by the day shipments left): shipments, and the weighed ones."""

    shipments: int = 0
    weighed: int = 0
    shipped_kg: Decimal = Decimal(0)  # of the weighed shipments
    received_kg: Decimal = Decimal(0)


@dataclass
class Rollup:
    """Sums over the entries before ``upto``."""

    upto: int = 0
    days: dict[str, DaySums] = field(default_factory=lambda: defaultdict(DaySums))
    routes: dict[tuple[str, str, str], RouteDaySums] = field(
        default_factory=lambda: defaultdict(RouteDaySums)
    )
    recalled: int = 0


def advance(conn: Connection, rollup: Rollup, upto: int) -> Rollup:
    """Add the rows of entries ``rollup.upto`` to ``upto`` (excluded) to ``rollup``; return it."""
    lo, hi = rollup.upto, upto
    if hi <= lo:
        return rollup
    _tests(conn, rollup, lo, hi)
    _harvests(conn, rollup, lo, hi)
    _shipments(conn, rollup, lo, hi)
    lots = t.lots.c
    rollup.recalled += conn.execute(
        # A recall is final: a lot's status entry does not move once it is recalled.
        select(func.count()).where(
            lots.status_seq >= lo, lots.status_seq < hi, lots.status == "recalled"
        )
    ).scalar_one()
    rollup.upto = hi
    return rollup


def _tests(conn: Connection, rollup: Rollup, lo: int, hi: int) -> None:
    r = t.results.c
    rows = conn.execute(
        select(r.seq, r.time, r.outcome).where(r.seq >= lo, r.seq < hi, r.time.is_not(None))
    )
    tests: dict[int, tuple[str, bool]] = {}
    for seq, time, outcome in rows:
        day, failed = tests.get(seq, (time[:10], False))
        tests[seq] = (min(day, time[:10]), failed or outcome == "fail")
    for seq, (day, failed) in tests.items():
        sums = rollup.days[day]
        sums.tests += 1
        sums.passed += 0 if failed else 1
        sums.saw(seq)


def _harvests(conn: Connection, rollup: Rollup, lo: int, hi: int) -> None:
    lots = t.lots.c
    rows = conn.execute(
        select(lots.created_seq, lots.made_time, lots.quantity, lots.unit, lots.origin_kind).where(
            lots.created_seq >= lo, lots.created_seq < hi, lots.made_time.is_not(None)
        )
    )
    for seq, made, quantity, unit, kind in rows:
        sums = rollup.days[made[:10]]
        sums.saw(seq)
        if kind == "trace.harvest" and unit == _KG:
            sums.harvested_kg += Decimal(quantity)


def _shipments(conn: Connection, rollup: Rollup, lo: int, hi: int) -> None:
    s, sl, el, lots = t.shipments.c, t.shipment_lots.c, t.event_lots.c, t.lots.c
    # The shipments recorded in the range, found through the lots their entries concern.
    found = (
        select(s.shipment, s.seq, s.origin, s.destination, s.time)
        .select_from(
            t.event_lots.join(t.shipment_lots, sl.lot == el.lot).join(
                t.shipments, s.shipment == sl.shipment
            )
        )
        .where(el.seq >= lo, el.seq < hi, s.seq >= lo, s.seq < hi, s.seq == el.seq)
        .distinct()
        .subquery()
    )
    rows = conn.execute(
        select(found, lots.quantity, lots.unit)
        .select_from(
            found.join(t.shipment_lots, sl.shipment == found.c.shipment).join(
                t.lots, lots.key == sl.lot
            )
        )
        .order_by(found.c.seq)
    ).all()
    meta: dict[str, tuple[int, str, str, str | None]] = {}
    kilograms: dict[str, Decimal] = defaultdict(Decimal)
    for shipment, seq, origin, destination, time, quantity, unit in rows:
        meta[shipment] = (seq, origin, destination, time)
        if unit == _KG:
            kilograms[shipment] += Decimal(quantity)
    weighed = _arrivals(conn, lo, hi)
    for shipment, (seq, origin, destination, time) in meta.items():
        if time is None:
            continue
        day = time[:10]
        rollup.days[day].shipped_kg += kilograms[shipment]
        rollup.days[day].saw(seq)
        rollup.routes[origin, destination, day].shipments += 1
    for origin, destination, day, kg, received in weighed:
        sums = rollup.routes[origin, destination, day]
        sums.weighed += 1
        sums.shipped_kg += kg
        sums.received_kg += received


def _arrivals(conn: Connection, lo: int, hi: int) -> list[tuple[str, str, str, Decimal, Decimal]]:
    """Shipments weighed on arrival in the range: route, day left, kg shipped and received."""
    s, sl, a, lots = t.shipments.c, t.shipment_lots.c, t.arrivals.c, t.lots.c
    rows = conn.execute(
        select(s.shipment, s.origin, s.destination, s.time, a.quantity, lots.quantity, lots.unit)
        .select_from(
            t.arrivals.join(t.shipments, s.shipment == a.shipment)
            .join(t.shipment_lots, sl.shipment == s.shipment)
            .join(t.lots, lots.key == sl.lot)
        )
        .where(a.seq >= lo, a.seq < hi, a.unit == _KG)
        .order_by(a.seq, sl.lot)
    ).all()
    meta: dict[str, tuple[str, str, str, Decimal]] = {}
    kilograms: dict[str, Decimal] = defaultdict(Decimal)
    for shipment, origin, destination, time, received, lot_kg, unit in rows:
        meta[shipment] = (origin, destination, str(time)[:10], Decimal(received))
        if unit == _KG:
            kilograms[shipment] += Decimal(lot_kg)
    return [(o, d, day, kilograms[k], received) for k, (o, d, day, received) in meta.items()]


# Per engine, not per URL: a database replaced at the same path (a rebuilt demo) is opened
# with a new engine, and starts from nothing; an engine closed and dropped drops its rollup.
_kept: WeakKeyDictionary[Engine, Rollup] = WeakKeyDictionary()
_lock = threading.Lock()


def rollup_at(conn: Connection, upto: int) -> Rollup:
    """The sums over the entries before ``upto``: the kept rollup moved forward, or afresh.

    Reads through ``conn`` (one transaction: the caller's snapshot). A fresh rollup is kept
    only when it reaches at least as far as the one kept.
    """
    key = conn.engine
    with _lock:
        kept = _kept.get(key)
    if kept is not None and kept.upto <= upto:
        with _lock:
            # Two readers may move it at once: each on its own copy, the furthest kept.
            start = Rollup(kept.upto, _copy_days(kept), _copy_routes(kept), kept.recalled)
        done = advance(conn, start, upto)
    else:
        done = advance(conn, Rollup(), upto)
    with _lock:
        current = _kept.get(key)
        if current is None or current.upto <= done.upto:
            _kept[key] = done
    return done


def _copy_days(r: Rollup) -> dict[str, DaySums]:
    days: dict[str, DaySums] = defaultdict(DaySums)
    for day, s in r.days.items():
        days[day] = DaySums(s.tests, s.passed, s.harvested_kg, s.shipped_kg, s.first_seq)
    return days


def _copy_routes(r: Rollup) -> dict[tuple[str, str, str], RouteDaySums]:
    routes: dict[tuple[str, str, str], RouteDaySums] = defaultdict(RouteDaySums)
    for key, s in r.routes.items():
        routes[key] = RouteDaySums(s.shipments, s.weighed, s.shipped_kg, s.received_kg)
    return routes
