"""Sentences for a field's validation error, in Chinese, Uyghur and English: what to type.

Keyed by :data:`verifier_app.staff._field_errors.KINDS`; ``{got}`` is what was typed and
the other placeholders are the values the kind's pattern reads from the domain's
``expected``. Each sentence says what is wrong and gives an example to copy. The Uyghur
needs a native speaker's review before release.
"""

# Sentences are kept whole on one line so translators can read and edit each as a unit;
# Chinese sentences use Chinese punctuation.

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from verifier_app._catalogs import wording
from verifier_app._i18n import LANGUAGES, Language

__all__ = ["FIELD_ERROR_WORDING"]

FIELD_ERROR_WORDING: Final[Mapping[Language, Mapping[str, str]]] = wording(
    "field_errors", LANGUAGES
)
