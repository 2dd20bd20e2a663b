"""Merge wording tables written as Python dicts into the gettext catalogs (re-runnable).

The pages' wording lives in ``verifier_app/locale/<language>/LC_MESSAGES/<domain>.po``
(verifier_app/_catalogs.py). This reads a wording table -- a mapping language -> key -> text,
or language -> context -> key -> text for tables of terms -- from a Python module and merges
it into the catalogs of its domain:

* a key the catalog lacks is added with the table's text;
* an entry the catalog leaves empty is filled from the table;
* an entry the catalog already translates is kept (the catalog is where translators work;
  a differing table text is reported, not written);
* nothing is ever removed;
* every language's catalog gets every key any language has (an empty ``msgstr`` where the
  table has no text, so the gap shows and a test names it), zh and ug entries carry the
  English text as a translator comment (``#.``), and ``<domain>.pot`` lists every key.

Usage (from the repository root)::

    python scripts/wording_to_po.py                      # every table of the app
    python scripts/wording_to_po.py --only staff         # one domain
    python scripts/wording_to_po.py --source path/to/file.py:TABLE --domain staff
    python scripts/wording_to_po.py --replace            # then swap the dicts for loads

``--replace`` rewrites each table's assignment in its module to read the catalog instead
(``wording("staff", LANGUAGES)``): the step that retires a Python table once its words are in
the catalogs. Run ``ruff check --fix`` and ``ruff format`` on the modules afterwards.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import importlib.util
import io
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALE_DIR = ROOT / "verifier_app" / "locale"
LANGUAGES = ("zh", "ug", "en")
#: The language whose text is the translators' source (the ``#.`` comment on other entries).
SOURCE_LANGUAGE = "en"

_HEADER = """\
agritrace: wording of the {domain!r} pages.
Edit msgstr only: msgid is the key the pages use, and the comment (#.) above
an entry is its English text. docs/app.md ("Translating") says how."""


@dataclass(frozen=True)
class Table:
    """A wording table in Python: where it is (``module:NAME``) and its catalog domain."""

    source: str
    domain: str


#: The app's wording tables. A module is a dotted name or a ``.py`` file's path.
TABLES: tuple[Table, ...] = (
    Table("verifier_app._i18n:MESSAGES", "consumer"),
    Table("verifier_app.staff._wording:STAFF_WORDING", "staff"),
    Table("verifier_app.staff._wording:REFUSAL_WORDING", "refusals"),
    Table("verifier_app.staff._wording:REFUSAL_TERMS", "refusal_terms"),
    Table("verifier_app.staff._field_error_wording:FIELD_ERROR_WORDING", "field_errors"),
    Table("verifier_app.regulator._wording:REGULATOR_WORDING", "regulator"),
    Table("verifier_app._value_wording:VALUE_WORDING", "values"),
)

# (context, key) -> text, the flat form of a table; context is None for a flat table.
Flat = dict[tuple[str | None, str], str]


def _module(name: str) -> ModuleType:
    if name.endswith(".py"):
        path = Path(name).resolve()
        spec = importlib.util.spec_from_file_location(f"_wording_source_{path.stem}", path)
        if spec is None or spec.loader is None:
            raise SystemExit(f"cannot import {name}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        return module
    return importlib.import_module(name)


def load_table(source: str) -> Mapping[str, Any]:
    """The mapping ``module:NAME`` names (language -> key -> text, or a level more)."""
    module_name, _, attribute = source.rpartition(":")
    if not module_name or not attribute:
        raise SystemExit(f"--source wants module:NAME or path.py:NAME, got {source!r}")
    table = getattr(_module(module_name), attribute, None)
    if not isinstance(table, Mapping):
        raise SystemExit(f"{source}: not a mapping of language to wording")
    return table


def flatten(words: Mapping[str, Any], where: str) -> Flat:
    """One language's words as (context, key) -> text; a nested table's first level is context.

    Raises:
        SystemExit: a value is neither text nor a table of text (named with ``where``).
    """
    out: Flat = {}
    for key, value in words.items():
        if isinstance(value, str):
            out[(None, key)] = value
        elif isinstance(value, Mapping):
            for inner, text in value.items():
                if not isinstance(text, str):
                    raise SystemExit(f"{where}[{key!r}][{inner!r}]: expected text, got {text!r}")
                out[(key, inner)] = text
        else:
            raise SystemExit(f"{where}[{key!r}]: expected text or a table, got {value!r}")
    return out


def _read(path: Path) -> Catalog | None:
    if not path.exists():
        return None
    with path.open("rb") as po:
        return read_po(po, abort_invalid=True)


def _new_catalog(domain: str, language: str | None) -> Catalog:
    catalog = Catalog(
        locale=language,
        domain=domain,
        project="agritrace",
        version="0.1",
        copyright_holder="the agritrace authors",
        charset="utf-8",
        fuzzy=False,
    )
    catalog.header_comment = "\n".join(
        f"# {line}" for line in _HEADER.format(domain=domain).split("\n")
    )
    return catalog


def _write(path: Path, catalog: Catalog, *, template: bool = False) -> bool:
    out = io.BytesIO()
    write_po(out, catalog, width=0, omit_header=False, include_previous=False)
    data = out.getvalue()
    if template:
        # A template's header is one of every catalog's: no language.
        data = data.replace(b'"Language: \\n"\n', b"")
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


def _comments(language: str, english: str) -> list[str]:
    if language == SOURCE_LANGUAGE or not english:
        return []
    return english.split("\n")


def merge(
    domain: str,
    table: Mapping[str, Any],
    root: Path = LOCALE_DIR,
    languages: Sequence[str] = LANGUAGES,
) -> list[str]:
    """Merge ``table`` into ``domain``'s catalogs under ``root``; return what was done.

    Raises:
        SystemExit: the table has a language outside ``languages`` or a value is not text.
    """
    unknown = set(table) - set(languages)
    if unknown:
        raise SystemExit(f"{domain}: languages {sorted(unknown)} are not among {languages}")
    flat = {
        language: flatten(table.get(language, {}), f"{domain}[{language!r}]")
        for language in languages
    }
    from_catalogs: dict[str, Catalog | None] = {
        language: _read(root / language / "LC_MESSAGES" / f"{domain}.po") for language in languages
    }
    # Every key, in a stable order: the table's first (as written), then the catalogs' own.
    keys: dict[tuple[str | None, str], None] = {}
    for language in languages:
        keys.update(dict.fromkeys(flat[language]))
    for read in from_catalogs.values():
        for entry in read or ():
            if entry.id and isinstance(entry.id, str):
                keys.setdefault((entry.context, entry.id), None)
    english: dict[tuple[str | None, str], str] = {}
    source_catalog = from_catalogs[SOURCE_LANGUAGE]
    for pair in keys:
        english[pair] = flat[SOURCE_LANGUAGE].get(pair, "")
        found = None if source_catalog is None else source_catalog.get(pair[1], pair[0])
        if found is not None and isinstance(found.string, str) and found.string:
            english[pair] = found.string  # the catalog's English is the source once it exists
    report: list[str] = []
    for language in languages:
        existing = from_catalogs[language]
        catalog = existing if existing is not None else _new_catalog(domain, language)
        for context, key in keys:
            text = flat[language].get((context, key), "")
            message: Message | None = catalog.get(key, context)
            if message is None:
                catalog.add(
                    key,
                    text,
                    context=context,
                    auto_comments=_comments(language, english[(context, key)]),
                )
                if existing is not None:
                    report.append(f"{domain}/{language}: added {key!r}")
                continue
            message.auto_comments = _comments(language, english[(context, key)])
            if not message.string and text:
                message.string = text
                report.append(f"{domain}/{language}: filled {key!r}")
            elif text and message.string != text:
                report.append(
                    f"{domain}/{language}: kept the catalog's {key!r} (the table differs)"
                )
        path = root / language / "LC_MESSAGES" / f"{domain}.po"
        if _write(path, catalog):
            report.append(f"wrote {path}")
    template = _new_catalog(domain, None)
    old_template = _read(root / f"{domain}.pot")
    if old_template is not None:
        template.creation_date = old_template.creation_date
    for context, key in keys:
        template.add(key, "", context=context, auto_comments=_comments("", english[(context, key)]))
    if _write(root / f"{domain}.pot", template, template=True):
        report.append(f"wrote {root / f'{domain}.pot'}")
    return report


def _module_names(tree: ast.Module) -> set[str]:
    # The names a module binds at its top level: imports and assignments.
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def replace_in_source(table: Table, languages_name: str = "LANGUAGES") -> str:
    """Rewrite the table's assignment in its module to load the catalog; return the file.

    The annotation is kept, so the module's readers see the same type; a nested table (terms
    by context) loads with ``wording_tables``.
    """
    module_name, _, attribute = table.source.rpartition(":")
    spec = importlib.util.find_spec(module_name) if not module_name.endswith(".py") else None
    path = Path(module_name) if spec is None or spec.origin is None else Path(spec.origin)
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    nested = any(
        isinstance(value, Mapping)
        for words in load_table(table.source).values()
        for value in words.values()
    )
    loader = "wording_tables" if nested else "wording"
    for node in tree.body:
        target: ast.expr | None = node.target if isinstance(node, ast.AnnAssign) else None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
        if not (isinstance(target, ast.Name) and target.id == attribute):
            continue
        lines = text.split("\n")
        annotation = ""
        if isinstance(node, ast.AnnAssign):
            annotation = ": " + (ast.get_source_segment(text, node.annotation) or "")
        call = f"{loader}({table.domain!r}, {languages_name})".replace("'", '"')
        start, end = node.lineno - 1, node.end_lineno or node.lineno
        lines[start:end] = [f"{attribute}{annotation} = {call}"]
        text = "\n".join(lines)
        break
    else:
        raise SystemExit(f"{table.source}: no assignment to {attribute} in {path}")
    bound = _module_names(ast.parse(text))
    imports = [] if loader in bound else [f"from verifier_app._catalogs import {loader}"]
    if languages_name not in bound:
        imports.append(f"from verifier_app._i18n import {languages_name}")
    head, marker, rest = text.partition("\nfrom __future__ import annotations\n")
    if not marker:
        raise SystemExit(f"{path}: expected 'from __future__ import annotations'")
    if imports:
        text = head + marker + "\n" + "\n".join(imports) + "\n" + rest
    path.write_text(text, encoding="utf-8")
    return str(path)


def main(argv: Sequence[str] | None = None) -> int:
    """Merge the tables into the catalogs (and with ``--replace`` retire the Python tables)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--source", help="module:NAME or path.py:NAME of one table")
    parser.add_argument("--domain", help="the catalog domain of --source")
    parser.add_argument("--only", action="append", help="merge only this domain (repeatable)")
    parser.add_argument("--root", type=Path, default=LOCALE_DIR, help="the catalogs' folder")
    parser.add_argument(
        "--replace",
        action="store_true",
        help="after merging, rewrite each table's assignment to load its catalog",
    )
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    if args.source:
        if not args.domain:
            parser.error("--source needs --domain")
        tables: tuple[Table, ...] = (Table(args.source, args.domain),)
    else:
        tables = tuple(t for t in TABLES if not args.only or t.domain in args.only)
    for table in tables:
        for line in merge(table.domain, load_table(table.source), args.root):
            print(line)
    if args.replace:
        for table in tables:
            print(f"replaced {table.source} in {replace_in_source(table)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
