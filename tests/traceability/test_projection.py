"""The projection agrees with the ledger: reindex rebuilds it identically, on both backends."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy

from tests.ledger.conftest import Actor
from tests.traceability.conftest import STRAWBERRY, Coop, at, ev, ref
from traceability import (
    LifecycleError,
    Product,
    Recall,
    Recorder,
    Release,
    Role,
    UnknownError,
    ValidationError,
    reindex,
)
from traceability.projection._schema import metadata

OTHER = "06912345678926"  # a second bulk strawberry product sharing lot codes


def snapshot(coop: Coop) -> dict[str, list[tuple[Any, ...]]]:
    engine = coop.ledger.engine
    with engine.connect() as conn:
        return {
            table.name: sorted(tuple(row) for row in conn.execute(table.select()))
            for table in metadata.sorted_tables
        }


def small_season(coop: Coop) -> None:
    coop.harvest("H1")
    coop.cool("H1")
    coop.test("H1")
    coop.grade("H1", {"G1": ("super", "30", ["36"]), "G2": ("grade_1", "30", ["31"])})
    coop.test("G2", {"chlorpyrifos": "0.2"}, minutes=200)  # fails: G2 on hold
    coop.release("G1", minutes=210)
    coop.ship("SH1", ["G1"], minutes=240)


def test_reindex_after_dropping_tables_restores_identical_content(
    make_coop: Callable[[str], Coop], db_url: str
) -> None:
    coop = make_coop(db_url)
    small_season(coop)
    before = snapshot(coop)
    for name in ("trace_lots", "trace_results", "trace_edges", "trace_shipments"):
        assert before[name], name
    with coop.ledger.engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(sqlalchemy.text(f"DROP TABLE {table.name}"))
    assert reindex(coop.ledger) == coop.ledger.size()
    assert snapshot(coop) == before


def test_new_recorder_on_existing_ledger_catches_up(coop: Coop) -> None:
    small_season(coop)
    before = snapshot(coop)
    with coop.ledger.engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())
    Recorder(coop.ledger)
    assert snapshot(coop) == before


def test_entry_that_bypassed_the_recorder_is_an_anomaly_not_a_fact(coop: Coop) -> None:
    coop.harvest("H1")
    # Appended straight to the ledger: a release with no passing tests.
    body = ev(Release, lot=ref("H1"), note="sneaky", time=at(10)).to_body()
    cooperative = Actor("cooperative-1", coop.keys[Role.COOPERATIVE])
    receipt = coop.ledger.append(cooperative.sign("trace.release", body))
    coop.recorder.catch_up()
    assert coop.projection.lot(STRAWBERRY, "H1").status == "active"
    rows = snapshot(coop)["trace_anomalies"]
    assert rows == [(receipt.seq, rows[0][1])]
    assert "release-requires-passed-tests" in rows[0][1]
    reindex(coop.ledger)
    assert snapshot(coop)["trace_anomalies"] == rows


def test_reindex_command_rebuilds_the_tables(coop: Coop) -> None:
    from typer.testing import CliRunner

    from agritrace.cli import app

    small_season(coop)
    before = snapshot(coop)
    with coop.ledger.engine.begin() as conn:
        conn.execute(sqlalchemy.text("DROP TABLE trace_lots"))
    result = CliRunner().invoke(app, ["reindex", "--db", coop.world.url])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"reindexed {coop.ledger.size()} entries\n"
    assert snapshot(coop) == before


def test_reindex_command_on_missing_database_is_one_clear_line(tmp_path: Any) -> None:
    from typer.testing import CliRunner

    from agritrace.cli import app

    result = CliRunner().invoke(app, ["reindex", "--db", f"sqlite:///{tmp_path / 'none.db'}"])
    assert result.exit_code == 2
    assert "no ledger at" in result.output


def test_entry_appended_around_the_recorder_is_applied_before_the_next_check(
    coop: Coop,
) -> None:
    coop.harvest("H1")
    coop.test("H1")
    # Another process appends a recall straight to the ledger; the projection lags.
    cooperative = Actor("cooperative-1", coop.keys[Role.COOPERATIVE])
    recall = ev(Recall, lot=ref("H1"), reason="complaint", time=at(200)).to_body()
    coop.ledger.append(cooperative.sign("trace.recall", recall))
    size = coop.ledger.size()
    with pytest.raises(LifecycleError) as caught:
        coop.release("H1", minutes=210)
    # The release was checked, under the append lock, against a projection that had
    # applied the recall first: refused, nothing appended, and the recall is in the tables.
    assert caught.value.rule == "release-only-active-or-held"
    assert coop.ledger.size() == size
    assert coop.projection.lot(STRAWBERRY, "H1").status == "recalled"


def test_resolve_finds_a_code_by_its_one_product_and_names_the_callers_fields(coop: Coop) -> None:
    coop.harvest("H1")
    projection = coop.projection
    found = projection.resolve("H1")
    assert (found.gtin, found.lot) == (STRAWBERRY, "H1")
    assert projection.resolve("H1", STRAWBERRY) == found
    with pytest.raises(UnknownError) as unknown:
        projection.resolve("h1", lot_field="--lot")  # lot codes match exactly
    assert (unknown.value.field, unknown.value.got) == ("--lot", "h1")
    with pytest.raises(UnknownError):
        projection.resolve("H1", "06912345678919")  # a product without that lot
    with pytest.raises(UnknownError):
        projection.lot(STRAWBERRY, "H2")


def test_resolve_asks_for_the_gtin_when_products_share_a_code(coop: Coop) -> None:
    coop.record(Role.COOPERATIVE, ev(Product, gtin=OTHER, commodity="strawberry", name="草莓 B"))
    coop.harvest("H1")
    coop.harvest("H1", gtin=OTHER)
    with pytest.raises(ValidationError) as refused:
        coop.projection.resolve("H1", gtin_field="--gtin")
    assert not isinstance(refused.value, UnknownError)
    assert refused.value.field == "lot"
    assert refused.value.expected == f"--gtin to choose between {STRAWBERRY}, {OTHER}"
    assert coop.projection.resolve("H1", OTHER).gtin == OTHER
