"""The domain drift check: writes straight into the trace_* tables are each named.

Every test edits the database as an attacker with write access would (no recorder, no log
entry) and asserts the check names the table, the lot and the field, with the stored value
and the value the log gives. On SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy
from sqlalchemy import delete, update

from tests.traceability.conftest import JAM, STRAWBERRY, Coop
from traceability.events._ids import lot_key
from traceability.projection import _schema as t
from traceability.projection._check import ProjectionCheck, check_projection, diff_rows

H1 = lot_key(STRAWBERRY, "H1")
G1 = lot_key(STRAWBERRY, "G/1")
J1 = lot_key(JAM, "J1")


@pytest.fixture
def coop(make_coop: Callable[[str], Coop], db_url: str) -> Coop:
    """The conftest cooperative, on each backend (the season fixture builds on it)."""
    return make_coop(db_url)


@pytest.fixture
def seasoned(season: Coop) -> Coop:
    """The conftest season: every event kind, a hold and a recall."""
    return season


def write(coop: Coop, *statements: Any) -> None:
    with coop.ledger.engine.begin() as conn:
        for statement in statements:
            conn.execute(statement)


def fields(coop: Coop) -> set[tuple[str, str | None, str]]:
    report = check_projection(coop.ledger)
    assert report.size == coop.ledger.size()
    return {(d.table, d.lot, d.field) for d in report.drifts}


def test_untouched_projection_is_clean(seasoned: Coop) -> None:
    report = check_projection(seasoned.ledger)
    assert report.verdict == "clean", [d.describe() for d in report.drifts]
    assert report.scope == "full"


def test_recalled_lot_set_released_is_named_with_both_values(seasoned: Coop) -> None:
    write(seasoned, update(t.lots).where(t.lots.c.key == H1).values(status="released"))
    (drift,) = check_projection(seasoned.ledger).drifts
    assert (drift.table, drift.lot, drift.field) == ("trace_lots", H1, "status")
    assert (drift.stored, drift.replayed) == ("released", "recalled")
    assert drift.entries  # the entries the row rests on
    assert "released" in drift.describe()
    assert "recalled" in drift.describe()


def test_residue_value_and_verdict_changes_are_named(seasoned: Coop) -> None:
    write(
        seasoned,
        update(t.results)
        .where(t.results.c.lot == H1, t.results.c.substance == "carbendazim")
        .values(value="0.01", outcome="fail"),
    )
    found = fields(seasoned)
    assert ("trace_results", H1, "value") in found
    assert ("trace_results", H1, "outcome") in found


def test_grade_change_is_named(seasoned: Coop) -> None:
    write(seasoned, update(t.lots).where(t.lots.c.key == G1).values(grade="grade_2"))
    assert fields(seasoned) == {("trace_lots", G1, "grade")}


def test_grower_origin_and_cooperative_names_are_named(seasoned: Coop) -> None:
    write(
        seasoned,
        update(t.farms).values(grower="Somebody Else", village="Elsewhere"),
        update(t.lots).where(t.lots.c.key == H1).values(plot="YK-P2"),
        update(t.products).where(t.products.c.gtin == STRAWBERRY).values(name="organic"),
    )
    found = fields(seasoned)
    assert ("trace_farms", None, "grower") in found
    assert ("trace_farms", None, "village") in found
    assert ("trace_lots", H1, "plot") in found
    assert ("trace_products", None, "name") in found


def test_cooperative_name_change_is_named(make_coop: Callable[[str], Coop], db_url: str) -> None:
    from traceability import Cooperative, Role

    coop = make_coop(db_url)
    coop.record(
        Role.COOPERATIVE,
        Cooperative.from_body(
            {"name_zh": "喀什合作社", "address": "Kashgar 1", "county": "Kashgar"}
        ),
    )
    write(coop, update(t.cooperative).values(name_zh="另一个合作社"))
    (drift,) = check_projection(coop.ledger).drifts
    assert (drift.table, drift.field, drift.replayed) == (
        "trace_cooperative",
        "name_zh",
        "喀什合作社",
    )


def test_dropped_residue_rows_are_each_named(seasoned: Coop) -> None:
    write(seasoned, delete(t.results).where(t.results.c.lot == H1))
    report = check_projection(seasoned.ledger)
    dropped = [d for d in report.drifts if d.table == "trace_results"]
    assert len(dropped) == 4  # one per substance tested
    assert {(d.field, d.stored, d.replayed) for d in dropped} == {("(row)", "(no row)", "present")}
    assert all(d.lot == H1 for d in dropped)


def test_dropped_recall_is_named(seasoned: Coop) -> None:
    recall_seq = seasoned.ledger.size() - 1
    write(
        seasoned,
        update(t.lots)
        .where(t.lots.c.key == H1)
        .values(status="consumed", status_seq=3, status_reason=None),
        delete(t.event_lots).where(t.event_lots.c.seq == recall_seq),
    )
    report = check_projection(seasoned.ledger)
    found = {(d.table, d.lot, d.field) for d in report.drifts}
    assert ("trace_lots", H1, "status") in found
    assert ("trace_event_lots", H1, "(row)") in found
    assert any(recall_seq in d.entries for d in report.drifts)


def test_inserted_row_the_log_does_not_make_is_named(seasoned: Coop) -> None:
    write(
        seasoned,
        sqlalchemy.insert(t.edges).values(parent=J1, child=G1, seq=1, kind="trace.processing"),
    )
    (drift,) = check_projection(seasoned.ledger).drifts
    assert (drift.table, drift.field, drift.stored, drift.replayed) == (
        "trace_edges",
        "(row)",
        "present",
        "(no row)",
    )


def test_reindex_over_a_faked_revocation_changes_nothing(seasoned: Coop) -> None:
    # The key table says the lab key was revoked before it recorded anything. Key state is
    # replayed from the entries (ledger/_keystate.py), never read from the table, so a reindex
    # still applies the lab's results: no drift, and the ledger audit names the edited row.
    from ledger import key_id_for
    from traceability import Role, reindex

    public = seasoned.keys[Role.LAB].public_key().public_bytes_raw()
    with seasoned.ledger.engine.begin() as conn:
        conn.execute(
            sqlalchemy.text("UPDATE ledger_key SET revoked_seq = 1 WHERE key_id = :k"),
            {"k": key_id_for(public)},
        )
    reindex(seasoned.ledger)
    assert fields(seasoned) == set()
    report = seasoned.ledger.audit(processes=False)
    assert any(d.table == "ledger_key" and d.column == "revoked_seq" for d in report.drift)


def test_a_lab_role_added_in_the_key_table_records_no_residue_result(coop: Coop) -> None:
    # The packing station's key row gains the lab role, then a reindex: a recorder opened
    # afresh (as a new process would) still takes the key's roles from the log, so the
    # packing station cannot record residue results, and the audit names the edited row.
    from ledger import key_id_for
    from traceability import Recorder, Role, RoleError, reindex

    coop.harvest()
    packer = coop.keys[Role.PACKING_STATION]
    with coop.ledger.engine.begin() as conn:
        conn.execute(
            sqlalchemy.text("UPDATE ledger_key SET roles = :r WHERE key_id = :k"),
            {
                "r": '["lab", "packing_station"]',
                "k": key_id_for(packer.public_key().public_bytes_raw()),
            },
        )
    reindex(coop.ledger)
    size = coop.ledger.size()
    coop.recorder = Recorder(coop.world.reopen())
    coop.keys[Role.LAB] = packer  # the packing station signs the lab's results
    with pytest.raises(RoleError, match="lab"):
        coop.test("H1")
    assert coop.ledger.size() == size
    assert fields(coop) == set()
    report = coop.ledger.audit(processes=False)
    assert any(d.table == "ledger_key" and d.column == "roles" for d in report.drift)


def test_incremental_check_compares_only_touched_lots_and_catches_edits_there(
    seasoned: Coop,
) -> None:
    with ProjectionCheck(seasoned.ledger) as check:
        assert check.run().verdict == "clean"
        # Untouched lot edited: an incremental run does not look at it; a full run does.
        write(seasoned, update(t.lots).where(t.lots.c.key == G1).values(grade="grade_2"))
        seasoned.harvest("H9", minutes=600)
        quick = check.run(full=False)
        assert quick.scope == "incremental"
        assert quick.verdict == "clean"
        assert check.run(full=True).verdict == "drift"
        # A touched lot edited: the incremental run names it.
        seasoned.cool("H9", minutes=630)
        write(
            seasoned,
            update(t.lots).where(t.lots.c.key == lot_key(STRAWBERRY, "H9")).values(quantity="1"),
        )
        seasoned.test("H9", minutes=700)
        named = {(d.lot, d.field) for d in check.run(full=False).drifts}
        assert (lot_key(STRAWBERRY, "H9"), "quantity") in named


def test_diff_rows_names_each_differing_field() -> None:
    stored = [{"key": "a", "status": "released", "status_seq": 4, "grade": None}]
    replayed = [
        {"key": "a", "status": "recalled", "status_seq": 9, "grade": None},
        {"key": "b", "status": "active", "status_seq": 2, "grade": "super"},
    ]
    drifts = diff_rows("trace_lots", ["key"], stored, replayed)
    assert [(d.key, d.field, d.stored, d.replayed) for d in drifts] == [
        ("key=a", "status", "released", "recalled"),
        ("key=a", "status_seq", "4", "9"),
        ("key=b", "(row)", "(no row)", "present"),
    ]
    assert drifts[0].entries == (4, 9)


def test_a_null_value_is_named_empty_not_a_missing_row() -> None:
    # A recall's reason erased to NULL: the row is there, so the report must not say "no row".
    stored = [{"key": "a", "status": "released", "status_reason": None}]
    replayed = [{"key": "a", "status": "recalled", "status_reason": "recall of a"}]
    status, reason = diff_rows("trace_lots", ["key"], stored, replayed)
    assert status.field == "status"
    assert (reason.field, reason.stored, reason.replayed) == (
        "status_reason",
        "(empty)",
        "recall of a",
    )
    assert reason.lot == "a"
    assert "(no row)" not in reason.describe()


# --- the command line ----------------------------------------------------------------------


def cli(coop: Coop, *args: str) -> Any:
    from typer.testing import CliRunner

    from agritrace.cli import app

    runner = CliRunner(env={"COLUMNS": "250", "NO_COLOR": "1"})
    return runner.invoke(app, [*args, "--db", coop.world.url])


@pytest.mark.parametrize("command", [["audit"], ["reindex", "--check"]])
def test_audit_command_exits_1_naming_the_row_and_repairs_nothing(
    seasoned: Coop, command: list[str]
) -> None:
    assert cli(seasoned, *command).exit_code == 0
    write(seasoned, update(t.lots).where(t.lots.c.key == H1).values(status="released"))
    result = cli(seasoned, *command)
    assert result.exit_code == 1, result.output
    assert f"trace_lots key={H1}" in result.stderr
    assert "status stored 'released', the log gives 'recalled'" in result.stderr
    assert cli(seasoned, *command).exit_code == 1  # still there: nothing repaired


def test_reindex_prints_what_it_repairs_then_the_audit_is_clean(seasoned: Coop) -> None:
    write(seasoned, update(t.lots).where(t.lots.c.key == G1).values(grade="grade_2"))
    result = cli(seasoned, "reindex")
    assert result.exit_code == 0, result.output
    assert "grade stored 'grade_2', the log gives 'super'" in result.stderr
    assert "repairing 1 field(s)" in result.stderr
    assert cli(seasoned, "audit").exit_code == 0


def test_audit_names_a_dropped_table(seasoned: Coop) -> None:
    write(seasoned, sqlalchemy.text("DROP TABLE trace_results"))
    result = cli(seasoned, "audit")
    assert result.exit_code == 1
    assert "missing table(s) trace_results" in result.stderr


def test_incremental_check_compares_master_rows_written_since(coop: Coop) -> None:
    from traceability import Farm, Role

    with ProjectionCheck(coop.ledger) as check:
        assert check.run().verdict == "clean"
        farm = {"farm": "YK-F9", "grower": "Mehmet Ali", "village": "Toqsu", "county": "Yarkant"}
        coop.record(Role.COOPERATIVE, Farm.from_body(farm | {"plots": ["YK-P9"]}))
        write(coop, update(t.farms).where(t.farms.c.farm == "YK-F9").values(grower="Nobody"))
        (drift,) = check.run(full=False).drifts
        assert (drift.table, drift.field, drift.stored, drift.replayed) == (
            "trace_farms",
            "grower",
            "Nobody",
            "Mehmet Ali",
        )
