"""Monitoring reads: holds, failures, excursions, loss, volumes and pass rates over time.

Each source of a dashboard is one small function of a connection, so a page, the quarterly
evaluation (:mod:`traceability.projection._quarterly`) and the benchmark ask the same
questions. Every function takes ``upto``: only entries before that position count, so a
figure computed at a checkpoint of size ``upto`` is the same whenever it is computed
again. Time buckets come from the events' own times (the actor's clock, as signed), by
calendar day as written (local time of the event), grouped into ISO weeks.

Quantities are summed only in kilograms (``KGM``): pieces and kilograms do not add up.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Connection, Float, and_, case, cast, func, select

from traceability.projection import _schema as t
from traceability.projection._rollup import DaySums, Rollup, RouteDaySums, rollup_at

__all__ = [
    "EXCURSION_RULES",
    "HoldCount",
    "Monitoring",
    "RouteFigures",
    "ShipmentLoss",
    "WeekFigures",
    "applied_size",
    "excursions_by_route",
    "failing_tests",
    "iso_week",
    "losses",
    "monitoring",
    "open_holds",
    "recalled_lots",
    "recent_holds",
    "routes_of",
    "weekly_figures",
    "weeks_of",
]

#: Hold rules that mean the cold chain broke in transport (a shipment's excursion).
EXCURSION_RULES = ("cold-chain-transport", "cold-chain-set-point")
_KG = "KGM"


def iso_week(day: str) -> str:
    """The ISO week (``2026-W23``) of a date written ``YYYY-MM-DD...``."""
    year, week, _ = date.fromisoformat(day[:10]).isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class HoldCount:
    """How many lots are held (or were, in a period) under one rule."""

    rule: str
    lots: int


@dataclass(frozen=True)
class WeekFigures:
    """One ISO week: residue tests and how many passed, kilograms harvested and shipped."""

    week: str
    tests: int = 0
    passed: int = 0
    harvested_kg: Decimal = Decimal(0)
    shipped_kg: Decimal = Decimal(0)

    @property
    def pass_rate(self) -> float | None:
        """Passed tests over tests; None in a week without tests."""
        return self.passed / self.tests if self.tests else None


@dataclass(frozen=True)
class ShipmentLoss:
    """A received shipment with a weighed arrival: what left and what arrived (kg)."""

    shipment: str
    origin: str
    destination: str
    shipped_kg: Decimal
    received_kg: Decimal

    @property
    def loss_kg(self) -> Decimal:
        """Shipped less received (negative when more arrived than left: a weighing error)."""
        return self.shipped_kg - self.received_kg

    @property
    def loss_rate(self) -> float:
        """Loss over what was shipped."""
        return float(self.loss_kg / self.shipped_kg) if self.shipped_kg else 0.0


@dataclass(frozen=True)
class RouteFigures:
    """One route (origin to destination): shipments, excursions, and loss where weighed."""

    origin: str
    destination: str
    shipments: int
    excursions: int
    weighed: int = 0
    shipped_kg: Decimal = Decimal(0)
    received_kg: Decimal = Decimal(0)

    @property
    def loss_rate(self) -> float | None:
        """Loss over shipped kilograms of the weighed shipments; None when none was weighed."""
        if not self.weighed or not self.shipped_kg:
            return None
        return float((self.shipped_kg - self.received_kg) / self.shipped_kg)


def open_holds(conn: Connection, upto: int) -> list[HoldCount]:
    """Lots on hold at position ``upto``, per rule (a lot held under two rules counts twice)."""
    h = t.holds.c
    still_open = (h.lifted_seq.is_(None)) | (h.lifted_seq >= upto)
    rows = conn.execute(
        select(h.rule, func.count(func.distinct(h.lot)))
        .where(h.seq < upto, still_open)
        .group_by(h.rule)
        .order_by(func.count(func.distinct(h.lot)).desc(), h.rule)
    ).all()
    return [HoldCount(rule, int(n)) for rule, n in rows]


def recent_holds(conn: Connection, upto: int, limit: int = 20) -> list[tuple[str, str, str, int]]:
    """The latest holds still open at ``upto``: (lot key, rule, reason, entry), newest first."""
    h = t.holds.c
    still_open = (h.lifted_seq.is_(None)) | (h.lifted_seq >= upto)
    rows = conn.execute(
        select(h.lot, h.rule, h.reason, h.seq)
        .where(h.seq < upto, still_open)
        .order_by(h.seq.desc(), h.lot)
        .limit(limit)
    ).all()
    return [(r.lot, r.rule, r.reason, int(r.seq)) for r in rows]


def failing_tests(conn: Connection, upto: int) -> int:
    """Residue tests (entries) with at least one substance over its limit, before ``upto``."""
    r = t.results.c
    found = conn.execute(
        select(func.count(func.distinct(r.seq))).where(r.seq < upto, r.outcome == "fail")
    ).scalar_one()
    return int(found)


def recalled_lots(conn: Connection, upto: int, since: int = 0) -> int:
    """Lots recalled at position ``upto`` whose recall was recorded at or after ``since``."""
    lots = t.lots.c
    found = conn.execute(
        select(func.count()).where(
            lots.status == "recalled", lots.status_seq < upto, lots.status_seq >= since
        )
    ).scalar_one()
    return int(found)


def weekly_figures(
    conn: Connection, upto: int, start: str | None = None, end: str | None = None
) -> list[WeekFigures]:
    """Per ISO week: tests and passes, kilograms harvested and shipped, oldest week first.

    Args:
        conn: A read connection.
        upto: Only entries before this position.
        start: Only days on or after this date (``YYYY-MM-DD``), if given.
        end: Only days before this date, if given.
    """
    tests: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for day, n, passed in _tests_by_day(conn, upto, start, end):
        tests[iso_week(day)][0] += n
        tests[iso_week(day)][1] += passed
    harvested: dict[str, Decimal] = defaultdict(Decimal)
    for day, kg in _harvested_by_day(conn, upto, start, end):
        harvested[iso_week(day)] += kg
    shipped: dict[str, Decimal] = defaultdict(Decimal)
    for day, kg in _shipped_by_day(conn, upto, start, end):
        shipped[iso_week(day)] += kg
    weeks = sorted(set(tests) | set(harvested) | set(shipped))
    return [WeekFigures(w, tests[w][0], tests[w][1], harvested[w], shipped[w]) for w in weeks]


def _day(column: object, start: str | None, end: str | None) -> list[object]:
    day = func.substr(column, 1, 10)
    where: list[object] = []
    if start is not None:
        where.append(day >= start)
    if end is not None:
        where.append(day < end)
    return where


def _tests_by_day(
    conn: Connection, upto: int, start: str | None, end: str | None
) -> list[tuple[str, int, int]]:
    r = t.results.c
    # One row per test (entry): failed when any of its substances failed.
    per_test = (
        select(
            func.min(func.substr(r.time, 1, 10)).label("day"),
            func.max(case((r.outcome == "fail", 1), else_=0)).label("failed"),
        )
        .where(r.seq < upto, r.time.is_not(None), *_day(r.time, start, end))  # type: ignore[arg-type]
        .group_by(r.seq)
        .subquery()
    )
    rows = conn.execute(
        select(per_test.c.day, func.count(), func.sum(per_test.c.failed)).group_by(per_test.c.day)
    ).all()
    return [(day, int(n), int(n) - int(failed or 0)) for day, n, failed in rows]


def _kg(value: object) -> Decimal:
    # Summed as floating point by the database: kilograms to the gram are plenty here.
    return Decimal(str(round(float(value or 0), 3)))  # type: ignore[arg-type]


def _harvested_by_day(
    conn: Connection, upto: int, start: str | None, end: str | None
) -> list[tuple[str, Decimal]]:
    lots = t.lots.c
    day = func.substr(lots.made_time, 1, 10)
    rows = conn.execute(
        select(day, func.sum(cast(lots.quantity, Float)))
        .where(
            lots.origin_kind == "trace.harvest",
            lots.unit == _KG,
            lots.created_seq < upto,
            lots.made_time.is_not(None),
            *_day(lots.made_time, start, end),  # type: ignore[arg-type]
        )
        .group_by(day)
    ).all()
    return [(d, _kg(kg)) for d, kg in rows]


def _shipped_by_day(
    conn: Connection, upto: int, start: str | None, end: str | None
) -> list[tuple[str, Decimal]]:
    s, sl, lots = t.shipments.c, t.shipment_lots.c, t.lots.c
    day = func.substr(s.time, 1, 10)
    rows = conn.execute(
        select(day, func.sum(cast(lots.quantity, Float)))
        .select_from(
            t.shipments.join(t.shipment_lots, sl.shipment == s.shipment).join(
                t.lots, lots.key == sl.lot
            )
        )
        .where(
            s.seq < upto,
            lots.unit == _KG,
            s.time.is_not(None),
            *_day(s.time, start, end),  # type: ignore[arg-type]
        )
        .group_by(day)
    ).all()
    return [(d, _kg(kg)) for d, kg in rows]


def _excursions(
    conn: Connection, upto: int, start: str | None, end: str | None
) -> dict[tuple[str, str], int]:
    """Shipments per route with an excursion: read from the holds (few), then their lots."""
    s, sl, h = t.shipments.c, t.shipment_lots.c, t.holds.c
    during = and_(
        h.lot == sl.lot,
        h.rule.in_(EXCURSION_RULES),
        h.seq >= s.seq,
        h.seq < upto,
        (s.received_seq.is_(None)) | (h.seq <= s.received_seq),
    )
    broken = conn.execute(
        select(s.origin, s.destination, func.count(func.distinct(s.shipment)))
        .select_from(
            t.holds.join(t.shipment_lots, sl.lot == h.lot).join(
                t.shipments, s.shipment == sl.shipment
            )
        )
        .where(during, s.seq < upto, *_day(s.time, start, end))  # type: ignore[arg-type]
        .group_by(s.origin, s.destination)
    ).all()
    return {(o, d): int(n) for o, d, n in broken}


def losses(
    conn: Connection,
    upto: int,
    start: str | None = None,
    end: str | None = None,
    *,
    since: int = 0,
) -> list[ShipmentLoss]:
    """Every shipment received with a weighed quantity (kg) before ``upto``, by entry.

    What left is the sum of its lots' quantities as recorded when they were made (a lot
    ships whole); ``start``/``end`` select by the day it left, ``since`` only arrivals at
    or after that entry (read through the arrivals' index).
    """
    s, sl, lots, a = t.shipments.c, t.shipment_lots.c, t.lots.c, t.arrivals.c
    rows = conn.execute(
        select(s.shipment, s.origin, s.destination, a.quantity, lots.quantity)
        .select_from(
            t.arrivals.join(t.shipments, s.shipment == a.shipment)
            .join(t.shipment_lots, sl.shipment == s.shipment)
            .join(t.lots, lots.key == sl.lot)
        )
        .where(
            a.seq < upto,
            a.seq >= since,
            a.unit == _KG,
            lots.unit == _KG,
            *_day(s.time, start, end),  # type: ignore[arg-type]
        )
        .order_by(a.seq, sl.lot)
    ).all()
    found: dict[str, ShipmentLoss] = {}
    for shipment, origin, destination, received, lot_kg in rows:
        before = found.get(shipment)
        shipped = Decimal(lot_kg) + (before.shipped_kg if before else Decimal(0))
        found[shipment] = ShipmentLoss(shipment, origin, destination, shipped, Decimal(received))
    return list(found.values())


def excursions_by_route(
    conn: Connection, upto: int, start: str | None = None, end: str | None = None
) -> list[RouteFigures]:
    """Per route: shipments, those with a transport excursion, and the loss where weighed.

    A shipment's excursion is a hold under :data:`EXCURSION_RULES` on one of its lots placed
    between its shipping and its receiving (both included). Routes with most excursions
    first.
    """
    s = t.shipments.c
    when = [s.seq < upto, *_day(s.time, start, end)]
    totals = conn.execute(
        select(s.origin, s.destination, func.count())
        .where(*when)  # type: ignore[arg-type]
        .group_by(s.origin, s.destination)
    ).all()
    excursions = _excursions(conn, upto, start, end)

    weighed: dict[tuple[str, str], list[Decimal]] = defaultdict(
        lambda: [Decimal(0), Decimal(0), Decimal(0)]
    )
    for loss in losses(conn, upto, start, end):
        figures = weighed[loss.origin, loss.destination]
        figures[0] += 1
        figures[1] += loss.shipped_kg
        figures[2] += loss.received_kg
    routes = []
    for origin, destination, n in totals:
        w = weighed.get((origin, destination), [Decimal(0)] * 3)
        routes.append(
            RouteFigures(
                origin,
                destination,
                int(n),
                excursions.get((origin, destination), 0),
                int(w[0]),
                w[1],
                w[2],
            )
        )
    routes.sort(key=lambda r: (-r.excursions, -r.shipments, r.origin, r.destination))
    return routes


@dataclass(frozen=True)
class Monitoring:
    """What a monitoring dashboard shows, as the projection stood at entry ``upto``.

    Attributes:
        upto: Entries before this position count.
        holds: Lots on hold now, per rule.
        recent: The latest open holds: (lot key, rule, reason, entry).
        failing_tests: Residue tests with a substance over its limit, ever.
        recalled: Lots recalled.
        weeks: Tests, passes and kilograms per ISO week (the latest ``weeks`` weeks).
        routes: Shipments, excursions and weighed loss per route.
        suspicious: Label serials scanned suspiciously often: (gtin, serial, scans).
        overdue_samples: Sampling plans overdue now, or None where the projection keeps none.
        complaints: Open complaints, or None where the projection keeps none.
    """

    upto: int
    holds: tuple[HoldCount, ...]
    recent: tuple[tuple[str, str, str, int], ...]
    failing_tests: int
    recalled: int
    weeks: tuple[WeekFigures, ...]
    routes: tuple[RouteFigures, ...]
    suspicious: tuple[tuple[str, str, int], ...] = ()
    overdue_samples: int | None = None
    complaints: int | None = None


def monitoring(conn: Connection, upto: int, weeks: int = 13) -> Monitoring:
    """The dashboard's figures (scans and the optional sources: the caller).

    Sums come from the kept per-day rollup (:mod:`traceability.projection._rollup`), moved
    forward to ``upto``; holds are read from their (small) table.
    """
    sums = rollup_at(conn, upto)
    week_figures = weeks_of(sums)
    return Monitoring(
        upto=upto,
        holds=tuple(open_holds(conn, upto)),
        recent=tuple(recent_holds(conn, upto)),
        failing_tests=sum(w.tests - w.passed for w in week_figures),
        recalled=sums.recalled,
        weeks=tuple(week_figures[-weeks:]),
        routes=tuple(routes_of(conn, sums, upto)),
    )


def weeks_of(sums: Rollup, start: str | None = None, end: str | None = None) -> list[WeekFigures]:
    """Per ISO week of the days in [``start``, ``end``) (any, when not given), oldest first."""
    found: dict[str, DaySums] = defaultdict(DaySums)
    for day, d in sums.days.items():
        if (start is not None and day < start) or (end is not None and day >= end):
            continue
        w = found[iso_week(day)]
        w.tests += d.tests
        w.passed += d.passed
        w.harvested_kg += d.harvested_kg
        w.shipped_kg += d.shipped_kg
    return [
        WeekFigures(week, w.tests, w.passed, w.harvested_kg, w.shipped_kg)
        for week, w in sorted(found.items())
        if w.tests or w.harvested_kg or w.shipped_kg
    ]


def routes_of(
    conn: Connection, sums: Rollup, upto: int, start: str | None = None, end: str | None = None
) -> list[RouteFigures]:
    """Per route: shipments and weighed loss from the sums, excursions from the holds."""
    totals: dict[tuple[str, str], RouteDaySums] = defaultdict(RouteDaySums)
    for (origin, destination, day), r in sums.routes.items():
        if (start is not None and day < start) or (end is not None and day >= end):
            continue
        f = totals[origin, destination]
        f.shipments += r.shipments
        f.weighed += r.weighed
        f.shipped_kg += r.shipped_kg
        f.received_kg += r.received_kg
    excursions = _excursions(conn, upto, start, end)
    routes = [
        RouteFigures(
            o, d, f.shipments, excursions.get((o, d), 0), f.weighed, f.shipped_kg, f.received_kg
        )
        for (o, d), f in totals.items()
        if f.shipments
    ]
    routes.sort(key=lambda r: (-r.excursions, -r.shipments, r.origin, r.destination))
    return routes


def applied_size(conn: Connection) -> int:
    """How many entries the projection has applied."""
    found = conn.execute(select(t.state.c.applied_size)).scalar()
    return int(found or 0)
