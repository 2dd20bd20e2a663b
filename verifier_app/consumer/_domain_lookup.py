"""The domain's answer to a scan: :class:`TraceLookup` reads the traceability projection.

``create_app`` uses it for every ledger, an empty one too: whether a lot is known is asked
on each scan, never decided once at start-up. Before each answer the projection is brought
up to the ledger's head (creating its tables on a ledger that had none), so a lot recorded
through the append API, or by another process, a moment ago is already known. The resolver
calls it only to build an answer it has not kept for the log's current size
(:mod:`verifier_app.consumer._scan_cache`), so the catch-up runs once per growth of the log,
not per scan.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from labels import DigitalLink
from ledger import Ledger
from traceability import (
    FACT_NAMES,
    CooperativeInfo,
    LotStatus,
    LotSummary,
    derive_facts,
    lot_evidence,
)
from verifier_app._signing import AppRecorder
from verifier_app.consumer._lookup import Banner, LotView

__all__ = ["TraceLookup", "claimed_facts", "cooperative_name", "lot_view"]

# Only a lot the cooperative released (and what it shipped or had received after that) is
# "verified"; a lot still awaiting tests, held, or used up in grading is not for sale.
_BANNER: dict[LotStatus, Banner] = {
    LotStatus.RELEASED: "verified",
    LotStatus.SHIPPED: "verified",
    LotStatus.RECEIVED: "verified",
    LotStatus.RECALLED: "recalled",
}
_NOT_RELEASED = "not released for sale: residue tests pending or not passed"
# A missing cold-chain stage as the JSON's facts say it (the page says it in its language).
_GAPS = {"precool": "no pre-cooling record: not cold-chain compliant"}
# The facts read from projection rows (claimed_facts); the rest are the story's.
_PROJECTED = frozenset(
    {
        "status",
        "product",
        "cooperative",
        "origins",
        "harvested",
        "grade",
        "quantity",
        "packed",
        "residues",
        "cold_chain",
    }
)


def claimed_facts(summary: LotSummary, info: CooperativeInfo | None) -> dict[str, Any]:
    """The facts the page shows, as values the in-browser check re-derives and compares.

    Read from the same projection rows as the page's wording (:func:`lot_view`), so a
    changed row changes both and the check, which reads only signed entries, disagrees.
    """
    return {
        "status": summary.status.value,
        "product": summary.product,
        "cooperative": None
        if info is None
        else {"name_zh": info.name_zh, "name_ug": info.name_ug, "name_en": info.name_en},
        "origins": [
            {
                "plot": o.plot,
                "farm": o.farm,
                "grower": o.grower,
                "village": o.village,
                "county": o.county,
            }
            for o in summary.origins
        ],
        "harvested": summary.harvested,
        "grade": summary.grade,
        "quantity": summary.quantity,
        "packed": summary.packed,
        "residues": [
            {
                "substance": r.substance,
                "value": r.value,
                "loq": r.loq,
                "limit": r.limit,
                "outcome": r.outcome,
                "edition": r.edition,
                "lab": r.lab,
                "sample_id": r.sample_id,
            }
            for r in summary.residues
        ],
        "cold_chain": list(summary.cold_chain),
    }


def lot_view(
    summary: LotSummary,
    cooperative: str,
    claims: dict[str, Any] | None = None,
    entries: tuple[int, ...] | None = None,
) -> LotView:
    """Turn the domain's summary of a lot into the facts the resolver page and JSON show.

    Args:
        summary: What the ledger says about the lot.
        cooperative: Who keeps the ledger (:func:`cooperative_name`).
        claims: The same facts as values (:func:`claimed_facts`), for the proof check.
        entries: Every entry the facts rest on (``traceability.lot_evidence``); default:
            the summary's own (the lot's events only).
    """
    banner = _BANNER.get(summary.status, "on_hold")
    reason = summary.reason or (_NOT_RELEASED if banner == "on_hold" else "")
    facts: list[tuple[str, str]] = [
        ("status", f"{summary.status.value}: {reason}" if reason else summary.status.value),
        ("cooperative", cooperative),
    ]
    if summary.origins:
        origins = dict.fromkeys(f"{o.village}, {o.county}" for o in summary.origins)
        growers = dict.fromkeys(f"{o.grower} ({o.farm} / {o.plot})" for o in summary.origins)
        facts += [("origin", "; ".join(origins)), ("grower", "; ".join(growers))]
    if summary.harvested is not None:
        facts.append(("harvested", summary.harvested))
    if summary.grade is not None:
        facts.append(("grade", summary.grade))
    facts.append(("quantity", summary.quantity))
    if summary.packed is not None:
        facts.append(("packed", summary.packed[:16].replace("T", " ")))
    if summary.residues:
        facts.append(("residue", "; ".join(str(r) for r in summary.residues)))
        labs = dict.fromkeys(
            f"{r.lab}, sample {r.sample_id}, limits {r.edition}" for r in summary.residues
        )
        facts.append(("lab", "; ".join(labs)))
    else:
        facts.append(("residue", "no residue test recorded yet"))
    if summary.cold_chain:
        facts.append(("cold_chain", "; ".join(summary.cold_chain)))
    if summary.missing_stages:
        gaps = (_GAPS.get(stage, f"no {stage} record") for stage in summary.missing_stages)
        facts.append(("cold_chain_missing", "; ".join(gaps)))
    return LotView(
        banner,
        summary.product,
        tuple(facts),
        summary.entries if entries is None else entries,
        claims or {},
        summary.missing_stages,
    )


class TraceLookup:
    """A :class:`~verifier_app.LotLookup` over the traceability projection of one ledger.

    Args:
        ledger: The app's open ledger.
        holder: The app's recorder holder, to catch the projection up with (the app's own
            recorder, so one process keeps one; made on the first scan).
    """

    def __init__(self, ledger: Ledger, holder: AppRecorder) -> None:
        self._ledger = ledger
        self._holder = holder

    def __call__(self, link: DigitalLink) -> LotView | None:
        """Return the lot's view, or None when no lot has this GTIN and lot code."""
        if link.lot is None:
            return None
        projection = self._holder.projection
        # Takes no lock and writes nothing when the projection is current (the usual case).
        projection.catch_up()
        summary = projection.summary(link.gtin, link.lot)
        if summary is None:
            return None
        info = projection.cooperative()
        evidence = lot_evidence(self._ledger, link.gtin, link.lot) or summary.entries
        view = lot_view(
            summary,
            cooperative_name(info, self._ledger.origin),
            claimed_facts(summary, info) | self._story(link.gtin, link.lot, evidence),
            evidence,
        )
        if link.certificate is None:
            return view
        certificate = projection.certificate(link.gtin, link.lot, int(link.certificate))
        if certificate.state != "invalid" and certificate.number not in view.entries:
            # The certificate's entry is among the entries the proof covers.
            view = replace(view, entries=tuple(sorted({*view.entries, certificate.number})))
        return replace(view, certificate=certificate)

    def _story(self, gtin: str, lot: str, evidence: tuple[int, ...]) -> dict[str, Any]:
        """The story facts (inputs, pre-cooling, shipments ...), read from the entries.

        The projection keeps no rows for these; they are what the one derivation gives for
        the entries the scan hands the browser, which derives them again and compares. A
        derivation that fails leaves them out, and the check then reports the mismatch.
        """
        entries = []
        for seq in evidence:
            statement = self._ledger.entry(seq).statement
            entries.append({"seq": seq, "kind": statement.kind, "body": statement.body})
        try:
            derived = derive_facts(entries, gtin, lot)
        except ValueError:
            return {}
        return {name: derived[name].value for name in FACT_NAMES if name not in _PROJECTED}


def cooperative_name(info: CooperativeInfo | None, origin: str) -> str:
    """The cooperative as the page shows it: its recorded names (zh, ug, en), else the log.

    The page's facts are one line per fact whatever the language, and a shopper in Kashgar
    may read either script, so every recorded name is shown, Chinese first.
    """
    if info is None:
        return origin
    names = (info.name_zh, info.name_ug, info.name_en)
    return " · ".join(dict.fromkeys(n for n in names if n))
