"""The CBV 2.0 event hash ID: the reference implementation's vectors, then its properties."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from tests.traceability.conftest import STRAWBERRY, Coop
from traceability import EpcisImportError, import_epcis
from traceability.exports._event_hash import event_hash, event_prehash

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "epcis-event-hash"
DOCUMENTS = sorted(p.stem for p in VECTORS.glob("*.jsonld"))
CASES = [
    (name, i, event, prehash, expected)
    for name in DOCUMENTS
    for i, (event, prehash, expected) in enumerate(
        zip(
            json.loads((VECTORS / f"{name}.jsonld").read_text("utf-8"))["epcisBody"]["eventList"],
            (VECTORS / f"{name}.prehashes").read_text("utf-8").splitlines(),
            (VECTORS / f"{name}.hashes").read_text("utf-8").splitlines(),
            strict=True,
        ),
        1,
    )
]


def test_vectors_are_the_two_documents_named_in_the_readme() -> None:
    assert DOCUMENTS == ["TimeStampRoundOff", "epcisDocWithSingleEvent"]
    assert len(CASES) == 4


@pytest.mark.parametrize(("name", "i", "event", "prehash", "expected"), CASES)
def test_reference_vectors_reproduced(
    name: str, i: int, event: dict[str, Any], prehash: str, expected: str
) -> None:
    # The vector is self-consistent, then ours matches it step by step.
    assert f"ni:///sha-256;{hashlib.sha256(prehash.encode()).hexdigest()}?ver=CBV2.0" == expected
    assert event_prehash(event) == prehash, f"{name} event {i}"
    assert event_hash(event) == expected


def _event() -> dict[str, Any]:
    return copy.deepcopy(CASES[-1][2])  # the single ObjectEvent with a business transaction


def test_key_order_ids_and_record_time_do_not_change_the_hash() -> None:
    event = _event()
    shuffled = dict(reversed(list(event.items())))
    shuffled |= {"eventID": "urn:uuid:anything", "recordTime": "2030-01-01T00:00:00Z"}
    shuffled["epcList"] = list(reversed(event["epcList"]))
    assert event_hash(shuffled) == event_hash(event)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("disposition", "in_progress"),
        ("eventTime", "2022-02-16T20:33:31.117-06:00"),
        ("epcList", ["urn:epc:id:sgtin:0614141.107346.2017"]),
        ("ex:extra", "x"),
    ],
)
def test_any_change_changes_the_hash(field: str, value: Any) -> None:
    event = _event()
    before = event_hash(event, {"ex": "https://ex.example/"})
    event[field] = value
    assert event_hash(event, {"ex": "https://ex.example/"}) != before


def test_urn_and_bare_cbv_values_hash_alike() -> None:
    event = _event()
    urn = event | {"bizStep": "urn:epcglobal:cbv:bizstep:shipping"}
    assert event_hash(urn) == event_hash(event)


def test_exported_events_carry_their_hash_as_event_id(season: Coop) -> None:
    document = season.epcis(gtin=STRAWBERRY, lot="H1")
    prefixes = {"agt": document["@context"][1]["agt"]}
    events = document["epcisBody"]["eventList"]
    for event in events:
        assert event["eventID"] == event_hash(event, prefixes)
        assert event["agt:ledgerEntry"].startswith("https://")  # the signed original
    assert len({e["eventID"] for e in events}) == len(events)


def test_import_refuses_an_event_changed_after_it_was_named(season: Coop) -> None:
    document = season.epcis(gtin=STRAWBERRY, lot="H1")
    document["epcisBody"]["eventList"][0]["ilmd"]["agt:variety"] = "Benihoppe"
    with pytest.raises(EpcisImportError) as refused:
        import_epcis(document, origin=season.ledger.origin)
    assert refused.value.category == "event-hash-mismatch"
    problem = refused.value.problems[0]
    assert (problem.event, problem.field) == (1, "eventID")
    assert "expected the event's CBV 2.0 hash ni:///sha-256;" in problem.message
    # The untouched document imports: every given hash ID checks out.
    fresh = season.epcis(gtin=STRAWBERRY, lot="H1")
    assert import_epcis(fresh, origin=season.ledger.origin).events
