"""Building and parsing GTIN-keyed Digital Links, and refusing bad input clearly."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labels import (
    DigitalLink,
    GS1SyntaxError,
    normalize_gtin,
    parse_digital_link,
    validate_lot,
    validate_serial,
)
from labels._gs1 import CSET82
from tests.labels.conftest import RESOLVER

CS82_TEXT = st.text(alphabet=sorted(CSET82), min_size=1, max_size=20)


@pytest.mark.parametrize(
    ("gtin", "want"),
    [
        ("02345673", "00000002345673"),
        ("416000336108", "00416000336108"),
        ("9520123456788", "09520123456788"),
        ("09520123456788", "09520123456788"),
    ],
)
def test_short_gtins_are_padded_to_14_in_the_uri(gtin: str, want: str) -> None:
    link = DigitalLink(RESOLVER, gtin, lot="A1")
    assert link.gtin == want
    assert link.uri == f"{RESOLVER}/01/{want}/10/A1"


@given(lot=CS82_TEXT, serial=CS82_TEXT)
def test_any_valid_lot_and_serial_round_trip(lot: str, serial: str) -> None:
    link = DigitalLink(RESOLVER, "6912345678902", lot, serial)
    parsed = parse_digital_link(link.uri)
    assert parsed == link
    assert parsed.element_string == f"(01)06912345678902(10){lot}(21){serial}"


def test_reserved_characters_are_percent_encoded() -> None:
    link = DigitalLink(RESOLVER, "6912345678902", lot="A/B+C%D?E&F")
    assert link.uri.endswith("/10/A%2FB%2BC%25D%3FE%26F")
    assert parse_digital_link(link.uri).lot == "A/B+C%D?E&F"


def test_invalid_gtin_message_names_field_expected_and_got() -> None:
    with pytest.raises(GS1SyntaxError, match=r"gtin: expected check digit 2, got 3") as info:
        normalize_gtin("6912345678903")
    assert info.value.field == "gtin"
    with pytest.raises(GS1SyntaxError, match=r"expected 8, 12, 13 or 14 digits, got 11"):
        normalize_gtin("69123456789")
    with pytest.raises(GS1SyntaxError, match=r"expected only digits, got 'A'"):
        normalize_gtin("691234567890A")


def test_too_long_lot_refused() -> None:
    with pytest.raises(GS1SyntaxError, match=r"lot: expected at most 20 characters, got 21"):
        validate_lot("L" * 21)
    assert validate_lot("L" * 20) == "L" * 20


@pytest.mark.parametrize("bad", ["A B", "A#B", "批号", "A~", "ئۈجمە", ""])
def test_forbidden_characters_in_serial_refused(bad: str) -> None:
    with pytest.raises(GS1SyntaxError, match="serial: expected"):
        validate_serial(bad)


def test_tpx_cannot_travel_with_a_lot() -> None:
    with pytest.raises(GS1SyntaxError, match="tpx"):
        DigitalLink(RESOLVER, "6912345678902", lot="A", tpx="X")


def test_resolver_with_query_refused() -> None:
    with pytest.raises(GS1SyntaxError, match="resolver"):
        DigitalLink("https://id.example.coop/?x=1", "6912345678902")


def test_element_strings_mark_fnc1_only_after_variable_length_values() -> None:
    link = DigitalLink(RESOLVER, "6912345678902", "AB", "12", attributes=(("17", "260531"),))
    assert link.fnc1_element_string == "^010691234567890210AB^2112^17260531"
    assert link.element_string == "(01)06912345678902(10)AB(21)12(17)260531"
