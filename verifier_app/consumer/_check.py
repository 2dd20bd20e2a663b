"""The server's own check of a scan answer before it may say "verified".

The page's facts come from the projection, which a database editor can change; the
visitor's browser re-derives them from signed entries (``static/facts.js``). The JSON
answer is read by programs that may not re-derive anything, so the server does the same
check (:func:`~traceability.derive_facts`) and never answers ``verified``
unless a signed checkpoint covers every entry the facts rest on and every fact agrees.
The status must also agree with the signed lot-status map, which names the entries the
status rests on, so an answer that leaves one out is a mismatch (traceability's
``check_map_claim``, as the browser's ``statusmap.js``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ledger import Ledger
from traceability import Fact, check_map_claim, compare_facts, derive_facts
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
        omission: ``checked`` when the status agrees with the signed lot-status map that
            ends the checkpoint (nothing it rests on was left out), else ``not_checked``.
    """

    state: State
    reason: str = ""
    mismatches: tuple[dict[str, Any], ...] = ()
    derived: dict[str, Fact] | None = None
    omission: Literal["checked", "not_checked"] = "not_checked"


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
    statements = {seq: ledger.entry(seq).statement for seq in view.entries}
    entries = [{"seq": seq, "kind": s.kind, "body": s.body} for seq, s in statements.items()]
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
    proven: dict[int, tuple[str, Any]] = {seq: (s.kind, s.body) for seq, s in statements.items()}
    index = None if bundle.statusMap is None else bundle.statusMap.get("entry")
    if isinstance(index, int) and 0 <= index < bundle.size:
        record = ledger.entry(index)
        proven[index] = (record.statement.kind, record.statement.body)
    shown = view.claims.get("status")
    verdict = check_map_claim(bundle.statusMap, bundle.size, proven, gtin, lot, shown)
    if verdict.state == "mismatch":
        value = (bundle.statusMap or {}).get("value") or {}
        mismatch = {"fact": "status", "shown": shown, "derived": value.get("status")}
        return Verification("mismatch", verdict.reason, (mismatch,), derived)
    return Verification("verified", "", (), derived, verdict.state)
