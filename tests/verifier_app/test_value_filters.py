"""The value filters in templates: worded in the page's language, escaped, never an error."""

from __future__ import annotations

import pytest

from verifier_app._i18n import Language
from verifier_app._pages import _env


def _render(source: str, language: Language = "zh", **values: object) -> str:
    return _env.from_string(source).render(lang=language, **values)


def test_typed_words_in_a_reason_are_escaped_and_marked_as_typed() -> None:
    reason = 'manual-hold (entry 5): <script>alert("x")</script> 霉变'
    page = _render("{{ r | reason('on_hold') }}", r=reason)
    assert page.startswith("合作社暂停销售（账本条目 5）")
    assert "<script>" not in page
    assert '<q class="typed" lang="und" dir="auto">&lt;script&gt;' in page


def test_an_unreadable_reason_written_straight_into_the_database_is_shown_escaped() -> None:
    # Not marked as typed: the page-words test still sees it, and it is never markup.
    page = _render("{{ r | reason(s) }}", r="<b>tampered</b> reason", s="on_hold")
    assert page == "&lt;b&gt;tampered&lt;/b&gt; reason"


def test_no_reason_renders_nothing() -> None:
    assert _render("[{{ r | reason('active') }}]", r=None) == "[]"


@pytest.mark.parametrize(
    ("source", "want"),
    [
        ("{{ 'grade_1' | grade }}", "一级"),
        ("{{ 'extra<b>' | grade }}", "extra&lt;b&gt;"),
        ("{{ 'strawberry' | commodity('草莓 Strawberries') }}", "草莓"),
        ("{{ 'durian' | commodity('') }}", "durian"),
        ("{{ '42.0 KGM' | quantity }}", "42 公斤（84 斤）"),
        ("{{ '7' | quantity('BX') }}", "7 BX"),
        ("{{ 'imidacloprid' | substance }}", "吡虫啉"),
        ("{{ 'x-cide' | substance }}", "x-cide"),
        ("{{ 'residue-above-mrl' | rule }}", "农药残留超标"),
    ],
)
def test_filters_word_known_codes_and_show_unknown_ones_as_recorded(source: str, want: str) -> None:
    assert _render(source) == want


def test_the_page_language_chooses_the_words() -> None:
    assert _render("{{ 'super' | grade }}", "ug") == "ئالاھىدە دەرىجە"
    assert _render("{{ '120 KGM' | quantity }}", "en") == "120 kg (240 jin)"
    # A language the app does not have falls back to Chinese, the default.
    assert _render("{{ 'super' | grade }}", "fr") == "特级"  # type: ignore[arg-type]
