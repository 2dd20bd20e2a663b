"""Bulk imports: whole files checked first, bad rows named by line, nothing half-applied."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.traceability.conftest import DATA, SAMPLES, STRAWBERRY, Staff, at, plain, ref
from traceability import load_mrl_csv

HARVEST = datetime.fromisoformat(at(0))


def logger_file(
    path: Path,
    rows: int,
    *,
    every_seconds: float,
    start_minutes: float = 5,
    celsius: str = "5.0",
    warm_rows: int = 0,
) -> Path:
    """A logger CSV; the first ``warm_rows`` readings are field heat (18 °C)."""
    lines = ["timestamp,celsius"]
    for i in range(rows):
        moment = HARVEST + timedelta(minutes=start_minutes, seconds=i * every_seconds)
        lines.append(f"{moment.isoformat()},{'18.0' if i < warm_rows else celsius}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def replace_line(path: Path, number: int, text: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[number - 1] = text
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def harvested(staff: Staff) -> Staff:
    staff.ok("record", "harvest", "--signer", "packing_station", "--lot", "H1", "--gtin",
             STRAWBERRY, "--plot", "YK-P1", "--variety", "Hongyan", "--quantity", "100",
             "--time", at(0))  # fmt: skip
    return staff


@pytest.fixture
def graded(harvested: Staff) -> Staff:
    grading = {
        "input": ref("H1"),
        "outputs": [
            {"lot": ref("G1"), "grade": "super", "quantity": "60", "sizes_mm": ["36"]},
            {"lot": ref("G2"), "grade": "grade_1", "quantity": "30", "sizes_mm": ["31"]},
        ],
        "time": at(90),
    }
    path = harvested.write_json("grading.json", grading)
    harvested.ok("record", "grading", "--signer", "packing_station", "--file", path)
    return harvested


def cool(staff: Staff, path: Path) -> list[str]:
    return ["import", "readings", str(path), "--kind", "cooling", "--lot", "H1", "--site", "PS1",
            "--signer", "packing_station"]  # fmt: skip


# --- temperature loggers -------------------------------------------------------------------


def test_5000_row_logger_file_is_recorded_as_cooling_events(
    harvested: Staff, tmp_path: Path
) -> None:
    # A forced-air pre-cooling probe at 2 Hz: 5,000 readings in about 42 minutes.
    path = logger_file(tmp_path / "probe.csv", 5000, every_seconds=0.5)
    size = harvested.size()
    result = harvested.ok(*cool(harvested, path))
    assert "imported 5000 readings from probe.csv as 5 trace.cooling events" in result.stdout
    assert harvested.size() == size + 5
    assert "status active" in plain(harvested.ok("lot", "show", "H1").stdout)


def test_malformed_row_names_its_line_and_field_and_appends_nothing(
    harvested: Staff, tmp_path: Path
) -> None:
    path = logger_file(tmp_path / "probe.csv", 5000, every_seconds=0.5)
    replace_line(path, 4321, "2026-06-01T08:40:00+08:00,5,1")
    size = harvested.size()
    assert harvested.refused(*cool(harvested, path)) == (
        "error: probe.csv line 4321: expected 2 fields, got '3: 2026-06-01T08:40:00+08:00,5,1'"
    )
    replace_line(path, 4321, "2026-06-01T08:40:00+08:00,5.1.")
    assert harvested.refused(*cool(harvested, path)) == (
        "error: probe.csv line 4321, celsius: expected a decimal string like '12.5', got '5.1.'"
    )
    replace_line(path, 4321, "2026-06-01 08:40,5.1")
    assert harvested.refused(*cool(harvested, path)).startswith(
        "error: probe.csv line 4321, timestamp: expected"
    )
    assert harvested.size() == size


def test_long_log_whose_later_events_are_past_the_deadline_keeps_the_lot_active(
    harvested: Staff, tmp_path: Path
) -> None:
    # At 1 Hz the fifth event (from 09:11:40) starts after the 60-minute pre-cooling
    # deadline: judged alone it would look like late pre-cooling; judged with the rest of
    # the lot's readings it is a lot kept in band.
    path = logger_file(tmp_path / "probe.csv", 5000, every_seconds=1)
    size = harvested.size()
    result = harvested.ok(*cool(harvested, path))
    assert "as 5 trace.cooling events" in result.stdout
    assert harvested.size() == size + 5
    assert "status active" in plain(harvested.ok("lot", "show", "H1").stdout)


def test_long_log_that_reaches_band_only_in_a_later_event_keeps_the_lot_active(
    harvested: Staff, tmp_path: Path
) -> None:
    # Field heat for the first 1,500 readings (25 minutes at 1 Hz), then in band: the first
    # event alone has no reading in band at all.
    path = logger_file(tmp_path / "probe.csv", 3000, every_seconds=1, warm_rows=1500)
    harvested.ok(*cool(harvested, path))
    assert "status active" in plain(harvested.ok("lot", "show", "H1").stdout)


def test_long_log_that_reaches_band_too_late_holds_the_lot_once(
    harvested: Staff, tmp_path: Path
) -> None:
    # 3,700 readings of field heat (in band only 67 minutes after harvest), four events.
    path = logger_file(tmp_path / "probe.csv", 4000, every_seconds=1, warm_rows=3700)
    harvested.ok(*cool(harvested, path))
    shown = plain(harvested.ok("lot", "show", "H1").stdout)
    assert "status on_hold" in shown
    assert "cold-chain-precool" in shown
    assert "core not at 4-6 °C within 60 min" in shown


def test_warm_log_holds_the_lot(harvested: Staff, tmp_path: Path) -> None:
    path = logger_file(tmp_path / "probe.csv", 100, every_seconds=60, celsius="9.5")
    harvested.ok(*cool(harvested, path))
    shown = plain(harvested.ok("lot", "show", "H1").stdout)
    assert "status on_hold" in shown
    assert "cold-chain-precool" in shown


def shipped(graded: Staff) -> Staff:
    graded.ok("import", "results", str(SAMPLES / "lab-results-sample.csv"), "--signer", "lab")
    graded.ok("record", "release", "G1", "--note", "ok", "--signer", "cooperative")
    shipping = {"shipment": "SH1", "lots": [ref("G1")], "origin": "PS1",
                "destination": "URUMQI-DC", "set_point_celsius": "5", "time": at(180)}  # fmt: skip
    graded.ok("record", "shipping", "--signer", "logistics",
              "--file", graded.write_json("s.json", shipping))  # fmt: skip
    return graded


def transport(path: Path) -> list[str]:
    return ["import", "readings", str(path), "--kind", "transport", "--lot", "G1",
            "--receiver", "URUMQI-DC", "--signer", "logistics"]  # fmt: skip


def test_transport_log_received_for_the_lots_shipment(graded: Staff, tmp_path: Path) -> None:
    shipped(graded)
    path = logger_file(tmp_path / "reefer.csv", 600, every_seconds=60, start_minutes=200)
    replace_line(path, 300, f"{(HARVEST + timedelta(minutes=500)).isoformat()},9.0")
    graded.ok(*transport(path))
    shown = plain(graded.ok("lot", "show", "G1").stdout)
    assert "status on_hold" in shown
    assert "cold-chain-transport" in shown


def test_long_transport_log_is_recorded_in_parts_and_received_once(
    graded: Staff, tmp_path: Path
) -> None:
    shipped(graded)
    # A reefer logger every 30 s for 25 hours: 3,000 readings, three events.
    path = logger_file(tmp_path / "reefer.csv", 3000, every_seconds=30, start_minutes=200)
    size = graded.size()
    result = graded.ok(*transport(path))
    assert "imported 3000 readings from reefer.csv as 3 trace.receiving events" in result.stdout
    assert graded.size() == size + 3
    assert "status received" in plain(graded.ok("lot", "show", "G1").stdout)
    assert "(received)" in plain(graded.ok("trace", "forward", "G1").stdout)


def test_excursion_in_a_middle_part_of_a_long_transport_log_holds_the_lot(
    graded: Staff, tmp_path: Path
) -> None:
    shipped(graded)
    path = logger_file(tmp_path / "reefer.csv", 3000, every_seconds=30, start_minutes=200)
    text = path.read_text(encoding="utf-8").splitlines()
    replace_line(path, 1500, text[1499].replace(",5.0", ",9.0"))  # the second part
    graded.ok(*transport(path))
    shown = plain(graded.ok("lot", "show", "G1").stdout)
    assert "status on_hold" in shown
    assert "cold-chain-transport" in shown
    assert "logger 9.0 °C" in shown


# --- lab results ---------------------------------------------------------------------------


def test_results_file_records_one_residue_test_per_sample(graded: Staff) -> None:
    size = graded.size()
    result = graded.ok(
        "import", "results", str(SAMPLES / "lab-results-sample.csv"), "--signer", "lab"
    )
    assert (
        "imported 6 results from lab-results-sample.csv as 2 residue-test events" in result.stdout
    )
    assert graded.size() == size + 2


def test_results_from_a_non_lab_key_are_refused(graded: Staff) -> None:
    size = graded.size()
    path = str(SAMPLES / "lab-results-sample.csv")
    message = graded.refused("import", "results", path, "--signer", "packing_station")
    assert message.startswith("error: trace.residue must be signed by a key with role lab")
    assert graded.size() == size


def test_rule_broken_by_a_later_sample_appends_none_of_the_file(graded: Staff) -> None:
    graded.ok("recall", "G2", "--reason", "dropped", "--signer", "cooperative")
    size = graded.size()
    path = str(SAMPLES / "lab-results-sample.csv")
    message = graded.refused("import", "results", path, "--signer", "lab")
    # Lines 1-2 are the comment and header, 3-5 sample S-G1, 6-8 sample S-G2.
    assert message.startswith("error: lab-results-sample.csv line 6: test-not-after-recall:")
    assert graded.size() == size
    assert "results none recorded" in plain(graded.ok("lot", "show", "G1").stdout)


def test_result_below_its_loq_names_the_line(graded: Staff, tmp_path: Path) -> None:
    path = tmp_path / "lab.csv"
    path.write_text((SAMPLES / "lab-results-sample.csv").read_text(encoding="utf-8").replace(
        "carbendazim,0.1,", "carbendazim,0.001,"), encoding="utf-8")  # fmt: skip
    message = graded.refused("import", "results", str(path), "--signer", "lab")
    assert message == (
        "error: lab.csv line 4, value: expected '<LOQ' or a value >= the LOQ 0.01 mg/kg, "
        "got '0.001'"
    )


def test_sample_rows_must_agree_on_method_lab_and_time(graded: Staff, tmp_path: Path) -> None:
    path = tmp_path / "lab.csv"
    lines = (SAMPLES / "lab-results-sample.csv").read_text(encoding="utf-8").splitlines()
    lines[4] = lines[4].replace("10:00:00", "11:00:00")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    message = graded.refused("import", "results", str(path), "--signer", "lab")
    assert message.startswith("error: lab.csv line 5, time: expected '2026-06-01T10:00:00+08:00'")


def test_missing_column_is_named(graded: Staff, tmp_path: Path) -> None:
    path = tmp_path / "lab.csv"
    path.write_text("sample_id,lot,substance,value\nS1,G1,x,1\n", encoding="utf-8")
    message = graded.refused("import", "results", str(path), "--signer", "lab")
    assert message.startswith("error: lab.csv line 1: expected columns unit, loq, method")


# --- encodings -----------------------------------------------------------------------------

CHINESE_LAB = "喀什地区农产品质量检测中心"


def _lab_file(path: Path, encoding: str) -> str:
    text = (SAMPLES / "lab-results-sample.csv").read_text(encoding="utf-8")
    path.write_text(text.replace("Kashgar Agri Testing Lab", CHINESE_LAB), encoding=encoding)
    return str(path)


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-8"])
def test_results_file_in_excel_encodings_imports(
    graded: Staff, tmp_path: Path, encoding: str
) -> None:
    path = _lab_file(tmp_path / "lab.csv", encoding)
    size = graded.size()
    graded.ok("import", "results", path, "--signer", "lab")
    assert graded.size() == size + 2
    assert CHINESE_LAB in graded.ok("export", "epcis", "--lot", "G1").stdout  # read right


def test_file_in_neither_utf8_nor_gb18030_is_a_clear_error(graded: Staff, tmp_path: Path) -> None:
    path = tmp_path / "lab.csv"
    # UTF-16 (Excel's "Unicode text"): NUL bytes and an 0xFF 0xFE mark fit neither.
    path.write_bytes("sample_id,gtin\n".encode("utf-16") + b"\x81\x30\xff")
    size = graded.size()
    message = graded.refused("import", "results", str(path), "--signer", "lab")
    assert message.startswith("error: lab.csv: expected UTF-8, UTF-8 with BOM, GBK or GB18030")
    assert "Traceback" not in message
    assert graded.size() == size


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig"])
def test_mrl_table_in_excel_encodings_loads_as_the_utf8_file_does(
    tmp_path: Path, encoding: str
) -> None:
    # A regulator's GB 2763 table is Chinese; saved from Excel it is GBK or has a BOM (the
    # BOM hid the first "# edition" line and a GBK byte was a traceback).
    text = (DATA / "mrl-sample.csv").read_text(encoding="utf-8")
    text = text.replace("# source: ", "# source: 国家标准 ")
    (tmp_path / "utf8.csv").write_text(text, encoding="utf-8")
    (tmp_path / "excel.csv").write_text(text, encoding=encoding)
    table = load_mrl_csv(tmp_path / "excel.csv")
    assert table == load_mrl_csv(tmp_path / "utf8.csv")
    assert table.source.startswith("国家标准")


def test_mrl_row_with_more_cells_than_the_header_is_named_by_line(
    staff: Staff, tmp_path: Path
) -> None:
    path = tmp_path / "mrl.csv"
    path.write_text("# edition: X\ncommodity,substance,limit_mg_per_kg\n\nstrawberry,a,0.1,9\n")
    size = staff.size()
    message = staff.refused("rules", "load-mrl", str(path), "--signer", "cooperative")
    assert message == "error: mrl.csv line 4: expected 3 fields, got 'strawberry,a,0.1,9'"
    path.write_bytes("commodity,substance\n".encode("utf-16"))
    message = staff.refused("rules", "load-mrl", str(path), "--signer", "cooperative")
    assert message.startswith("error: mrl.csv: expected UTF-8, UTF-8 with BOM, GBK or GB18030")
    assert staff.size() == size
