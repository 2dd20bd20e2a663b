"""What a lot page shows of quality (issue 14).

Analyses by kind, quality readings, the growers' qualification and the season's inputs
against the commodity profile.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Connection, select

from traceability._errors import LifecycleError
from traceability.projection import _schema as t
from traceability.projection._lineage import ancestors
from traceability.projection._lookup import ResidueLine, residue_lines
from traceability.projection._query import profile_for
from traceability.rules._quality import (
    ANALYSIS_KINDS,
    InputFinding,
    InputRequirement,
    input_findings,
)

__all__ = [
    "AnalysisGroup",
    "LotQuality",
    "QualificationLine",
    "QualityLine",
    "lot_quality",
]


@dataclass(frozen=True)
class AnalysisGroup:
    """The lot's results of one kind of analysis (``pesticide_residue``, ``mycotoxin`` ...)."""

    kind: str
    results: tuple[ResidueLine, ...]


@dataclass(frozen=True)
class QualityLine:
    """One quality indicator measured when the lot (or a lot it came from) was graded.

    ``needs`` is the grade's bound as the profile entry ``rule_seq`` gave it (None: none).
    """

    lot: str
    indicator: str
    value: str
    unit: str
    needs: str | None
    seq: int
    rule_seq: int


@dataclass(frozen=True)
class QualificationLine:
    """A grower's latest assessment on one topic (``outcome`` ``none``: never assessed)."""

    grower: str
    farm: str
    topic: str
    assessment: str | None
    outcome: str
    valid_until: str | None
    seq: int | None
    trainings: int


@dataclass(frozen=True)
class LotQuality:
    """Quality facts of a lot, each with the entries behind it.

    Attributes:
        analyses: The lot's (and its sources') lab results by kind, in display order.
        measurements: Quality indicators measured at grading.
        qualifications: For each grower the lot came from, each topic the profile requires.
        inputs: For each harvested plot, each seasonal input requirement of the profile.
        profile_seq: The commodity profile entry that groups and judges them.
    """

    analyses: tuple[AnalysisGroup, ...]
    measurements: tuple[QualityLine, ...]
    qualifications: tuple[QualificationLine, ...]
    inputs: tuple[InputFinding, ...]
    profile_seq: int | None


def lot_quality(conn: Connection, key: str) -> LotQuality | None:
    """Return the quality facts of lot ``key``, or None when no such lot is recorded."""
    row = conn.execute(select(t.lots).where(t.lots.c.key == key)).first()
    if row is None:
        return None
    keys = ancestors(conn, key)
    try:
        profile_seq, profile = profile_for(conn, row.commodity)
    except LifecycleError:
        return LotQuality((), (), (), (), None)
    results = residue_lines(
        conn.execute(select(t.results).where(t.results.c.lot.in_(keys)).order_by(t.results.c.seq))
    )
    groups = [
        AnalysisGroup(kind, tuple(r for r in results if profile.analysis_kind(r.substance) == kind))
        for kind in ANALYSIS_KINDS
    ]
    measured = conn.execute(
        select(t.measurements)
        .where(t.measurements.c.lot.in_(keys))
        .order_by(t.measurements.c.seq, t.measurements.c.indicator)
    )
    measurements = tuple(
        QualityLine(m.lot, m.indicator, m.value, m.unit, m.needs, m.seq, m.rule_seq)
        for m in measured
    )
    harvests = conn.execute(
        select(t.lots.c.plot, t.lots.c.harvest_time, t.plots.c.farm)
        .join(t.plots, t.plots.c.plot == t.lots.c.plot)
        .where(t.lots.c.key.in_(keys), t.lots.c.harvest_time.is_not(None))
    ).all()
    qualifications: list[QualificationLine] = []
    findings: list[InputFinding] = []
    for farm in sorted({h.farm for h in harvests}):
        qualifications += _qualification(conn, farm, profile.qualifications)
    for h in sorted(harvests, key=lambda h: (h.plot, h.harvest_time)):
        harvested = datetime.fromisoformat(h.harvest_time)
        start = profile.season_start_for(harvested)
        findings += _inputs(conn, profile.input_requirements, h.plot, start, harvested)
    return LotQuality(
        tuple(g for g in groups if g.results),
        measurements,
        tuple(qualifications),
        tuple(findings),
        profile_seq,
    )


def _qualification(conn: Connection, farm: str, topics: tuple[str, ...]) -> list[QualificationLine]:
    grower = conn.execute(select(t.farms.c.grower).where(t.farms.c.farm == farm)).scalar_one()
    trained = len(conn.execute(select(t.trainings.c.seq).where(t.trainings.c.farm == farm)).all())
    rows = conn.execute(
        select(t.assessments)
        .where(t.assessments.c.farm == farm)
        .order_by(t.assessments.c.time, t.assessments.c.seq)
    ).all()
    out = []
    for topic in topics:
        last = next((r for r in reversed(rows) if r.topic == topic), None)
        if last is None:
            out.append(QualificationLine(grower, farm, topic, None, "none", None, None, trained))
        else:
            out.append(
                QualificationLine(
                    grower,
                    farm,
                    topic,
                    last.assessment,
                    last.outcome,
                    last.valid_until,
                    last.seq,
                    trained,
                )
            )
    return out


def _inputs(
    conn: Connection,
    requirements: tuple[InputRequirement, ...],
    plot: str,
    start: date,
    harvested: datetime,
) -> list[InputFinding]:
    if not requirements:
        return []
    applied = conn.execute(
        select(
            t.inputs.c.seq,
            t.inputs.c.category,
            t.inputs.c.substance,
            t.input_doses.c.dose,
            t.input_doses.c.dose_unit,
            t.inputs.c.time,
        )
        .join(t.input_doses, t.input_doses.c.seq == t.inputs.c.seq)
        .where(t.inputs.c.plot == plot)
        .order_by(t.inputs.c.seq)
    )
    rows = [
        (r.seq, r.category, r.substance, Decimal(r.dose), r.dose_unit, _at(r.time)) for r in applied
    ]
    return input_findings(requirements, plot, start, harvested, rows)


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)
