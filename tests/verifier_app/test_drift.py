"""The server watches its projection: drift withholds "verified" and is shown to regulators.

The database is edited as an attacker with write access would; the app's drift monitor
(started by the app itself) finds it, the resolver stops saying verified for every lot, and
the regulator's page and API name the row.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from tests.verifier_app.regulator_world import SeasonWorld, build_season_world
from traceability import reindex
from traceability.events._ids import lot_key
from verifier_app._drift import DriftState, drift_state

JSON = {"Accept": "application/json"}
HTML = {"Accept": "text/html"}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> SeasonWorld:
    return build_season_world(tmp_path_factory.mktemp("drift") / "season")


@pytest.fixture
def world(pristine: SeasonWorld, tmp_path: Path) -> SeasonWorld:
    return pristine.copy(tmp_path / "season")


def tamper(world: SeasonWorld, sql: str) -> None:
    engine = create_engine(f"sqlite:///{world.folder / 'ledger.db'}")
    with engine.begin() as conn:
        conn.execute(text(sql))
    engine.dispose()


def settled(client: TestClient) -> DriftState:
    """The state once the app's own background check has run."""
    deadline = time.monotonic() + 120
    while (state := drift_state(client.app)).status == "unchecked":
        assert time.monotonic() < deadline, "the drift monitor never finished a check"
        time.sleep(0.1)
    return state


@pytest.fixture
def client(world: SeasonWorld) -> Iterator[TestClient]:
    with world.client() as client:
        yield client


def scan(client: TestClient, world: SeasonWorld, lot: str) -> str:
    answer = client.get(f"/01/{world.season.gtin}/10/{lot}", headers=JSON)
    status: str = answer.json()["status"]
    return status


def test_clean_projection_keeps_verified(client: TestClient, world: SeasonWorld) -> None:
    assert settled(client).status == "clean"
    assert scan(client, world, world.season.released) == "verified"


def test_background_check_finds_an_edit_and_withholds_verified(
    world: SeasonWorld,
) -> None:
    recalled = lot_key(world.season.gtin, world.season.recalled)
    tamper(world, f"UPDATE trace_lots SET status = 'released' WHERE key = '{recalled}'")
    with world.client() as client:
        state = settled(client)
        assert state.status == "drift"
        assert [(d.lot, d.field, d.stored, d.replayed) for d in state.drifts] == [
            (recalled, "status", "released", "recalled")
        ]
        # Every lot, not only the edited one: the server's reading of its own tables is in doubt.
        assert scan(client, world, world.season.released) == "unverified"
        # The edited lot itself: the server's own fact check disagrees with its entries too.
        assert scan(client, world, world.season.recalled) in {"unverified", "not_verified"}
        page = client.get(
            f"/01/{world.season.gtin}/10/{world.season.released}?lang=en", headers=HTML
        ).text
        assert 'class="banner unverified' in page
        assert "Cannot be confirmed right now" in page


def test_drift_found_after_answers_were_cached_replaces_them(
    client: TestClient, world: SeasonWorld
) -> None:
    assert settled(client).status == "clean"
    assert scan(client, world, world.season.released) == "verified"  # now cached
    released = lot_key(world.season.gtin, world.season.released)
    tamper(world, f"UPDATE trace_lots SET grade = 'super' WHERE key = '{released}'")
    client.app.state.drift.check(full=True)  # type: ignore[attr-defined]
    assert drift_state(client.app).status == "drift"
    # The edited lot: withheld by the drift monitor, or caught by the server's fact check.
    assert scan(client, world, world.season.released) in {"unverified", "not_verified"}


def test_reindex_then_a_full_check_restores_verified(
    client: TestClient, world: SeasonWorld
) -> None:
    assert settled(client).status == "clean"
    released = lot_key(world.season.gtin, world.season.released)
    tamper(world, f"UPDATE trace_lots SET quantity = '1' WHERE key = '{released}'")
    monitor = client.app.state.drift  # type: ignore[attr-defined]
    assert monitor.check(full=True).status == "drift"
    reindex(client.app.state.ledger)  # type: ignore[attr-defined]
    # While drift stands, the next check is a full one whatever is asked for by default.
    assert monitor.check().status == "clean"
    assert scan(client, world, world.season.released) == "verified"


def test_regulator_page_and_api_list_the_drifting_row(world: SeasonWorld) -> None:
    held = lot_key(world.season.gtin, world.season.residue_hold)
    tamper(world, "UPDATE trace_results SET value = '0.001' WHERE lot LIKE '%SB26-H0%'")
    tamper(world, f"UPDATE trace_lots SET status = 'released' WHERE key = '{held}'")
    with world.client() as client:
        assert settled(client).status == "drift"
        assert client.get("/api/v1/drift").status_code == 401
        api = client.get("/api/v1/drift", headers=world.auth("regulator")).json()
        assert api["status"] == "drift"
        assert {"table": "trace_lots", "lot": held, "field": "status"}.items() <= next(
            d for d in api["drifts"] if d["lot"] == held
        ).items()
        assert any(d["table"] == "trace_results" and d["field"] == "value" for d in api["drifts"])
        world.sign_in(client, "regulator")
        page = client.get("/regulator?lang=en", headers=HTML).text
        assert "differ from a replay of the ledger" in page
        assert f"trace_lots key={held}" in page
        assert (
            "<td><bdi>status</bdi></td><td><bdi>released</bdi></td><td><bdi>on_hold</bdi></td>"
            in page
        )


def test_incremental_check_after_an_append_names_an_edit_of_the_touched_lot(
    client: TestClient, world: SeasonWorld
) -> None:
    from ledger import KeyFolder
    from traceability import Hold, Recorder

    assert settled(client).status == "clean"
    monitor = client.app.state.drift  # type: ignore[attr-defined]
    ledger = client.app.state.ledger  # type: ignore[attr-defined]
    lot = world.season.released
    Recorder(ledger).record(
        Hold.from_body(
            {
                "lot": {"gtin": world.season.gtin, "lot": lot},
                "reason": "spot check",
                "time": "2026-06-20T10:00:00+08:00",
            }
        ),
        KeyFolder(world.folder / "keys").load("market-regulator"),
    )
    tamper(world, f"UPDATE trace_lots SET status_reason = 'none' WHERE lot = '{lot}'")
    state = monitor.check(full=False)
    assert state.status == "drift"
    assert [d.field for d in state.drifts] == ["status_reason"]
