"""Cold chain judged across every reading of a lot (pre-cooling) or a shipment (transport)."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from tests.traceability.conftest import STRAWBERRY, Coop, at, ev, ref
from tests.traceability.test_epcis import SCHEMA
from traceability import (
    Cooling,
    LifecycleError,
    LotStatus,
    Receiving,
    Role,
    import_epcis,
)


def cooling(coop: Coop, readings: list[tuple[float, str]], **kw: Any) -> int:
    """Record one cooling event of ``(minutes after harvest, celsius)`` readings."""
    body = [{"time": at(m), "celsius": c} for m, c in readings]
    last = max(m for m, _ in readings)
    event = ev(Cooling, lot=ref("H1"), site="PS1", readings=body, time=at(last), **kw)
    return coop.record(Role.PACKING_STATION, event)


def state(coop: Coop, lot: str = "H1") -> tuple[LotStatus, str]:
    found = coop.projection.lot(STRAWBERRY, lot)
    return found.status, found.status_reason or ""


# --- pre-cooling ---------------------------------------------------------------------------


def test_later_event_past_the_deadline_does_not_hold_a_lot_cooled_in_time(coop: Coop) -> None:
    coop.harvest()
    cooling(coop, [(10, "15"), (40, "5")])  # in band 40 min after harvest: in time
    cooling(coop, [(70, "5"), (80, "4.5")])  # the same probe, later: alone it looks late
    assert state(coop) == (LotStatus.ACTIVE, "")


def test_warm_first_part_of_a_split_log_waits_for_the_rest(coop: Coop) -> None:
    coop.harvest()
    cooling(coop, [(10, "18"), (20, "14")], more_readings=True)
    assert state(coop) == (LotStatus.ACTIVE, "")  # not judged yet: more readings follow
    cooling(coop, [(30, "9"), (45, "5.5")])
    assert state(coop) == (LotStatus.ACTIVE, "")


def test_lot_not_cooled_in_time_is_held_across_events(coop: Coop) -> None:
    coop.harvest()
    cooling(coop, [(10, "18"), (20, "14")], more_readings=True)
    cooling(coop, [(50, "9")], more_readings=True)
    cooling(coop, [(75, "5")])
    status, reason = state(coop)
    assert status is LotStatus.ON_HOLD
    assert reason.startswith("cold-chain-precool (profile entry")
    assert "core not at 4-6 °C within 60 min" in reason


def test_reading_past_the_deadline_decides_at_once_even_if_more_follow(coop: Coop) -> None:
    coop.harvest()
    cooling(coop, [(10, "18"), (65, "12")], more_readings=True)
    assert state(coop)[0] is LotStatus.ON_HOLD


def test_final_event_without_band_holds_as_before(coop: Coop) -> None:
    coop.harvest()
    cooling(coop, [(10, "18"), (30, "12")])  # the whole log, never in band
    assert state(coop)[0] is LotStatus.ON_HOLD


def test_excursion_after_precooling_in_a_later_event_holds_the_lot(coop: Coop) -> None:
    coop.harvest()
    cooling(coop, [(10, "15"), (40, "5")])
    cooling(coop, [(70, "5"), (90, "9")])
    status, reason = state(coop)
    assert status is LotStatus.ON_HOLD
    assert "core 9 °C at" in reason
    assert "outside 4-6 °C" in reason


# --- transport -----------------------------------------------------------------------------


def shipped(coop: Coop) -> None:
    coop.harvest()
    coop.test("H1")
    coop.release("H1")
    coop.ship("SH1", ["H1"])


def receiving(coop: Coop, readings: list[tuple[float, str]], **kw: Any) -> int:
    body = [{"time": at(m), "celsius": c} for m, c in readings]
    last = max(m for m, _ in readings)
    event = ev(Receiving, shipment="SH1", receiver="URUMQI-DC", readings=body, time=at(last), **kw)
    return coop.record(Role.LOGISTICS, event)


def test_transport_log_in_parts_is_received_once_with_the_last(coop: Coop) -> None:
    shipped(coop)
    receiving(coop, [(200, "5"), (300, "5.5")], more_readings=True)
    assert state(coop)[0] is LotStatus.SHIPPED  # still in transit
    receiving(coop, [(400, "4.5"), (500, "5")])
    assert state(coop)[0] is LotStatus.RECEIVED
    trace = coop.projection.trace_forward(STRAWBERRY, "H1")
    assert [(s.shipment, s.status, s.receiver) for s in trace.shipments] == [
        ("SH1", "received", "URUMQI-DC")
    ]


def test_excursion_in_an_early_part_holds_and_the_hold_survives_receipt(coop: Coop) -> None:
    shipped(coop)
    receiving(coop, [(200, "5"), (300, "8")], more_readings=True)  # set point 5 ± 2
    status, reason = state(coop)
    assert status is LotStatus.ON_HOLD
    assert "cold-chain-transport" in reason
    receiving(coop, [(400, "5")])
    status, reason = state(coop)
    assert status is LotStatus.ON_HOLD  # a held lot stays held when received
    assert "logger 8 °C at" in reason  # and keeps the reason it was held for


def test_no_part_after_the_shipment_was_received(coop: Coop) -> None:
    shipped(coop)
    receiving(coop, [(200, "5")])
    size = coop.ledger.size()
    with pytest.raises(LifecycleError, match="receive-requires-shipped"):
        receiving(coop, [(300, "5")], more_readings=True)
    assert coop.ledger.size() == size


# --- exports -------------------------------------------------------------------------------


def test_logs_in_parts_export_valid_epcis_and_import_back_to_the_same_events(coop: Coop) -> None:
    coop.harvest()
    cooling(coop, [(10, "18")], more_readings=True)
    cooling(coop, [(40, "5")])
    coop.test("H1")
    coop.release("H1")
    coop.ship("SH1", ["H1"])
    receiving(coop, [(200, "5")], more_readings=True)
    receiving(coop, [(300, "5")])
    document = coop.epcis(gtin=STRAWBERRY, lot="H1")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(
        schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )
    assert [e.message for e in validator.iter_errors(document)] == []
    events = document["epcisBody"]["eventList"]
    steps = [(e.get("bizStep"), e.get("disposition"), e.get("agt:moreReadings")) for e in events]
    assert ("storing", None, True) in steps
    # A part that only carries readings is not a receipt: the lots are still in transit.
    assert ("sensor_reporting", "in_transit", True) in steps
    assert ("receiving", "in_progress", None) in steps
    imported = import_epcis(json.dumps(document), origin=coop.ledger.origin)
    for event, sent in zip(imported.events, events, strict=True):
        original = coop.ledger.entry(int(sent["agt:ledgerEntry"].rsplit("/", 1)[1])).statement
        assert (event.KIND, event.to_body()) == (original.kind, original.body)


def test_scan_shows_a_log_in_parts_as_one_line(coop: Coop) -> None:
    coop.harvest()
    cooling(coop, [(10, "18"), (20, "12")], more_readings=True)
    cooling(coop, [(40, "5")])
    coop.test("H1")
    coop.release("H1")
    coop.ship("SH1", ["H1"])
    receiving(coop, [(200, "4")], more_readings=True)
    receiving(coop, [(300, "6")])
    summary = coop.projection.summary(STRAWBERRY, "H1")
    assert summary is not None
    assert summary.cold_chain == (
        "pre-cooling at PS1: core 5 °C at 2026-06-01 08:40 (3 readings, 5 to 18 °C)",
        "shipment SH1 to URUMQI-DC at set point 5 °C",
        "received SH1 at URUMQI-DC 2026-06-01 13:00: logger 4 to 6 °C (2 readings)",
    )
