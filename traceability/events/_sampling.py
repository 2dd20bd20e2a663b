"""Sampling plans, independent labs and samples (issue 14), each the model of one statement kind.

- ``trace.sampling_plan`` (the cooperative): how often a third-party sample must be taken of
  a product, optionally narrowed to one farm or plot, and which analyses it is taken for.
- ``trace.lab`` (the lab itself): a lab enrols the key that signs it, with its name and its
  accreditation number (CMA, 检验检测机构资质认定). Signed by the enrolled key: proof that
  the lab holds it.
- ``trace.lab_approval`` (a regulator): the regulator vouches for one enrolment (lab id
  and key id). Only an approved enrolment's key may sign samples and residue results.
- ``trace.sample`` (an approved lab, or a regulator for its pre-sampling 抽检): a sample
  taken of a lot, by whom, when, for which analyses.

The rules that judge them are in :mod:`traceability.rules._sampling`; the decision record is
docs/adr/0020-independent-labs-and-sampling-plans.md.
"""

from __future__ import annotations

import re
from typing import Annotated, ClassVar, Literal

from pydantic import BeforeValidator, Field, model_validator

from traceability._errors import ValidationError
from traceability.events._events import LotRef
from traceability.events._model import Gtin, LocalId, Model, Text, Time

__all__ = [
    "SAMPLING_TYPES",
    "LabApproval",
    "LabEnrolment",
    "Sample",
    "SamplingPlan",
]

# A CMA certificate number as printed on 资质认定证书: 12 digits, e.g. 211234567890.
# Other accreditations (CNAS L1234) fit the wider pattern: letters, digits, hyphens.
_ACCREDITATION = re.compile(r"^[A-Z]{0,6}[-]?[0-9A-Z]{4,20}$")
# A ledger key id as ledger.key_id_for gives it: 32 hex digits.
_KEY_ID = re.compile(r"^[0-9a-f]{32}$")
# An analysis code (``pesticide_residues``, ``heavy_metals``): lower case, as rule tables are.
_ANALYSIS = r"^[a-z][a-z0-9_]{1,40}$"


def _accreditation(value: object, field: str) -> str:
    if not isinstance(value, str) or not _ACCREDITATION.match(value):
        raise ValidationError(field, "an accreditation number such as 211234567890 (CMA)", value)
    return value


def _key_id(value: object, field: str) -> str:
    if not isinstance(value, str) or not _KEY_ID.match(value):
        raise ValidationError(field, "a ledger key id (32 hex digits)", value)
    return value


Accreditation = Annotated[str, BeforeValidator(lambda v, i: _accreditation(v, i.field_name))]
KeyId = Annotated[str, BeforeValidator(lambda v, i: _key_id(v, i.field_name))]
Analysis = Annotated[str, Field(pattern=_ANALYSIS)]


class SamplingPlan(Model):
    """How often a third-party sample must be taken of a product (``trace.sampling_plan``).

    The plan covers every lot of ``gtin``, or only those grown on ``farm`` or on ``plot``.
    From ``time`` on, a sample of a covered lot is due every ``every_days`` days; while one
    is overdue, no covered lot may be released. A later entry with the same ``plan`` id
    replaces the earlier one; ``ends`` closes the plan.
    """

    KIND: ClassVar[str] = "trace.sampling_plan"
    plan: LocalId
    gtin: Gtin
    farm: LocalId | None = None
    plot: LocalId | None = None
    every_days: int = Field(ge=1, le=366)
    analyses: tuple[Analysis, ...] = Field(min_length=1, max_length=20)
    ends: Time | None = None
    time: Time

    @model_validator(mode="after")
    def _one_scope(self) -> SamplingPlan:
        if self.farm is not None and self.plot is not None:
            raise ValidationError("plot", "a farm or a plot, not both", self.plot)
        if len(set(self.analyses)) != len(self.analyses):
            raise ValidationError("analyses", "each analysis once", list(self.analyses))
        if self.ends is not None and self.ends <= self.time:
            raise ValidationError("ends", f"a time after {self.time.isoformat()}", self.ends)
        return self


class LabEnrolment(Model):
    """A lab enrols the key that signs this entry (``trace.lab``): who it is, once.

    Signed by the lab's own key (its proof of holding it); the regulator's
    :class:`LabApproval` of the same ``lab`` and key makes the key a lab's.
    """

    KIND: ClassVar[str] = "trace.lab"
    lab: LocalId
    name: Text
    accreditation: Accreditation  # the CMA number (检验检测机构资质认定证书编号)
    time: Time


class LabApproval(Model):
    """A regulator approves one lab enrolment (``trace.lab_approval``): lab id and key id."""

    KIND: ClassVar[str] = "trace.lab_approval"
    lab: LocalId
    key_id: KeyId
    note: Text | None = None
    time: Time


class Sample(Model):
    """A sample taken of a lot (``trace.sample``), by a lab or by the regulator (抽检).

    ``taken_by`` is ``"lab"`` (a third party: signed by an approved lab's key, ``lab`` its
    lab id) or ``"regulator"`` (pre-sampling by the market regulator: signed by a regulator
    key). ``sampler`` is the person who took it, as written on the sampling form.
    """

    KIND: ClassVar[str] = "trace.sample"
    sample_id: LocalId
    lot: LotRef
    taken_by: Literal["lab", "regulator"]
    lab: LocalId | None = None  # the lab that took it (taken_by lab) or will analyse it
    sampler: Text
    analyses: tuple[Analysis, ...] = Field(min_length=1, max_length=20)
    time: Time  # when the sample was taken

    @model_validator(mode="after")
    def _lab_named(self) -> Sample:
        if self.taken_by == "lab" and self.lab is None:
            raise ValidationError("lab", "the id of the lab that took the sample", None)
        if len(set(self.analyses)) != len(self.analyses):
            raise ValidationError("analyses", "each analysis once", list(self.analyses))
        return self


#: Statement kind -> model, merged into :data:`traceability.events._events.EVENT_TYPES`.
SAMPLING_TYPES: dict[str, type[Model]] = {
    m.KIND: m for m in (SamplingPlan, LabEnrolment, LabApproval, Sample)
}
