"""Profile parts beyond residues: quality indicators, grade thresholds, qualification, inputs.

Pure rules, values in and verdict or problem out; the projection applies them (harvest,
grading) and the pages show their findings. docs/adr/0021-profiles-quality-qualification.md
says why each part sits where it does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import Field, model_validator

from traceability._errors import ValidationError
from traceability.events._model import Amount, Measure, Model, Part, Text
from traceability.events._quality import INDICATOR, QualityReading

__all__ = [
    "ANALYSIS_KINDS",
    "AnalysisKind",
    "AssessmentRow",
    "Indicator",
    "InputFinding",
    "InputRequirement",
    "QualificationProblem",
    "Threshold",
    "input_findings",
    "qualification_problem",
    "threshold_problem",
]

AnalysisKind = Literal[
    "pesticide_residue", "mycotoxin", "veterinary_drug", "heavy_metal", "quality"
]
#: The kinds an analysis is grouped under, in the order pages show them.
ANALYSIS_KINDS: tuple[AnalysisKind, ...] = (
    "pesticide_residue",
    "mycotoxin",
    "veterinary_drug",
    "heavy_metal",
    "quality",
)


class Indicator(Part):
    """A measured quality indicator a profile knows: name, unit, what it is.

    ``brix`` in ``°Bx`` (soluble solids), ``firmness`` in ``N``, ``defects`` in ``%``,
    ``moisture`` in ``%`` (nuts, honey): a reading is judged in the unit declared here.
    """

    name: str = Field(pattern=INDICATOR)
    unit: Text
    description: Text | None = None


class Threshold(Model):
    """A grade's bound on one indicator: ``min <= value <= max`` (either end may be open)."""

    indicator: str = Field(pattern=INDICATOR)
    min: Measure | None = None
    max: Measure | None = None

    @model_validator(mode="after")
    def _some_bound(self) -> Threshold:
        if self.min is None and self.max is None:
            raise ValidationError("min", "a min, a max or both", None)
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValidationError("min", f"<= max {self.max}", self.min)
        return self

    def text(self, unit: str) -> str:
        """The bound as a person reads it: ``>= 9 °Bx``, ``<= 20 %``, ``4-8 N``."""
        if self.max is None:
            return f">= {self.min} {unit}"
        if self.min is None:
            return f"<= {self.max} {unit}"
        return f"{self.min}-{self.max} {unit}"


def threshold_problem(
    threshold: Threshold, readings: Sequence[QualityReading] | None, unit: str
) -> tuple[str, str] | None:
    """Return ``(case, sentence)`` when ``readings`` miss ``threshold``, or None.

    A missing reading is a refusal of its own (``missing``): a grade that needs Brix >= 9
    cannot be shown without a Brix reading, so it is never a silent pass.
    """
    reading = next((r for r in readings or () if r.indicator == threshold.indicator), None)
    if reading is None:
        return "missing", f"no {threshold.indicator} reading (needs {threshold.text(unit)})"
    low, high = threshold.min, threshold.max
    if (low is not None and reading.value < low) or (high is not None and reading.value > high):
        return (
            "outside",
            f"{threshold.indicator} {reading.value} {unit} is outside {threshold.text(unit)}",
        )
    return None


class InputRequirement(Part):
    """An input the profile requires per season on every harvested plot.

    E.g. organic fertiliser >= 30,000 kg/ha per season (Xinjiang jujube green-food practice):
    the doses of the plot's ``category`` inputs whose active substance is ``substance``,
    applied from the season's start up to the harvest, must add up to ``min_dose``.
    """

    label: Text
    category: Literal["pesticide", "fertiliser"] = "fertiliser"
    substance: Text
    min_dose: Amount
    dose_unit: Literal["kg/ha", "l/ha", "g/ha", "ml/ha"]


@dataclass(frozen=True)
class InputFinding:
    """One requirement judged for one plot's season: total applied, needed, and whether met."""

    plot: str
    label: str
    total: Decimal
    needed: Decimal
    unit: str
    met: bool
    entries: tuple[int, ...]


def input_findings(
    requirements: Iterable[InputRequirement],
    plot: str,
    season_start: date,
    harvested: datetime,
    applied: Iterable[tuple[int, str, str, Decimal, str, datetime]],
) -> list[InputFinding]:
    """Judge a plot's season of inputs against the profile's requirements.

    Args:
        requirements: the profile's input requirements.
        plot: the harvested plot.
        season_start: the first day of the harvest's season.
        harvested: the harvest time (inputs after it do not count toward it).
        applied: ``(seq, category, substance, dose, dose_unit, time)`` of the plot's inputs.
    """
    rows = list(applied)
    out = []
    for need in requirements:
        total, seqs = Decimal(0), []
        for seq, category, substance, dose, unit, at in rows:
            same = category == need.category and substance.lower() == need.substance.lower()
            if same and unit == need.dose_unit and season_start <= at.date() and at <= harvested:
                total += dose
                seqs.append(seq)
        out.append(
            InputFinding(
                plot,
                need.label,
                total,
                need.min_dose,
                need.dose_unit,
                total >= need.min_dose,
                tuple(seqs),
            )
        )
    return out


@dataclass(frozen=True)
class AssessmentRow:
    """A recorded assessment as the qualification rule reads it."""

    seq: int
    assessment: str
    topic: str
    outcome: str
    valid_until: date | None
    time: datetime


@dataclass(frozen=True)
class QualificationProblem:
    """Why a grower is not qualified for a topic: the case, the assessment and a sentence."""

    case: Literal["none", "failed", "expired"]
    topic: str
    assessment: str
    day: str
    message: str


def qualification_problem(
    grower: str, topic: str, harvested: datetime, rows: Iterable[AssessmentRow]
) -> QualificationProblem | None:
    """Return why ``grower`` is not qualified on ``topic`` for a harvest, or None.

    The assessment that counts is the latest on the topic recorded at or before the
    harvest: a later fail withdraws an earlier pass, and a pass counts up to its
    ``valid_until`` day (inclusive, in the harvest's own UTC offset).
    """
    before = [r for r in rows if r.topic == topic and r.time <= harvested]
    if not before:
        return QualificationProblem(
            "none", topic, "", "", f"grower {grower} has no assessment on {topic}"
        )
    last = max(before, key=lambda r: (r.time, r.seq))
    if last.outcome != "pass":
        day = last.time.date().isoformat()
        return QualificationProblem(
            "failed",
            topic,
            last.assessment,
            day,
            f"grower {grower} failed assessment {last.assessment} on {topic} ({day}, "
            f"entry {last.seq})",
        )
    assert last.valid_until is not None  # a pass always has a term (events._quality)
    if harvested.date() > last.valid_until:
        day = last.valid_until.isoformat()
        return QualificationProblem(
            "expired",
            topic,
            last.assessment,
            day,
            f"grower {grower}'s assessment {last.assessment} on {topic} expired {day} "
            f"(entry {last.seq})",
        )
    return None
