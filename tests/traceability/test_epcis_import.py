"""EPCIS 2.0 import: every official example is imported or refused for a stated reason."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import SHARED
from tests.traceability.conftest import JAM, STRAWBERRY, Coop
from traceability import EpcisImportError, Role, RoleError, import_epcis
from traceability.exports._epcis_import import CATEGORIES, signer_for

EXAMPLES = SHARED / "conformance" / "gs1"
VECTORS = json.loads(
    (Path(__file__).parent / "data" / "epcis_import_examples.json").read_text(encoding="utf-8")
)
FILES = sorted(
    str(p.relative_to(EXAMPLES))
    for folder in ("epcis-examples", "epcis-examples-opentraceability")
    for p in (EXAMPLES / folder).rglob("*.json*")
)


def test_vectors_cover_every_example_file() -> None:
    assert len([f for f in FILES if f.startswith("epcis-examples/")]) == 52
    assert len([f for f in FILES if f.startswith("epcis-examples-opentraceability/")]) == 6
    assert sorted(VECTORS["cases"]) == FILES


#: GS1's published examples carry illustrative hash eventIDs, not computed ones: e.g.
#: AssociationEvent-f and Example-Type-sourceOrDestination,... give one ID to two events
#: that differ by an extension field. Their mapping is checked here; hash IDs have their own
#: vectors (tests/traceability/test_event_hash.py).
ILLUSTRATIVE_IDS = {"check_event_hashes": False}


@pytest.mark.parametrize("name", FILES)
def test_example_is_imported_or_refused_with_its_reason(name: str) -> None:
    want = VECTORS["cases"][name]
    data = (EXAMPLES / name).read_bytes()
    if want["want"] == "accepted":
        assert import_epcis(data, origin="coop.example", **ILLUSTRATIVE_IDS).events
        return
    with pytest.raises(EpcisImportError) as refused:
        import_epcis(data, origin="coop.example", **ILLUSTRATIVE_IDS)
    error = refused.value
    assert error.category == want["want"]
    assert error.category in CATEGORIES
    first = error.problems[0]
    where = f"event {first.event}: {first.field}" if first.event is not None else None
    assert (where or first.field or first.category) == want["first"]
    assert first.message  # a refusal always says what was wrong


def test_malformed_json_is_refused_as_not_json() -> None:
    data = EXAMPLES / "epcis-examples-opentraceability/EPCISQueryDocument_malformed.jsonld"
    with pytest.raises(EpcisImportError, match="not JSON") as refused:
        import_epcis(data.read_bytes(), origin="coop.example", **ILLUSTRATIVE_IDS)
    assert refused.value.categories == {"not-json"}


def test_event_time_without_offset_is_refused_by_the_schema() -> None:
    name = "epcis-examples-opentraceability/EPCISQueryDocument_with_masterdata.jsonld"
    with pytest.raises(EpcisImportError) as refused:
        import_epcis((EXAMPLES / name).read_bytes(), origin="coop.example", **ILLUSTRATIVE_IDS)
    assert any(
        p.category == "schema" and p.field.endswith("eventTime") and "date-time" in p.message
        for p in refused.value.problems
    )


def test_duplicate_event_ids_are_refused_naming_both_events() -> None:
    name = "epcis-examples-opentraceability/EPCISQueryDocument_duplicate_eventIDs.jsonld"
    with pytest.raises(EpcisImportError, match="already names event 1") as refused:
        import_epcis((EXAMPLES / name).read_bytes(), origin="coop.example", **ILLUSTRATIVE_IDS)
    assert refused.value.category == "duplicate-event-id"
    assert refused.value.problems[0].event == 2


def test_sgtin_keyed_events_are_refused_as_not_lots() -> None:
    name = "epcis-examples/WithSensorData/SensorDataExample1.jsonld"
    with pytest.raises(EpcisImportError, match="event 1: epcList") as refused:
        import_epcis((EXAMPLES / name).read_bytes(), origin="coop.example", **ILLUSTRATIVE_IDS)
    assert "SGTIN" in str(refused.value)


def test_missing_time_zone_offset_is_a_schema_refusal(season: Coop) -> None:
    document = season.epcis(gtin=STRAWBERRY, lot="H1")
    del document["epcisBody"]["eventList"][2]["eventTimeZoneOffset"]
    del document["epcisBody"]["eventList"][2]["eventID"]  # edited: its hash ID no longer fits
    with pytest.raises(EpcisImportError) as refused:
        import_epcis(document, origin=season.ledger.origin)
    assert refused.value.category == "schema"


def test_domain_rules_refuse_a_field_naming_the_event(season: Coop) -> None:
    document = season.epcis(gtin=STRAWBERRY, lot="H1")
    document["epcisBody"]["eventList"][0]["quantityList"][0]["quantity"] = -3
    del document["epcisBody"]["eventList"][0]["eventID"]  # edited: its hash ID no longer fits
    with pytest.raises(EpcisImportError, match=r"event 1: quantity") as refused:
        import_epcis(document, origin=season.ledger.origin)
    assert refused.value.category == "invalid"


def test_signer_is_the_narrowest_permitted_role(coop: Coop) -> None:
    keys = coop.keys
    assert signer_for("trace.harvest", keys) is keys[Role.PACKING_STATION]
    assert signer_for("trace.recall", keys) is keys[Role.COOPERATIVE]
    assert signer_for("trace.residue", keys) is keys[Role.LAB]
    with pytest.raises(RoleError, match=r"trace\.residue must be signed by a key with role lab"):
        signer_for("trace.residue", {Role.GROWER: keys[Role.GROWER]})


def test_own_export_imports_back_to_the_same_events(season: Coop) -> None:
    document = season.epcis(gtin=STRAWBERRY, lot="H1")
    imported = import_epcis(json.dumps(document), origin=season.ledger.origin)
    assert len(imported.events) == len(document["epcisBody"]["eventList"]) == 11
    exported = document["epcisBody"]["eventList"]
    for event, event_id, sent in zip(imported.events, imported.event_ids, exported, strict=True):
        assert event_id == sent["eventID"]
        assert event_id is not None
        assert event_id.startswith("ni:///sha-256;")
        original = season.ledger.entry(int(sent["agt:ledgerEntry"].rsplit("/", 1)[1]))
        assert (event.KIND, event.to_body()) == (original.statement.kind, original.statement.body)


def test_imported_chain_records_to_the_same_projection(
    season: Coop, make_coop: Callable[[str], Coop], tmp_path: Path
) -> None:
    document = season.epcis(gtin=STRAWBERRY, lot="H1")
    imported = import_epcis(document, origin=season.ledger.origin)
    other = make_coop(f"sqlite:///{tmp_path / 'other.db'}")
    other.recorder.record_batch(imported.signed_by(other.keys))
    for gtin, lot in ((STRAWBERRY, "H1"), (STRAWBERRY, "G/1"), (STRAWBERRY, "G2"), (JAM, "J1")):
        mine, theirs = season.projection.lot(gtin, lot), other.projection.lot(gtin, lot)
        assert (mine.status, mine.failed, mine.status_reason) == (
            theirs.status,
            theirs.failed,
            theirs.status_reason,
        )
