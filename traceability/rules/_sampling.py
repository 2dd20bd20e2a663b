"""Sampling plans as rules: which lots a plan covers, when its next sample is due.

Pure functions over plain values, so the release gate, the overdue list and the tests judge
a plan the same way. A plan (``trace.sampling_plan``) asks for a third-party sample of its
product (optionally of one farm or plot) every ``every_days`` days from its start; a sample
counts for it when it is of a covered lot, taken by a lab or the regulator, for every
analysis the plan names. The next sample is due ``every_days`` after the later of the plan's
start and the latest such sample; after that the plan is overdue until a sample comes or the
plan ends. While a plan is overdue, no lot it covers may be released (rule
``sampling-plan-overdue``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["OVERDUE_RULE", "PlanRule", "SampleTaken", "due_at", "overdue"]

#: The rule a release refused for an overdue plan names.
OVERDUE_RULE = "sampling-plan-overdue"


@dataclass(frozen=True)
class PlanRule:
    """A sampling plan as the rules read it (one ``trace.sampling_plan`` entry).

    Attributes:
        plan: the plan id.
        gtin: the product it covers.
        farm: only lots grown on this farm (or None).
        plot: only lots grown on this plot (or None).
        every_days: a sample is due this many days after the previous one.
        analyses: what every sample must be taken for.
        start: from when the plan applies.
        ends: when it stops applying (None: open-ended).
        seq: the entry that stated it.
    """

    plan: str
    gtin: str
    farm: str | None
    plot: str | None
    every_days: int
    analyses: frozenset[str]
    start: datetime
    ends: datetime | None
    seq: int

    def covers(self, gtin: str, farms: Collection[str], plots: Collection[str]) -> bool:
        """Whether a lot of ``gtin`` grown on ``farms``/``plots`` falls under this plan."""
        if gtin != self.gtin:
            return False
        if self.farm is not None and self.farm not in farms:
            return False
        return self.plot is None or self.plot in plots

    def applies_at(self, at: datetime) -> bool:
        """Whether the plan is in force at ``at`` (started, not ended)."""
        return self.start <= at and (self.ends is None or at < self.ends)


@dataclass(frozen=True)
class SampleTaken:
    """A recorded sample as the rules read it: where its lot grew, when, for what."""

    sample_id: str
    gtin: str
    farms: frozenset[str]
    plots: frozenset[str]
    analyses: frozenset[str]
    time: datetime


def _counts(plan: PlanRule, sample: SampleTaken, at: datetime) -> bool:
    return (
        sample.time <= at
        and plan.covers(sample.gtin, sample.farms, sample.plots)
        and plan.analyses <= sample.analyses
    )


def due_at(
    plan: PlanRule, samples: Iterable[SampleTaken], at: datetime
) -> tuple[datetime, str | None]:
    """Return when ``plan``'s next sample is due as seen at ``at``, and the last sample's id.

    Only samples taken at or before ``at`` count: a sample recorded later cannot make a
    decision taken at ``at`` right after the fact.
    """
    last: SampleTaken | None = None
    for sample in samples:
        if _counts(plan, sample, at) and (last is None or sample.time > last.time):
            last = sample
    base = plan.start if last is None or last.time < plan.start else last.time
    return base + timedelta(days=plan.every_days), None if last is None else last.sample_id


def overdue(plan: PlanRule, samples: Iterable[SampleTaken], at: datetime) -> datetime | None:
    """Return the due time ``plan`` missed as of ``at``, or None when it is not overdue."""
    if not plan.applies_at(at):
        return None
    due, _ = due_at(plan, samples, at)
    return due if at > due else None
