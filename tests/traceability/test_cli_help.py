"""Every traceability command explains itself, and bad input is one red line with exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer.core
import typer.main

from agritrace.cli import app
from tests.traceability.conftest import DATA, RUNNER, Staff, plain

GROUPS = ("record", "rules", "trace", "lot", "export", "import")


def _walk(command: object, path: list[str]) -> list[list[str]]:
    found = [path]
    if isinstance(command, typer.core.TyperGroup):
        for name, sub in sorted(command.commands.items()):
            found += _walk(sub, [*path, name])
    return found


def _traceability_commands() -> list[list[str]]:
    root = typer.main.get_command(app)
    assert isinstance(root, typer.core.TyperGroup)
    paths: list[list[str]] = []
    for name in (*GROUPS, "recall", "reindex"):
        paths += _walk(root.commands[name], [name])
    return paths


COMMANDS = _traceability_commands()


def test_every_event_kind_can_be_recorded() -> None:
    recordable = {p[1] for p in COMMANDS if p[0] == "record" and len(p) == 2}
    assert recordable == {
        "cooperative", "product", "farm", "site", "input", "training", "assessment", "harvest",
        "cooling", "grading",
        "residue", "packing", "shipping", "receiving", "processing", "hold", "release", "recall",
        "complaint", "decision",
        "sampling_plan", "lab", "lab_approval", "sample", "intake",
    }  # fmt: skip


@pytest.mark.parametrize("args", COMMANDS, ids=lambda args: " ".join(["agritrace", *args]))
def test_every_command_has_help(args: list[str]) -> None:
    result = RUNNER.invoke(app, [*args, "--help"])
    assert result.exit_code == 0, result.stderr
    assert f"Usage: {' '.join(['agritrace', *args])}" in plain(result.stdout)


def test_unknown_lot_is_one_red_line(staff: Staff) -> None:
    assert staff.refused("trace", "back", "NOPE") == (
        "error: lot: expected a lot recorded on this ledger, got 'NOPE'"
    )


def test_user_text_is_not_read_as_markup(staff: Staff) -> None:
    # A lot code may hold '[' (GS1 set 82 does not, but users type anything): it is escaped.
    message = staff.refused("lot", "show", "[red]x[/red]")
    assert "[red]x[/red]" in message


def test_bad_event_file_names_the_field(staff: Staff) -> None:
    path = staff.write_json("h.json", {"lot": {"gtin": "06912345678903", "lot": "H1"}})
    message = staff.refused("record", "harvest", "--file", path, "--signer", "packing_station")
    assert message.startswith("error: lot.gtin: expected")


def test_mrl_file_of_another_edition_is_refused(staff: Staff) -> None:
    size = staff.size()
    message = staff.refused("rules", "load-mrl", str(DATA / "mrl-sample.csv"),
                            "--edition", "GB 2763-2021", "--signer", "cooperative")  # fmt: skip
    assert message == (
        "error: edition: expected the file to declare 'GB 2763-2021', got 'GB 2763-2026 SAMPLE'"
    )
    assert staff.size() == size


def test_export_refuses_lot_and_range_together(staff: Staff) -> None:
    message = staff.refused("export", "epcis", "--lot", "H1", "--from", "2026-06-01")
    assert message == (
        "error: --from: expected either --lot or --from/--to, not both, got '2026-06-01'"
    )


def test_missing_key_file_is_one_red_line(staff: Staff) -> None:
    message = staff.refused("record", "hold", "H1", "--reason", "x", "--signer", "nobody")
    assert message.startswith("error:")


def test_harvest_without_options_names_what_is_missing(staff: Staff) -> None:
    message = staff.refused("record", "harvest", "--lot", "H1", "--signer", "packing_station")
    assert message == (
        "error: --gtin, --plot, --variety, --quantity: expected options, or the event in "
        "--file, got None"
    )


def test_missing_file_is_one_red_line(staff: Staff, tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    message = staff.refused("import", "results", str(missing), "--signer", "lab")
    assert message == f"error: {missing}: No such file or directory"


def test_bad_dates_and_json_are_one_red_line(staff: Staff) -> None:
    assert staff.refused("export", "fsma204", "--from", "June 1") == (
        "error: --from: expected a date (2026-06-01) or RFC 3339 time, got 'June 1'"
    )
    assert staff.refused("export", "epcis", "--to", "2026-06-01T00:00:00") == (
        "error: --to: expected a time with a UTC offset, got '2026-06-01T00:00:00'"
    )
    path = staff.folder / "bad.json"
    path.write_text("[1, 2", encoding="utf-8")
    message = staff.refused("record", "farm", "--file", str(path), "--signer", "cooperative")
    assert (
        message == f"error: {path} line 1 column 6: expected a JSON object, expecting ',' delimiter"
    )
