"""What the county pages show, shaped for the templates from the alliance's answers."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from traceability import AllianceMonitoring, CrossTrace, MemberCounts, Monitoring

__all__ = ["STATUS_COLUMNS", "Figures", "counts_view", "dashboard_view", "trace_view"]

#: The statuses the members table counts, in its column order (``failed``: a failing
#: residue verdict on the lot or upstream, whatever its status).
STATUS_COLUMNS = ("released", "on_hold", "recalled", "failed")


@dataclass(frozen=True)
class Figures:
    """One dashboard row: a member's (or the sum's) figures."""

    member: str | None  # None: the sum of every member
    holds: int
    failing_tests: int
    recalled: int
    tests: int
    passed: int
    harvested_kg: Decimal
    shipped_kg: Decimal
    overdue: int | None
    complaints: int | None


def _figures(member: str | None, m: Monitoring) -> Figures:
    return Figures(
        member,
        sum(h.lots for h in m.holds),
        m.failing_tests,
        m.recalled,
        sum(w.tests for w in m.weeks),
        sum(w.passed for w in m.weeks),
        sum((w.harvested_kg for w in m.weeks), Decimal(0)),
        sum((w.shipped_kg for w in m.weeks), Decimal(0)),
        m.overdue_samples,
        m.complaints,
    )


def counts_view(counts: list[MemberCounts]) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Rows of the members table and their sum (columns :data:`STATUS_COLUMNS` and total)."""
    rows = []
    total = dict.fromkeys((*STATUS_COLUMNS, "total", "entries"), 0)
    for c in counts:
        row: dict[str, Any] = {"member": c.member, "origin": c.origin, "name": c.name}
        row |= {"entries": c.entries, "total": c.counts.total, "failed": c.counts.failed}
        row |= {s: c.counts.of(s) for s in STATUS_COLUMNS if s != "failed"}
        for key in total:
            total[key] += int(row[key])
        rows.append(row)
    return rows, total


def dashboard_view(board: AllianceMonitoring) -> dict[str, Any]:
    """The dashboard page's values: each member's figures, their sum, holds by rule, weeks."""
    return {
        "members": [_figures(slug, m) for slug, m in board.members],
        "total": _figures(None, board.total),
        "holds": board.total.holds,
        "weeks": board.total.weeks,
    }


def trace_view(traced: CrossTrace) -> dict[str, Any]:
    """The trace page's values: the trace, and its lots grouped by member in order met."""
    order: list[str] = [traced.focus.member]
    for x in (*traced.back, *traced.forward):
        if x.member not in order:
            order.append(x.member)
    return {"trace": traced, "members": order}
