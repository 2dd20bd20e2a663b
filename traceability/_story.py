"""The consumer page's story facts: field to shelf, re-derived from the signed entries.

Part of the one derivation (:func:`traceability.derive_facts` calls :func:`story_facts`);
``verifier_app/static/facts.js`` has the same rules and ``tests/verifier_app/vectors/
facts.json`` holds the cases both pass. Values only, no wording, so any language can show
them:

==================  ===================================================================
``harvests``        ``[{lot, plot, variety, time, quantity, unit}]`` of every harvest lot
``inputs``          ``[{plot, category, product, substance, dose, dose_unit, time,
                    days_before_harvest, phi_days, phi_kept}]``: every fertiliser and
                    pesticide application recorded on a harvest's plot before it
                    (``phi_kept`` None for a fertiliser; a pesticide with no listed interval
                    has ``phi_days`` None and ``phi_kept`` false, as the rule treats it)
``precool``         ``[{lot, site, low, high, within_minutes, harvested, reached_minutes,
                    readings}]``: each pre-cooling log, the profile's band, and the minutes
                    from harvest to the first reading in the band (None: never reached)
``grade_band``      ``{grade, min_mm, max_mm}``: the size band of a graded lot's grade
``tests``           ``[{lot, sample_id, lab, method, time}]``: each residue test of the lot
                    or a lot it came from (the results are ``residues``)
``shipments``       ``[{shipment, origin, destination, set_point, tolerance, shipped,
                    receiver, received, readings}]`` (``received`` None while in transit)
``certificates``    ``[{number, time}]``: compliance certificates issued for the lot
``contact``         ``{phone, address, county}`` of the cooperative
``best_before``     ``{date, shelf_life_days}``: harvest date plus the profile's shelf life
``reason``          ``{code, text}``: why the lot is held, recalled or not yet released
                    (``phi``, ``precool``, ``residue``, ``transport``, ``hold``, ``recall``,
                    ``pending``); ``text`` is the hold's or recall's own words
==================  ===================================================================
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from traceability._facts import _State

__all__ = ["STORY_FACTS", "story_facts"]

#: The story facts, in display order (after traceability._facts' own).
STORY_FACTS = (
    "harvests",
    "inputs",
    "precool",
    "grade_band",
    "tests",
    "shipments",
    "certificates",
    "contact",
    "best_before",
    "reason",
)

Lot = tuple[str, str]
Entry = Mapping[str, Any]


def _ref(body: Mapping[str, Any]) -> Lot:
    return (str(body["gtin"]), str(body["lot"]))


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _by_time(readings: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    ordered = sorted(readings, key=lambda r: _time(r["time"]))
    return [{"time": str(r["time"]), "celsius": str(r["celsius"])} for r in ordered]


class _Rules:
    """The product and profile entries as they stood at each point of the walk."""

    def __init__(self) -> None:
        self.commodity_of: dict[str, str] = {}
        self.profile: dict[str, Mapping[str, Any]] = {}

    def see(self, kind: str, body: Mapping[str, Any]) -> None:
        if kind == "trace.product":
            self.commodity_of[str(body["gtin"])] = str(body["commodity"])
        elif kind == "trace.profile":
            self.profile[str(body["commodity"])] = body

    def of(self, commodity: str | None) -> Mapping[str, Any] | None:
        return None if commodity is None else self.profile.get(commodity)


def story_facts(s: _State, ordered: Sequence[Entry]) -> dict[str, tuple[Any, tuple[int, ...]]]:
    """Derive the story facts for the walk's lot from ``ordered`` (the entries, by seq).

    Args:
        s: The finished walk of :func:`traceability.derive_facts` (lineage, harvests,
            commodities, the status's cause).
        ordered: The entries ``{"seq", "kind", "body"}`` in log order.

    Returns:
        Each name of :data:`STORY_FACTS` -> (value, the entries it rests on).
    """
    lineage = s.lineage()
    rules = _Rules()
    out: dict[str, tuple[Any, list[int]]] = {
        "harvests": ([], []),
        "inputs": ([], []),
        "precool": ([], []),
        "shipments": ([], []),
        "certificates": ([], []),
        "tests": ([], []),
    }
    inputs: list[tuple[int, Entry]] = []
    cooling: dict[tuple[Lot, str], dict[str, Any]] = {}
    ships: dict[str, dict[str, Any]] = {}
    for entry in ordered:
        seq, kind, body = int(entry["seq"]), str(entry["kind"]), entry["body"]
        rules.see(kind, body)
        if kind == "trace.input":
            inputs.append((seq, body))
        elif kind == "trace.harvest" and _ref(body["lot"]) in lineage:
            _harvest(out, rules, seq, body, inputs)
        elif kind == "trace.grading":
            _grading(s, out, rules, seq, body)
        elif kind == "trace.cooling" and _ref(body["lot"]) in lineage:
            _cooling(s, out, rules, cooling, seq, body)
        elif kind == "trace.shipping":
            _shipping(s, out, rules, ships, seq, body)
        elif kind == "trace.receiving" and body["shipment"] in ships:
            line = ships[body["shipment"]]
            line["readings"] = _by_time([*line["readings"], *body.get("readings", [])])
            line["receiver"] = str(body["receiver"])
            if not body.get("more_readings"):
                line["received"] = str(body["time"])
            out["shipments"][1].append(seq)
        elif kind == "trace.residue" and _ref(body["lot"]) in lineage:
            test = {k: str(body[k]) for k in ("sample_id", "lab", "method", "time")}
            out["tests"][0].append({"lot": str(body["lot"]["lot"])} | test)
            out["tests"][1].append(seq)
        elif kind == "trace.certificate" and _ref(body["lot"]) == s.lot:
            out["certificates"][0].append({"number": seq, "time": str(body["time"])})
            out["certificates"][1].append(seq)
        elif kind == "trace.cooperative":
            contact = {k: body.get(k) for k in ("phone", "address", "county")}
            out["contact"] = (contact, [seq])
    out["best_before"] = _best_before(s, rules)
    cause = s.cause
    if cause is None and s.status == "active":
        cause = ("pending", None)
    reason = None if cause is None else {"code": cause[0], "text": cause[1]}
    out["reason"] = (reason, [] if reason is None else [s.status_seq])
    return {
        name: (out[name][0], tuple(out[name][1])) if name in out else (None, ())
        for name in STORY_FACTS
    }


def _harvest(
    out: dict[str, tuple[Any, list[int]]],
    rules: _Rules,
    seq: int,
    body: Mapping[str, Any],
    inputs: Sequence[tuple[int, Entry]],
) -> None:
    lot = _ref(body["lot"])
    out["harvests"][0].append(
        {
            "lot": lot[1],
            "plot": str(body["plot"]),
            "variety": str(body["variety"]),
            "time": str(body["time"]),
            "quantity": str(body["quantity"]),
            "unit": str(body.get("unit", "KGM")),
        }
    )
    out["harvests"][1].append(seq)
    profile = rules.of(rules.commodity_of.get(lot[0]))
    days_for = {} if profile is None else profile["pre_harvest_interval_days"]
    days_for = {str(k).lower(): int(v) for k, v in days_for.items()}
    when = _time(body["time"])
    for input_seq, applied in inputs:
        at = _time(applied["time"])
        if applied["plot"] != body["plot"] or at > when:
            continue
        waited = (when - at).total_seconds()
        pesticide = applied["category"] == "pesticide"
        phi = days_for.get(str(applied["active_substance"]).lower()) if pesticide else None
        out["inputs"][0].append(
            {
                "plot": str(applied["plot"]),
                "category": str(applied["category"]),
                "product": str(applied["product_name"]),
                "substance": str(applied["active_substance"]),
                "dose": str(applied["dose"]),
                "dose_unit": str(applied["dose_unit"]),
                "time": str(applied["time"]),
                "days_before_harvest": int(waited // 86400),
                "phi_days": phi,
                # The projection's rule: the interval must have run in full (seconds).
                "phi_kept": None if not pesticide else phi is not None and waited >= phi * 86400,
            }
        )
        out["inputs"][1].append(input_seq)


def _grading(
    s: _State, out: dict[str, tuple[Any, list[int]]], rules: _Rules, seq: int, body: Entry
) -> None:
    for graded in body["outputs"]:
        if _ref(graded["lot"]) != s.lot:
            continue
        profile = rules.of(s.commodity.get(s.lot))
        bands = [] if profile is None else profile["grades"]
        band = next((b for b in bands if b["name"] == graded["grade"]), None)
        if band is not None:
            value = {"grade": str(graded["grade"])} | {
                k: None if band.get(k) is None else str(band[k]) for k in ("min_mm", "max_mm")
            }
            out["grade_band"] = (value, [seq])


def _earliest_harvest(s: _State, lot: Lot) -> str | None:
    saved = s.lot
    s.lot = lot  # the lineage of the cooled lot, not of the scanned one
    try:
        lineage = s.lineage()
    finally:
        s.lot = saved
    times = [str(b["time"]) for k, (_, b) in s.harvests.items() if k in lineage]
    return min(times, key=_time) if times else None


def _cooling(
    s: _State,
    out: dict[str, tuple[Any, list[int]]],
    rules: _Rules,
    logs: dict[tuple[Lot, str], dict[str, Any]],
    seq: int,
    body: Entry,
) -> None:
    lot = _ref(body["lot"])
    harvested = _earliest_harvest(s, lot)
    profile = rules.of(s.commodity.get(lot))
    # A profile without a cold chain (nuts, honey) sets no band to reach: no pre-cooling step.
    if harvested is None or profile is None or profile.get("precool_min_celsius") is None:
        return
    key = (lot, str(body["site"]))
    if key not in logs:
        logs[key] = {"lot": lot[1], "site": key[1], "readings": []}
        out["precool"][0].append(logs[key])
    line = logs[key]
    low, high = str(profile["precool_min_celsius"]), str(profile["precool_max_celsius"])
    readings = _by_time([*line["readings"], *body["readings"]])
    first = next(
        (r for r in readings if Decimal(low) <= Decimal(r["celsius"]) <= Decimal(high)), None
    )
    reached = None
    if first is not None:
        reached = int((_time(first["time"]) - _time(harvested)).total_seconds() // 60)
    line.update(
        low=low,
        high=high,
        within_minutes=int(profile["precool_within_minutes"]),
        harvested=harvested,
        reached_minutes=reached,
        readings=readings,
    )
    out["precool"][1].append(seq)


def _shipping(
    s: _State,
    out: dict[str, tuple[Any, list[int]]],
    rules: _Rules,
    ships: dict[str, dict[str, Any]],
    seq: int,
    body: Entry,
) -> None:
    tolerance = None
    for ref in body["lots"]:
        profile = rules.of(s.commodity.get(_ref(ref)))
        if profile is not None:
            # A profile without a cold chain allows any temperature on the road: no band.
            allowed = profile.get("transport_tolerance_celsius")
            tolerance = None if allowed is None else str(allowed)
            break
    point = body.get("set_point_celsius")
    line: dict[str, Any] = {
        "shipment": str(body["shipment"]),
        "origin": str(body["origin"]),
        "destination": str(body["destination"]),
        "set_point": None if point is None else str(point),
        "tolerance": tolerance,
        "shipped": str(body["time"]),
        "receiver": None,
        "received": None,
        "readings": _by_time(body.get("readings", [])),
    }
    ships[line["shipment"]] = line
    out["shipments"][0].append(line)
    out["shipments"][1].append(seq)


def _best_before(s: _State, rules: _Rules) -> tuple[Any, list[int]]:
    # Harvest date (GS1 AI 7007) plus the profile's shelf life: the best-before (AI 15).
    profile = rules.of(s.commodity.get(s.lot))
    days = None if profile is None else profile.get("shelf_life_days")
    harvests = [(seq, str(b["time"])) for k, (seq, b) in s.harvests.items() if k in s.lineage()]
    if days is None or not harvests:
        return (None, [])
    first = min(t[:10] for _, t in harvests)
    value = {
        "date": (date.fromisoformat(first) + timedelta(days=int(days))).isoformat(),
        "shelf_life_days": int(days),
    }
    return (value, [seq for seq, _ in harvests])
