"""Which ledger entries each fact on the consumer page rests on, for the page to show.

The server's own check (:mod:`verifier_app.consumer._check`) re-derives every fact from the
entries and keeps, per fact, the entries it came from. The page writes them on each fact's
element (``data-entries="17 52"``), which the browser's check compares with the entries its
own derivation of that fact names (``verify.js``): a page that names other entries for a
fact than the proofs give turns red naming the fact. The proof list says the same in words:
each entry with the facts it backs ("Ledger entry 52: The field, Picking").
"""

from __future__ import annotations

from collections.abc import Mapping

from traceability import Fact
from verifier_app._i18n import MESSAGES, Language

__all__ = ["SHOWN_FACTS", "entry_facts", "fact_entries"]

#: The facts the story page shows, each with the wording key naming it in the proof list.
SHOWN_FACTS: Mapping[str, str] = {
    "status": "status",
    "reason": "status",
    "product": "product",
    "best_before": "best_before",
    "origins": "step_field",
    "harvests": "step_harvest",
    "inputs": "step_inputs",
    "precool": "step_precool",
    "grade": "step_grading",
    "quantity": "quantity",
    "tests": "lab",
    "residues": "step_residue",
    "shipments": "step_transport",
    "certificates": "step_certificate",
    "cooperative": "coop_name",
    "contact": "step_contact",
}


def fact_entries(derived: Mapping[str, Fact] | None) -> dict[str, str]:
    """Fact name -> the entries it rests on, as the page's ``data-entries`` ("17 52").

    Empty when nothing was derived (no check ran): the page then names no entries.
    """
    if derived is None:
        return {}
    return {name: " ".join(str(s) for s in sorted(set(f.entries))) for name, f in derived.items()}


def entry_facts(derived: Mapping[str, Fact] | None, language: Language) -> dict[int, str]:
    """Entry -> the names of the shown facts it backs, in ``language`` (for the proof list)."""
    if derived is None:
        return {}
    t = MESSAGES[language]
    named: dict[int, dict[str, None]] = {}
    for name, key in SHOWN_FACTS.items():
        fact = derived.get(name)
        for seq in () if fact is None else fact.entries:
            named.setdefault(seq, {})[t[key]] = None
    return {seq: t["list_sep"].join(names) for seq, names in named.items()}
