"""Each wording key means one thing: the audience tables share no key, and none lacks a language.

The staff and regulator pages render with their table laid over the consumer table every page
shares (``render_page``), so a key in two tables silently takes the audience's meaning on
that audience's pages: that is how every staff page title came to end "· Site code (e.g. the
packing station)". A word the pages share belongs in the consumer table only, once.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import combinations

import pytest

from verifier_app._i18n import LANGUAGES, MESSAGES, Language
from verifier_app.regulator._wording import REGULATOR_WORDING
from verifier_app.staff._wording import REFUSAL_WORDING, STAFF_WORDING

Table = Mapping[Language, Mapping[str, str]]
TABLES: dict[str, Table] = {
    "consumer (shared by every page)": MESSAGES,
    "staff": STAFF_WORDING,
    "regulator": REGULATOR_WORDING,
    "refusals": REFUSAL_WORDING,
}


@pytest.mark.parametrize("name", sorted(TABLES))
def test_every_key_has_zh_ug_and_en_wording(name: str) -> None:
    table = TABLES[name]
    assert set(table) == set(LANGUAGES)
    every = set().union(*(set(table[language]) for language in LANGUAGES))
    for language in LANGUAGES:
        missing = every - set(table[language])
        assert not missing, f"{name}: no {language} wording for {sorted(missing)}"
        empty = [key for key, text in table[language].items() if not text.strip()]
        assert not empty, f"{name}: empty {language} wording for {empty}"


@pytest.mark.parametrize(("first", "second"), list(combinations(sorted(TABLES), 2)))
def test_two_wording_tables_share_no_key(first: str, second: str) -> None:
    shared = {
        key
        for language in LANGUAGES
        for key in set(TABLES[first][language]) & set(TABLES[second][language])
    }
    differing = {
        key: {lang: (TABLES[first][lang][key], TABLES[second][lang][key]) for lang in LANGUAGES}
        for key in sorted(shared)
    }
    # A shared key either means two things (the audience's sense hides the other one) or is a
    # copy that drifts: define a word once, in the consumer table, or give it a qualified name.
    assert not shared, f"{first} and {second} share keys: {differing}"
