"""The cooperative's own master data: names per language, address, county, optional GLN."""

from __future__ import annotations

import json

import jsonschema
import pytest

from tests.traceability.conftest import Coop, Staff
from tests.traceability.test_epcis import SCHEMA
from traceability import Cooperative, Role, RoleError, ValidationError, reindex

KASHGAR = {
    "name_zh": "喀什果农合作社",
    "name_ug": "قەشقەر مېۋىچىلەر كوپېراتىپى",
    "name_en": "Kashgar Fruit Growers' Cooperative",
    "address": "托克扎克镇 Tokkuzak",
    "county": "疏附县 Shufu, Kashgar",
    "gln": "6912345670005",
}


def test_recorded_cooperative_is_what_a_scan_can_name(coop: Coop) -> None:
    assert coop.projection.cooperative() is None  # nothing recorded: the app falls back
    seq = coop.record(Role.COOPERATIVE, Cooperative.from_body(KASHGAR))
    info = coop.projection.cooperative()
    assert info is not None
    assert (info.name("zh"), info.name("ug"), info.name("en")) == (
        "喀什果农合作社",
        "قەشقەر مېۋىچىلەر كوپېراتىپى",
        "Kashgar Fruit Growers' Cooperative",
    )
    assert (info.county, info.gln, info.seq) == ("疏附县 Shufu, Kashgar", "6912345670005", seq)


def test_missing_language_falls_back_to_the_chinese_name(coop: Coop) -> None:
    body = {k: v for k, v in KASHGAR.items() if k not in ("name_ug", "gln")}
    coop.record(Role.COOPERATIVE, Cooperative.from_body(body))
    info = coop.projection.cooperative()
    assert info is not None
    assert info.name("ug") == "喀什果农合作社"
    assert info.gln is None


def test_a_later_entry_renames_the_cooperative_and_survives_reindex(coop: Coop) -> None:
    coop.record(Role.COOPERATIVE, Cooperative.from_body(KASHGAR))
    renamed = KASHGAR | {"name_en": "Kashgar Fruit Cooperative"}
    seq = coop.record(Role.COOPERATIVE, Cooperative.from_body(renamed))
    reindex(coop.ledger)
    info = coop.projection.cooperative()
    assert info is not None
    assert (info.name("en"), info.seq) == ("Kashgar Fruit Cooperative", seq)


@pytest.mark.parametrize("role", [Role.PACKING_STATION, Role.REGULATOR, Role.GROWER])
def test_only_the_cooperative_may_record_it(coop: Coop, role: Role) -> None:
    size = coop.ledger.size()
    with pytest.raises(RoleError):
        coop.record(role, Cooperative.from_body(KASHGAR))
    assert coop.ledger.size() == size


@pytest.mark.parametrize(
    ("field", "value"),
    [("gln", "6912345670006"), ("gln", "691234567000"), ("name_zh", ""), ("county", None)],
)
def test_bad_field_is_named(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as caught:
        Cooperative.from_body(KASHGAR | {field: value})
    assert caught.value.field == field


def test_export_carries_the_cooperative_as_party_master_data(coop: Coop) -> None:
    coop.record(Role.COOPERATIVE, Cooperative.from_body(KASHGAR))
    coop.harvest()
    document = coop.epcis()
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    checker = jsonschema.Draft7Validator.FORMAT_CHECKER
    validator = jsonschema.Draft7Validator(schema, format_checker=checker)
    assert [e.message for e in validator.iter_errors(document)] == []
    (vocabulary,) = document["epcisHeader"]["epcisMasterData"]["vocabularyList"]
    assert vocabulary["type"] == "urn:epcglobal:epcis:vtype:Party"
    # The cooperative first, then every enrolled lab (the fixture's), each a Party.
    party, lab = vocabulary["vocabularyElementList"]
    assert lab["id"] == f"https://{coop.ledger.origin}/party/KS-LAB"
    assert party["id"] == "https://id.gs1.org/417/6912345670005"  # party GLN, AI 417
    attributes = {a["id"]: a["attribute"] for a in party["attributes"]}
    assert attributes["urn:epcglobal:cbv:mda#name"] == "喀什果农合作社"
    assert attributes["urn:epcglobal:cbv:mda#streetAddressOne"] == "托克扎克镇 Tokkuzak"
    origin = coop.ledger.origin
    assert attributes[f"https://{origin}/voc/name_ug"] == KASHGAR["name_ug"]
    assert attributes[f"https://{origin}/voc/county"] == KASHGAR["county"]


def test_export_without_a_cooperative_entry_names_only_the_lab(coop: Coop) -> None:
    coop.harvest()
    (vocabulary,) = coop.epcis()["epcisHeader"]["epcisMasterData"]["vocabularyList"]
    (lab,) = vocabulary["vocabularyElementList"]
    assert lab["id"].endswith("/party/KS-LAB")


def test_record_cooperative_command(staff: Staff) -> None:
    size = staff.size()
    refused = staff.refused("record", "cooperative", "--name-zh", "喀什果农合作社",
                            "--address", "Tokkuzak", "--county", "Shufu",
                            "--signer", "packing_station")  # fmt: skip
    assert "trace.cooperative" in refused
    assert staff.size() == size
    refused = staff.refused("record", "cooperative", "--name-zh", "喀什果农合作社",
                            "--address", "Tokkuzak", "--county", "Shufu", "--gln", "123",
                            "--signer", "cooperative")  # fmt: skip
    assert refused.startswith("error: gln: expected")
    staff.ok("record", "cooperative", "--name-zh", "喀什果农合作社", "--name-en", "Kashgar Coop",
             "--address", "Tokkuzak", "--county", "Shufu", "--signer", "cooperative")  # fmt: skip
    assert staff.size() == size + 1
    document = json.loads(staff.ok("export", "epcis", "--from", "2000-01-01").stdout)
    (vocabulary,) = document["epcisHeader"]["epcisMasterData"]["vocabularyList"]
    party, _lab = vocabulary["vocabularyElementList"]
    assert party["id"] == "https://kashgar-coop.example/log/party/cooperative"
