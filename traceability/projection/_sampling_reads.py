"""Read views of sampling: overdue plans (the alert rows), a lot's samples, labs, plans.

:meth:`traceability.Projection.overdue_samples` is the alert feed's source: one row per
sampling plan overdue at a moment, judged by the same rule the release gate uses
(:mod:`traceability.rules._sampling`), so a plan listed here is exactly one whose lots
cannot be released at that moment.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from traceability.projection import _schema as t
from traceability.projection._sampling import plan_rules, samples_taken
from traceability.rules._sampling import due_at, overdue

__all__ = [
    "LabInfo",
    "OverdueSample",
    "PlanInfo",
    "SampleLine",
    "lab_list",
    "lot_samples",
    "overdue_list",
    "plan_list",
]


@dataclass(frozen=True)
class OverdueSample:
    """A sampling plan whose sample is overdue at ``at``: an alert row.

    Attributes:
        plan: the plan id; ``plan_seq`` the entry that stated it.
        gtin: the product; ``farm``/``plot`` the narrower scope, if any.
        every_days: the plan's interval.
        analyses: what each sample must be taken for.
        due: when the missed sample was due.
        last_sample: the latest sample that counted (None: none since the plan started).
        at: the moment judged.
    """

    plan: str
    plan_seq: int
    gtin: str
    farm: str | None
    plot: str | None
    every_days: int
    analyses: tuple[str, ...]
    due: datetime
    last_sample: str | None
    at: datetime

    @property
    def days_overdue(self) -> int:
        """Whole days since the sample was due."""
        return (self.at - self.due).days


@dataclass(frozen=True)
class PlanInfo:
    """A sampling plan in force, with when its next sample is due as of a moment."""

    plan: str
    seq: int
    gtin: str
    farm: str | None
    plot: str | None
    every_days: int
    analyses: tuple[str, ...]
    start: datetime
    ends: datetime | None
    next_due: datetime
    last_sample: str | None


@dataclass(frozen=True)
class SampleLine:
    """A sample taken of a lot, and the lab results that name it.

    ``taken_by`` is ``lab`` (a third party) or ``regulator`` (pre-sampling, 抽检).
    ``result_seqs`` are the residue entries that name this sample.
    """

    sample_id: str
    seq: int
    taken_by: str
    lab: str | None
    lab_name: str | None
    sampler: str
    actor: str
    analyses: tuple[str, ...]
    time: datetime
    result_seqs: tuple[int, ...]


@dataclass(frozen=True)
class LabInfo:
    """An enrolled lab key: the lab, its accreditation, and whether a regulator approved it."""

    lab: str
    name: str
    accreditation: str
    key_id: str
    seq: int
    approved_seq: int | None
    approved_by: str | None


def overdue_list(conn: Connection, at: datetime) -> list[OverdueSample]:
    """Return every sampling plan overdue at ``at``, longest overdue first."""
    samples = samples_taken(conn)
    rows = []
    for plan in plan_rules(conn):
        due = overdue(plan, samples, at)
        if due is None:
            continue
        _, last = due_at(plan, samples, at)
        rows.append(
            OverdueSample(
                plan=plan.plan,
                plan_seq=plan.seq,
                gtin=plan.gtin,
                farm=plan.farm,
                plot=plan.plot,
                every_days=plan.every_days,
                analyses=tuple(sorted(plan.analyses)),
                due=due,
                last_sample=last,
                at=at,
            )
        )
    return sorted(rows, key=lambda r: (r.due, r.plan))


def plan_list(conn: Connection, at: datetime) -> list[PlanInfo]:
    """Return every sampling plan with its next due time as of ``at``."""
    samples = samples_taken(conn)
    out = []
    for p in plan_rules(conn):
        due, last = due_at(p, samples, at)
        out.append(
            PlanInfo(
                p.plan,
                p.seq,
                p.gtin,
                p.farm,
                p.plot,
                p.every_days,
                tuple(sorted(p.analyses)),
                p.start,
                p.ends,
                due,
                last,
            )
        )
    return out


def lot_samples(conn: Connection, key: str) -> list[SampleLine]:
    """Return the samples taken of lot ``key``, oldest first, with the results naming them."""
    names = {r.lab: r.name for r in conn.execute(select(t.lab_keys.c.lab, t.lab_keys.c.name))}
    rows = conn.execute(
        select(t.samples).where(t.samples.c.lot == key).order_by(t.samples.c.seq)
    ).all()
    out = []
    for r in rows:
        seqs = conn.execute(
            select(t.result_sources.c.seq)
            .where(t.result_sources.c.sample_id == r.sample_id)
            .order_by(t.result_sources.c.seq)
        ).scalars()
        out.append(
            SampleLine(
                sample_id=r.sample_id,
                seq=r.seq,
                taken_by=r.taken_by,
                lab=r.lab,
                lab_name=names.get(r.lab) if r.lab else None,
                sampler=r.sampler,
                actor=r.actor,
                analyses=tuple(json.loads(r.analyses)),
                time=datetime.fromisoformat(r.time),
                result_seqs=tuple(seqs),
            )
        )
    return out


def lab_list(conn: Connection) -> list[LabInfo]:
    """Return every enrolled lab key, in enrolment order."""
    rows = conn.execute(select(t.lab_keys).order_by(t.lab_keys.c.seq))
    return [
        LabInfo(r.lab, r.name, r.accreditation, r.key_id, r.seq, r.approved_seq, r.approved_by)
        for r in rows
    ]
