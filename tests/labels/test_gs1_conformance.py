"""GS1 conformance: every check-digit case and every GTIN-keyed Digital Link case."""

from __future__ import annotations

import re
from typing import Any

import pytest

from labels import DigitalLink, GS1SyntaxError, gs1_check_digit, normalize_gtin, parse_digital_link
from tests.labels.conftest import load_json

DL = load_json("digital-link/gs1-syntax-engine-dl-cases.json")
GTIN_CASES = load_json("check-digit/gtin-check-digit-cases.json")["cases"]
CSUM_CASES = load_json("check-digit/gs1-lint-csum-cases.json")["linters"]["csum"]["cases"]


def _is_valid_check_digit(data: str) -> bool:
    try:
        return len(data) >= 2 and gs1_check_digit(data[:-1]) == data[-1]
    except GS1SyntaxError:
        return False


@pytest.mark.parametrize("case", GTIN_CASES, ids=lambda c: f"{c['source']}-{c['input']!r}")
def test_check_digit_cases(case: dict[str, Any]) -> None:
    data = case["input"]
    if case["kind"].startswith("GTIN") or case["kind"] == "other":
        # GTINs go through the public normaliser: length, digits and check digit.
        if case["valid"]:
            assert normalize_gtin(data) == data.zfill(14)
        else:
            with pytest.raises(GS1SyntaxError, match="gtin"):
                normalize_gtin(data)
    else:
        assert _is_valid_check_digit(data) is case["valid"]


@pytest.mark.parametrize("case", CSUM_CASES, ids=lambda c: repr(c["data"]))
def test_csum_linter_cases(case: dict[str, Any]) -> None:
    assert _is_valid_check_digit(case["data"]) is case["valid"]


def _fits_gtin_keyed(case: dict[str, Any]) -> bool:
    # Every invalid URI must be refused. A valid one fits when its data is keyed by GTIN (01)
    # under the engine's default options: zero-suppressed GTINs and convenience alphas are
    # options we do not take (the standard's URI form is GTIN-14 with numeric AIs).
    if not case["valid"]:
        return True
    return not case["options"] and case["expected_element_string"].startswith("^01")


PARSE_CASES = [c for c in DL["parse_cases"] if _fits_gtin_keyed(c)] + [
    c for c in DL["additional_cases_described_in_prose"] if "uri" in c
]


@pytest.mark.parametrize("case", PARSE_CASES, ids=lambda c: repr(c["uri"])[:80])
def test_digital_link_parse_cases(case: dict[str, Any]) -> None:
    if not case["valid"]:
        with pytest.raises(GS1SyntaxError):
            parse_digital_link(case["uri"])
        return
    link = parse_digital_link(case["uri"])
    if "expected_element_string" in case:
        assert link.fnc1_element_string == case["expected_element_string"]


@pytest.mark.parametrize(
    "case",
    [c for c in DL["parse_cases"] if c["valid"] and not _fits_gtin_keyed(c) and not c["options"]],
    ids=lambda c: c["uri"],
)
def test_other_primary_keys_refused_with_reason(case: dict[str, Any]) -> None:
    with pytest.raises(GS1SyntaxError, match="GTIN-keyed"):
        parse_digital_link(case["uri"])


def _bracketed(text: str) -> list[tuple[str, str]]:
    return re.findall(r"\((\d{2,4})\)([^(]*)", text)


def _generation_fits(case: dict[str, Any]) -> bool:
    ais = [ai for ai, _ in _bracketed(case["ai_element_string_bracketed"])]
    others = {
        "00",
        "253",
        "255",
        "401",
        "402",
        "414",
        "417",
        "8003",
        "8004",
        "8006",
        "8010",
        "8013",
        "8017",
        "8018",
    }
    return not case["options"] and not others.intersection(ais)


@pytest.mark.parametrize(
    "case", [c for c in DL["generate_cases"] if _generation_fits(c)], ids=lambda c: c["source_line"]
)
def test_digital_link_generate_cases(case: dict[str, Any]) -> None:
    elements = _bracketed(case["ai_element_string_bracketed"])
    stem = case["stem"] if case["stem"] is not None else "https://id.gs1.org"
    if not case["valid"]:
        with pytest.raises(GS1SyntaxError):
            DigitalLink.from_elements(stem, elements)
        return
    link = DigitalLink.from_elements(stem, elements)
    assert link.uri == case["expected_uri"]
    assert parse_digital_link(link.uri) == link


def test_parsed_path_order_is_retained_on_regeneration() -> None:
    (case,) = [c for c in DL["additional_cases_described_in_prose"] if "generate_from_uri" in c]
    assert parse_digital_link(case["generate_from_uri"]).uri == case["expected_uri"]
