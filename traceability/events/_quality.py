"""Quality and qualification: indicators measured on graded lots, growers' assessments.

A quality reading (Brix, firmness, defects, moisture) is measured on a graded lot and
recorded inside the grading that makes it, so a grade whose thresholds the reading misses is
refused before the lot exists (docs/adr/0021-profiles-quality-qualification.md). Contaminants
(aflatoxin, veterinary drugs, heavy metals) are lab results like pesticide residues, judged
against the MRL table and grouped by the kind the commodity profile gives each substance.

Training and assessment records are per grower (the grower of a registered farm); a harvest
is refused unless the farm's grower holds a passed, unexpired assessment for every topic the
commodity profile requires.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal

from pydantic import Field, model_validator

from traceability._errors import ValidationError
from traceability.events._model import Amount, LocalId, Measure, Model, Part, Text, Time

__all__ = ["INDICATOR", "Assessment", "QualityReading", "Training"]

#: The shape of an indicator's or an assessment topic's name (``brix``, ``gap_basics``).
INDICATOR = r"^[a-z][a-z0-9_]{0,30}$"


class QualityReading(Part):
    """One quality indicator measured on a lot: its name in the profile and the value.

    The unit is the one the commodity profile declares for the indicator (``°Bx`` for
    ``brix``, ``%`` for ``moisture``), so a reading cannot be judged in the wrong unit.
    """

    indicator: str = Field(pattern=INDICATOR)
    value: Measure


class Training(Model):
    """A training a farm's grower attended (``trace.training``): course, hours, trainer."""

    KIND: ClassVar[str] = "trace.training"
    farm: LocalId
    #: The grower's name as the farm entry registers it (checked against it).
    grower: Text
    course: Text
    hours: Amount
    trainer: Text
    time: Time


class Assessment(Model):
    """A grower's assessment on one topic (``trace.assessment``): passed until, or failed.

    A passed assessment qualifies the farm's grower for harvests of commodities whose
    profile requires ``topic``, from ``time`` up to ``valid_until``; a failed one, recorded
    later than a pass on the same topic, withdraws it until the next pass.
    """

    KIND: ClassVar[str] = "trace.assessment"
    farm: LocalId
    grower: Text
    #: The assessment's own id (a certificate or sheet number), named in refusals.
    assessment: LocalId
    topic: str = Field(pattern=INDICATOR)
    outcome: Literal["pass", "fail"]
    #: The last day (inclusive, in the harvest's own UTC offset) the pass qualifies for.
    valid_until: date | None = None
    assessor: Text
    time: Time

    @model_validator(mode="after")
    def _pass_has_a_term(self) -> Assessment:
        if self.outcome == "pass" and self.valid_until is None:
            raise ValidationError("valid_until", "the date a passed assessment expires", None)
        if self.valid_until is not None and self.valid_until < self.time.date():
            raise ValidationError(
                "valid_until",
                f"a day on or after the assessment ({self.time.date().isoformat()})",
                self.valid_until.isoformat(),
            )
        return self
