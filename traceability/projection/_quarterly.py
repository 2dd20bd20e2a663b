"""The quarterly evaluation of the cooperative keeping a ledger, computed at one position.

Volumes, residue pass rates, holds and recalls, cold-chain loss against the target, from the
projection's rows before ``upto`` (the size of the checkpoint the report names), so anyone
holding the ledger up to that checkpoint computes the same figures.

What counts as "in the quarter": an event with its own time (harvest, residue result,
shipping) by the calendar day it was signed with. Holds, lifts and recalls keep no time of
their own in the projection; they count by position, between the first entry of the quarter
that has a time and the first such entry after it (entries are recorded in time order, a
rule of the recorder: ``time-order``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal

from sqlalchemy import Connection, func, select

from traceability._errors import ValidationError
from traceability.projection import _schema as t
from traceability.projection._dashboard import (
    HoldCount,
    RouteFigures,
    ShipmentLoss,
    WeekFigures,
    losses,
    routes_of,
    weeks_of,
)
from traceability.projection._rollup import Rollup, rollup_at
from traceability.projection._sampling_reads import overdue_list

__all__ = ["LOSS_TARGET", "Quarter", "QuarterlyEvaluation", "parse_quarter", "quarterly"]

#: The cold-chain loss a cooperative should stay under: at most 10% of what it ships lost
#: between shipping and receiving (the alliance's target for fresh berries, issue 14).
LOSS_TARGET = 0.10
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


@dataclass(frozen=True)
class Quarter:
    """A calendar quarter: ``2026-Q4`` is 1 October (inclusive) to 1 January (exclusive)."""

    year: int
    number: int

    @property
    def name(self) -> str:
        """``YYYY-Qn``."""
        return f"{self.year}-Q{self.number}"

    @property
    def start(self) -> date:
        """Its first day."""
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> date:
        """The first day after it."""
        if self.number == 4:
            return date(self.year + 1, 1, 1)
        return date(self.year, 3 * self.number + 1, 1)


def parse_quarter(text: str, field: str = "quarter") -> Quarter:
    """Parse ``YYYY-Qn`` (e.g. ``2026-Q4``).

    Raises:
        ValidationError: anything else, naming ``field``.
    """
    found = _QUARTER.match(text) if len(text) < 16 else None
    if found is None or not 2000 <= int(found.group(1)) <= 2999:
        raise ValidationError(field, "a quarter written YYYY-Qn, e.g. 2026-Q4", text[:40])
    return Quarter(int(found.group(1)), int(found.group(2)))


@dataclass(frozen=True)
class QuarterlyEvaluation:
    """One cooperative's quarter, as the projection stood at entry ``upto``.

    Attributes:
        quarter: The quarter.
        upto: Entries before this position count (the checkpoint's size).
        weeks: Tests, passes and kilograms per ISO week of the quarter.
        holds_placed: Holds placed in the quarter, per rule (lots).
        holds_lifted: Holds lifted in the quarter.
        still_held: Lots placed on hold in the quarter and still held at ``upto``.
        recalled: Lots recalled in the quarter.
        routes: Shipments, excursions and weighed loss per route.
        shipments: Shipments that left in the quarter and were weighed on arrival.
        complaints: Complaints received and how they ended (outcome -> count), or None
            when this ledger's projection keeps no complaints.
        sampling_overdue: Sampling plans overdue at the quarter's end, or None when the
            projection keeps no sampling plans.
    """

    quarter: Quarter
    upto: int
    weeks: tuple[WeekFigures, ...]
    holds_placed: tuple[HoldCount, ...]
    holds_lifted: int
    still_held: int
    recalled: int
    routes: tuple[RouteFigures, ...]
    shipments: tuple[ShipmentLoss, ...]
    complaints: dict[str, int] | None = None
    sampling_overdue: int | None = None

    @property
    def tests(self) -> int:
        """Residue tests in the quarter."""
        return sum(w.tests for w in self.weeks)

    @property
    def passed(self) -> int:
        """Residue tests that passed on every substance."""
        return sum(w.passed for w in self.weeks)

    @property
    def pass_rate(self) -> float | None:
        """Passed over tests; None without tests."""
        return self.passed / self.tests if self.tests else None

    @property
    def harvested_kg(self) -> Decimal:
        """Kilograms harvested."""
        return sum((w.harvested_kg for w in self.weeks), Decimal(0))

    @property
    def shipped_kg(self) -> Decimal:
        """Kilograms shipped."""
        return sum((w.shipped_kg for w in self.weeks), Decimal(0))

    @property
    def loss_rate(self) -> float | None:
        """Cold-chain loss over the weighed shipments' kilograms; None when none was weighed."""
        shipped = sum((s.shipped_kg for s in self.shipments), Decimal(0))
        received = sum((s.received_kg for s in self.shipments), Decimal(0))
        return float((shipped - received) / shipped) if shipped else None

    @property
    def loss_within_target(self) -> bool | None:
        """Whether the loss rate is at most :data:`LOSS_TARGET`; None when unmeasured."""
        rate = self.loss_rate
        return None if rate is None else rate <= LOSS_TARGET


def _window(sums: Rollup, upto: int, start: str, end: str) -> tuple[int, int]:
    """Positions [first, after) of the quarter: from its first timed entry to the next one's."""
    inside = [d.first_seq for day, d in sums.days.items() if start <= day < end]
    later = [d.first_seq for day, d in sums.days.items() if day >= end]
    first = min((s for s in inside if s is not None), default=upto)
    after = min((s for s in later if s is not None), default=upto)
    return first, max(first, after)


def quarterly(conn: Connection, quarter: Quarter, upto: int) -> QuarterlyEvaluation:
    """Compute ``quarter``'s evaluation from the rows before entry ``upto``."""
    start, end = quarter.start.isoformat(), quarter.end.isoformat()
    sums = rollup_at(conn, upto)
    first, after = _window(sums, upto, start, end)
    h = t.holds.c
    in_quarter = (h.seq >= first) & (h.seq < after)
    placed = conn.execute(
        select(h.rule, func.count(func.distinct(h.lot)))
        .where(in_quarter)
        .group_by(h.rule)
        .order_by(h.rule)
    ).all()
    lifted = conn.execute(
        select(func.count()).where(h.lifted_seq >= first, h.lifted_seq < after)
    ).scalar_one()
    still = conn.execute(
        select(func.count(func.distinct(h.lot))).where(
            in_quarter, (h.lifted_seq.is_(None)) | (h.lifted_seq >= upto)
        )
    ).scalar_one()
    lots = t.lots.c
    recalled = conn.execute(
        select(func.count()).where(
            lots.status == "recalled", lots.status_seq >= first, lots.status_seq < after
        )
    ).scalar_one()
    return QuarterlyEvaluation(
        quarter=quarter,
        upto=upto,
        weeks=tuple(weeks_of(sums, start, end)),
        holds_placed=tuple(HoldCount(rule, int(n)) for rule, n in placed),
        holds_lifted=int(lifted),
        still_held=int(still),
        recalled=int(recalled),
        routes=tuple(routes_of(conn, sums, upto, start, end)),
        # Arrivals come after their shipping: those from the quarter's first entry on.
        shipments=tuple(losses(conn, upto, start, end, since=first)),
        complaints=_complaint_outcomes(conn, first, after, upto),
        sampling_overdue=_overdue_at_end(conn, quarter),
    )


def _complaint_outcomes(conn: Connection, first: int, after: int, upto: int) -> dict[str, int]:
    # Complaints received in the quarter, each by the regulator's decision taken before
    # ``upto`` (warning, hold, recall, dismiss), or "open".
    c, d = t.complaints.c, t.decisions.c
    rows = conn.execute(
        select(c.seq, d.action, d.seq.label("decided"))
        .select_from(t.complaints.outerjoin(t.decisions, d.complaint == c.seq))
        .where(c.seq >= first, c.seq < after)
    ).all()
    outcomes: dict[str, int] = {}
    for row in rows:
        outcome = row.action if row.decided is not None and row.decided < upto else "open"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


def _overdue_at_end(conn: Connection, quarter: Quarter) -> int:
    # Plans overdue on the quarter's last instant, or now while the quarter runs.
    end = datetime.combine(quarter.end, time(), tzinfo=UTC)
    return len(overdue_list(conn, min(end, datetime.now(UTC))))
