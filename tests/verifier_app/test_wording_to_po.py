"""scripts/wording_to_po.py: merges Python wording into the catalogs, adds, never drops."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from verifier_app._catalogs import LOCALE_DIR, wording, wording_tables
from verifier_app._i18n import LANGUAGES

SCRIPT = Path(__file__).parents[2] / "scripts" / "wording_to_po.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("wording_to_po", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


converter = _script()

TABLE = {
    "zh": {"hello": "你好，{name}", "bye": "再见"},
    "ug": {"hello": "ياخشىمۇسىز، {name}", "bye": "خەير"},
    "en": {"hello": "Hello, {name}", "bye": "Goodbye"},
}


def _po(root: Path, language: str, domain: str = "demo") -> str:
    return (root / language / "LC_MESSAGES" / f"{domain}.po").read_text(encoding="utf-8")


def test_a_table_round_trips_through_the_catalogs(tmp_path: Path) -> None:
    converter.merge("demo", TABLE, tmp_path)
    loaded = wording("demo", LANGUAGES, tmp_path)
    assert {lang: dict(words) for lang, words in loaded.items()} == TABLE
    assert '#. Hello, {name}\nmsgid "hello"' in _po(tmp_path, "zh")
    assert "#. Hello" not in _po(tmp_path, "en")  # English is the source: no comment
    template = (tmp_path / "demo.pot").read_text(encoding="utf-8")
    assert 'msgid "hello"\nmsgstr ""' in template
    assert "Language: " not in template


def test_merging_adds_keys_and_never_drops_a_translation(tmp_path: Path) -> None:
    converter.merge("demo", TABLE, tmp_path)
    ug = tmp_path / "ug" / "LC_MESSAGES" / "demo.po"
    # A translator fixes a word in the catalog; the Python table still has the old one.
    ug.write_text(_po(tmp_path, "ug").replace("خەير", "خەير-خوش"), encoding="utf-8")
    newer = {lang: dict(words) for lang, words in TABLE.items()}
    newer["zh"]["added"] = "新的"
    newer["ug"]["added"] = "يېڭى"
    newer["en"]["added"] = "New"
    del newer["en"]["bye"]  # a table that lost a key does not remove it from the catalogs
    report = converter.merge("demo", newer, tmp_path)
    loaded = wording("demo", LANGUAGES, tmp_path)
    assert loaded["ug"]["bye"] == "خەير-خوش"
    assert loaded["en"]["bye"] == "Goodbye"
    assert loaded["zh"]["added"] == "新的"
    assert "demo/ug: kept the catalog's 'bye' (the table differs)" in report
    assert "demo/zh: added 'added'" in report
    assert 'msgid "added"' in (tmp_path / "demo.pot").read_text(encoding="utf-8")


def test_a_key_one_language_lacks_is_an_empty_entry_there(tmp_path: Path) -> None:
    partial = {lang: dict(words) for lang, words in TABLE.items()}
    del partial["ug"]["bye"]
    converter.merge("demo", partial, tmp_path)
    assert '#. Goodbye\nmsgid "bye"\nmsgstr ""' in _po(tmp_path, "ug")
    assert "bye" not in wording("demo", LANGUAGES, tmp_path)["ug"]
    # Filled later from a table that has it.
    assert "demo/ug: filled 'bye'" in converter.merge("demo", TABLE, tmp_path)
    assert _po(tmp_path, "ug").count('msgid "bye"') == 1


def test_a_second_run_changes_nothing(tmp_path: Path) -> None:
    converter.merge("demo", TABLE, tmp_path)
    before = {p: p.read_bytes() for p in tmp_path.rglob("*.po*")}
    assert converter.merge("demo", TABLE, tmp_path) == []
    assert {p: p.read_bytes() for p in tmp_path.rglob("*.po*")} == before


def test_nested_tables_become_contexts(tmp_path: Path) -> None:
    terms = {
        "zh": {"action": {"release": "放行"}, "status": {"active": "已登记"}},
        "ug": {"action": {"release": "قويۇپ بېرىش"}, "status": {"active": "تىزىملانغان"}},
        "en": {"action": {"release": "release"}, "status": {}},
    }
    converter.merge("terms", terms, tmp_path)
    assert 'msgctxt "status"\nmsgid "active"\nmsgstr ""' in _po(tmp_path, "en", "terms")
    tables = wording_tables("terms", LANGUAGES, tmp_path)
    assert dict(tables["ug"]["status"]) == {"active": "تىزىملانغان"}
    assert dict(tables["en"]["status"]) == {}


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"zh": {"a": 3}}, r"demo\['zh'\]\['a'\]: expected text or a table, got 3"),
        ({"zh": {"a": {"b": None}}}, r"demo\['zh'\]\['a'\]\['b'\]: expected text, got None"),
        ({"fr": {"a": "b"}}, r"languages \['fr'\] are not among"),
    ],
)
def test_a_bad_table_is_refused_naming_the_entry(
    tmp_path: Path, table: dict[str, object], message: str
) -> None:
    with pytest.raises(SystemExit, match=message):
        converter.merge("demo", table, tmp_path)
    assert not list(tmp_path.rglob("*.po"))


def test_replace_swaps_the_dict_for_a_catalog_load(tmp_path: Path) -> None:
    # A module holding the formats table as a dict (the shape of the app's wording modules).
    words = wording("formats", LANGUAGES)
    module = tmp_path / "words_module.py"
    literal = {lang: dict(w) for lang, w in words.items()}
    source = textwrap.dedent(
        """\
        \"\"\"Some wording.\"\"\"

        from __future__ import annotations

        from collections.abc import Mapping
        from typing import Final

        from verifier_app._i18n import Language

        #: The table.
        TABLE: Final[Mapping[Language, Mapping[str, str]]] = LITERAL
        """
    ).replace("LITERAL", repr(literal))
    module.write_text(source, encoding="utf-8")
    root = tmp_path / "locale"
    result = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--source",
            f"{module}:TABLE",
            "--domain",
            "formats",
            "--root",
            str(root),
            "--replace",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    source = module.read_text(encoding="utf-8")
    assert 'TABLE: Final[Mapping[Language, Mapping[str, str]]] = wording("formats", LANGUAGES)' in (
        source
    )
    assert "from verifier_app._catalogs import wording" in source
    assert "from verifier_app._i18n import LANGUAGES" in source
    assert "#: The table." in source
    assert (root / "formats.pot").exists()
    spec = importlib.util.spec_from_file_location("words_module", module)
    assert spec is not None
    assert spec.loader is not None
    rewritten = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(rewritten)
    assert wording("formats", LANGUAGES, LOCALE_DIR) == rewritten.TABLE


def _plain(table: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _plain(v) if isinstance(v, Mapping) else v for k, v in table.items()}


def test_the_app_tables_are_all_in_catalogs(tmp_path: Path) -> None:
    # Every table the converter knows converts, and loads back equal to the Python mapping.
    for table in converter.TABLES:
        source = converter.load_table(table.source)
        converter.merge(table.domain, source, tmp_path)
        nested = any(isinstance(v, Mapping) for w in source.values() for v in w.values())
        loader = wording_tables if nested else wording
        loaded: Mapping[str, Any] = loader(table.domain, LANGUAGES, tmp_path)
        assert _plain(loaded) == _plain(source), table.domain
