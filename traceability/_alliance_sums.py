"""The alliance's dashboard: each member's monitoring figures, and the same figures summed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

from traceability.projection._dashboard import HoldCount, Monitoring, RouteFigures, WeekFigures

__all__ = ["AllianceMonitoring", "sum_monitoring"]


@dataclass(frozen=True)
class AllianceMonitoring:
    """Each member's :class:`~traceability.Monitoring` and their sum.

    Attributes:
        members: (member slug, its figures), in the alliance's order.
        total: the figures summed: holds per rule, failing tests, recalls, weeks, scans'
            suspicious serials, overdue samples and open complaints added; routes side by
            side (a route is named by its member's own site ids, so routes of two members
            are never merged). ``upto`` is the sum of the members' log positions.
    """

    members: tuple[tuple[str, Monitoring], ...]
    total: Monitoring


def _optional_sum(values: Sequence[int | None]) -> int | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def sum_monitoring(members: Sequence[tuple[str, Monitoring]]) -> AllianceMonitoring:
    """Sum members' figures (see :class:`AllianceMonitoring` for what adds up how)."""
    figures = [m for _, m in members]
    holds: Counter[str] = Counter()
    for m in figures:
        for h in m.holds:
            holds[h.rule] += h.lots
    weeks: dict[str, WeekFigures] = {}
    for m in figures:
        for w in m.weeks:
            was = weeks.get(w.week, WeekFigures(w.week))
            weeks[w.week] = replace(
                was,
                tests=was.tests + w.tests,
                passed=was.passed + w.passed,
                harvested_kg=was.harvested_kg + w.harvested_kg,
                shipped_kg=was.shipped_kg + w.shipped_kg,
            )
    routes: list[RouteFigures] = [
        replace(r, origin=f"{slug}:{r.origin}") for slug, m in members for r in m.routes
    ]
    recent = sorted(
        (
            (f"{slug}:{key}", rule, reason, seq)
            for slug, m in members
            for key, rule, reason, seq in m.recent
        ),
        key=lambda h: -h[3],
    )
    total = Monitoring(
        upto=sum(m.upto for m in figures),
        holds=tuple(HoldCount(rule, n) for rule, n in sorted(holds.items())),
        recent=tuple(recent[:20]),
        failing_tests=sum(m.failing_tests for m in figures),
        recalled=sum(m.recalled for m in figures),
        weeks=tuple(weeks[w] for w in sorted(weeks)),
        routes=tuple(routes),
        suspicious=tuple(s for m in figures for s in m.suspicious),
        overdue_samples=_optional_sum([m.overdue_samples for m in figures]),
        complaints=_optional_sum([m.complaints for m in figures]),
    )
    return AllianceMonitoring(tuple(members), total)
