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
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field, model_validator

from traceability._errors import ValidationError
from traceability.events._events import Reading, SubstanceResult
from traceability.events._model import Amount, Measure, Model, Text

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


class GradeBand(Model):
    """A grade's size band in mm: ``min_mm <= size < max_mm`` (either end may be open)."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,30}$")
    min_mm: Measure | None = None
    max_mm: Measure | None = None

    def admits(self, size: Decimal) -> bool:
        """Whether a fruit of ``size`` mm belongs in this band."""
        return (self.min_mm is None or size >= self.min_mm) and (
            self.max_mm is None or size < self.max_mm
        )


class Profile(Model):
    """A commodity profile: grade bands, cold-chain limits, required tests, PHI table."""

    KIND: ClassVar[str] = "trace.profile"
    name: Text
    commodity: str = Field(pattern=r"^[a-z][a-z_]{1,30}$")
    source: Text
    grades: tuple[GradeBand, ...] = Field(min_length=1)
    precool_min_celsius: Measure
    precool_max_celsius: Measure
    precool_within_minutes: int = Field(gt=0, le=24 * 60)
    transport_tolerance_celsius: Amount
    mrl_edition: Text
    required_substances: tuple[Text, ...] = Field(min_length=1)
    phi_policy: Literal["refuse", "hold"]
    pre_harvest_interval_days: dict[str, int]
    #: Grades that go to processing only: never released, labelled or certified for sale.
    processing_grades: tuple[str, ...] = ("processing",)
    #: Cold-chain stages a lot must have evidence of before it is sold as cold-chain
    #: compliant ("precool": a cooling record; "transport": a set point and logger readings).
    cold_chain_stages: tuple[Literal["precool", "transport"], ...] = ()
    #: The reefer set points the haulier contract allows (both or neither).
    set_point_min_celsius: Measure | None = None
    set_point_max_celsius: Measure | None = None
    #: Days a lot keeps from its harvest date (GS1 AI 7007); harvest plus this is the
    #: best-before date (AI 15) on labels, certificates and the consumer page.
    shelf_life_days: int | None = Field(default=None, gt=0, le=3650)

    @model_validator(mode="after")
    def _consistent(self) -> Profile:
        if self.precool_min_celsius > self.precool_max_celsius:
            raise ValidationError(
                "precool_min_celsius",
                f"<= precool_max_celsius {self.precool_max_celsius}",
                self.precool_min_celsius,
            )
        names = [g.name for g in self.grades]
        if len(set(names)) != len(names):
            raise ValidationError("grades", "distinct grade names", names)
        # Every fruit must land in exactly one grade: bands ordered by size must meet
        # end to end, from open below to open above.
        bands = sorted(self.grades, key=lambda g: (g.min_mm is not None, g.min_mm or 0))
        edge: Decimal | None = None
        for i, band in enumerate(bands):
            if band.min_mm != edge or (band.max_mm is None) != (i == len(bands) - 1):
                raise ValidationError(
                    "grades",
                    "size bands that cover every size once, end to end",
                    [(g.name, g.min_mm, g.max_mm) for g in bands],
                )
            edge = band.max_mm
        return self

    def grade_of(self, size: Decimal) -> str:
        """Return the grade a fruit of ``size`` mm belongs to (the bands cover every size)."""
        return next(g.name for g in self.grades if g.admits(size))

    def band(self, grade: str) -> GradeBand:
        """Return the band named ``grade`` or raise :class:`ValidationError`."""
        for band in self.grades:
            if band.name == grade:
                return band
        raise ValidationError("grade", f"one of {[g.name for g in self.grades]}", grade)


class MrlRow(Model):
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
    if set_point is None:
        return []
    tolerance = profile.transport_tolerance_celsius
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
    Columns: ``commodity,substance,limit_mg_per_kg`` (limits as decimal strings).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ValidationError(str(path), "a readable CSV file", str(e)) from e
    meta: dict[str, str] = {}
    body: list[str] = []
    for line in text.splitlines():
        if line.startswith("#"):
            key, _, value = line[1:].partition(":")
            if value:
                meta[key.strip()] = value.strip()
        elif line.strip():
            body.append(line)
    rows = [dict(row) for row in csv.DictReader(io.StringIO("\n".join(body)))]
    return MrlTable.from_body(
        {
            "edition": meta.get("edition"),
            "source": meta.get("source"),
            "sample": meta.get("sample", "false").lower() == "true",
            "rows": rows,
        }
    )
