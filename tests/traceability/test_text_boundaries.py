"""The one text policy at the command line's boundaries: options, event files, CSV, ledger append.

Every boundary builds the same event models (traceability/_text.py), so each refuses NUL,
bidirectional controls and invisible characters naming the field. The API's boundary is
shown by tests/verifier_app/test_hardening.py and test_text_property.py, the staff forms' by
tests/verifier_app/test_text_forms.py; these are the command line's.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ledger import Ledger
from tests.traceability.conftest import SAMPLES, STRAWBERRY, Staff, at, ref
from tests.traceability.test_cli_import import graded, harvested  # noqa: F401
from traceability import reindex
from traceability.projection import _schema as t

HOSTILE = {
    "NUL": "\x00",
    "RLO": "\u202e",
    "isolate": "\u2066",
    "zero-width space": "\u200b",
    "escape": "\x1b[31m",
}


@pytest.mark.parametrize("bad", HOSTILE.values(), ids=HOSTILE.keys())
def test_an_option_holding_a_forbidden_character_is_refused_naming_the_option(
    staff: Staff, bad: str
) -> None:
    size = staff.size()
    message = staff.refused("record", "harvest", "--signer", "packing_station", "--lot", "H1",
                            "--gtin", STRAWBERRY, "--plot", "YK-P1", "--variety", f"Hong{bad}yan",
                            "--quantity", "100", "--time", at(0))  # fmt: skip
    assert message.startswith("error: variety: expected text without control or invisible")
    assert staff.size() == size


@pytest.mark.parametrize("bad", HOSTILE.values(), ids=HOSTILE.keys())
def test_an_event_file_holding_a_forbidden_character_is_refused_naming_the_field(
    staff: Staff, bad: str
) -> None:
    size = staff.size()
    body = {"lot": ref("H1"), "plot": "YK-P1", "variety": f"Hong{bad}yan", "quantity": "100",
            "time": at(0)}  # fmt: skip
    path = staff.write_json("h.json", body)
    message = staff.refused("record", "harvest", "--file", path, "--signer", "packing_station")
    assert message.startswith("error: variety: expected text without control or invisible")
    assert staff.size() == size


@pytest.mark.parametrize("bad", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_csv_cell_holding_a_forbidden_character_is_refused_naming_line_and_field(
    graded: Staff,  # noqa: F811
    tmp_path: Path,
    bad: str,
) -> None:
    text = (SAMPLES / "lab-results-sample.csv").read_text(encoding="utf-8")
    path = tmp_path / "lab.csv"
    path.write_text(text.replace("Kashgar Agri", f"Kashgar{bad} Agri"), encoding="utf-8")
    size = graded.size()
    message = graded.refused("import", "results", str(path), "--signer", "lab")
    assert message.startswith("error: lab.csv line 3, lab: expected text without control")
    assert graded.size() == size


def test_ledger_append_keeps_a_bidi_statement_out_of_the_domain_and_everything_still_runs(
    harvested: Staff,  # noqa: F811
) -> None:
    # The ledger knows nothing of produce: it refuses only what no store can hold (NUL,
    # tests/ledger/test_nul.py). A trace statement breaking the text policy is appended,
    # signed, but the projection refuses it as it would any invalid event: an anomaly
    # naming the field, no lot, and every command still works.
    body = {"lot": ref("X1"), "plot": "YK-P1", "variety": "Hong\u202eyan", "quantity": "1",
            "time": at(5)}  # fmt: skip
    result = harvested.ok("ledger", "append", "--kind", "trace.harvest", "--body",
                          json.dumps(body), "--signer", "packing_station")  # fmt: skip
    assert "appended entry" in result.stdout
    message = harvested.refused("lot", "show", "X1")
    assert "expected a lot recorded on this ledger" in message
    assert "status" in harvested.ok("lot", "show", "H1").stdout
    assert "projection matches the log" in harvested.ok("audit").stdout
    with Ledger.open(harvested.db) as ledger:
        assert reindex(ledger) == ledger.size()
        with ledger.engine.connect() as conn:
            rows = conn.execute(t.anomalies.select()).all()
    assert len(rows) == 1
    assert "variety" in rows[0].error
    assert "U+202E" in rows[0].error
