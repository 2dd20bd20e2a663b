"""A staff session on the command line: register, harvest, import, release, ship, trace, recall."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import jsonschema

from tests.traceability.conftest import SAMPLES, STRAWBERRY, Staff, at, plain, ref
from tests.traceability.test_epcis import errors
from tests.traceability.test_epcis import validator as validator  # the schema fixture
from traceability.exports._fsma import COLUMNS


def season(staff: Staff) -> None:
    """Harvest H1, cool it, grade it into G1 and G2, test, release both, ship them."""
    staff.ok(
        "record", "harvest", "--signer", "packing_station", "--lot", "H1", "--gtin", STRAWBERRY,
        "--plot", "YK-P1", "--variety", "Hongyan", "--quantity", "100", "--time", at(0),
    )  # fmt: skip
    staff.ok(
        "import", "readings", str(SAMPLES / "cooling-logger-sample.csv"), "--kind", "cooling",
        "--lot", "H1", "--site", "PS1", "--signer", "packing_station",
    )  # fmt: skip
    grading = {
        "input": ref("H1"),
        "outputs": [
            {"lot": ref("G1"), "grade": "super", "quantity": "60", "sizes_mm": ["36", "38"]},
            {"lot": ref("G2"), "grade": "grade_1", "quantity": "30", "sizes_mm": ["31"]},
        ],
        "site": "PS1",
        "time": at(90),
    }
    staff.ok(
        "record", "grading", "--signer", "packing_station",
        "--file", staff.write_json("grading.json", grading),
    )  # fmt: skip
    staff.ok("import", "results", str(SAMPLES / "lab-results-sample.csv"), "--signer", "lab")
    for lot in ("G1", "G2"):
        staff.ok("record", "release", lot, "--note", "tests passed", "--signer", "cooperative",
                 "--time", at(150))  # fmt: skip
    shipping = {
        "shipment": "SH1",
        "lots": [ref("G1"), ref("G2")],
        "origin": "PS1",
        "destination": "URUMQI-DC",
        "set_point_celsius": "5",
        "time": at(180),
    }
    staff.ok(
        "record", "shipping", "--signer", "logistics",
        "--file", staff.write_json("shipping.json", shipping),
    )  # fmt: skip


def test_staff_session_traces_a_lot_back_to_its_grower_and_forward_to_its_shipment(
    staff: Staff,
) -> None:
    season(staff)
    back = plain(staff.ok("trace", "back", "G1").stdout)
    assert "(01)06912345678902(10)H1 harvested 2026-06-01T08:00:00+08:00" in back
    assert "grower Aysha Tursun, Ayagh Village, Yarkant" in back
    data = json.loads(staff.ok("trace", "back", "G1", "--json").stdout)
    assert [o["farm"] for o in data["origins"]] == ["YK-F1"]

    forward = plain(staff.ok("trace", "forward", "H1").stdout)
    assert "SH1 to URUMQI-DC (in_transit)" in forward
    data = json.loads(staff.ok("trace", "forward", "H1", "--json", "--gtin", STRAWBERRY).stdout)
    assert [s["shipment"] for s in data["shipments"]] == ["SH1"]
    assert len(data["lots"]) == 3


def test_lot_show_gives_status_results_verdicts_and_the_rule_entry(staff: Staff) -> None:
    season(staff)
    shown = plain(staff.ok("lot", "show", "G2").stdout)
    assert "status shipped" in shown
    assert "imidacloprid 0.2 mg/kg (LOQ 0.01 mg/kg), MRL 0.5 mg/kg: pass" in shown
    # 0 genesis, 1-6 keys, 7-8 the lab's enrolment and approval, 9-11, 12 the MRL table
    assert "rule: GB 2763-2026 SAMPLE, entry 13" in shown
    data = json.loads(staff.ok("lot", "show", "G2", "--json").stdout)
    assert {r["outcome"] for r in data["results"]} == {"pass"}


def test_lot_show_prints_a_below_loq_result_with_its_loq(staff: Staff) -> None:
    season(staff)
    shown = plain(staff.ok("lot", "show", "G2").stdout)
    assert "chlorpyrifos <LOQ (0.01 mg/kg), MRL 0.05 mg/kg: pass" in shown
    assert "<LOQ (0.01 mg/kg) <= MRL 0.05 mg/kg" in shown  # the verdict's reason
    assert "Decimal" not in shown


def test_held_lot_shows_why(staff: Staff) -> None:
    season(staff)
    staff.ok("record", "harvest", "--signer", "packing_station", "--lot", "H2", "--gtin",
             STRAWBERRY, "--plot", "YK-P2", "--variety", "Hongyan", "--quantity", "5")  # fmt: skip
    staff.ok("record", "hold", "H2", "--reason", "bruised [crates]", "--signer", "regulator")
    shown = plain(staff.ok("lot", "show", "H2").stdout)
    assert "status on_hold" in shown
    assert "reason regulator-hold (entry" in shown
    assert "): bruised [crates]" in shown


def test_recall_prints_every_lot_and_shipment_it_reached(staff: Staff) -> None:
    season(staff)
    printed = plain(
        staff.ok("recall", "H1", "--reason", "listeria suspected", "--signer", "cooperative").stdout
    )
    for lot in ("H1", "G1", "G2"):
        assert f"(01){STRAWBERRY}(10){lot}" in printed
    assert "lots reached (3)" in printed
    assert "SH1 to URUMQI-DC (recalled)" in printed
    assert "status recalled" in plain(staff.ok("lot", "show", "G1").stdout)


def test_recall_refused_to_a_packing_station_key(staff: Staff) -> None:
    season(staff)
    size = staff.size()
    message = staff.refused("recall", "H1", "--reason", "x", "--signer", "packing_station")
    assert message.startswith("error: trace.recall must be signed by a key with role")
    assert staff.size() == size


def test_epcis_export_of_a_lot_validates(
    staff: Staff, validator: jsonschema.Draft7Validator, tmp_path: Path
) -> None:
    season(staff)
    target = tmp_path / "g1.jsonld"
    staff.ok("export", "epcis", "--lot", "G1", "--out", str(target))
    document = json.loads(target.read_text(encoding="utf-8"))
    assert errors(validator, document) == []
    assert len(document["epcisBody"]["eventList"]) >= 5
    by_range = json.loads(staff.ok("export", "epcis", "--from", "2026-06-01").stdout)
    assert errors(validator, by_range) == []


def test_fsma204_export_has_the_expected_columns(staff: Staff, tmp_path: Path) -> None:
    season(staff)
    target = tmp_path / "g1.csv"
    staff.ok("export", "fsma204", "--lot", "G1", "--out", str(target))
    text = target.read_text(encoding="utf-8")
    assert text.startswith("\ufeff")  # a BOM, so Excel reads the file as UTF-8
    rows = list(csv.DictReader(io.StringIO(text[1:])))
    assert rows
    assert tuple(rows[0]) == COLUMNS
    day = staff.ok("export", "fsma204", "--from", "2026-06-01", "--to", "2026-06-02").stdout
    assert tuple(next(csv.reader(io.StringIO(day.removeprefix("\ufeff"))))) == COLUMNS
    assert staff.ok("export", "fsma204", "--from", "2027-01-01").stdout.count("\n") == 1
