"""The pages' wording, read from gettext catalogs: one ``.po`` file per audience and language.

Translators edit ``verifier_app/locale/<language>/LC_MESSAGES/<domain>.po`` and never touch
Python (docs/app.md, "Translating"). A message's ``msgid`` is the wording key the pages use
(``t.sign_in``), its ``msgstr`` the text; ``msgctxt`` groups keys into tables where a domain
has them (the refusal terms: ``action``, ``status``...). The catalogs are read once, when a
wording module is imported, with Babel's ``read_po``: a fresh clone works after
``pip install -e .`` with nothing compiled.

An empty or fuzzy ``msgstr`` is untranslated and left out of the mapping, as gettext does; a
test (tests/verifier_app/test_catalogs.py) fails on one wherever a page has no fallback.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Final, TypeVar

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

__all__ = [
    "LOCALE_DIR",
    "CatalogError",
    "catalog_path",
    "read_catalog",
    "template_path",
    "wording",
    "wording_tables",
]

#: Where the catalogs live: ``<language>/LC_MESSAGES/<domain>.po`` and ``<domain>.pot``.
LOCALE_DIR: Final = Path(__file__).parent / "locale"

L = TypeVar("L", bound=str)


class CatalogError(RuntimeError):
    """A catalog is missing or unreadable (the message names the file)."""


def catalog_path(domain: str, language: str, root: Path = LOCALE_DIR) -> Path:
    """The ``.po`` file of ``domain`` in ``language`` under ``root``."""
    return root / language / "LC_MESSAGES" / f"{domain}.po"


def template_path(domain: str, root: Path = LOCALE_DIR) -> Path:
    """The ``.pot`` template of ``domain`` under ``root`` (every key, English comments)."""
    return root / f"{domain}.pot"


@functools.cache
def read_catalog(domain: str, language: str, root: Path = LOCALE_DIR) -> Catalog:
    """Read (once per process) the catalog of ``domain`` in ``language``.

    Raises:
        CatalogError: the file is missing or is not a readable ``.po`` file.
    """
    path = catalog_path(domain, language, root)
    try:
        with path.open("rb") as po:
            return read_po(po, locale=language, domain=domain, abort_invalid=True)
    except FileNotFoundError as missing:
        raise CatalogError(
            f"no {language} catalog for {domain!r}: expected {path} "
            "(scripts/wording_to_po.py writes it from the Python wording)"
        ) from missing
    except Exception as bad:  # Babel raises several types for a malformed file
        raise CatalogError(f"{path} is not a readable .po file: {bad}") from bad


def _translated(catalog: Catalog, context: str | None) -> dict[str, str]:
    return {
        str(message.id): str(message.string)
        for message in catalog
        if message.id
        and isinstance(message.id, str)
        and message.context == context
        and isinstance(message.string, str)
        and message.string
        and not message.fuzzy
    }


def wording(
    domain: str, languages: Iterable[L], root: Path = LOCALE_DIR
) -> Mapping[L, Mapping[str, str]]:
    """The translated messages of ``domain`` (those without a ``msgctxt``), by language.

    Args:
        domain: The catalog's name (``consumer``, ``staff``...).
        languages: The languages to read; each must have a catalog.
        root: The folder holding the catalogs (tests point it elsewhere).
    """
    return MappingProxyType(
        {
            language: MappingProxyType(_translated(read_catalog(domain, language, root), None))
            for language in languages
        }
    )


def wording_tables(
    domain: str, languages: Iterable[L], root: Path = LOCALE_DIR
) -> Mapping[L, Mapping[str, Mapping[str, str]]]:
    """The translated messages of ``domain`` grouped by ``msgctxt`` (one table per context).

    Every context the catalog names is present, even when none of its messages is translated
    in that language (the caller's fallback then applies to each).
    """
    out: dict[L, Mapping[str, Mapping[str, str]]] = {}
    for language in languages:
        catalog = read_catalog(domain, language, root)
        contexts = sorted({m.context for m in catalog if m.id and m.context is not None})
        out[language] = MappingProxyType(
            {ctx: MappingProxyType(_translated(catalog, ctx)) for ctx in contexts}
        )
    return MappingProxyType(out)
