"""Wording of the regulator's pages in Chinese, Uyghur (right to left) and English.

Every language has the same keys (a test checks). The Uyghur wording was written without a
native speaker and must be reviewed before release.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from verifier_app._catalogs import wording
from verifier_app._i18n import LANGUAGES, Language

__all__ = ["REGULATOR_WORDING"]

REGULATOR_WORDING: Final[Mapping[Language, Mapping[str, str]]] = wording("regulator", LANGUAGES)
