"""FSMA 204 sortable spreadsheet: one row per CTE and lot, KDEs filled from the ledger."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from tests.traceability.conftest import JAM, STRAWBERRY, Coop, at, ev, ref
from traceability import Processing, Receiving, Role

H1 = f"(01){STRAWBERRY}(10)H1"
G1 = f"(01){STRAWBERRY}(10)G1"
J1 = f"(01){JAM}(10)J1"


def season(coop: Coop) -> None:
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
    return list(csv.DictReader(io.StringIO(text)))


def test_lot_export_has_every_cte_with_its_kdes(coop: Coop) -> None:
    season(coop)
    table = rows(coop.recorder.export_fsma204(gtin=STRAWBERRY, lot="G1"))
    ctes = [(r["cte"], r["traceability_lot_code"]) for r in table]
    # Sorted by date, then lot code; sibling G2 (graded from H1 too) and J1 (made from G2)
    # are not in G1's chain.
    assert ctes == [
        ("initial_packing", G1),
        ("harvesting", H1),
        ("cooling", H1),
        ("shipping", G1),
        ("receiving", G1),
    ]
    packing, harvest, *_ = table
    assert harvest["farm_location"] == "YK-F1 (Aysha Tursun), Ayagh Village, Yarkant"
    assert harvest["field_or_growing_area"] == "YK-P1"
    assert (harvest["quantity"], harvest["unit_of_measure"]) == ("100", "kg")
    assert harvest["cfr_section"] == "1.1325(a)"
    assert packing["harvest_date"] == "2026-06-01"
    assert packing["cooling_location"].endswith("/site/PS1")
    assert packing["tlc_source"].endswith("/site/PS1")
    assert packing["variety"] == "Hongyan"
    shipping, receiving = table[-2:]
    assert shipping["immediate_subsequent_recipient"].endswith("/site/URUMQI-DC")
    assert receiving["immediate_previous_source"].endswith("/site/PS1")
    assert all(r["reference_document_number"].startswith("https://") for r in table)


def test_date_range_export_keeps_only_events_in_range(coop: Coop) -> None:
    season(coop)
    start = datetime.fromisoformat(at(24 * 60 - 1))
    table = rows(coop.recorder.export_fsma204(start=start))
    assert [r["cte"] for r in table] == ["shipping", "receiving"]


def test_transformation_row_names_its_input_lots(coop: Coop) -> None:
    season(coop)
    table = rows(coop.recorder.export_fsma204(gtin=JAM, lot="J1"))
    (jam,) = [r for r in table if r["cte"] == "transformation"]
    assert jam["input_lots"] == f"(01){STRAWBERRY}(10)G2"
    assert jam["cfr_section"] == "1.1350(a)"
    assert jam["tlc_source"].endswith("/site/PS1")
    assert jam["farm_location"].startswith("YK-F1")  # reached through G2 and H1


def test_lot_export_leaves_out_a_siblings_rows_of_a_shared_shipment(coop: Coop) -> None:
    coop.harvest("H1")
    coop.test("H1")
    coop.grade("H1", {"G1": ("super", "30", ["36"]), "G2": ("grade_1", "20", ["31"])})
    coop.release("G1")
    coop.release("G2")
    coop.ship("SH1", ["G1", "G2"])
    table = rows(coop.recorder.export_fsma204(gtin=STRAWBERRY, lot="G1"))
    assert {r["traceability_lot_code"] for r in table} == {H1, G1}
    assert [r["cte"] for r in table if r["traceability_lot_code"] == G1] == [
        "initial_packing",
        "shipping",
    ]
    # The harvest lot's own export still reaches both graded lots.
    table = rows(coop.recorder.export_fsma204(gtin=STRAWBERRY, lot="H1"))
    assert f"(01){STRAWBERRY}(10)G2" in {r["traceability_lot_code"] for r in table}
