"""Export ledger events as an EPCIS 2.0 JSON-LD document (valid against the 2.0.1 schema).

Mapping (CBV 2.0 has no harvesting, cooling or grading step, see shared/standards/README):

==============  ======================================  ============  =====================
entry           EPCIS event                             bizStep       disposition
==============  ======================================  ============  =====================
harvest         ObjectEvent ADD, quantity, ILMD         commissioning active
cooling         ObjectEvent OBSERVE, Temperature/CEL    storing       (unchanged)
                (a part: agt:moreReadings true)
grading         TransformationEvent                     <origin>/voc/grading  active
residue test    ObjectEvent OBSERVE, agt:residueResults inspecting    (unchanged)
                (each with agt:analysisKind)
training        ObjectEvent OBSERVE, farm readPoint     <origin>/voc/training  (none)
assessment      ObjectEvent OBSERVE, farm readPoint     <origin>/voc/assessing (none)
sample          ObjectEvent OBSERVE, agt:takenBy        sampling      (unchanged)
packing         AggregationEvent ADD                    packing       (unchanged)
shipping        ObjectEvent OBSERVE, source/dest        shipping      in_transit
receiving       ObjectEvent OBSERVE, logger readings    receiving     in_progress
receiving part  ObjectEvent OBSERVE, agt:moreReadings    sensor_reporting  in_transit
intake          ObjectEvent OBSERVE, sourceList, the    receiving     in_progress
                source log's agt:sourceEntry/LeafHash
processing      TransformationEvent                     <origin>/voc/processing active
hold            ObjectEvent OBSERVE                     holding       non_sellable_other
release         ObjectEvent OBSERVE                     (none)        sellable_accessible
recall          ObjectEvent OBSERVE                     (none)        recalled
==============  ======================================  ============  =====================

Master data in the header: the cooperative and every enrolled lab as ``Party`` elements (a
lab's accreditation number, its enrolment and approval entries), and the sampling plans as
``<origin>/voc/SamplingPlan`` elements. A residue result names its lab party
(``agt:labParty``, from the approved signing key) and who took its sample (``agt:takenBy``).

Identifiers: lots are GS1 Digital Link URIs (EPCIS 2.0 accepts them as EPC classes); plots,
sites, parties and units are URIs under the log's origin. ``eventID`` is the CBV 2.0
event hash (``ni:///sha-256;…?ver=CBV2.0``, :mod:`traceability.exports._event_hash`), and
``agt:ledgerEntry`` the ledger entry's URI, so every exported event points at the signed,
hash-chained original.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ledger import Record, format_time
from traceability.events._complaints import Complaint, Decision
from traceability.events._events import (
    Assessment,
    Cooling,
    Grading,
    Harvest,
    Hold,
    LotRef,
    Packing,
    Processing,
    Reading,
    Recall,
    Receiving,
    Release,
    ResidueTest,
    Shipping,
    Training,
)
from traceability.events._ids import epc_class, lot_key, unit_uri
from traceability.events._intake import Intake
from traceability.events._model import Model
from traceability.events._sampling import Sample
from traceability.exports._epcis_master import lab_parties, plan_elements
from traceability.exports._event_hash import event_hash
from traceability.projection._apply import parse_event
from traceability.projection._export_reads import ExportSnapshot

__all__ = ["EPCIS_CONTEXT", "build_document"]

#: The EPCIS 2.0 JSON-LD context every document names first.
EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"


def _number(value: Decimal) -> int | float:
    # The schema's "decimal" is a JSON number; the ledger keeps the exact decimal string.
    return int(value) if value == value.to_integral_value() else float(value)


def _offset(moment: datetime) -> str:
    text = moment.isoformat()
    return "+00:00" if text.endswith(("Z", "+00:00")) else text[-6:]


class _Mapper:
    def __init__(self, origin: str, reads: ExportSnapshot) -> None:
        self.base = f"https://{origin.rstrip('/')}"
        self.reads = reads

    def uri(self, kind: str, local: str) -> str:
        return f"{self.base}/{kind}/{local}"

    def quantities(
        self, refs: Iterable[LotRef], amounts: Iterable[Decimal | None] = (), uom: str = "KGM"
    ) -> list[dict[str, Any]]:
        out = []
        amounts = list(amounts)
        for i, ref in enumerate(refs):
            element: dict[str, Any] = {"epcClass": epc_class(ref.gtin, ref.lot)}
            if i < len(amounts) and amounts[i] is not None:
                element |= {"quantity": _number(amounts[i]), "uom": uom}  # type: ignore[arg-type]
            out.append(element)
        return out

    def sensors(self, readings: tuple[Reading, ...]) -> list[dict[str, Any]]:
        if not readings:
            return []
        reports = [
            {
                "type": "Temperature",
                "value": _number(r.celsius),
                "uom": "CEL",
                "time": r.time.isoformat(),
            }
            for r in sorted(readings, key=lambda r: r.time)
        ]
        return [{"sensorReport": reports}]

    def cooperative(self) -> dict[str, Any] | None:
        """The cooperative as EPCIS master data (a Party), from the projection, or None."""
        row = self.reads.cooperative()
        if row is None:
            return None
        # A GLN names the party world-wide (GS1 Digital Link AI 417, party GLN); without one
        # the cooperative is a URI under the log's origin, like its sites.
        party = f"https://id.gs1.org/417/{row.gln}" if row.gln else self.uri("party", "cooperative")
        mda = "urn:epcglobal:cbv:mda#"
        # CBV's name is one string: the registered (Chinese) name; the other languages and the
        # county have no CBV attribute, so they are the cooperative's own terms.
        values = [
            (f"{mda}name", row.name_zh),
            (self.uri("voc", "name_ug"), row.name_ug),
            (self.uri("voc", "name_en"), row.name_en),
            (f"{mda}streetAddressOne", row.address),
            (self.uri("voc", "county"), row.county),
            (self.uri("voc", "ledgerEntry"), self.uri("entry", str(row.seq))),
        ]
        attributes = [{"id": k, "attribute": v} for k, v in values if v is not None]
        return {"id": party, "attributes": attributes}

    def lot_quantity(self, key: str) -> Decimal | None:
        row = self.reads.lot(key)
        return None if row is None else Decimal(row.quantity)

    def event(self, entry: Record, event: Model) -> dict[str, Any] | None:
        body = self._body(entry, event)
        time = getattr(event, "time", None)
        if body is None or not isinstance(time, datetime):
            return None  # master data and rule tables are not EPCIS events
        out: dict[str, Any] = {
            "eventTime": time.isoformat(),
            "recordTime": entry.log_time,
            "eventTimeZoneOffset": _offset(time),
            # The signed, hash-chained original; part of the event, so part of its hash.
            "agt:ledgerEntry": self.uri("entry", str(entry.seq)),
        } | body
        # CBV 2.0 hash-based ID: a partner recomputes it from the event to deduplicate.
        return {"eventID": event_hash(out, {"agt": self.uri("voc", "")})} | out

    def _body(self, entry: Record, e: Model) -> dict[str, Any] | None:
        obs: dict[str, Any] = {"type": "ObjectEvent", "action": "OBSERVE"}
        if isinstance(e, Harvest):
            return {
                "type": "ObjectEvent",
                "action": "ADD",
                "bizStep": "commissioning",
                "disposition": "active",
                "quantityList": self.quantities([e.lot], [e.quantity], e.unit),
                "readPoint": {"id": self.uri("plot", e.plot)},
                "ilmd": {
                    "agt:plot": e.plot,
                    "agt:variety": e.variety,
                    "agt:harvestTime": e.time.isoformat(),
                },
            }
        if isinstance(e, Cooling):
            return obs | {
                "bizStep": "storing",
                "quantityList": self.quantities([e.lot]),
                "readPoint": {"id": self.uri("site", e.site)},
                "sensorElementList": self.sensors(e.readings),
                **({"agt:moreReadings": True} if e.more_readings else {}),
            }
        if isinstance(e, Grading | Processing):
            if isinstance(e, Grading):
                inputs, outputs = [e.input], [o.lot for o in e.outputs]
                amounts = [o.quantity for o in e.outputs]
                step = "grading"
                ilmd = _grading_ilmd(e)
                uom = "KGM"
            else:
                inputs, outputs, amounts, step, uom = (
                    list(e.inputs),
                    [e.output],
                    [e.quantity],
                    "processing",
                    e.unit,
                )
                ilmd = {"agt:process": e.process}
            return {
                "type": "TransformationEvent",
                "bizStep": self.uri("voc", step),
                "disposition": "active",
                "inputQuantityList": self.quantities(inputs),
                "outputQuantityList": self.quantities(outputs, amounts, uom),
                **({"readPoint": {"id": self.uri("site", e.site)}} if e.site else {}),
                "ilmd": ilmd,
            }
        if isinstance(e, ResidueTest):
            verdicts = self.reads.entry_results(entry.seq)
            results = []
            for r in e.results:
                v = verdicts.get(r.substance)
                item = {
                    "agt:substance": r.substance,
                    "agt:value": r.to_body()["value"],
                    "agt:loq": format(r.loq, "f"),
                    "agt:unit": r.unit,
                    # The profile's kind for the substance (pesticide residue, mycotoxin,
                    # veterinary drug, heavy metal, quality).
                    "agt:analysisKind": self.reads.analysis_kind(
                        lot_key(e.lot.gtin, e.lot.lot), r.substance
                    ),
                }
                if v is not None:
                    item |= {
                        "agt:verdict": v.outcome,
                        "agt:mrl": v.limit,
                        "agt:ruleEntry": self.uri("entry", str(v.rule_seq)),
                    }
                results.append(item)
            source = self.reads.entry_source(entry.seq)
            named = (
                {}
                if source is None
                else {
                    "agt:labParty": self.uri("party", source.lab),
                    "agt:takenBy": source.taken_by,
                }
            )
            return obs | {
                "bizStep": "inspecting",
                "quantityList": self.quantities([e.lot]),
                "agt:sampleID": e.sample_id,
                "agt:lab": e.lab,
                "agt:method": e.method,
                "agt:residueResults": results,
                **named,
            }
        if isinstance(e, Sample):
            # CBV 2.0 "sampling"; a regulator's pre-sample (抽检) says so in agt:takenBy.
            return obs | {
                "bizStep": "sampling",
                "quantityList": self.quantities([e.lot]),
                "agt:sampleID": e.sample_id,
                "agt:takenBy": e.taken_by,
                "agt:sampler": e.sampler,
                "agt:analyses": list(e.analyses),
                **({"agt:labParty": self.uri("party", e.lab)} if e.lab else {}),
            }
        if isinstance(e, Packing):
            return {
                "type": "AggregationEvent",
                "action": "ADD",
                "bizStep": "packing",
                "parentID": self.uri("unit", e.unit_id),
                "childQuantityList": self.quantities(e.lots),
                **(
                    {"childEPCs": [unit_uri(u.gtin, u.lot, u.serial) for u in e.units]}
                    if e.units
                    else {}
                ),
                "readPoint": {"id": self.uri("site", e.site)},
            }
        if isinstance(e, Shipping):
            event: dict[str, Any] = obs | {
                "bizStep": "shipping",
                "disposition": "in_transit",
                "quantityList": self.quantities(e.lots),
                "sourceList": [{"type": "location", "source": self.uri("site", e.origin)}],
                "destinationList": [
                    {"type": "location", "destination": self.uri("site", e.destination)}
                ],
                "agt:shipment": self.uri("shipment", e.shipment),
            }
            if e.set_point_celsius is not None:
                event["agt:setPointCelsius"] = format(e.set_point_celsius, "f")
            if e.readings:
                event["sensorElementList"] = self.sensors(e.readings)
            return event
        if isinstance(e, Receiving):
            keys = self.reads.shipment_lots(e.shipment)
            lots = [{"epcClass": epc_class(gtin, lot)} for gtin, lot in keys]
            if e.more_readings:
                # A part of a long transport log, ahead of the receipt: readings of lots
                # still in transit, not a receiving (partners would take it for arrival).
                event = obs | {
                    "bizStep": "sensor_reporting",
                    "disposition": "in_transit",
                    "quantityList": lots,
                    "agt:shipment": self.uri("shipment", e.shipment),
                    "agt:receiver": self.uri("site", e.receiver),
                    "agt:moreReadings": True,
                }
            else:
                event = obs | {
                    "bizStep": "receiving",
                    "disposition": "in_progress",
                    "quantityList": lots,
                    "bizLocation": {"id": self.uri("site", e.receiver)},
                    "agt:shipment": self.uri("shipment", e.shipment),
                }
                if e.quantity is not None:
                    # What arrived as weighed at the receiver (the shipment's loss is read
                    # against it); a quantityList entry would name a lot, this names none.
                    event["agt:receivedQuantity"] = {
                        "quantity": format(e.quantity, "f"),
                        "uom": e.unit or "KGM",
                    }
            if e.readings:
                event["sensorElementList"] = self.sensors(e.readings)
            return event
        if isinstance(e, Intake):
            # A receiving whose shipping is in another log: the source entry is named by its
            # own log's URI space (https://<source origin>/entry/<seq>) and leaf hash.
            log = f"https://{e.source_log.rstrip('/')}"
            return obs | {
                "bizStep": "receiving",
                "disposition": "in_progress",
                "quantityList": self.quantities([e.lot], [e.quantity], e.unit),
                "bizLocation": {"id": self.uri("site", e.site)},
                "sourceList": [{"type": "possessing_party", "source": log}],
                "agt:sourceLog": e.source_log,
                "agt:sourceEntry": f"{log}/entry/{e.source_seq}",
                "agt:sourceLeafHash": e.source_leaf,
                "agt:sourceShipment": f"{log}/shipment/{e.source_shipment}",
                "agt:sourceLot": {"epcClass": epc_class(e.source_lot.gtin, e.source_lot.lot)},
            }
        if isinstance(e, Hold | Release | Recall):
            if isinstance(e, Hold):
                disposition = "non_sellable_other"
            elif isinstance(e, Release):
                disposition = "sellable_accessible"
            else:
                disposition = "recalled"
            event = obs | {"disposition": disposition, "quantityList": self.quantities([e.lot])}
            if isinstance(e, Hold):
                event["bizStep"] = "holding"
            event["agt:reason"] = e.note if isinstance(e, Release) else e.reason
            return event
        if isinstance(e, Complaint | Decision):
            return self._post_trace(e)
        if isinstance(e, Training | Assessment):
            return _qualification(self, e)
        return None  # master data and rule tables are not EPCIS events

    def _post_trace(self, e: Complaint | Decision) -> dict[str, Any]:
        """A complaint or a decision: an OBSERVE of the lot with the project's own bizStep.

        CBV 2.0 has no business step for either, so each has one in the ``agt`` vocabulary
        (EPCIS allows a URI there). A decision carries the disposition its action gives;
        a complaint's contact is never exported (only whether one was left).
        """
        event: dict[str, Any] = {
            "type": "ObjectEvent",
            "action": "OBSERVE",
            "quantityList": self.quantities([e.lot]),
        }
        if isinstance(e, Complaint):
            event |= {
                "bizStep": self.uri("voc", "complaint"),
                "agt:category": e.category,
                "agt:text": e.text,
                "agt:language": e.language,
                "agt:contactLeft": e.contact_sha256 is not None,
            }
            if e.serial is not None:
                event["agt:serial"] = e.serial
            return event
        disposition = {"recall": "recalled", "hold": "non_sellable_other"}.get(e.action)
        if disposition is not None:
            event["disposition"] = disposition
        return event | {
            "bizStep": self.uri("voc", "decision"),
            "agt:complaint": self.uri("entry", str(e.complaint)),
            "agt:action": e.action,
            "agt:rule": e.rule,
            "agt:reason": e.reason,
        }


def _grading_ilmd(e: Grading) -> dict[str, Any]:
    """The grading's per-lot data; kept so an import rebuilds the same grading event."""
    keys = [(lot_key(o.lot.gtin, o.lot.lot), o) for o in e.outputs]
    ilmd: dict[str, Any] = {"agt:grades": {k: o.grade for k, o in keys}}
    values = {
        "agt:sizesMm": {k: o.sizes_mm for k, o in keys if o.sizes_mm},
        "agt:measures": {k: o.measures for k, o in keys if o.measures},
    }
    for name, per_lot in values.items():
        if per_lot or name == "agt:sizesMm":
            ilmd[name] = {k: [format(v, "f") for v in vs or ()] for k, vs in per_lot.items()}
    quality = {
        k: {q.indicator: format(q.value, "f") for q in o.quality} for k, o in keys if o.quality
    }
    if quality:
        ilmd["agt:quality"] = quality
    return ilmd


def _qualification(mapper: _Mapper, e: Training | Assessment) -> dict[str, Any]:
    """A grower's training or assessment: an observation at the farm, about no lot."""
    event: dict[str, Any] = {
        "type": "ObjectEvent",
        "action": "OBSERVE",
        "epcList": [],
        "readPoint": {"id": mapper.uri("farm", e.farm)},
        "agt:grower": e.grower,
    }
    if isinstance(e, Training):
        return event | {
            "bizStep": mapper.uri("voc", "training"),
            "agt:course": e.course,
            "agt:hours": format(e.hours, "f"),
            "agt:trainer": e.trainer,
        }
    return event | {
        "bizStep": mapper.uri("voc", "assessing"),
        "agt:assessment": e.assessment,
        "agt:topic": e.topic,
        "agt:outcome": e.outcome,
        **({"agt:validUntil": e.valid_until.isoformat()} if e.valid_until else {}),
        "agt:assessor": e.assessor,
    }


def build_document(
    entries: Iterable[Record],
    origin: str,
    reads: ExportSnapshot,
    created: datetime | None = None,
) -> dict[str, Any]:
    """Return an EPCIS 2.0 document holding the event entries among ``entries``."""
    mapper = _Mapper(origin, reads)
    events = []
    for entry in entries:
        statement = entry.statement
        if not statement.kind.startswith("trace."):
            continue
        event = mapper.event(entry, parse_event(statement.kind, statement.body))
        if event is not None:
            events.append(event)
    document: dict[str, Any] = {
        "@context": [EPCIS_CONTEXT, {"agt": mapper.uri("voc", "")}],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": format_time(created or datetime.now(UTC)),
    }
    labs = lab_parties(reads, mapper.uri)
    parties = [p for p in [mapper.cooperative(), *labs] if p is not None]
    vocabularies = []
    if parties:
        vocabularies.append(
            {"type": "urn:epcglobal:epcis:vtype:Party", "vocabularyElementList": parties}
        )
    plans = plan_elements(reads, mapper.uri)
    if plans:
        vocabularies.append(
            {"type": mapper.uri("voc", "SamplingPlan"), "vocabularyElementList": plans}
        )
    if vocabularies:
        document["epcisHeader"] = {"epcisMasterData": {"vocabularyList": vocabularies}}
    return document | {"epcisBody": {"eventList": events}}


def to_json(document: dict[str, Any]) -> str:
    """Serialise a document for the wire (UTF-8, keys as built)."""
    return json.dumps(document, ensure_ascii=False, indent=2)
