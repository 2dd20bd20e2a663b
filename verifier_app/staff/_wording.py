"""Wording of the staff pages in Chinese (default), Uyghur (right to left) and English.

Passed to :func:`verifier_app._pages.render_page` as ``wording``; every language has the
same keys (a test checks). The Uyghur wording needs a native speaker's review before
release. A rule's refusal is worded here (``REFUSAL_WORDING``); a field's validation error in
``staff/_field_error_wording.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from verifier_app._catalogs import wording, wording_tables
from verifier_app._i18n import LANGUAGES, Language

__all__ = ["STAFF_WORDING"]

STAFF_WORDING: Final[Mapping[Language, Mapping[str, str]]] = wording("staff", LANGUAGES)


def _table_rules(sentence: str) -> dict[str, str]:
    # The lifecycle table's rules share one sentence (action, lot, status, what it needs).
    rules = (
        "cool-only-before-shipping",
        "grade-only-active-or-released",
        "test-not-after-recall",
        "pack-only-active-or-released",
        "label-requires-released",
        "ship-requires-released",
        "receive-requires-shipped",
        "process-only-active-released-or-received",
        "hold-only-movable-lots",
        "release-only-active-or-held",
        "recall-once",
    )
    return dict.fromkeys(rules, sentence)


#: A refusal in words, by the rule's wording key (``LifecycleError.key``; the keys and their
#: parameters are listed in ``traceability.rules._refusals.REFUSALS``, and a test checks every
#: one is here in every language). ``{name}`` is a parameter, shown isolated (``<bdi>``);
#: ``action``, ``status``, ``allowed``, ``who`` and ``stage`` are translated with
#: :data:`REFUSAL_TERMS` first. A separate table from :data:`STAFF_WORDING`: rule names never
#: collide with the page's own keys.
REFUSAL_WORDING: Final[Mapping[Language, Mapping[str, str]]] = wording("refusals", LANGUAGES)

#: The words a refusal's coded parameters are said with: ``action`` (lifecycle actions and
#: the stage events' names), ``status`` (of a lot or a shipment; ``allowed`` is a list of
#: them), ``who`` (roles), ``stage`` (cold-chain stages) and ``hold_rule`` (the rule a hold
#: was placed under). A code not listed is shown as is.
REFUSAL_TERMS: Final[Mapping[Language, Mapping[str, Mapping[str, str]]]] = wording_tables(
    "refusal_terms", LANGUAGES
)
