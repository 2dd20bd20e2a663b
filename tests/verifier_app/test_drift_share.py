"""One drift checker per server: the others adopt its state; full checks are paced.

Two apps over one database sharing a drift state file stand for two workers of one
``agritrace serve``; the last test runs ``serve --workers 2`` itself.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx2
import pytest
from fastapi.testclient import TestClient

from tests.verifier_app.regulator_world import SeasonWorld, build_season_world
from tests.verifier_app.test_cli import free_port
from tests.verifier_app.test_drift import scan, settled, tamper
from traceability.events._ids import lot_key
from verifier_app._app import create_app
from verifier_app._drift import FULL_CHECK_SPACING, DriftMonitor, drift_state
from verifier_app._drift_share import StateFile

JSON = {"Accept": "application/json"}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> SeasonWorld:
    return build_season_world(tmp_path_factory.mktemp("drift-share") / "season")


@pytest.fixture
def world(pristine: SeasonWorld, tmp_path: Path) -> SeasonWorld:
    return pristine.copy(tmp_path / "season")


def worker(world: SeasonWorld, state_file: Path, **settings: object) -> TestClient:
    """An app as one worker of a server would build it (not started)."""
    changed = world.settings().model_copy(
        update={"drift_state_file": state_file, "drift_poll_seconds": 0.05, **settings}
    )
    return TestClient(create_app(changed))


def monitor(client: TestClient) -> DriftMonitor:
    found: DriftMonitor = client.app.state.drift  # type: ignore[attr-defined]
    return found


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


@pytest.fixture
def two(world: SeasonWorld, tmp_path: Path) -> Iterator[tuple[TestClient, TestClient]]:
    """Two running workers, the first one the checker."""
    state_file = tmp_path / "run" / "drift-8000.json"
    with ExitStack() as stack:
        first = stack.enter_context(worker(world, state_file))
        wait_for(lambda: monitor(first).checking, "the first worker never took the lock")
        second = stack.enter_context(worker(world, state_file))
        yield first, second


def test_only_one_worker_checks_and_a_drift_withholds_verified_in_both(
    world: SeasonWorld, tmp_path: Path
) -> None:
    recalled = lot_key(world.season.gtin, world.season.recalled)
    tamper(world, f"UPDATE trace_lots SET status = 'released' WHERE key = '{recalled}'")
    state_file = tmp_path / "run" / "drift-8000.json"
    with worker(world, state_file) as a, worker(world, state_file) as b:
        assert settled(a).status == "drift"
        assert settled(b).status == "drift"
        assert [monitor(a).checking, monitor(b).checking].count(True) == 1
        follower = b if monitor(a).checking else a
        assert follower.app.state.drift._check is None  # type: ignore[attr-defined]
        # The follower knows the drift's rows, not just its verdict.
        assert [d.lot for d in drift_state(follower.app).drifts] == [recalled]
        for client in (a, b):
            assert scan(client, world, world.season.released) == "unverified"


def test_a_later_drift_reaches_the_other_worker_and_replaces_its_cached_answers(
    two: tuple[TestClient, TestClient], world: SeasonWorld
) -> None:
    checker, follower = two
    assert settled(checker).status == "clean"
    wait_for(lambda: drift_state(follower.app).status == "clean", "the follower never saw clean")
    assert scan(follower, world, world.season.released) == "verified"  # now cached there
    recalled = lot_key(world.season.gtin, world.season.recalled)
    tamper(world, f"UPDATE trace_lots SET status = 'released' WHERE key = '{recalled}'")
    assert monitor(checker).check(full=True).status == "drift"
    wait_for(lambda: drift_state(follower.app).unresolved, "the follower never saw the drift")
    assert scan(follower, world, world.season.released) == "unverified"


@contextmanager
def checker_and_follower(
    world: SeasonWorld, state_file: Path, **settings: object
) -> Iterator[tuple[TestClient, TestClient, Callable[[], None]]]:
    """Two running workers, the first the checker, and a call that stops the checker."""
    checker = worker(world, state_file, **settings)
    follower = worker(world, state_file, **settings)
    stopped: list[bool] = []

    def stop_checker() -> None:  # once: at the test's step, or on the way out of a failure
        if not stopped:
            stopped.append(True)
            checker.__exit__(None, None, None)  # its lifespan ends: the drift task, the lock

    with ExitStack() as stack:
        checker.__enter__()
        stack.callback(stop_checker)
        wait_for(lambda: monitor(checker).checking, "the first worker never took the lock")
        settled(checker)
        stack.enter_context(follower)
        wait_for(lambda: drift_state(follower.app).status == "clean", "no state followed")
        assert not monitor(follower).checking
        yield checker, follower, stop_checker


def test_when_the_checker_stops_another_worker_takes_over(
    world: SeasonWorld, tmp_path: Path
) -> None:
    state_file = tmp_path / "run" / "drift-8000.json"
    # A short floor, so the new checker's paced full check comes within the test.
    with checker_and_follower(world, state_file, drift_full_seconds=0.1) as two:
        checker, follower, stop_checker = two
        stop_checker()
        assert not monitor(checker).checking
        # The checker stopped (a dead process's lock goes the same way: the kernel drops it).
        wait_for(lambda: monitor(follower).checking, "nobody took the lock over")
        recalled = lot_key(world.season.gtin, world.season.recalled)
        tamper(world, f"UPDATE trace_lots SET status = 'released' WHERE key = '{recalled}'")
        wait_for(lambda: drift_state(follower.app).unresolved, "the new checker never checked")
        assert monitor(follower)._check is not None  # it checked itself


def test_a_worker_told_to_stop_does_not_take_the_checks_over(
    world: SeasonWorld, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # On a server's stop every worker gets SIGTERM: the checker's lock comes free at the end
    # of its shutdown while the others may still drain; none of them takes the checks up.
    with checker_and_follower(world, tmp_path / "run" / "drift-8000.json") as two:
        checker, follower, stop_checker = two
        follower_lock = monitor(follower)._checker
        assert follower_lock is not None
        assert follower_lock.stopping is not None
        follower_lock.stopping.set()  # what its SIGTERM handler does
        stop_checker()  # the checker's lifespan ends: its lock comes free
        assert not monitor(checker).checking
        with caplog.at_level(logging.INFO, logger="verifier_app"):
            time.sleep(0.5)  # ten of the follower's polls
        assert not monitor(follower).checking
        assert "drift checks run in this worker" not in caplog.text


def test_a_stale_or_broken_state_file_is_ignored_by_a_follower(
    two: tuple[TestClient, TestClient], world: SeasonWorld, tmp_path: Path
) -> None:
    checker, follower = two
    settled(checker)
    wait_for(lambda: drift_state(follower.app).status == "clean", "the follower never saw clean")
    shared = StateFile(tmp_path / "run" / "drift-8000.json")
    shared.path.write_text('{"status": "verified"')  # half a write: not JSON
    time.sleep(0.3)
    assert drift_state(follower.app).status == "clean"
    shared.path.write_text('{"status": "verified"}')  # JSON, but no state
    time.sleep(0.3)
    assert drift_state(follower.app).status == "clean"


def test_full_checks_wait_twenty_times_their_duration(world: SeasonWorld) -> None:
    with TestClient(create_app(world.settings())) as client:
        m = monitor(client)
        settled(client)
        m.full_seconds = 30.0
        now = datetime.now(UTC)
        m._last_full = (now - timedelta(seconds=100), 10.0)
        assert FULL_CHECK_SPACING == 20
        assert m.full_wait() == 200.0  # 20 x 10 s, above the 30 s floor
        assert not m.full_due()
        m._last_full = (now - timedelta(seconds=201), 10.0)
        assert m.full_due()
        m._last_full = (now - timedelta(seconds=29), 0.5)
        assert m.full_wait() == 30.0  # a quick check: the floor applies
        assert not m.full_due()


def test_the_background_loop_paces_full_checks_and_logs_their_rate(
    world: SeasonWorld, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # A floor of 50 ms: unpaced, the loop would run a full check every poll.
    settings = world.settings().model_copy(
        update={"drift_full_seconds": 0.05, "drift_poll_seconds": 0.05}
    )
    monkeypatch.setattr("verifier_app._drift.FULL_CHECK_SPACING", 1_000_000)
    with (
        caplog.at_level(logging.INFO, logger="verifier_app"),
        TestClient(create_app(settings)) as client,
    ):
        settled(client)
        time.sleep(1.5)
    fulls = [r.getMessage() for r in caplog.records if "full projection check" in r.getMessage()]
    assert len(fulls) == 1, fulls
    assert "entries/s" in fulls[0]
    assert "clean" in fulls[0]


def test_a_failing_full_check_is_paced_too(
    world: SeasonWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = world.settings().model_copy(
        update={"drift_full_seconds": 0.05, "drift_poll_seconds": 0.05}
    )
    monkeypatch.setattr("verifier_app._drift.FULL_CHECK_SPACING", 1_000_000)
    runs: list[bool] = []

    def broken(self: object, *, full: bool = True) -> object:
        runs.append(full)
        time.sleep(0.01)
        raise RuntimeError("disk gone")

    monkeypatch.setattr("traceability.ProjectionCheck.run", broken)
    with TestClient(create_app(settings)) as client:
        wait_for(lambda: drift_state(client.app).error is not None, "the check never failed")
        time.sleep(1.0)
    assert runs == [True]


@pytest.mark.slow
def test_serve_with_two_workers_checks_once_and_withholds_verified_everywhere(
    world: SeasonWorld, tmp_path: Path
) -> None:
    recalled = lot_key(world.season.gtin, world.season.recalled)
    tamper(world, f"UPDATE trace_lots SET status = 'released' WHERE key = '{recalled}'")
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AGRITRACE_")},
        "AGRITRACE_TOKENS": str(world.folder / "tokens.toml"),
        "AGRITRACE_RESOLVER": world.settings().resolver,
        "AGRITRACE_KEYS": str(world.folder / "keys"),
        "AGRITRACE_DRIFT_POLL_SECONDS": "0.2",
        "AGRITRACE_RATE_BURST": "100000",
    }
    command = [sys.executable, "-m", "agritrace", "serve", "--db", world.settings().db]
    command += ["--port", str(port), "--workers", "2"]
    log = tmp_path / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:

        def drifted() -> bool:
            assert server.poll() is None, log.read_text()
            try:
                answer = httpx2.get(f"{base}/api/v1/drift", headers=world.auth("regulator"))
            except httpx2.TransportError:
                return False
            return answer.status_code == 200 and answer.json()["status"] == "drift"

        wait_for(drifted, "the server never found the drift", 120)
        # Each worker's published state: the follower adopts within a poll.
        time.sleep(1.0)
        scan_url = f"{base}/01/{world.season.gtin}/10/{world.season.released}"
        # A new connection each: the kernel spreads them over both workers.
        statuses = {
            httpx2.get(scan_url, headers=JSON | {"Connection": "close"}).json()["status"]
            for _ in range(40)
        }
        assert statuses == {"unverified"}
    finally:
        server.terminate()
        server.wait(timeout=30)
    server_log = log.read_text()
    assert server_log.count("serving log") == 2  # two workers
    # One checker; another only when uvicorn replaced a worker (under heavy load its health
    # check kills a child whose loop is slow to answer: the lock passes on, as it should).
    restarts = server_log.count("died")
    assert 1 <= server_log.count("drift checks run in this worker") <= 1 + restarts, server_log
    assert server_log.count("full projection check") == 1
