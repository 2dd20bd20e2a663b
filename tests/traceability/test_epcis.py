"""Exported EPCIS 2.0 documents validate against the 2.0.1 schema with format checking on."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import jsonschema
import pytest

from tests.conftest import SHARED
from tests.traceability.conftest import STRAWBERRY, Coop, at

SCHEMA = SHARED / "standards" / "epcis" / "schema" / "epcis-json-schema-2.0.1.json"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    checker = jsonschema.Draft7Validator.FORMAT_CHECKER
    # Without these checkers jsonschema silently skips "format" (see standards/README).
    assert "uri" in checker.checkers
    assert "date-time" in checker.checkers
    return jsonschema.Draft7Validator(schema, format_checker=checker)


def errors(validator: jsonschema.Draft7Validator, document: dict[str, Any]) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


def test_lot_export_validates_with_format_checking(
    season: Coop, validator: jsonschema.Draft7Validator
) -> None:
    document = season.epcis(gtin=STRAWBERRY, lot="H1")
    assert errors(validator, document) == []
    events = document["epcisBody"]["eventList"]
    types = [(e["type"], e.get("bizStep")) for e in events]
    assert types[0] == ("ObjectEvent", "commissioning")
    assert ("AggregationEvent", "packing") in types
    assert ("ObjectEvent", "receiving") in types
    assert sum(1 for t, _ in types if t == "TransformationEvent") == 2
    assert events[-1]["disposition"] == "recalled"


def test_every_event_kind_is_exported(season: Coop) -> None:
    document = season.epcis()
    steps = {e.get("bizStep", e.get("disposition")) for e in document["epcisBody"]["eventList"]}
    origin = season.ledger.origin
    assert steps == {
        "commissioning",
        "storing",
        "inspecting",
        f"https://{origin}/voc/grading",
        "packing",
        "sellable_accessible",
        "shipping",
        "receiving",
        f"https://{origin}/voc/processing",
        "holding",
        "recalled",
    }


def test_lot_with_reserved_characters_is_percent_encoded(season: Coop) -> None:
    document = season.epcis(gtin=STRAWBERRY, lot="G/1")
    classes = {
        q["epcClass"] for e in document["epcisBody"]["eventList"] for q in e.get("quantityList", [])
    }
    assert f"https://id.gs1.org/01/{STRAWBERRY}/10/G%2F1" in classes


def test_residue_results_keep_loq_and_name_their_rule(season: Coop) -> None:
    document = season.epcis(gtin=STRAWBERRY, lot="H1")
    (test,) = [e for e in document["epcisBody"]["eventList"] if e.get("bizStep") == "inspecting"]
    by_substance = {r["agt:substance"]: r for r in test["agt:residueResults"]}
    assert by_substance["chlorpyrifos"]["agt:value"] == "<LOQ"
    assert by_substance["chlorpyrifos"]["agt:loq"] == "0.01"
    assert by_substance["bifenthrin"]["agt:verdict"] == "not_assessable"
    assert by_substance["carbendazim"]["agt:ruleEntry"].startswith("https://")


def test_time_range_export_selects_by_event_time(
    season: Coop, validator: jsonschema.Draft7Validator
) -> None:
    start = datetime.fromisoformat(at(150))
    end = datetime.fromisoformat(at(350))
    document = season.epcis(start=start, end=end)
    assert errors(validator, document) == []
    times = [datetime.fromisoformat(e["eventTime"]) for e in document["epcisBody"]["eventList"]]
    assert times
    assert all(start <= t < end for t in times)


def test_validator_rejects_a_broken_uri(
    season: Coop, validator: jsonschema.Draft7Validator
) -> None:
    document = season.epcis(gtin=STRAWBERRY, lot="H1")
    broken = copy.deepcopy(document)
    broken["epcisBody"]["eventList"][0]["readPoint"]["id"] = "not a uri"
    assert errors(validator, broken)


def test_serialised_units_are_child_epcs(season: Coop) -> None:
    document = season.epcis(gtin=STRAWBERRY, lot="G/1")
    (packing,) = [e for e in document["epcisBody"]["eventList"] if e["type"] == "AggregationEvent"]
    assert packing["childEPCs"] == [
        f"https://id.gs1.org/01/{STRAWBERRY}/10/G%2F1/21/0001",
        f"https://id.gs1.org/01/{STRAWBERRY}/10/G%2F1/21/0002",
    ]


@pytest.mark.postgres
def test_export_validates_on_postgresql(
    make_coop: Callable[[str], Coop], postgres_url: str, validator: jsonschema.Draft7Validator
) -> None:
    coop = make_coop(postgres_url)
    coop.harvest("H1")
    coop.cool("H1")
    coop.test("H1")
    coop.release("H1")
    coop.ship("SH1", ["H1"])
    document = coop.epcis(gtin=STRAWBERRY, lot="H1")
    assert len(document["epcisBody"]["eventList"]) == 5
    assert errors(validator, document) == []


def test_lot_export_leaves_out_a_siblings_own_events(season: Coop) -> None:
    # G/1 and G2 were both graded from H1; G2 went on to jam J1, which was then held.
    document = season.epcis(gtin=STRAWBERRY, lot="G/1")
    named = []
    for event in document["epcisBody"]["eventList"]:
        lists = ("quantityList", "inputQuantityList", "outputQuantityList", "childQuantityList")
        classes = {q["epcClass"].rsplit("/10/", 1)[-1] for k in lists for q in event.get(k, [])}
        named.append(classes)
    assert all(classes & {"G%2F1", "H1"} for classes in named), named
    # The grading itself names both graded lots and stays.
    assert {"H1", "G%2F1", "G2"} in named
