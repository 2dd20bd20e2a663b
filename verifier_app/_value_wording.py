"""Wording of the values the staff and regulator pages show: grades, units, products, rules.

Labels say what a value is; these words say the value itself, in the page's language:
grade codes (``super``), units (``KGM``), commodities (``strawberry``), the rules a lot is
held under (``cold-chain-precool``), the sentences that explain a hold or a recall (worded
from the reason's structure by :mod:`verifier_app._reasons`), and the words of the lineage
drawing. A plain ``{language: {key: text}}`` mapping, every language with the same keys (a
test checks), so ``scripts/wording_to_po.py --source verifier_app._value_wording:VALUE_WORDING
--domain values`` turns it into the ``values`` catalog.

Keys start with ``v_`` so they never clash with the consumer, staff or regulator tables they
are merged with. The Uyghur wording was written without a native speaker and must be
reviewed before release. Placeholders in braces are filled with values already in the page's
language (numbers through Babel, times with their zone, substance names from the reviewed
table).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from verifier_app._catalogs import wording
from verifier_app._i18n import LANGUAGES, Language

__all__ = ["VALUE_WORDING"]

VALUE_WORDING: Final[Mapping[Language, Mapping[str, str]]] = wording("values", LANGUAGES)
