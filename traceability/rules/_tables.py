"""Rules as data: commodity profiles and MRL tables, loaded from files, recorded on the ledger.

Each rule table is one ledger entry (``trace.profile`` / ``trace.mrl``); a verdict names the
entry's sequence number, so anyone can see which edition of which table judged a lot. The
checks here are pure: values in, verdict or problem out.
"""

from __future__ import annotations

import csv
import io
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, model_validator

from traceability._errors import ValidationError
from traceability.events._events import Reading, SubstanceResult
from traceability.events._model import Amount, Measure, Model, Part, Text
from traceability.events._quality import INDICATOR
from traceability.exports._csv_safe import decode_csv
from traceability.rules._quality import (
    AnalysisKind,
    Indicator,
    InputRequirement,
    Threshold,
)

__all__ = [
    "GradeBand",
    "MrlRow",
    "MrlTable",
    "Profile",
    "Verdict",
    "load_mrl_csv",
    "load_profile",
    "precool_findings",
    "precool_problem",
    "residue_text",
    "residue_verdict",
    "transport_findings",
    "transport_problem",
]


GradeBasis = Literal["size_mm", "count_per_kg", "weight_g", "quality"]
#: A grade's name (``grade_1``, ``processing``): a code, as gradings write it.
GradeName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,30}$")]
#: An assessment topic a profile requires (``gap_basics``), as assessments write it.
Topic = Annotated[str, Field(pattern=INDICATOR)]
#: How a basis's measured values are written after the number.
BASIS_UNIT: dict[str, str] = {
    "size_mm": "mm",
    "count_per_kg": "/kg",
    "weight_g": "g",
    "quality": "",
}


class GradeBand(Model):
    """A grade: its band on the profile's basis and its quality thresholds.

    The band is ``min <= value < max`` (either end may be open), on the basis the profile
    grades by: sizes in mm (``min_mm``/``max_mm``, the names strawberry profiles recorded
    before other bases existed), or count per kg / unit weight in g (``min``/``max``).
    A profile graded by quality alone has no bands, only ``thresholds``.
    """

    name: GradeName
    min_mm: Measure | None = None
    max_mm: Measure | None = None
    min: Measure | None = None
    max: Measure | None = None
    #: Indicator bounds every lot of this grade must meet (e.g. Brix >= 9 °Bx).
    thresholds: tuple[Threshold, ...] = ()

    @model_validator(mode="after")
    def _one_kind_of_band(self) -> GradeBand:
        if (self.min_mm, self.max_mm) != (None, None) and (self.min, self.max) != (None, None):
            raise ValidationError("min", "either min_mm/max_mm or min/max, not both", self.name)
        _distinct_names("thresholds", [t.indicator for t in self.thresholds])
        return self

    @property
    def low(self) -> Decimal | None:
        """The band's lower end on the profile's basis (inclusive), or None."""
        return self.min_mm if self.min_mm is not None else self.min

    @property
    def high(self) -> Decimal | None:
        """The band's upper end on the profile's basis (exclusive), or None."""
        return self.max_mm if self.max_mm is not None else self.max

    def admits(self, size: Decimal) -> bool:
        """Whether a fruit measuring ``size`` (on the profile's basis) belongs in this band."""
        return (self.low is None or size >= self.low) and (self.high is None or size < self.high)


def _distinct_names(field: str, names: Sequence[str]) -> None:
    if len(set(names)) != len(names):
        raise ValidationError(field, "distinct names", list(names))


#: Profile fields added with issue 14 and their defaults as a body holds them.
_LATER_FIELDS: dict[str, object] = {
    "grade_by": "size_mm",
    "indicators": [],
    "analysis_kinds": {},
    "qualifications": [],
    "input_requirements": [],
    "season_start": "01-01",
}


class Profile(Model):
    """A commodity profile: grades, cold-chain limits, required tests, PHI table, quality.

    Cold chain is optional: a profile without pre-cooling limits (walnuts, honey) lists no
    ``precool`` stage and its cooling records, if any, are kept without findings.
    """

    KIND: ClassVar[str] = "trace.profile"
    name: Text
    commodity: str = Field(pattern=r"^[a-z][a-z_]{1,30}$")
    source: Text
    grades: tuple[GradeBand, ...] = Field(min_length=1)
    #: What the grade bands measure (docs/adr/0021-profiles-quality-qualification.md).
    grade_by: GradeBasis = "size_mm"
    precool_min_celsius: Measure | None = None
    precool_max_celsius: Measure | None = None
    precool_within_minutes: int | None = Field(default=None, gt=0, le=24 * 60)
    transport_tolerance_celsius: Amount | None = None
    mrl_edition: Text
    required_substances: tuple[Text, ...] = Field(min_length=1)
    phi_policy: Literal["refuse", "hold"]
    #: Substance -> days: the substance is free text under the one text policy, like the
    #: inputs' active substances it is matched against.
    pre_harvest_interval_days: dict[Text, int]
    #: Grades that go to processing only: never released, labelled or certified for sale.
    processing_grades: tuple[GradeName, ...] = ("processing",)
    #: Cold-chain stages a lot must have evidence of before it is sold as cold-chain
    #: compliant ("precool": a cooling record; "transport": a set point and logger readings).
    cold_chain_stages: tuple[Literal["precool", "transport"], ...] = ()
    #: The reefer set points the haulier contract allows (both or neither).
    set_point_min_celsius: Measure | None = None
    set_point_max_celsius: Measure | None = None
    #: Days a lot keeps from its harvest date (GS1 AI 7007); harvest plus this is the
    #: best-before date (AI 15) on labels, certificates and the consumer page.
    shelf_life_days: int | None = Field(default=None, gt=0, le=3650)
    #: Quality indicators the grades' thresholds may name, each with its unit.
    indicators: tuple[Indicator, ...] = ()
    #: Substance -> the kind of analysis it belongs to; unlisted substances are pesticide
    #: residues (the only kind before profiles listed any), so old profiles read the same.
    analysis_kinds: dict[Text, AnalysisKind] = Field(default_factory=dict)
    #: Assessment topics a farm's grower must hold a passed, unexpired assessment on before
    #: a harvest of this commodity is accepted.
    qualifications: tuple[Topic, ...] = ()
    #: Inputs required per season on each harvested plot, and the season's first day.
    input_requirements: tuple[InputRequirement, ...] = ()
    season_start: str = Field(
        default="01-01", pattern=r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
    )

    @model_validator(mode="after")
    def _consistent(self) -> Profile:
        self._cold_chain_limits()
        month, day = (int(x) for x in self.season_start.split("-"))
        if day > (28 if month == 2 else 30 if month in (4, 6, 9, 11) else 31):
            raise ValidationError("season_start", "a day every year has (MM-DD)", self.season_start)
        _distinct_names("grades", [g.name for g in self.grades])
        _distinct_names("indicators", [i.name for i in self.indicators])
        known = {i.name for i in self.indicators}
        for g in self.grades:
            for th in g.thresholds:
                if th.indicator not in known:
                    raise ValidationError(
                        f"grades.{g.name}.thresholds",
                        f"an indicator the profile declares ({sorted(known)})",
                        th.indicator,
                    )
        if self.grade_by == "quality":
            if any(g.low is not None or g.high is not None for g in self.grades):
                raise ValidationError("grades", "no bands when grade_by is quality", self.name)
            return self
        sized = self.grade_by == "size_mm"
        if any(
            (g.min, g.max) != (None, None) if sized else (g.min_mm, g.max_mm) != (None, None)
            for g in self.grades
        ):
            raise ValidationError(
                "grades",
                "min_mm/max_mm bands" if sized else f"min/max bands ({self.grade_by})",
                self.grade_by,
            )
        # Every fruit must land in exactly one grade: bands ordered on the basis must meet
        # end to end, from open below to open above.
        bands = sorted(self.grades, key=lambda g: (g.low is not None, g.low or 0))
        edge: Decimal | None = None
        for i, band in enumerate(bands):
            if band.low != edge or (band.high is None) != (i == len(bands) - 1):
                raise ValidationError(
                    "grades",
                    "size bands that cover every size once, end to end"
                    if sized
                    else f"{self.grade_by} bands that cover every value once, end to end",
                    [(g.name, g.low, g.high) for g in bands],
                )
            edge = band.high
        return self

    def _cold_chain_limits(self) -> None:
        precool = (self.precool_min_celsius, self.precool_max_celsius, self.precool_within_minutes)
        if None in precool and precool != (None, None, None):
            raise ValidationError(
                "precool_min_celsius", "all three precool limits or none", precool
            )
        if "precool" in self.cold_chain_stages and None in precool:
            raise ValidationError(
                "precool_min_celsius", "pre-cooling limits (cold_chain_stages has precool)", None
            )
        if "transport" in self.cold_chain_stages and self.transport_tolerance_celsius is None:
            raise ValidationError(
                "transport_tolerance_celsius", "a tolerance (cold_chain_stages has transport)", None
            )
        low, high = self.precool_min_celsius, self.precool_max_celsius
        if low is not None and high is not None and low > high:
            raise ValidationError("precool_min_celsius", f"<= precool_max_celsius {high}", low)

    def to_body(self) -> dict[str, Any]:
        """Return the statement body, leaving out the issue-14 fields left at their defaults.

        A profile that uses none of them keeps the bytes it had before they existed, so a
        reloaded strawberry profile signs the same body as before.
        """
        body = super().to_body()
        for grade in body["grades"]:
            if grade.get("thresholds") == []:
                del grade["thresholds"]
        for name in _LATER_FIELDS:
            if body.get(name) == _LATER_FIELDS[name]:
                del body[name]
        return body

    def grade_of(self, size: Decimal) -> str:
        """Return the grade a fruit measuring ``size`` belongs to (bands cover every value)."""
        return next(g.name for g in self.grades if g.admits(size))

    def analysis_kind(self, substance: str) -> AnalysisKind:
        """Return the kind of analysis ``substance`` belongs to (default: pesticide residue)."""
        kinds = {k.lower(): v for k, v in self.analysis_kinds.items()}
        return kinds.get(substance.lower(), "pesticide_residue")

    def indicator(self, name: str) -> Indicator:
        """Return the declared indicator ``name`` (thresholds only name declared ones)."""
        return next(i for i in self.indicators if i.name == name)

    def season_start_for(self, harvested: datetime) -> date:
        """Return the first day of the season a harvest at ``harvested`` belongs to."""
        month, day = (int(x) for x in self.season_start.split("-"))
        start = date(harvested.year, month, day)
        return start if start <= harvested.date() else date(harvested.year - 1, month, day)

    def band(self, grade: str) -> GradeBand:
        """Return the band named ``grade`` or raise :class:`ValidationError`."""
        for band in self.grades:
            if band.name == grade:
                return band
        raise ValidationError("grade", f"one of {[g.name for g in self.grades]}", grade)


class MrlRow(Part):
    """One maximum residue limit: commodity, substance, limit in mg/kg."""

    commodity: str = Field(pattern=r"^[a-z][a-z_]{1,30}$")
    substance: Text
    limit_mg_per_kg: Amount


class MrlTable(Model):
    """A named edition of a maximum-residue-limit table (e.g. GB 2763-2026)."""

    KIND: ClassVar[str] = "trace.mrl"
    edition: Text
    source: Text
    sample: bool
    rows: tuple[MrlRow, ...] = Field(min_length=1, max_length=2000)

    def limit(self, commodity: str, substance: str) -> Decimal | None:
        """Return the listed limit, or None when the table lists none."""
        for row in self.rows:
            if row.commodity == commodity and row.substance.lower() == substance.lower():
                return row.limit_mg_per_kg
        return None


@dataclass(frozen=True)
class Verdict:
    """One substance's verdict and the rule entry (ledger seq) that decided it."""

    substance: str
    outcome: Literal["pass", "fail", "not_assessable"]
    value: str
    loq: str
    limit: str | None
    rule_seq: int
    edition: str
    reason: str


def residue_text(value: str, loq: str, unit: str = "mg/kg") -> str:
    """Return a result as a person reads it: ``<LOQ (0.01 mg/kg)`` or ``0.12 mg/kg``.

    A below-LOQ result is never a number, so it is shown with the LOQ it is below.
    """
    return f"<LOQ ({loq} {unit})" if value == "<LOQ" else f"{value} {unit}"


def residue_verdict(
    result: SubstanceResult, commodity: str, table: MrlTable, rule_seq: int
) -> Verdict:
    """Judge one result against the table entry at ``rule_seq``.

    No listed limit is "not assessable", never a pass; ``<LOQ`` passes only when the LOQ is
    at or below the limit (a method that cannot see down to the limit cannot show compliance).
    """
    limit = table.limit(commodity, result.substance)
    value = result.value if isinstance(result.value, str) else format(result.value, "f")
    loq = format(result.loq, "f")

    def verdict(outcome: Literal["pass", "fail", "not_assessable"], reason: str) -> Verdict:
        shown = None if limit is None else format(limit, "f")
        return Verdict(
            result.substance, outcome, value, loq, shown, rule_seq, table.edition, reason
        )

    if limit is None:
        return verdict("not_assessable", f"{table.edition} lists no MRL for {commodity}")
    shown, mrl = residue_text(value, loq, result.unit), f"MRL {format(limit, 'f')} {result.unit}"
    if result.value == "<LOQ":
        if result.loq <= limit:
            return verdict("pass", f"{shown} <= {mrl}")
        return verdict("not_assessable", f"LOQ {loq} {result.unit} is above the {mrl}")
    assert isinstance(result.value, Decimal)
    if result.value <= limit:
        return verdict("pass", f"{shown} <= {mrl}")
    return verdict("fail", f"{shown} > {mrl}")


def precool_findings(
    profile: Profile, harvested: datetime, readings: Sequence[Reading], *, complete: bool = True
) -> list[str]:
    """Return every way a lot's pre-cooling readings miss the profile (empty: none).

    The core must be in band by ``harvested + precool_within_minutes`` and stay in band in
    every later reading (4-6 °C within 1 h: cooperative pre-cooling practice, per profile).
    ``readings`` are all the lot's readings, from any number of events, in any order. A lot
    not yet in band is late only once that is certain: a reading past the deadline, or the
    log is ``complete`` (no later part announced); until then it has no finding.
    """
    low, high = profile.precool_min_celsius, profile.precool_max_celsius
    if low is None or high is None or profile.precool_within_minutes is None:
        return []  # a profile without pre-cooling limits judges no cooling log
    deadline = harvested + timedelta(minutes=profile.precool_within_minutes)
    ordered = sorted(readings, key=lambda r: r.time)
    first_in_band = next((r for r in ordered if low <= r.celsius <= high), None)
    if first_in_band is None or first_in_band.time > deadline:
        if not complete and all(r.time <= deadline for r in ordered):
            return []  # still cooling, and the rest of the log is yet to come
        return [
            f"core not at {low}-{high} °C within {profile.precool_within_minutes} min of "
            f"harvest (by {deadline.isoformat()})"
        ]
    return [
        f"core {r.celsius} °C at {r.time.isoformat()} outside {low}-{high} °C"
        for r in ordered
        if r.time > first_in_band.time and not low <= r.celsius <= high
    ]


def precool_problem(
    profile: Profile, harvested: datetime, readings: Sequence[Reading]
) -> str | None:
    """Return the first way a complete pre-cooling log misses the profile, or None."""
    return next(iter(precool_findings(profile, harvested, readings)), None)


def transport_findings(
    profile: Profile, set_point: Decimal | None, readings: Sequence[Reading]
) -> list[str]:
    """Return every logger reading outside set point ± tolerance, in time order."""
    tolerance = profile.transport_tolerance_celsius
    if set_point is None or tolerance is None:
        return []
    return [
        f"logger {r.celsius} °C at {r.time.isoformat()} outside set point "
        f"{set_point} ± {tolerance} °C"
        for r in sorted(readings, key=lambda r: r.time)
        if abs(r.celsius - set_point) > tolerance
    ]


def transport_problem(
    profile: Profile, set_point: Decimal | None, readings: Sequence[Reading]
) -> str | None:
    """Return the first logger reading outside set point ± tolerance, or None."""
    return next(iter(transport_findings(profile, set_point, readings)), None)


def load_profile(path: Path) -> Profile:
    """Load a commodity profile from a TOML file (see ``traceability/data/``)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ValidationError(str(path), "a readable TOML profile", str(e)) from e
    return Profile.from_body(data)


def load_mrl_csv(path: Path) -> MrlTable:
    """Load an MRL table from CSV: ``# key: value`` header lines, then rows.

    Header keys: ``edition``, ``source``, ``sample`` (``true`` for a sample table).
    Columns: ``commodity,substance,limit_mg_per_kg`` (limits as decimal strings). The file
    may be UTF-8 (with or without a BOM) or GBK/GB18030, as Excel saves "CSV" on Chinese
    Windows (:func:`~traceability.exports._csv_safe.decode_csv`).

    Raises:
        ValidationError: the file cannot be read, or a row has more cells than the header.
        CsvEncodingError: the file is in none of those encodings.
    """
    try:
        text = decode_csv(path.read_bytes(), path.name)
    except OSError as e:
        raise ValidationError(str(path), "a readable CSV file", str(e)) from e
    meta: dict[str, str] = {}
    body: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("#"):
            key, _, value = line[1:].partition(":")
            if value:
                meta[key.strip()] = value.strip()
        elif line.strip():
            body.append((number, line))
    reader = csv.DictReader(io.StringIO("\n".join(line for _, line in body)))
    rows = []
    for (number, line), row in zip(body[1:], reader, strict=False):
        if None in row:  # more cells than the header names: a shifted or merged row
            width = len(reader.fieldnames or ())
            raise ValidationError(f"{path.name} line {number}", f"{width} fields", line)
        rows.append(dict(row))
    return MrlTable.from_body(
        {
            "edition": meta.get("edition"),
            "source": meta.get("source"),
            "sample": meta.get("sample", "false").lower() == "true",
            "rows": rows,
        }
    )
