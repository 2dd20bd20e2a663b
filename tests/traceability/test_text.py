"""The one text policy: what free text may hold, on every event model's free-text field."""

from __future__ import annotations

import tomllib
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from traceability import Profile, ValidationError
from traceability._text import MAX_TEXT, check_text, forbidden_character, unnormalised_text
from traceability.events._events import Farm, Recall

_LOT = {"gtin": "06912345670012", "lot": "SB26-H01"}
_TIME = "2026-06-10T09:00:00+08:00"
DATA = Path(__file__).resolve().parents[2] / "traceability" / "data"


@pytest.mark.parametrize(
    ("char", "name"),
    [
        ("\x00", "U+0000 NUL"),
        ("\x1b", "U+001B"),
        ("\r", "U+000D CARRIAGE RETURN"),
        ("\x85", "U+0085"),
        ("\u202e", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("\u2067", "U+2067 RIGHT-TO-LEFT ISOLATE"),
        ("\u200f", "U+200F RIGHT-TO-LEFT MARK"),
        ("\u061c", "U+061C ARABIC LETTER MARK"),
        ("\u200b", "U+200B ZERO WIDTH SPACE"),
        ("\ufeff", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
        ("\U000e0041", "U+E0041 TAG LATIN CAPITAL LETTER A"),
        ("\ud800", "U+D800"),
    ],
)
def test_control_bidi_and_invisible_characters_are_refused_naming_field_and_character(
    char: str, name: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        Recall.from_body({"lot": _LOT, "reason": f"mould{char}found", "time": _TIME})
    assert caught.value.field == "reason"
    assert name in caught.value.expected
    assert "at 5" in caught.value.expected


def test_uyghur_with_zwnj_chinese_and_emoji_sequences_pass() -> None:
    uyghur = "ئاقسۇ\u200cيېزىسى"  # ZWNJ is part of the spelling
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # ZWJ joins an emoji sequence
    farm = Farm.from_body(
        {"farm": "F1", "grower": uyghur, "village": "阿克苏 " + family, "county": "Kashgar",
         "plots": ["P1"]}
    )  # fmt: skip
    assert farm.grower == uyghur


def test_text_is_normalised_to_nfc_before_it_is_signed() -> None:
    decomposed = "Cafe\u0301"
    recall = Recall.from_body({"lot": _LOT, "reason": decomposed, "time": _TIME})
    assert recall.reason == "Caf\u00e9"
    assert recall.to_body()["reason"] == "Caf\u00e9"


def test_newlines_only_where_a_field_allows_several_lines() -> None:
    assert check_text("a\nb", "note", multiline=True) == "a\nb"
    with pytest.raises(ValidationError, match="LINE FEED"):
        check_text("a\nb", "reason")
    assert check_text("a\tb", "reason") == "a\tb"


def test_length_is_bounded_after_normalisation() -> None:
    with pytest.raises(ValidationError, match=f"at most {MAX_TEXT} characters"):
        check_text("x" * (MAX_TEXT + 1), "reason")
    with pytest.raises(ValidationError, match="expected text"):
        check_text(42, "reason")


@given(st.text(max_size=40))
def test_whatever_passes_is_nfc_and_free_of_forbidden_characters(value: str) -> None:
    if forbidden_character(value) is not None:
        with pytest.raises(ValidationError, match="without control or invisible"):
            check_text(value, "f")
        return
    text = check_text(value, "f")
    assert unicodedata.is_normalized("NFC", text)
    assert forbidden_character(text) is None
    text.encode("utf-8")  # never an unpaired surrogate


def _profile(**changes: object) -> dict[str, object]:
    body = tomllib.loads((DATA / "strawberry.toml").read_text(encoding="utf-8"))
    return body | changes


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"processing_grades": ["processing\u202e"]}, "processing_grades[0]"),
        ({"qualifications": ["gap basics"]}, "qualifications[0]"),
        ({"pre_harvest_interval_days": {"abamectin\u200b": 7}}, "pre_harvest_interval_days[key]"),
        ({"analysis_kinds": {"aflatoxin\x1b": "mycotoxin"}}, "analysis_kinds[key]"),
    ],
    ids=["processing-grade", "topic", "phi-substance", "analysis-substance"],
)
def test_a_profiles_grades_topics_and_substance_names_are_under_the_policy(
    changes: dict[str, object], field: str
) -> None:
    # Grades and topics are codes, as gradings and assessments write them; the substances
    # a table is keyed by are free text. Each was a plain str that took any character.
    with pytest.raises(ValidationError) as caught:
        Profile.from_body(_profile(**changes))
    assert caught.value.field == field  # a bad key is named, never echoed into the name


def test_a_profiles_substance_names_are_normalised_like_any_text() -> None:
    profile = Profile.from_body(_profile(pre_harvest_interval_days={"Cafe\u0301": 3}))
    assert profile.pre_harvest_interval_days == {"Caf\u00e9": 3}


def test_unnormalised_text_finds_a_second_spelling_and_nothing_else() -> None:
    written = {"lab": "Caf\u00e9", "time": "2026-06-01T08:30:00+00:00", "days": {"Caf\u00e9": 1}}
    assert unnormalised_text(written, written) is None
    assert unnormalised_text(written | {"lab": "Cafe\u0301"}, written) == ("lab", "Cafe\u0301")
    assert unnormalised_text(written | {"lab": " Caf\u00e9"}, written) == ("lab", " Caf\u00e9")
    respelled_key = written | {"days": {"Cafe\u0301": 1}}
    assert unnormalised_text(respelled_key, written) == ("days[key]", "Cafe\u0301")
    nested = {"results": [{"substance": "a"}, {"substance": "b "}]}
    expected = {"results": [{"substance": "a"}, {"substance": "b"}]}
    assert unnormalised_text(nested, expected) == ("results[1].substance", "b ")
    # A time written another way is not text the policy spells.
    assert unnormalised_text(written | {"time": "2026-06-01T08:30:00Z"}, written) is None
