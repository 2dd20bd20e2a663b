"""Value formatters: substances, grades, commodities, quantities, rule names, lineage lines."""

from __future__ import annotations

import re
import string

import pytest

from verifier_app._i18n import LANGUAGES, MESSAGES, Language
from verifier_app._value_wording import VALUE_WORDING
from verifier_app._values import (
    commodity_name,
    grade_name,
    lineage_detail,
    quantity_text,
    rule_name,
    split_quantity,
    substance_name,
    substance_names,
    value_word,
)
from verifier_app.regulator._wording import REGULATOR_WORDING
from verifier_app.staff._wording import STAFF_WORDING


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_language_has_the_same_keys_and_placeholders() -> None:
    keys = set(VALUE_WORDING["en"])
    for language in LANGUAGES:
        assert set(VALUE_WORDING[language]) == keys, language
        for key in keys:
            zh, here = VALUE_WORDING["zh"][key], VALUE_WORDING[language][key]
            # Empty: the language does not say it (the weight in 斤 is for Chinese readers).
            assert here == "" or _fields(here) == _fields(zh), (language, key)
            assert here or key == "v_jin", (language, key)


def test_value_keys_do_not_clash_with_the_tables_they_are_merged_with() -> None:
    # render_page lays the audience's table over these: a clash would hide one of them.
    for language in LANGUAGES:
        ours = set(VALUE_WORDING[language])
        for table in (MESSAGES, STAFF_WORDING, REGULATOR_WORDING):
            assert not ours & set(table[language]), language


def test_value_wording_is_a_plain_table_for_the_po_converter() -> None:
    for language, table in VALUE_WORDING.items():
        assert language in LANGUAGES
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in table.items())
        assert all(k.startswith("v_") for k in table)


def test_chinese_and_uyghur_value_words_have_no_english() -> None:
    latin = re.compile(r"[A-Za-z]{2,}")
    allowed = {"mg", "kg", "UTC"}
    for language in ("zh", "ug"):
        for key, text in VALUE_WORDING[language].items():
            bare = re.sub(r"\{[^}]*\}", "", text)
            assert set(latin.findall(bare)) <= allowed, (language, key, text)


def test_the_substance_table_is_reviewed_and_complete() -> None:
    names = substance_names()
    assert names["chlorpyrifos"]["zh"] == "毒死蜱"
    assert names["chlorpyrifos"]["cas"] == "2921-88-2"
    for code, row in names.items():
        assert all(row[language] for language in LANGUAGES), code
        assert re.fullmatch(r"\d{2,7}-\d\d-\d", row["cas"]), code


@pytest.mark.parametrize(
    ("language", "want"), [("zh", "毒死蜱"), ("ug", "خلورپىرىفوس"), ("en", "chlorpyrifos")]
)
def test_substance_names_in_each_language(language: Language, want: str) -> None:
    assert substance_name("chlorpyrifos", language) == want
    assert substance_name(" Chlorpyrifos ", language) == want  # as a lab may write it


def test_an_unknown_substance_is_shown_as_recorded() -> None:
    assert substance_name("novaluron-x", "zh") == "novaluron-x"
    assert substance_name("", "ug") == ""


def test_grade_names_and_an_unknown_grade() -> None:
    assert grade_name("super", "zh") == "特级"
    assert grade_name("processing", "ug") == "پىششىقلاش ئۈچۈن"
    assert grade_name("grade_1", "en") == "Grade I"
    assert grade_name("extra_large", "zh") == "extra_large"


def test_commodity_names_and_an_unknown_commodity() -> None:
    assert commodity_name("strawberry", "zh", "草莓 قۇلۇپناي Strawberries") == "草莓"
    assert commodity_name("walnut", "ug") == "ياڭاق"
    assert commodity_name("durian", "zh", "榴莲 Durian") == "榴莲 Durian"
    assert commodity_name("durian", "zh") == "durian"


@pytest.mark.parametrize(
    ("language", "want"),
    [("zh", "120 公斤（240 斤）"), ("ug", "120 كىلوگرام (240 جىڭ)"), ("en", "120 kg (240 jin)")],
)
def test_kilograms_in_words_with_jin_beside_them(language: Language, want: str) -> None:
    assert quantity_text("120", "KGM", language) == want


def test_quantities_keep_their_digits_and_group_thousands() -> None:
    assert quantity_text("42.5", "KGM", "zh") == "42.5 公斤（85 斤）"
    assert quantity_text("1250.5", "KGM", "en") == "1,250.5 kg (2,501 jin)"
    assert quantity_text("1250.5", "KGM", "en", jin=False) == "1,250.5 kg"
    assert quantity_text("0.5", "KGM", "zh", jin=False) == "0.5 公斤"
    assert quantity_text("500", "GRM", "zh") == "500 克"


def test_an_unknown_unit_or_a_non_number_is_shown_as_recorded() -> None:
    assert quantity_text("12", "BX", "zh") == "12 BX"
    assert quantity_text("about 12", "KGM", "zh") == "about 12 KGM"
    assert quantity_text("NaN", "KGM", "en") == "NaN KGM"
    assert split_quantity("42.0 KGM") == ("42.0", "KGM")
    assert split_quantity("42.0") == ("42.0", "")


def test_rule_names_and_an_unknown_rule() -> None:
    assert rule_name("cold-chain-precool", "zh") == "预冷不达标"
    assert rule_name("residue-above-mrl", "en") == "Pesticide residue above the limit"
    assert rule_name("moon-phase", "zh") == "规则 moon-phase"


def test_lineage_lines() -> None:
    assert lineage_detail("super", "grading", "45", "KGM", True, "zh") == "特级，45 公斤，已装箱"
    assert lineage_detail(None, "harvest", "150", "KGM", False, "en") == "harvest, 150 kg"
    # "processing" as the making (not the grade band of that name).
    assert lineage_detail(None, "processing", "9", "KGM", False, "zh") == "加工，9 公斤"
    assert lineage_detail(None, "teleport", "", "", False, "zh") == "teleport"


def test_value_word_fills_and_falls_back_to_its_key() -> None:
    assert value_word("en", "v_recall_of", lot="L1", entry=3) == "Recall of lot L1 (ledger entry 3)"
    assert value_word("zh", "v_no_such_key") == "v_no_such_key"
