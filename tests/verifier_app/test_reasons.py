"""Status reasons and findings worded from their structure, fed by the rules' own sentences.

The domain composes a reason from a grammar (rule code, entries, the rule's finding). These
tests build reasons with the rules' own builders (``precool_findings``, ``transport_findings``,
``residue_verdict``) the way the projection does, so a change to that grammar fails here
rather than silently showing English on a Chinese page.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from tests.traceability.conftest import DATA
from traceability import Reading, SubstanceResult, load_mrl_csv, load_profile
from traceability.rules._tables import precool_findings, residue_verdict, transport_findings
from verifier_app._i18n import LANGUAGES, Language
from verifier_app._reasons import Worded, word_finding, word_reason

PROFILE = load_profile(DATA / "strawberry.toml")
TABLE = load_mrl_csv(DATA / "mrl-sample.csv")
UTC8 = timezone(timedelta(hours=8))
HARVESTED = datetime(2026, 6, 2, 7, 0, tzinfo=UTC8)


def _precool_late() -> str:
    late = [Reading(time=HARVESTED + timedelta(hours=3), celsius=Decimal("9.5"))]
    return f"cold-chain-precool (profile entry 23): {precool_findings(PROFILE, HARVESTED, late)[0]}"


def _residue_fail() -> str:
    result = SubstanceResult(substance="chlorpyrifos", value=Decimal("0.12"), loq=Decimal("0.01"))
    verdict = residue_verdict(result, "strawberry", TABLE, rule_seq=9)
    assert verdict.outcome == "fail"
    return f"residue-above-mrl ({TABLE.edition}, entry 9): {verdict.substance} {verdict.reason}"


def test_a_late_precool_in_chinese_names_rule_entry_band_minutes_and_zoned_deadline() -> None:
    worded = word_reason(_precool_late(), "on_hold", "zh")
    assert worded is not None
    assert worded.worded
    assert worded.typed is None
    assert worded.text.startswith("预冷不达标（依据账本条目 23 的标准）：")
    low, high = PROFILE.precool_min_celsius, PROFILE.precool_max_celsius
    assert f"{PROFILE.precool_within_minutes} 分钟内果心温度未降到 {low}–{high} °C" in worded.text  # noqa: RUF001
    assert "北京时间，UTC+8" in worded.text  # the deadline with its zone
    assert "core" not in worded.text


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_rule_sentence_is_worded_in_every_language(language: Language) -> None:
    band = [
        Reading(time=HARVESTED + timedelta(minutes=30), celsius=Decimal("5")),
        Reading(time=HARVESTED + timedelta(minutes=90), celsius=Decimal("8.5")),
    ]
    excursion = precool_findings(PROFILE, HARVESTED, band)[0]
    logger = [Reading(time=HARVESTED + timedelta(hours=5), celsius=Decimal("11"))]
    transport = transport_findings(PROFILE, Decimal("2"), logger)[0]
    reasons = [
        _precool_late(),
        _residue_fail(),
        f"cold-chain-precool (profile entry 4): {excursion}",
        f"cold-chain-transport (profile entry 4): {transport}",
        "cold-chain-set-point (profile entry 4): set point 9 °C outside the allowed 0-4 °C",
        "pre-harvest-interval (profile entry 4): chlorpyrifos applied 2026-05-30T08:00:00+08:00 "
        "(entry 12) needs 7 days before harvest",
        "pre-harvest-interval (profile entry 4): no pre-harvest interval listed for abamectin "
        "(entry 13); recorded late",
    ]
    for reason in reasons:
        worded = word_reason(reason, "on_hold", language)
        assert worded is not None, (language, reason)
        assert worded.worded, (language, reason)
        if language != "en":
            for english in ("core", "logger", "outside", "within", "applied", "MRL", "entry"):
                assert english not in worded.text, (language, reason, worded.text)


def test_several_failing_results_are_each_worded_with_their_substance() -> None:
    reason = _residue_fail() + "; carbendazim 0.9 mg/kg > MRL 0.5 mg/kg"
    worded = word_reason(reason, "on_hold", "zh")
    assert worded is not None
    assert "毒死蜱 0.12 mg/kg，超过限量 0.05 mg/kg；多菌灵 0.9 mg/kg，超过限量 0.5 mg/kg" in (  # noqa: RUF001
        worded.text
    )


def test_what_a_person_typed_is_kept_apart_as_written() -> None:
    typed = "种植户报告 grower reported a mix-up"
    recall = word_reason(f"recall of (01)0691(10)SB26-H02 (entry 93): {typed}", "recalled", "zh")
    assert recall == Worded("召回批次 SB26-H02（账本条目 93）", typed)
    hold = word_reason("regulator-hold (entry 40): 抽检 spot check", "on_hold", "ug")
    assert hold is not None
    assert hold.typed == "抽检 spot check"
    assert hold.text.startswith("نازارەت ئورگىنى")
    lifted = word_reason("holds lifted by reg-1 (entry 41): 复检合格", "released", "en")
    assert lifted == Worded("Holds lifted by reg-1 (ledger entry 41)", "复检合格")
    note = word_reason("三项农残检测合格 residue tests passed", "released", "zh")
    assert note == Worded("放行", "三项农残检测合格 residue tests passed")


def test_no_reason_is_none_and_an_unreadable_one_is_returned_whole_and_marked() -> None:
    assert word_reason(None, "on_hold", "zh") is None
    assert word_reason("", "on_hold", "zh") is None
    odd = "cold-chain-precool (profile entry 4): the moon was full"
    assert word_reason(odd, "on_hold", "zh") == Worded(odd, worded=False)
    assert word_reason("something new", "on_hold", "ug") == Worded("something new", worded=False)
    # A rule the app has no name for still gets its structure worded.
    new_rule = "cold-chain-humidity (profile entry 4): set point 9 °C outside the allowed 0-4 °C"
    worded = word_reason(new_rule, "on_hold", "zh")
    assert worded is not None
    assert worded.text.startswith("规则 cold-chain-humidity")


def test_a_residue_finding_with_its_source_and_a_cold_chain_finding() -> None:
    detail = (
        "chlorpyrifos 0.12 mg/kg > MRL 0.05 mg/kg (GB 2763-2026 SAMPLE; lab 喀什 Lab, sample S-1)"
    )
    assert word_finding(detail, "zh") == Worded(
        "毒死蜱 0.12 mg/kg，超过限量 0.05 mg/kg（GB 2763-2026 SAMPLE；检测机构 喀什 Lab，样品 S-1）"  # noqa: RUF001
    )
    cold = "set point 9 °C outside the allowed 0-4 °C"
    assert word_finding(cold, "en") == Worded("set point 9 °C outside the allowed 0–4 °C")  # noqa: RUF001
    assert word_finding("unheard of (x; lab y, sample z)", "zh") == Worded(
        "unheard of (x; lab y, sample z)", worded=False
    )


def test_numbers_in_a_reason_follow_the_page_language() -> None:
    reason = "residue-above-mrl (GB, entry 9): chlorpyrifos 1250.5 mg/kg > MRL 1000 mg/kg"
    worded = word_reason(reason, "on_hold", "en")
    assert worded is not None
    assert "1,250.5 mg/kg, above the limit of 1,000 mg/kg" in worded.text


def test_right_to_left_sentences_isolate_their_values_and_latin_runs() -> None:
    reason = "recall of (01)0691(10)SB26-H02 (entry 93): x"
    ug = word_reason(reason, "recalled", "ug")
    assert ug is not None
    assert "\u2068SB26-H02\u2069" in ug.text
    assert "\u2068" + "93" + "\u2069" in ug.text
    residue = word_reason(_residue_fail(), "on_hold", "ug")
    assert residue is not None
    assert "\u2066mg/kg\u2069" in residue.text
    zh = word_reason(reason, "recalled", "zh")
    assert zh is not None
    assert not set("\u2066\u2068\u2069") & set(zh.text)
