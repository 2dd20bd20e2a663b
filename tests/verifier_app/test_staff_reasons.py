"""A held lot's reason: the rule's gist in the reader's language first, the evidence after."""

from __future__ import annotations

import pytest

from verifier_app.staff._reasons import REASON_WORDING, reason_text


def test_every_language_words_the_same_rules() -> None:
    assert set(REASON_WORDING["zh"]) == set(REASON_WORDING["ug"]) == set(REASON_WORDING["en"])


@pytest.mark.parametrize(
    ("reason", "status", "phrase"),
    [
        (
            "residue-above-mrl (GB 2763-2026, entry 24): x 0.1 mg/kg > MRL 0.05",
            "on_hold",
            "农残超标",
        ),
        ("cold-chain-precool (profile entry 3): core 9 °C", "on_hold", "预冷不及时或温度不达标"),
        ("recall of (01)06912345678902(10)H1 (entry 9): sprayer mix-up", "recalled", "已召回"),
        ("manual-hold (entry 5): customer complaint", "on_hold", "合作社暂停销售"),
    ],
)
def test_a_rules_reason_leads_with_its_phrase_and_keeps_the_evidence(
    reason: str, status: str, phrase: str
) -> None:
    html = str(reason_text(reason, status, "zh"))
    assert html.startswith(f'<strong class="reason-phrase">{phrase}</strong> · <bdi>')
    assert html.endswith("</bdi>")


@pytest.mark.parametrize(
    ("reason", "status"),
    [
        ("recall of nothing: just a note", "released"),  # a person's release note
        ("tests passed", "released"),
        ("some-new-rule (entry 4): later", "on_hold"),  # no phrase yet: as it is
    ],
)
def test_a_note_or_an_unknown_rule_is_shown_as_it_is(reason: str, status: str) -> None:
    assert str(reason_text(reason, status, "ug")) == f"<bdi>{reason}</bdi>"


def test_the_reason_is_escaped() -> None:
    html = str(reason_text("manual-hold (entry 1): <script>x</script>", "on_hold", "en"))
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
