"""The facts a scan shows, re-derived from the ledger entries they rest on.

The page and its JSON show facts read from the projection (``trace_*`` tables), which anyone
who can write to the database can change. :func:`derive_facts` computes the same facts from
the signed statement bodies alone, with the projection's rules (lifecycle, residue verdicts,
pre-harvest interval, cold-chain findings, hold and recall propagation): a fact the page
shows is trusted only when the two agree.

This is the one derivation: the server's own check (``verifier_app/consumer/_check.py``) and
``agritrace verify`` call it; ``verifier_app/static/facts.js`` is its JavaScript twin for the
visitor's browser, and ``tests/verifier_app/vectors/facts.json`` holds the cases both must
pass. It lives here, not in the app, so that the command-line verifier needs no app code.

Entries are ``{"seq", "kind", "body"}`` in log order: every entry naming the lot or a lot it
came from, plus the master data and rule entries those rest on (product, farm, input,
profile, MRL table, cooperative). Facts are values only (no wording), so that any language
can show them:

======================  ===============================================================
``status``              the lifecycle status (``released``, ``on_hold``, ``recalled``, ...)
``product``             the product's name
``cooperative``         ``{name_zh, name_ug, name_en}`` from the latest cooperative entry
``origins``             ``[{plot, farm, grower, village, county}]`` of every harvest lot
``harvested``           the earliest harvest date (``YYYY-MM-DD``)
``grade``               the grade band of a graded lot
``quantity``            ``"<amount> <unit>"``
``packed``              the time of the first packing entry naming the lot
``residues``            ``[{substance, value, loq, limit, outcome, edition, lab, sample_id}]``
``cold_chain``          one line per pre-cooling log and per shipment
(the story)             the field-to-shelf facts of ``traceability/_story.py``
======================  ===============================================================
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from traceability._story import STORY_FACTS, story_facts

__all__ = [
    "ANALYSIS_GROUPS",
    "FACT_NAMES",
    "Fact",
    "Mismatch",
    "compare_facts",
    "derive_analyses",
    "derive_facts",
]

#: Every fact the page shows and the check compares, in display order.
FACT_NAMES = (
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
    *STORY_FACTS,
)

Lot = tuple[str, str]  # (gtin, lot code)


@dataclass(frozen=True)
class Fact:
    """A fact's value (JSON-shaped) and the ledger entries it was derived from."""

    value: Any
    entries: tuple[int, ...]


@dataclass(frozen=True)
class Mismatch:
    """A fact the page shows that the entries do not give."""

    fact: str
    shown: Any
    derived: Any


def _ref(body: Mapping[str, Any]) -> Lot:
    return (str(body["gtin"]), str(body["lot"]))


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)


@dataclass
class _State:
    """What the walk over the entries has learned so far (mutable while deriving)."""

    lot: Lot
    parents: dict[Lot, set[Lot]] = field(default_factory=dict)
    commodity: dict[Lot, str] = field(default_factory=dict)
    products: dict[str, tuple[int, Mapping[str, Any]]] = field(default_factory=dict)
    profiles: dict[str, tuple[int, Mapping[str, Any]]] = field(default_factory=dict)
    mrl: dict[str, tuple[int, Mapping[str, Any]]] = field(default_factory=dict)
    farm_of_plot: dict[str, tuple[int, Mapping[str, Any]]] = field(default_factory=dict)
    inputs: list[tuple[int, Mapping[str, Any]]] = field(default_factory=list)
    harvests: dict[Lot, tuple[int, Mapping[str, Any]]] = field(default_factory=dict)
    unit: dict[Lot, str] = field(default_factory=dict)
    cooling: dict[Lot, tuple[list[Mapping[str, Any]], bool]] = field(default_factory=dict)
    shipments: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    transport: dict[str, list[Mapping[str, Any]]] = field(default_factory=dict)
    status: str | None = None
    status_seq: int = -1
    #: Why the lot is in its status: (code, the entry's own words or None); see _story.py.
    cause: tuple[str, str | None] | None = None
    failed: bool = False
    passed: set[str] = field(default_factory=set)
    facts: dict[str, Fact] = field(default_factory=dict)

    def lineage(self) -> set[Lot]:
        """The lot and every lot it was made from."""
        seen, todo = set(), [self.lot]
        while todo:
            lot = todo.pop()
            if lot not in seen:
                seen.add(lot)
                todo += self.parents.get(lot, ())
        return seen

    def set_status(
        self, status: str, seq: int, cause: tuple[str, str | None] | None = None
    ) -> None:
        self.status, self.status_seq, self.cause = status, seq, cause

    def hold_forward(self, source: Lot, seq: int, cause: str, *, failed: bool = False) -> None:
        # A failing result or a cold-chain finding holds the lot and all made from it,
        # except what is already recalled or used up.
        if self.status is None or source not in self.lineage():
            return
        self.failed |= failed
        if self.status not in ("recalled", "consumed"):
            self.set_status("on_hold", seq, (cause, None))


def _latest(table: dict[str, tuple[int, Mapping[str, Any]]], name: str) -> tuple[int, Any]:
    if name not in table:
        raise ValueError(f"no entry for {name!r} among the lot's entries")
    return table[name]


def _verdict(result: Mapping[str, Any], limit: str | None) -> str:
    # traceability.rules.residue_verdict: no listed limit is never a pass; "<LOQ" passes
    # only when the method could see down to the limit.
    if limit is None:
        return "not_assessable"
    if result["value"] == "<LOQ":
        return "pass" if Decimal(result["loq"]) <= Decimal(limit) else "not_assessable"
    return "pass" if Decimal(result["value"]) <= Decimal(limit) else "fail"


def _precool_findings(
    profile: Mapping[str, Any],
    harvested: datetime,
    readings: Sequence[Mapping[str, Any]],
    complete: bool,
) -> list[str]:
    # traceability.rules.precool_findings, with each finding as a key rather than a sentence.
    if profile.get("precool_min_celsius") is None:
        return []  # a profile without pre-cooling limits (walnuts, honey) judges no log
    low, high = Decimal(profile["precool_min_celsius"]), Decimal(profile["precool_max_celsius"])
    deadline = harvested + timedelta(minutes=int(profile["precool_within_minutes"]))
    ordered = sorted(readings, key=lambda r: _time(r["time"]))
    first = next((r for r in ordered if low <= Decimal(r["celsius"]) <= high), None)
    if first is None or _time(first["time"]) > deadline:
        if not complete and all(_time(r["time"]) <= deadline for r in ordered):
            return []
        return ["late"]
    start = _time(first["time"])
    return [
        f"out|{r['time']}|{r['celsius']}"
        for r in ordered
        if _time(r["time"]) > start and not low <= Decimal(r["celsius"]) <= high
    ]


def _transport_findings(
    tolerance: Decimal, set_point: str | None, readings: Sequence[Mapping[str, Any]]
) -> set[str]:
    if set_point is None:
        return set()
    point = Decimal(set_point)
    return {
        f"{r['time']}|{r['celsius']}"
        for r in readings
        if abs(Decimal(r["celsius"]) - point) > tolerance
    }


def _phi_problem(s: _State, seq: int, body: Mapping[str, Any], profile: Mapping[str, Any]) -> bool:
    # The projection's harvest handler: every pesticide recorded on the plot before this
    # entry needs a listed interval, and one applied before the harvest needs it to have run.
    when = _time(body["time"])
    days_for = {k.lower(): v for k, v in profile["pre_harvest_interval_days"].items()}
    for input_seq, applied in s.inputs:
        if input_seq >= seq or applied["plot"] != body["plot"]:
            continue
        if applied["category"] != "pesticide":
            continue
        days = days_for.get(str(applied["active_substance"]).lower())
        at = _time(applied["time"])
        if days is None or (at <= when and (when - at).total_seconds() < days * 86400):
            return True
    return False


def _create(
    s: _State, lot: Lot, seq: int, status: str = "active", cause: str | None = None
) -> None:
    if lot == s.lot:
        s.set_status(status, seq, None if cause is None else (cause, None))


def _harvested(s: _State) -> datetime | None:
    times = [_time(b["time"]) for lot, (_, b) in s.harvests.items() if lot in s.lineage()]
    return min(times) if times else None


def _step(s: _State, seq: int, kind: str, body: Mapping[str, Any]) -> None:
    """Apply one entry to the walk (the projection's handlers, for one lot's status)."""
    if kind == "trace.product":
        s.products[body["gtin"]] = (seq, body)
    elif kind == "trace.profile":
        s.profiles[body["commodity"]] = (seq, body)
    elif kind == "trace.mrl":
        s.mrl[body["edition"]] = (seq, body)
    elif kind == "trace.farm":
        for plot in body["plots"]:
            s.farm_of_plot[plot] = (seq, body)
    elif kind == "trace.input":
        s.inputs.append((seq, body))
    elif kind == "trace.harvest":
        lot = _ref(body["lot"])
        s.commodity[lot] = _latest(s.products, lot[0])[1]["commodity"]
        s.harvests[lot] = (seq, body)
        s.unit[lot] = body.get("unit", "KGM")
        _, profile = _latest(s.profiles, s.commodity[lot])
        held = _phi_problem(s, seq, body, profile)
        _create(s, lot, seq, "on_hold" if held else "active", "phi" if held else None)
    elif kind == "trace.cooling":
        lot = _ref(body["lot"])
        harvested = _harvested_of(s, lot)
        if harvested is None:
            return
        before, complete = s.cooling.get(lot, ([], False))
        more = bool(body.get("more_readings"))
        now = [*before, *body["readings"]]
        s.cooling[lot] = (now, complete or not more)
        _, profile = _latest(s.profiles, s.commodity[lot])
        old = set(_precool_findings(profile, harvested, before, complete))
        if set(_precool_findings(profile, harvested, now, complete or not more)) - old:
            s.hold_forward(lot, seq, "precool")
    elif kind == "trace.grading":
        source = _ref(body["input"])
        if source == s.lot:
            s.set_status("consumed", seq)
        for out in body["outputs"]:
            lot = _ref(out["lot"])
            s.parents.setdefault(lot, set()).add(source)
            s.commodity[lot] = s.commodity.get(source, "")
            s.unit[lot] = s.unit.get(source, "KGM")
            _create(s, lot, seq)
            if lot == s.lot:
                s.facts["grade"] = Fact(out["grade"], (seq,))
                s.facts["quantity"] = Fact(f"{out['quantity']} {s.unit[lot]}", (seq,))
    elif kind == "trace.processing":
        out = _ref(body["output"])
        for ref in body["inputs"]:
            source = _ref(ref)
            s.parents.setdefault(out, set()).add(source)
            if source == s.lot:
                s.set_status("consumed", seq)
        s.commodity[out] = _latest(s.products, out[0])[1]["commodity"]
        s.unit[out] = body.get("unit", "KGM")
        _create(s, out, seq)
        if out == s.lot:
            s.facts["quantity"] = Fact(f"{body['quantity']} {s.unit[out]}", (seq,))
    elif kind == "trace.intake":
        # A lot taken in from another member's log: this log's own lot from here on.
        lot = _ref(body["lot"])
        s.commodity[lot] = _latest(s.products, lot[0])[1]["commodity"]
        s.unit[lot] = body.get("unit", "KGM")
        _create(s, lot, seq)
        if lot == s.lot:
            s.facts["quantity"] = Fact(f"{body['quantity']} {s.unit[lot]}", (seq,))
    elif kind == "trace.residue":
        _residue(s, seq, body)
    elif kind == "trace.packing":
        if s.lot in {_ref(r) for r in body["lots"]} and "packed" not in s.facts:
            s.facts["packed"] = Fact(str(body["time"]), (seq,))
    elif kind == "trace.shipping":
        s.shipments[body["shipment"]] = body
        if s.lot in {_ref(r) for r in body["lots"]}:
            s.set_status("shipped", seq)
    elif kind == "trace.receiving":
        _receiving(s, seq, body)
    elif kind == "trace.hold" and _ref(body["lot"]) == s.lot:
        s.set_status("on_hold", seq, ("hold", str(body["reason"])))
    elif kind == "trace.release" and _ref(body["lot"]) == s.lot:
        # The projection refuses a release after a failed result or without a passing
        # result for each required substance; a refused entry changes nothing.
        _, profile = _latest(s.profiles, s.commodity[s.lot])
        required = {str(x).lower() for x in profile["required_substances"]}
        if not s.failed and required <= s.passed:
            s.set_status("released", seq)
    elif kind == "trace.recall" and s.status is not None and _ref(body["lot"]) in s.lineage():
        s.set_status("recalled", seq, ("recall", str(body["reason"])))


def _harvested_of(s: _State, lot: Lot) -> datetime | None:
    saved = s.lot
    s.lot = lot  # the lineage of the cooled lot, not of the scanned one
    try:
        return _harvested(s)
    finally:
        s.lot = saved


def _residue(s: _State, seq: int, body: Mapping[str, Any]) -> None:
    lot = _ref(body["lot"])
    commodity = s.commodity[lot]
    _, profile = _latest(s.profiles, commodity)
    table_seq, table = _latest(s.mrl, profile["mrl_edition"])
    failed = False
    for result in body["results"]:
        substance = str(result["substance"])
        limit = next(
            (
                str(row["limit_mg_per_kg"])
                for row in table["rows"]
                if row["commodity"] == commodity
                and str(row["substance"]).lower() == substance.lower()
            ),
            None,
        )
        outcome = _verdict(result, limit)
        failed |= outcome == "fail"
        if lot in s.lineage():
            if outcome == "pass":
                s.passed.add(substance.lower())
            line = {
                "substance": substance,
                "value": str(result["value"]),
                "loq": str(result["loq"]),
                "limit": limit,
                "outcome": outcome,
                "edition": str(table["edition"]),
                "lab": str(body["lab"]),
                "sample_id": str(body["sample_id"]),
            }
            old = s.facts.get("residues", Fact([], ()))
            s.facts["residues"] = Fact([*old.value, line], (*old.entries, seq, table_seq))
    if failed:
        s.hold_forward(lot, seq, "residue", failed=True)


def _receiving(s: _State, seq: int, body: Mapping[str, Any]) -> None:
    shipment = s.shipments.get(body["shipment"])
    if shipment is None:
        return  # a shipment of no lot in this lineage
    final = not body.get("more_readings")
    before = s.transport.get(body["shipment"], [])
    now = [*before, *body.get("readings", [])]
    s.transport[body["shipment"]] = now
    lots = [_ref(r) for r in shipment["lots"]]
    if final and s.lot in lots and s.status != "on_hold":
        s.set_status("received", seq)
    for lot in set(lots) & s.lineage():
        _, profile = _latest(s.profiles, s.commodity[lot])
        if profile.get("transport_tolerance_celsius") is None:
            continue  # a profile without transport limits judges no logger
        tolerance = Decimal(profile["transport_tolerance_celsius"])
        point = shipment.get("set_point_celsius")
        old = _transport_findings(tolerance, point, before)
        if _transport_findings(tolerance, point, now) - old:
            s.hold_forward(lot, seq, "transport")


def _walk(entries: Sequence[Mapping[str, Any]], gtin: str, lot: str) -> tuple[_State, list[Any]]:
    s = _State((gtin, lot))
    ordered = sorted(entries, key=lambda e: int(e["seq"]))
    try:
        # The lineage first: a result on a harvest lot counts for the lots graded from it
        # later, as the projection's summary counts every result on the lot's ancestors.
        for entry in ordered:
            body = entry["body"]
            if entry["kind"] == "trace.grading":
                for out in body["outputs"]:
                    s.parents.setdefault(_ref(out["lot"]), set()).add(_ref(body["input"]))
            elif entry["kind"] == "trace.processing":
                for ref in body["inputs"]:
                    s.parents.setdefault(_ref(body["output"]), set()).add(_ref(ref))
        for entry in ordered:
            _step(s, int(entry["seq"]), str(entry["kind"]), entry["body"])
    except KeyError as e:
        raise ValueError(f"an entry lacks the member {e.args[0]!r}") from e
    return s, ordered


def derive_facts(entries: Sequence[Mapping[str, Any]], gtin: str, lot: str) -> dict[str, Fact]:
    """Derive the facts about lot ``(gtin, lot)`` from ``entries``, in log order.

    Args:
        entries: ``{"seq": int, "kind": str, "body": dict}`` for every entry the lot's facts
            rest on (see the module docstring), in any order; they are walked by ``seq``.
        gtin: The lot's GTIN-14.
        lot: The lot code.

    Returns:
        Every fact of :data:`FACT_NAMES`; a fact the entries do not give has value None.

    Raises:
        ValueError: the entries lack one that a listed entry needs (a product, a profile, an
            MRL table), naming it.
    """
    s, ordered = _walk(entries, gtin, lot)
    return _finish(s, ordered)


#: The kinds analyses are grouped under, in display order (``traceability.rules``'s
#: ``ANALYSIS_KINDS``; repeated here so the command-line verifier needs no rule code).
ANALYSIS_GROUPS = ("pesticide_residue", "mycotoxin", "veterinary_drug", "heavy_metal", "quality")


def derive_analyses(entries: Sequence[Mapping[str, Any]], gtin: str, lot: str) -> Fact:
    """Derive the lot's analyses grouped by kind, and its quality readings (issue 14).

    Not one of :data:`FACT_NAMES` (so the page's check is unchanged until a page shows it):
    a page that shows analyses by kind takes them from here. The value is
    ``{"groups": [{"kind", "results": [residue line ...]}], "quality": [{indicator, value,
    unit, needs}]}``: each residue line of :func:`derive_facts` under the kind the lot's
    commodity profile gives its substance (``analysis_kinds``; unlisted: pesticide
    residue), groups in :data:`ANALYSIS_GROUPS` order, empty ones left out; ``quality`` the
    indicators measured when the lot (or the lot it was graded from) was graded, with the
    unit and the grade's bound from the profile (``needs``, None when the grade sets none).

    Raises:
        ValueError: as :func:`derive_facts`.
    """
    s, ordered = _walk(entries, gtin, lot)
    facts = _finish(s, ordered)
    commodity = s.commodity.get(s.lot)
    if not commodity or commodity not in s.profiles:
        return Fact({"groups": [], "quality": []}, ())
    profile_seq, profile = s.profiles[commodity]
    kinds = {str(k).lower(): str(v) for k, v in profile.get("analysis_kinds", {}).items()}
    groups: dict[str, list[Any]] = {}
    for line in facts["residues"].value or []:
        kind = kinds.get(str(line["substance"]).lower(), "pesticide_residue")
        groups.setdefault(kind, []).append(line)
    quality, seqs = _quality_readings(s, ordered, profile)
    value = {
        "groups": [{"kind": k, "results": groups[k]} for k in ANALYSIS_GROUPS if k in groups],
        "quality": quality,
    }
    return Fact(value, (*facts["residues"].entries, profile_seq, *seqs))


def _quality_readings(
    s: _State, ordered: Sequence[Mapping[str, Any]], profile: Mapping[str, Any]
) -> tuple[list[dict[str, Any]], list[int]]:
    units = {str(i["name"]): str(i["unit"]) for i in profile.get("indicators", [])}
    lineage = s.lineage()
    out, seqs = [], []
    for entry in ordered:
        if entry["kind"] != "trace.grading":
            continue
        for graded in entry["body"]["outputs"]:
            if _ref(graded["lot"]) not in lineage or not graded.get("quality"):
                continue
            band: Mapping[str, Any] = next(
                (g for g in profile["grades"] if g["name"] == graded["grade"]), {}
            )
            bounds = {str(b["indicator"]): b for b in band.get("thresholds", [])}
            seqs.append(int(entry["seq"]))
            # By indicator within a grading, as the projection lists them.
            for q in sorted(graded["quality"], key=lambda q: str(q["indicator"])):
                unit = units.get(str(q["indicator"]), "")
                out.append(
                    {
                        "indicator": str(q["indicator"]),
                        "value": str(q["value"]),
                        "unit": unit,
                        "needs": _bound_text(bounds.get(str(q["indicator"])), unit),
                    }
                )
    return out, seqs


def _bound_text(bound: Mapping[str, Any] | None, unit: str) -> str | None:
    # traceability.rules.Threshold.text
    if bound is None:
        return None
    if bound.get("max") is None:
        return f">= {bound['min']} {unit}"
    if bound.get("min") is None:
        return f"<= {bound['max']} {unit}"
    return f"{bound['min']}-{bound['max']} {unit}"


def _finish(s: _State, ordered: Sequence[Mapping[str, Any]]) -> dict[str, Fact]:
    lineage = s.lineage()
    facts = dict(s.facts)
    facts.setdefault("residues", Fact([], ()))
    facts["status"] = Fact(s.status, () if s.status is None else (s.status_seq,))
    product = s.products.get(s.lot[0])
    facts["product"] = Fact(
        None if product is None else product[1]["name"], () if product is None else (product[0],)
    )
    coops = [e for e in ordered if e["kind"] == "trace.cooperative"]
    if coops:
        body = coops[-1]["body"]
        names = {k: body.get(k) for k in ("name_zh", "name_ug", "name_en")}
        facts["cooperative"] = Fact(names, (int(coops[-1]["seq"]),))
    origins, seqs, times = [], [], []
    for lot in sorted(lineage & set(s.harvests)):
        seq, body = s.harvests[lot]
        times.append(str(body["time"]))
        seqs.append(seq)
        if body["plot"] in s.farm_of_plot:
            farm_seq, farm = s.farm_of_plot[body["plot"]]
            seqs.append(farm_seq)
            origins.append(
                {
                    "plot": body["plot"],
                    "farm": farm["farm"],
                    "grower": farm["grower"],
                    "village": farm["village"],
                    "county": farm["county"],
                }
            )
    facts["origins"] = Fact(origins, tuple(seqs))
    facts["harvested"] = Fact(min(times)[:10] if times else None, tuple(seqs))
    if s.lot in s.harvests:
        seq, body = s.harvests[s.lot]
        facts["quantity"] = Fact(f"{body['quantity']} {body.get('unit', 'KGM')}", (seq,))
    facts["cold_chain"] = _cold_chain(ordered)
    for name, (value, seqs_of) in story_facts(s, ordered).items():
        facts[name] = Fact(value, seqs_of)
    return {name: facts.get(name, Fact(None, ())) for name in FACT_NAMES}


def _range(readings: Sequence[Mapping[str, Any]]) -> str:
    values = sorted(Decimal(r["celsius"]) for r in readings)
    return f"{values[0]} to {values[-1]} °C" if values else "no readings"


def _cold_chain(ordered: Sequence[Mapping[str, Any]]) -> Fact:
    # The same lines as traceability's lot summary: one per pre-cooling log and shipment.
    logs: dict[tuple[str, ...], list[Mapping[str, Any]]] = {}
    lines: dict[tuple[str, ...], str] = {}
    seqs: list[int] = []
    for entry in ordered:
        kind, body = entry["kind"], entry["body"]
        key: tuple[str, ...]
        if kind == "trace.cooling":
            key = ("cooling", body["lot"]["gtin"], body["lot"]["lot"], body["site"])
            readings = logs.setdefault(key, [])
            readings += body["readings"]
            last = readings[0]
            for r in readings[1:]:
                if r["time"] > last["time"]:
                    last = r
            when = str(last["time"])[:16].replace("T", " ")
            lines[key] = (
                f"pre-cooling at {body['site']}: core {last['celsius']} °C at {when} "
                f"({len(readings)} readings, {_range(readings)})"
            )
        elif kind == "trace.shipping":
            point = body.get("set_point_celsius")
            at = f" at set point {point} °C" if point is not None else ""
            key = ("shipping", body["shipment"])
            lines[key] = f"shipment {body['shipment']} to {body['destination']}{at}"
        elif kind == "trace.receiving":
            key = ("receiving", body["shipment"])
            readings = logs.setdefault(key, [])
            readings += body.get("readings", [])
            logger = f"logger {_range(readings)} ({len(readings)} readings)"
            if body.get("more_readings"):
                lines[key] = f"in transit {body['shipment']}: {logger} so far"
            else:
                when = str(body["time"])[:16].replace("T", " ")
                lines[key] = f"received {body['shipment']} at {body['receiver']} {when}: {logger}"
        else:
            continue
        seqs.append(int(entry["seq"]))
    return Fact(list(lines.values()), tuple(seqs))


def _canonical(value: Any) -> str:
    # Lists compare as multisets: the projection does not promise an order within a fact.
    if isinstance(value, list):
        return json.dumps(sorted(_canonical(v) for v in value), ensure_ascii=False)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def compare_facts(shown: Mapping[str, Any], derived: Mapping[str, Fact]) -> list[Mapping[str, Any]]:
    """Return every fact whose shown value differs from the derived one (empty: all agree).

    Args:
        shown: Fact name -> the value the page shows (JSON-shaped).
        derived: What :func:`derive_facts` gave for the same lot.
    """
    return [
        {"fact": name, "shown": shown.get(name), "derived": derived[name].value}
        for name in FACT_NAMES
        if _canonical(shown.get(name)) != _canonical(derived[name].value)
    ]
