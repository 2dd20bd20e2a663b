"""The server's own check of a scan answer before it may say "verified".

The page's facts come from the projection, which a database editor can change; the
visitor's browser re-derives them from signed entries (``static/facts.js``). The JSON
answer is read by programs that may not re-derive anything, so the server does the same
check (:func:`~traceability.derive_facts`) and never answers ``verified``
unless a signed checkpoint covers every entry the facts rest on and every fact agrees.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ledger import Ledger
from traceability import Fact, compare_facts, derive_facts
from verifier_app.consumer._lookup import LotView
from verifier_app.consumer._proofs import ProofBundle

__all__ = ["Verification", "check_lot"]

State = Literal["verified", "unproven", "mismatch"]


@dataclass(frozen=True)
class Verification:
    """The outcome: ``verified``, ``unproven`` (cannot be proved yet, with why) or ``mismatch``.

    Attributes:
        state: The outcome.
        reason: Why it is not verified (empty when it is).
        mismatches: ``{fact, shown, derived}`` for each fact the entries do not give.
        derived: The facts re-derived from the entries, with the entries each rests on.
    """

    state: State
    reason: str = ""
    mismatches: tuple[dict[str, Any], ...] = ()
    derived: dict[str, Fact] | None = None


def check_lot(
    ledger: Ledger, gtin: str, lot: str, view: LotView, bundle: ProofBundle | None
) -> Verification:
    """Re-derive ``view``'s facts from the entries it names and compare.

    Args:
        ledger: The app's ledger (the entries' bodies are read from it).
        gtin: The scanned GTIN.
        lot: The scanned lot code.
        view: The lookup's answer, with its ``claims`` and ``entries``.
        bundle: The proofs the answer carries (None: no signed checkpoint yet).
    """
    if not view.claims:
        return Verification("unproven", "the answer makes no checkable claims")
    size = ledger.size()
    if any(seq >= size for seq in view.entries):
        return Verification("mismatch", f"the answer names entries beyond the log's {size}")
    entries = [
        {"seq": seq, "kind": r.statement.kind, "body": r.statement.body}
        for seq in view.entries
        for r in (ledger.entry(seq),)
    ]
    try:
        derived = derive_facts(entries, gtin, lot)
    except ValueError as e:
        return Verification("mismatch", f"the entries do not give the facts shown: {e}")
    mismatches = tuple(dict(m) for m in compare_facts(view.claims, derived))
    if mismatches:
        names = ", ".join(m["fact"] for m in mismatches)
        return Verification("mismatch", f"not what the ledger says: {names}", mismatches, derived)
    if bundle is None:
        return Verification("unproven", "no signed checkpoint yet", (), derived)
    newer = [seq for seq in view.entries if seq >= bundle.size]
    if newer:
        return Verification(
            "unproven",
            f"{len(newer)} entries are newer than the signed checkpoint (size {bundle.size})",
            (),
            derived,
        )
    return Verification("verified", "", (), derived)
