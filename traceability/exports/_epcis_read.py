"""Map one EPCIS 2.0 event to the domain event it records (the reverse of ``_epcis``).

Which event becomes which model is decided by type, action, bizStep and disposition, as in
the table of :mod:`traceability.exports._epcis`; anything else is refused with the field and why.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from traceability.events._events import (
    Cooling,
    Grading,
    Harvest,
    Hold,
    Packing,
    Processing,
    Recall,
    Receiving,
    Release,
    ResidueTest,
    Shipping,
)
from traceability.events._intake import Intake
from traceability.events._model import Model
from traceability.events._quality import Assessment, Training
from traceability.exports._epcis_terms import (
    Unsupported,
    decimal_text,
    get,
    local_id,
    lot_of,
    text,
    unit_of,
)

__all__ = ["EventReader"]

_CBV_PREFIXES = (
    "urn:epcglobal:cbv:bizstep:",
    "urn:epcglobal:cbv:disp:",
    "https://ref.gs1.org/cbv/BizStep-",
    "https://ref.gs1.org/cbv/Disp-",
    "cbv:BizStep-",
    "cbv:Disp-",
)


def _time(event: dict[str, Any]) -> str:
    # The event happened at eventTime in the zone eventTimeZoneOffset names; the domain
    # keeps the local offset (EPCIS and FSMA 204 both need it).
    moment = datetime.fromisoformat(str(event["eventTime"]).replace("Z", "+00:00"))
    # The schema guarantees the offset's shape: [+-]HH:MM.
    zone = str(event["eventTimeZoneOffset"])
    sign, hours, minutes = zone[0], zone[1:3], zone[4:6]
    offset = timedelta(hours=int(hours), minutes=int(minutes)) * (-1 if sign == "-" else 1)
    return moment.astimezone(timezone(offset)).isoformat()


class EventReader:
    """Maps events of documents exported from (or for) the ledger at ``base``."""

    def __init__(self, base: str) -> None:
        self.base = base

    def term(self, event: dict[str, Any], name: str) -> str | None:
        """Return the CBV term of ``event[name]`` without its vocabulary prefix, or None."""
        value = event.get(name)
        if not isinstance(value, str):
            return None
        if value.startswith(f"{self.base}/voc/"):
            return "agt:" + value[len(self.base) + 5 :]
        for prefix in _CBV_PREFIXES:
            if value.startswith(prefix):
                return value[len(prefix) :]
        return value

    def lots(self, event: dict[str, Any], name: str) -> list[dict[str, str]]:
        """Return the lots (GTIN and lot code) an event's ``name`` list names."""
        if event.get("epcList") and name == "quantityList":
            return [lot_of(event["epcList"][0], "epcList[0]")]  # refuses with the reason
        items = get(event, name)
        return [lot_of(q.get("epcClass"), f"{name}[{i}].epcClass") for i, q in enumerate(items)]

    def one_lot(self, e: dict[str, Any]) -> dict[str, str]:
        """Return the event's single lot; refuse an event that names none or several."""
        lots = self.lots(e, "quantityList")
        if len(lots) != 1:
            raise Unsupported("quantityList", f"expected exactly one lot, got {len(lots)}")
        return lots[0]

    def readings(self, event: dict[str, Any]) -> list[dict[str, str]]:
        """Return the event's temperature readings as the domain's reading bodies."""
        out = []
        for i, element in enumerate(event.get("sensorElementList", [])):
            meta_time = element.get("sensorMetadata", {}).get("time")
            for j, report in enumerate(element.get("sensorReport", [])):
                field = f"sensorElementList[{i}].sensorReport[{j}]"
                if str(report.get("type", "")).rsplit("/", 1)[-1].split(":")[-1] != "Temperature":
                    raise Unsupported(
                        f"{field}.type", f"{report.get('type')!r}: only Temperature is kept"
                    )
                if report.get("uom") != "CEL" or "value" not in report:
                    raise Unsupported(
                        field, f"expected a value in CEL, got uom {report.get('uom')!r}"
                    )
                when = report.get("time") or meta_time or event["eventTime"]
                celsius = decimal_text(report["value"], f"{field}.value")
                out.append({"time": _time(event | {"eventTime": when}), "celsius": celsius})
        return out

    def site(self, event: dict[str, Any], name: str = "readPoint") -> str:
        """Return the local site id of the event's ``name`` location (read point by default)."""
        return local_id(get(event, name).get("id"), f"{name}.id", self.base, "site")

    def event(self, e: Any) -> Model:
        """Return the domain event for EPCIS event ``e`` or raise :class:`Unsupported`."""
        if not isinstance(e, dict):
            raise Unsupported("(event)", f"expected an event object, got {type(e).__name__}")
        if "errorDeclaration" in e:
            raise Unsupported(
                "errorDeclaration",
                "corrections of earlier events are not imported: the ledger is append-only "
                "and corrections are recorded as new events (hold, recall)",
            )
        kind, action = e.get("type"), e.get("action")
        step, disposition = self.term(e, "bizStep"), self.term(e, "disposition")
        if kind == "ObjectEvent" and action == "ADD" and step == "commissioning":
            return self.harvest(e)
        if kind == "ObjectEvent" and action == "OBSERVE":
            return self.observation(e, step, disposition)
        if kind == "TransformationEvent":
            return self.transformation(e, step)
        if kind == "AggregationEvent" and action == "ADD" and step == "packing":
            return self.packing(e)
        raise Unsupported(
            "type",
            f"{kind} (action {action}, bizStep {e.get('bizStep')}) has no counterpart among "
            "the cooperative's events (harvest, cooling, grading, residue test, packing, "
            "shipping, receiving, processing, hold, release, recall)",
        )

    def harvest(self, e: dict[str, Any]) -> Model:
        """Return the harvest an ADD commissioning event records."""
        lot = self.one_lot(e)
        ilmd = e.get("ilmd", {})
        plot = ilmd.get("agt:plot") or local_id(
            get(e, "readPoint").get("id"), "readPoint.id", self.base, "plot"
        )
        quantity = get(e, "quantityList")[0]
        return Harvest.from_body(
            {
                "lot": lot,
                "plot": plot,
                "variety": text(ilmd.get("agt:variety"), "ilmd.agt:variety"),
                "quantity": decimal_text(quantity.get("quantity"), "quantityList[0].quantity"),
                "unit": quantity.get("uom", "H87"),  # no uom: a count (EPCIS 2.0 §7.3.3.3)
                "time": _time(e),
            }
        )

    def observation(self, e: dict[str, Any], step: str | None, disposition: str | None) -> Model:
        """Return the domain event an OBSERVE event records, by business step."""
        time = _time(e)
        if step == "shipping":
            return Shipping.from_body(
                {
                    # Lots first: an event about items without a lot is refused for that.
                    "lots": self.lots(e, "quantityList"),
                    "shipment": self.shipment(e),
                    "origin": self.place(e, "sourceList", "source"),
                    "destination": self.place(e, "destinationList", "destination"),
                    "set_point_celsius": e.get("agt:setPointCelsius"),
                    "readings": self.readings(e),
                    "time": time,
                }
            )
        if step == "receiving" and "agt:sourceEntry" in e:
            return self.intake(e, time)
        if step == "receiving":
            body: dict[str, Any] = {
                "shipment": self.shipment(e),
                "receiver": self.site(e, "bizLocation"),
                "readings": self.readings(e),
                "time": time,
            }
            received = e.get("agt:receivedQuantity")
            if isinstance(received, dict):
                body["quantity"] = received.get("quantity")
                body["unit"] = received.get("uom")
            elif received is not None:
                body["quantity"] = received  # refused by the model, naming the field
            return Receiving.from_body(body)
        if step == "sensor_reporting" and "agt:shipment" in e:
            # A part of a long transport log recorded ahead of the receipt.
            receiver = local_id(e.get("agt:receiver"), "agt:receiver", self.base, "site")
            return Receiving.from_body(
                {
                    "shipment": self.shipment(e),
                    "receiver": receiver,
                    "readings": self.readings(e),
                    "more_readings": True,
                    "time": time,
                }
            )
        if step == "inspecting" and "agt:residueResults" in e:
            return self.residue(e, time)
        if step in ("agt:training", "agt:assessing"):
            return self.qualification(e, step, time)
        if disposition in ("recalled", "non_sellable_other", "sellable_accessible"):
            lot = self.one_lot(e)
            reason = e.get("agt:reason") or f"EPCIS {disposition} ({e.get('eventID', 'no id')})"
            if disposition == "recalled":
                return Recall.from_body({"lot": lot, "reason": reason, "time": time})
            if disposition == "non_sellable_other":
                return Hold.from_body({"lot": lot, "reason": reason, "time": time})
            return Release.from_body({"lot": lot, "note": reason, "time": time})
        if step in ("storing", "sensor_reporting", "inspecting") and "sensorElementList" in e:
            lot = self.one_lot(e)
            return Cooling.from_body(
                {
                    "lot": lot,
                    "site": self.site(e),
                    "readings": self.readings(e),
                    "more_readings": e.get("agt:moreReadings"),
                    "time": time,
                }
            )
        raise Unsupported(
            "bizStep",
            f"an OBSERVE with bizStep {e.get('bizStep')!r} and disposition "
            f"{e.get('disposition')!r} has no counterpart among the cooperative's events",
        )

    def intake(self, e: dict[str, Any], time: str) -> Model:
        """Return the ``trace.intake`` a receiving from another log's shipping records."""
        source_log = e.get("agt:sourceLog")
        if not isinstance(source_log, str) or not source_log:
            raise Unsupported("agt:sourceLog", "expected the source log's origin")
        base = f"https://{source_log.rstrip('/')}"
        entry = local_id(e.get("agt:sourceEntry"), "agt:sourceEntry", base, "entry")
        if not entry.isdigit():
            raise Unsupported("agt:sourceEntry", f"expected {base}/entry/<seq>, got {entry!r}")
        quantity = get(e, "quantityList")[0]
        source_lot = e.get("agt:sourceLot")
        epc = source_lot.get("epcClass") if isinstance(source_lot, dict) else None
        return Intake.from_body(
            {
                "lot": self.one_lot(e),
                "quantity": decimal_text(quantity.get("quantity"), "quantityList[0].quantity"),
                "unit": quantity.get("uom", "H87"),
                "site": self.site(e, "bizLocation"),
                "source_log": source_log,
                "source_lot": lot_of(epc, "agt:sourceLot.epcClass"),
                "source_shipment": local_id(
                    e.get("agt:sourceShipment"), "agt:sourceShipment", base, "shipment"
                ),
                "source_seq": int(entry),
                "source_leaf": e.get("agt:sourceLeafHash"),
                "time": time,
            }
        )

    def qualification(self, e: dict[str, Any], step: str, time: str) -> Model:
        """Return the grower's training or assessment an OBSERVE at a farm records."""
        farm = local_id(get(e, "readPoint").get("id"), "readPoint.id", self.base, "farm")
        common = {"farm": farm, "grower": e.get("agt:grower"), "time": time}
        if step == "agt:training":
            return Training.from_body(
                common
                | {
                    "course": e.get("agt:course"),
                    "hours": e.get("agt:hours"),
                    "trainer": e.get("agt:trainer"),
                }
            )
        return Assessment.from_body(
            common
            | {
                "assessment": e.get("agt:assessment"),
                "topic": e.get("agt:topic"),
                "outcome": e.get("agt:outcome"),
                "valid_until": e.get("agt:validUntil"),
                "assessor": e.get("agt:assessor"),
            }
        )

    def shipment(self, e: dict[str, Any]) -> str:
        """Return the event's shipment id (``agt:shipment``)."""
        if "agt:shipment" not in e:
            raise Unsupported(
                "agt:shipment",
                f"missing: shipping and receiving name the cooperative's shipment "
                f"({self.base}/shipment/<id>); EPCIS has no standard field for it",
            )
        return local_id(e["agt:shipment"], "agt:shipment", self.base, "shipment")

    def place(self, e: dict[str, Any], name: str, key: str) -> str:
        """Return the local id of the source or destination of type ``key`` in ``name``."""
        for item in get(e, name):
            if item.get("type") in ("location", "urn:epcglobal:cbv:sdt:location"):
                return local_id(item.get(key), f"{name}.{key}", self.base, "site")
        raise Unsupported(name, f"no {key} of type location")

    def residue(self, e: dict[str, Any], time: str) -> Model:
        """Return the residue test an inspecting event records."""
        lot = self.one_lot(e)
        results = [
            {
                "substance": r.get("agt:substance"),
                "value": r.get("agt:value"),
                "loq": r.get("agt:loq"),
                "unit": r.get("agt:unit", "mg/kg"),
            }
            for r in e["agt:residueResults"]
        ]
        return ResidueTest.from_body(
            {
                "lot": lot,
                "sample_id": e.get("agt:sampleID"),
                "lab": e.get("agt:lab"),
                "method": e.get("agt:method"),
                "results": results,
                "time": time,
            }
        )

    def transformation(self, e: dict[str, Any], step: str | None) -> Model:
        """Return the grading or processing a TransformationEvent records."""
        inputs = self.lots(e, "inputQuantityList")
        outputs = self.lots(e, "outputQuantityList")
        amounts = [
            decimal_text(q.get("quantity"), f"outputQuantityList[{i}].quantity")
            for i, q in enumerate(e["outputQuantityList"])
        ]
        ilmd = e.get("ilmd", {})
        site = self.site(e) if "readPoint" in e else None
        if step == "agt:grading" or "agt:grades" in ilmd:
            grades, sizes = ilmd.get("agt:grades", {}), ilmd.get("agt:sizesMm", {})
            measures, quality = ilmd.get("agt:measures", {}), ilmd.get("agt:quality", {})
            if len(inputs) != 1:
                raise Unsupported("inputQuantityList", "grading splits exactly one lot")
            keys = [f"(01){o['gtin']}(10){o['lot']}" for o in outputs]
            graded = [
                {
                    "lot": o,
                    "grade": grades.get(k),
                    "quantity": q,
                    "sizes_mm": sizes.get(k),
                    "measures": measures.get(k),
                    "quality": _readings(quality.get(k)),
                }
                for o, k, q in zip(outputs, keys, amounts, strict=True)
            ]
            return Grading.from_body(
                {"input": inputs[0], "outputs": graded, "site": site, "time": _time(e)}
            )
        if len(outputs) != 1:
            raise Unsupported(
                "outputQuantityList",
                "a processing step makes exactly one lot (grading: agt:grades)",
            )
        return Processing.from_body(
            {
                "inputs": inputs,
                "output": outputs[0],
                "quantity": amounts[0],
                "unit": e["outputQuantityList"][0].get("uom", "H87"),
                "process": ilmd.get("agt:process") or e.get("bizStep"),
                "site": site,
                "time": _time(e),
            }
        )

    def packing(self, e: dict[str, Any]) -> Model:
        """Return the packing an AggregationEvent records."""
        parent = get(e, "parentID")
        return Packing.from_body(
            {
                "unit_id": local_id(parent, "parentID", self.base, "unit"),
                "lots": self.lots(e, "childQuantityList"),
                "units": [
                    unit_of(u, f"childEPCs[{i}]") for i, u in enumerate(e.get("childEPCs", []))
                ],
                "site": self.site(e),
                "time": _time(e),
            }
        )


def _readings(values: Any) -> list[dict[str, Any]] | None:
    """``agt:quality`` of one lot (indicator -> value) as quality readings, or None."""
    if not isinstance(values, dict) or not values:
        return None
    return [{"indicator": k, "value": v} for k, v in values.items()]
