"""Rule tables: loading, grade bands, residue verdicts (checked against a naive reference)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.traceability.conftest import DATA
from traceability import Profile, SubstanceResult, ValidationError, load_mrl_csv
from traceability import load_profile as load
from traceability.rules._tables import residue_verdict

PROFILE = load(DATA / "strawberry.toml")
TABLE = load_mrl_csv(DATA / "mrl-sample.csv")

sizes = st.decimals(min_value=0, max_value=80, places=1, allow_nan=False, allow_infinity=False)
amounts = st.decimals(min_value=Decimal("0.001"), max_value=10, places=3)


def test_sample_mrl_table_is_marked_as_sample() -> None:
    text = (DATA / "mrl-sample.csv").read_text(encoding="utf-8")
    assert text.startswith("# SAMPLE — not the official table")
    assert TABLE.sample
    assert "SAMPLE" in TABLE.edition


@pytest.mark.parametrize(
    ("size", "grade"),
    [
        ("35", "super"),
        ("34.9", "grade_1"),
        ("30", "grade_1"),
        ("29.99", "grade_2"),
        ("25", "grade_2"),
        ("24.9", "processing"),
        ("0", "processing"),
    ],
)
def test_strawberry_grade_bands(size: str, grade: str) -> None:
    assert PROFILE.grade_of(Decimal(size)) == grade


@given(sizes)
def test_every_size_lands_in_exactly_one_grade(size: Decimal) -> None:
    assert sum(band.admits(size) for band in PROFILE.grades) == 1


def test_bands_with_a_gap_are_refused() -> None:
    body = PROFILE.to_body()
    body["grades"] = [g for g in body["grades"] if g["name"] != "grade_1"]
    with pytest.raises(ValidationError, match=r"^grades: expected size bands"):
        Profile.from_body(body)


def naive(value: Decimal | None, loq: Decimal, limit: Decimal | None) -> str:
    """The rule in words: no limit, or a LOQ above it, cannot be judged; else compare."""
    if limit is None:
        return "not_assessable"
    if value is None:
        return "pass" if loq <= limit else "not_assessable"
    return "pass" if value <= limit else "fail"


@given(amounts, amounts, st.booleans(), st.sampled_from(["carbendazim", "abamectin", "dodine"]))
def test_verdict_agrees_with_naive_reference(
    value: Decimal, loq: Decimal, below: bool, substance: str
) -> None:
    if not below and value < loq:
        value, loq = loq, value
    result = SubstanceResult.from_body(
        {"substance": substance, "value": "<LOQ" if below else str(value), "loq": str(loq)}
    )
    verdict = residue_verdict(result, "strawberry", TABLE, rule_seq=7)
    limit = TABLE.limit("strawberry", substance)
    assert verdict.outcome == naive(None if below else value, loq, limit)
    assert verdict.rule_seq == 7
    assert verdict.edition == TABLE.edition
    assert verdict.value == ("<LOQ" if below else str(value))  # never 0 for <LOQ


def test_mrl_csv_with_float_like_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "# edition: X\n# source: test\ncommodity,substance,limit_mg_per_kg\n"
        "strawberry,carbendazim,5e-1\n",
        encoding="utf-8",
    )
    with pytest.raises(ValidationError) as caught:
        load_mrl_csv(path)
    assert caught.value.field == "rows[0].limit_mg_per_kg"


def test_mrl_table_without_edition_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("commodity,substance,limit_mg_per_kg\nstrawberry,x,0.1\n", encoding="utf-8")
    with pytest.raises(ValidationError, match=r"^edition:"):
        load_mrl_csv(path)
