"""The gettext catalogs: complete in every language, placeholders kept, no key shadowing another.

The checks are functions over a catalog folder so each one is also run on a folder with the
fault planted (a test that cannot fail proves nothing).
"""

from __future__ import annotations

import re
import shutil
from itertools import combinations
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from verifier_app._catalogs import LOCALE_DIR, CatalogError, read_catalog, wording, wording_tables
from verifier_app._i18n import LANGUAGES

#: Domains whose messages may stay untranslated in a language: the page shows the code
#: itself then (REFUSAL_TERMS: "a code not listed is shown as is"), which is English already.
MAY_FALL_BACK = {("refusal_terms", "en")}
#: The domains a page lays over each other (render_page: audience wording over the
#: consumer wording): a key in two of them silently takes one meaning.
COMBINED = {
    "staff pages": ("consumer", "staff"),
    "regulator pages": ("consumer", "regulator"),
    "county pages": ("consumer", "county"),
    "deployment pages": ("consumer", "deployment"),
}
PLACEHOLDER = re.compile(r"\{[a-z_]*\}|%[ds]")

Key = tuple[str | None, str]


def _read(path: Path) -> Catalog:
    with path.open("rb") as po:
        return read_po(po)


def _keys(catalog: Catalog) -> dict[Key, str]:
    return {(m.context, str(m.id)): ("" if m.fuzzy else str(m.string)) for m in catalog if m.id}


def domains(root: Path) -> list[str]:
    return sorted(p.stem for p in root.glob("*.pot"))


def completeness_problems(root: Path) -> list[str]:
    """Every catalog holds every key of its template and of every other language, translated."""
    problems = []
    for domain in domains(root):
        template = set(_keys(_read(root / f"{domain}.pot")))
        found = {}
        for language in LANGUAGES:
            path = root / language / "LC_MESSAGES" / f"{domain}.po"
            if not path.exists():
                problems.append(f"{path}: missing (the template {domain}.pot has keys)")
                continue
            found[language] = _keys(_read(path))
        every = template.union(*(set(words) for words in found.values()))
        for language, words in found.items():
            path = root / language / "LC_MESSAGES" / f"{domain}.po"
            for context, key in sorted(every - set(words), key=str):
                problems.append(f"{path}: no message {key!r} (context {context})")
            for context, key in sorted(every - template, key=str):
                problems.append(f"{root / domain}.pot: no message {key!r} (context {context})")
            if (domain, language) in MAY_FALL_BACK:
                continue
            for (context, key), text in words.items():
                if not text.strip():
                    problems.append(f"{path}: {key!r} is untranslated (context {context})")
    return sorted(set(problems))


#: Messages whose code supplies more placeholders than each language uses, and why.
LANGUAGE_PLACEHOLDERS = {
    "date_format": "English names the month ({month}); Chinese and Uyghur number it ({m})",
}


def placeholder_problems(root: Path) -> list[str]:
    """A message's placeholders ({name}, %d) are the same in every language that words it."""
    problems = []
    for domain in domains(root):
        by_language = {}
        for language in LANGUAGES:
            path = root / language / "LC_MESSAGES" / f"{domain}.po"
            if path.exists():
                by_language[language] = _keys(_read(path))
        every = set().union(*(set(w) for w in by_language.values()))
        for context, key in sorted(every, key=str):
            seen = {
                language: sorted(PLACEHOLDER.findall(words[(context, key)]))
                for language, words in by_language.items()
                if words.get((context, key))
            }
            if key in LANGUAGE_PLACEHOLDERS:
                continue
            if len({tuple(v) for v in seen.values()}) > 1:
                problems.append(f"{domain} {key!r}: placeholders differ: {seen}")
    return problems


def collision_problems(root: Path) -> list[str]:
    """No key is in two domains that one page combines."""
    problems = []
    for page, combined in COMBINED.items():
        for first, second in combinations(combined, 2):
            for language in LANGUAGES:
                a = root / language / "LC_MESSAGES" / f"{first}.po"
                b = root / language / "LC_MESSAGES" / f"{second}.po"
                if not (a.exists() and b.exists()):
                    continue
                shared = set(_keys(_read(a))) & set(_keys(_read(b)))
                for _, key in sorted(shared, key=str):
                    problems.append(f"{page}: {key!r} is in both {a} and {b}")
    return problems


def comment_problems(root: Path) -> list[str]:
    """A zh or ug entry shows the translator its English text (a ``#.`` comment)."""
    problems = []
    for domain in domains(root):
        english = _keys(_read(root / "en" / "LC_MESSAGES" / f"{domain}.po"))
        for language in ("zh", "ug"):
            path = root / language / "LC_MESSAGES" / f"{domain}.po"
            for message in _read(path):
                text = english.get((message.context, str(message.id)), "")
                # Babel wraps a long comment over several lines: compare the words.
                shown = " ".join(" ".join(message.auto_comments).split())
                if message.id and text and shown != " ".join(text.split()):
                    problems.append(f"{path}: {message.id!r} lacks its English comment")
    return problems


CHECKS = [completeness_problems, placeholder_problems, collision_problems, comment_problems]


def test_the_app_has_catalogs() -> None:
    assert set(domains(LOCALE_DIR)) == {
        "consumer",
        "county",
        "staff",
        "refusals",
        "refusal_terms",
        "field_errors",
        "regulator",
        "formats",
        "values",
        # The landing and unknown-GTIN pages of a deployment of many cooperatives.
        "deployment",
    }


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_the_app_catalogs_pass(check: object) -> None:
    assert callable(check)
    problems = check(LOCALE_DIR)
    assert not problems, "\n".join(problems)


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    root = tmp_path / "locale"
    shutil.copytree(LOCALE_DIR, root)
    return root


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_missing_message_is_named_with_its_file(copy: Path) -> None:
    path = copy / "ug" / "LC_MESSAGES" / "formats.po"
    _edit(path, 'msgid "tz_xinjiang"', 'msgid "tz_renamed"')
    problems = completeness_problems(copy)
    assert f"{path}: no message 'tz_xinjiang' (context None)" in problems
    # The stray key is missing from the other languages and the template, too.
    assert any("'tz_renamed'" in p and "formats.pot" in p for p in problems)


def test_an_untranslated_or_fuzzy_message_fails(copy: Path) -> None:
    zh = copy / "zh" / "LC_MESSAGES" / "formats.po"
    _edit(zh, 'msgstr "新疆时间"', 'msgstr ""')
    en = copy / "en" / "LC_MESSAGES" / "formats.po"
    _edit(en, 'msgid "tz_beijing"', '#, fuzzy\nmsgid "tz_beijing"')
    problems = completeness_problems(copy)
    assert f"{zh}: 'tz_xinjiang' is untranslated (context None)" in problems
    assert f"{en}: 'tz_beijing' is untranslated (context None)" in problems


def test_a_lost_placeholder_fails(copy: Path) -> None:
    _edit(copy / "ug" / "LC_MESSAGES" / "formats.po", "، {offset})", "، {ofset})")
    assert any("'datetime_in_zone'" in p for p in placeholder_problems(copy))


def test_a_key_in_two_combined_domains_fails(copy: Path) -> None:
    for language in LANGUAGES:
        for domain, text in (("consumer", "Site"), ("staff", "Site code")):
            path = copy / language / "LC_MESSAGES" / f"{domain}.po"
            catalog = Catalog(locale=language, domain=domain)
            if path.exists():
                catalog = _read(path)
            catalog.add("site", text)
            from babel.messages.pofile import write_po

            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("wb") as po:
                write_po(po, catalog)
    problems = collision_problems(copy)
    assert any("staff pages: 'site' is in both" in p for p in problems)


def test_a_missing_english_comment_fails(copy: Path) -> None:
    _edit(copy / "zh" / "LC_MESSAGES" / "formats.po", "#. Xinjiang time\n", "")
    assert any("'tz_xinjiang' lacks" in p for p in comment_problems(copy))


# The loader.


def test_the_loader_leaves_out_untranslated_and_fuzzy_messages(copy: Path) -> None:
    _edit(copy / "zh" / "LC_MESSAGES" / "formats.po", 'msgstr "新疆时间"', 'msgstr ""')
    _edit(copy / "zh" / "LC_MESSAGES" / "formats.po", 'msgid "tz_utc"', '#, fuzzy\nmsgid "tz_utc"')
    words = wording("formats", LANGUAGES, copy)
    assert words["zh"]["tz_beijing"] == "北京时间"
    assert "tz_xinjiang" not in words["zh"]
    assert "tz_utc" not in words["zh"]
    assert words["en"]["tz_xinjiang"] == "Xinjiang time"
    with pytest.raises(TypeError):
        words["zh"]["tz_beijing"] = "changed"  # type: ignore[index]


def test_the_loader_groups_messages_by_context(tmp_path: Path) -> None:
    for language, text in (("zh", "放行"), ("ug", "قويۇپ بېرىش"), ("en", "")):
        catalog = Catalog(locale=language, domain="terms")
        catalog.add("release", text, context="action")
        catalog.add("active", "", context="status")
        path = tmp_path / language / "LC_MESSAGES" / "terms.po"
        path.parent.mkdir(parents=True)
        from babel.messages.pofile import write_po

        with path.open("wb") as po:
            write_po(po, catalog)
    tables = wording_tables("terms", LANGUAGES, tmp_path)
    assert dict(tables["zh"]["action"]) == {"release": "放行"}
    # A context stays even when nothing in it is translated: the caller's fallback applies.
    assert set(tables["en"]) == {"action", "status"}
    assert dict(tables["en"]["action"]) == {}


def test_a_missing_catalog_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match=r"no ug catalog for 'nothing'.*nothing\.po"):
        read_catalog("nothing", "ug", tmp_path)


def test_a_malformed_catalog_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "zh" / "LC_MESSAGES" / "bad.po"
    path.parent.mkdir(parents=True)
    path.write_text('msgid "a"\nmsgstr "b\nmsgid', encoding="utf-8")
    with pytest.raises(CatalogError, match=r"bad\.po is not a readable \.po file"):
        read_catalog("bad", "zh", tmp_path)
