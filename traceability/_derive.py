"""Re-derive what a scan page claims about a lot from the statement bodies it rests on.

Pure: ``(seq, kind, body)`` triples in, a :class:`DerivedLot` out. A verifier that has
checked the entries are in the signed tree (``agritrace verify``) uses it to check the
page's banner and facts against the entries themselves rather than the server's word.

What the listed entries can prove, and what they cannot:

- **status**: a recall of the lot or of any lot it was made from makes it recalled (a
  recall reaches every derived lot); otherwise it is for sale only when the lot's own
  release comes after every hold of it (and of its inputs since it was made).
- **grade**, **harvest date**, **plots**, **residue values** (as the lab signed them) and the
  lab and sample: read from the grading, harvest and residue-test bodies.
- Not from these entries alone: the residue *verdicts* (they rest on the MRL table entry),
  cold-chain holds (the commodity profile), grower names and villages (the farm entry) and
  the cooperative's name. Nor can they show that no entry was left out: a server that omits
  a recall is caught only by a commitment to the lot's status (issue 10's verifiable map).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from traceability.rules._tables import residue_text

__all__ = ["DerivedLot", "derive_lot"]

Banner = Literal["verified", "on_hold", "recalled"]


@dataclass(frozen=True)
class DerivedLot:
    """What the statement bodies say about one lot.

    Attributes:
        banner: ``verified`` (released, not held or recalled since), ``on_hold`` or
            ``recalled``.
        because: the entry (sequence number) that decided the banner, or None.
        grade: the grade the grading entry gave the lot, if it was graded.
        harvested: the earliest harvest date (ISO) of the harvest lots it came from.
        plots: the plots those harvests came from.
        residues: ``substance value`` lines as the page writes them, per result signed by
            the lab on the lot or a lot it was made from.
        labs: ``lab, sample id`` per residue test.
        lots: the lot keys considered: the lot and every lot it was made from.
    """

    banner: Banner
    because: int | None
    grade: str | None
    harvested: str | None
    plots: tuple[str, ...]
    residues: tuple[str, ...]
    labs: tuple[str, ...]
    lots: frozenset[tuple[str, str]]


def _ref(value: Any) -> tuple[str, str]:
    return (str(value["gtin"]), str(value["lot"]))


def _inputs(kind: str, body: Mapping[str, Any]) -> list[tuple[tuple[str, str], tuple[str, str]]]:
    """``(parent, child)`` pairs an entry makes."""
    if kind == "trace.grading":
        return [(_ref(body["input"]), _ref(o["lot"])) for o in body["outputs"]]
    if kind == "trace.processing":
        return [(_ref(i), _ref(body["output"])) for i in body["inputs"]]
    return []


def derive_lot(
    gtin: str, lot: str, entries: Iterable[tuple[int, str, Mapping[str, Any]]]
) -> DerivedLot:
    """Derive a lot's banner and facts from the bodies of the entries about it and its inputs.

    Args:
        gtin: the lot's GTIN-14.
        lot: the lot code.
        entries: ``(seq, kind, body)`` of every entry the page lists, in any order.
    """
    ordered = sorted(entries, key=lambda e: e[0])
    target = (gtin, lot)
    parents: dict[tuple[str, str], set[tuple[str, str]]] = {}
    created: dict[tuple[str, str], int] = {}
    for seq, kind, body in ordered:
        for parent, child in _inputs(kind, body):
            parents.setdefault(child, set()).add(parent)
            created.setdefault(child, seq)
        if kind == "trace.harvest":
            created.setdefault(_ref(body["lot"]), seq)
    lots = {target}
    frontier = [target]
    while frontier:
        for parent in parents.get(frontier.pop(), ()):
            if parent not in lots:
                lots.add(parent)
                frontier.append(parent)
    born = created.get(target, -1)

    banner: Banner = "on_hold"
    because: int | None = None
    grade = None
    harvests: list[str] = []
    plots: list[str] = []
    residues: list[str] = []
    labs: list[str] = []
    for seq, kind, body in ordered:
        subject = _ref(body["lot"]) if isinstance(body.get("lot"), dict) else None
        if banner == "recalled":
            pass  # a recall is final
        elif kind == "trace.recall" and subject in lots:
            banner, because = "recalled", seq
        elif kind == "trace.hold" and subject in lots and (subject == target or seq > born):
            banner, because = "on_hold", seq
        elif kind == "trace.release" and subject == target:
            banner, because = "verified", seq
        if kind == "trace.grading":
            grade = next((o["grade"] for o in body["outputs"] if _ref(o["lot"]) == target), grade)
        elif kind == "trace.harvest" and subject in lots:
            harvests.append(str(body["time"])[:10])
            plots.append(str(body["plot"]))
        elif kind == "trace.residue" and subject in lots:
            for result in body["results"]:
                loq = str(result["loq"])
                residues.append(f"{result['substance']} {residue_text(str(result['value']), loq)}")
            labs.append(f"{body['lab']}, sample {body['sample_id']}")
    return DerivedLot(
        banner=banner,
        because=because,
        grade=grade,
        harvested=min(harvests) if harvests else None,
        plots=tuple(dict.fromkeys(plots)),
        residues=tuple(residues),
        labs=tuple(dict.fromkeys(labs)),
        lots=frozenset(lots),
    )
