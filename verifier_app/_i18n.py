"""Consumer page wording in Chinese (default), Uyghur (right to left) and English.

The language comes from ``?lang=`` first, then the best ``Accept-Language`` match, then
Chinese. Uyghur wording should be reviewed by a native speaker before release.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal

from verifier_app._catalogs import wording

__all__ = ["DEFAULT_LANGUAGE", "DIRECTION", "LANGUAGES", "MESSAGES", "Language", "choose_language"]

Language = Literal["zh", "ug", "en"]
LANGUAGES: Final[tuple[Language, ...]] = ("zh", "ug", "en")
DEFAULT_LANGUAGE: Final[Language] = "zh"
DIRECTION: Final[Mapping[Language, str]] = {"zh": "ltr", "ug": "rtl", "en": "ltr"}

MESSAGES: Final[Mapping[Language, Mapping[str, str]]] = wording("consumer", LANGUAGES)


def _as_language(tag: str) -> Language | None:
    primary = tag.strip().split("-")[0].lower()
    for language in LANGUAGES:
        if primary == language:
            return language
    return None


def choose_language(requested: str | None, accept_language: str | None) -> Language:
    """Pick the page language: ``?lang=`` if supported, else the best Accept-Language match.

    Args:
        requested: The ``lang`` query parameter, if any.
        accept_language: The ``Accept-Language`` header (RFC 9110 §12.5.4), if any.
    """
    if requested is not None:
        chosen = _as_language(requested)
        if chosen is not None:
            return chosen
    best: tuple[float, Language] | None = None
    for position, part in enumerate((accept_language or "").split(",")[:20]):
        tag, _, params = part.partition(";")
        language = _as_language(tag)
        if language is None:
            continue
        quality = 1.0
        name, _, value = params.strip().partition("=")
        if name.strip() == "q":
            try:
                quality = float(value)
            except ValueError:
                continue
        # Equal qualities keep the header's order: earlier wins.
        score = quality - position * 1e-6
        if quality > 0 and (best is None or score > best[0]):
            best = (score, language)
    return DEFAULT_LANGUAGE if best is None else best[1]
