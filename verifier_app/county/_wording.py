"""Wording of the county regulator's pages in Chinese, Uyghur (right to left) and English.

Read from the ``county`` gettext catalogs (verifier_app/locale/<language>/LC_MESSAGES/
county.po); every key starts ``cty_`` so none shadows the consumer wording the pages share.
The Uyghur wording was written without a native speaker and must be reviewed before release.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from verifier_app._catalogs import wording
from verifier_app._i18n import LANGUAGES, Language

__all__ = ["COUNTY_WORDING"]

COUNTY_WORDING: Final[Mapping[Language, Mapping[str, str]]] = wording("county", LANGUAGES)
