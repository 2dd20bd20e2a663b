"""Rate-limit buckets in a shared file: one budget per address across worker processes."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.verifier_app.conftest import AppWorld
from verifier_app import Settings, create_app
from verifier_app._shared_buckets import SharedRateLimiter

_TAKER = """
import sys
from pathlib import Path
from verifier_app._shared_buckets import SharedRateLimiter
limiter = SharedRateLimiter(Path(sys.argv[1]), rate=0.001, burst=100)
sys.stdin.readline()  # start together
print(sum(limiter.wait_time("203.0.113.9") == 0 for _ in range(150)))
"""


def test_two_processes_share_one_budget(tmp_path: Path) -> None:
    """Each process asks 150 times from one address: together they get the burst, once."""
    path = tmp_path / "run" / "rate.buckets"
    takers = [
        subprocess.Popen(
            [sys.executable, "-c", _TAKER, str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    granted = [int(taker.communicate("go\n", timeout=60)[0]) for taker in takers]
    assert sum(granted) == 100, granted  # separate buckets would grant 200


def test_threads_of_one_process_share_it_too(tmp_path: Path) -> None:
    limiter = SharedRateLimiter(tmp_path / "b", rate=0.001, burst=500)
    granted: list[int] = []

    def take() -> None:
        granted.append(sum(limiter.wait_time("203.0.113.9") == 0 for _ in range(300)))

    threads = [threading.Thread(target=take) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(granted) == 500


def test_a_livestream_wave_from_one_address_is_served_then_a_flood_refused(
    tmp_path: Path,
) -> None:
    defaults = Settings(demo=True)
    now = [0.0]
    limiter = SharedRateLimiter(
        tmp_path / "b", defaults.rate_per_second, defaults.rate_burst, clock=lambda: now[0]
    )
    served = 0
    for scan in range(2500):
        now[0] = scan * 0.001  # 2,500 viewers behind one carrier address within 2.5 s
        served += limiter.wait_time("198.51.100.1") == 0
    assert served == 2500
    refused = sum(limiter.wait_time("198.51.100.1") > 0 for _ in range(2000))
    assert refused > 1000
    assert limiter.wait_time("198.51.100.2") == 0  # another address has its own bucket
    now[0] += 60  # a minute later the bucket is full again
    assert sum(limiter.wait_time("198.51.100.1") == 0 for _ in range(3000)) == 3000


def test_waiting_times_and_looking_without_taking(tmp_path: Path) -> None:
    now = [100.0]
    limiter = SharedRateLimiter(tmp_path / "b", rate=2, burst=1, clock=lambda: now[0])
    assert limiter.wait_time("a") == 0
    assert limiter.wait_time("a", take=False) == pytest.approx(0.5)
    assert limiter.wait_time("a") == pytest.approx(0.5)  # refused from memory, exactly
    now[0] += 0.5
    assert limiter.wait_time("a", take=False) == 0
    assert limiter.wait_time("a") == 0
    # After a reboot the monotonic clock starts again: the slot's time is "in the future"
    # for a new worker, which counts from its now instead of never refilling.
    later = [50.0]
    rebooted = SharedRateLimiter(tmp_path / "b", rate=2, burst=1, clock=lambda: later[0])
    assert rebooted.wait_time("a") == pytest.approx(0.5)
    later[0] += 0.5
    assert rebooted.wait_time("a") == 0


def test_a_lease_serves_a_busy_address_from_memory_within_one_budget(tmp_path: Path) -> None:
    """Burst 3,000 leases 15 at a time; two workers together still get the burst, once."""
    now = [0.0]
    path = tmp_path / "b"
    workers = [
        SharedRateLimiter(path, rate=0.0001, burst=3000, clock=lambda: now[0]) for _ in range(2)
    ]
    assert workers[0].lease == 15
    granted = sum(w.wait_time("198.51.100.1") == 0 for _ in range(2000) for w in workers)
    assert granted == 3000
    now[0] += 2  # the leases ended: nothing more was granted than the bucket held
    assert all(w.wait_time("198.51.100.1") > 0 for w in workers)


def test_a_taken_over_slot_errs_on_the_side_of_serving(tmp_path: Path) -> None:
    limiter = SharedRateLimiter(tmp_path / "b", rate=0.001, burst=1, slots=1)
    assert limiter.wait_time("a") == 0
    assert limiter.wait_time("a") > 0
    assert limiter.wait_time("b") == 0  # takes the one slot over with a full bucket


def test_a_file_that_is_not_a_buckets_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "b"
    path.write_bytes(b"x" * 100)
    with pytest.raises(ValueError, match="not a rate-limit buckets file"):
        SharedRateLimiter(path, rate=1, burst=1)


def test_two_apps_over_one_file_refuse_the_address_together(
    app_world: AppWorld, tmp_path: Path
) -> None:
    """Two workers' apps: the second answers 429 once the first spent the budget."""
    options = {"rate_file": tmp_path / "run" / "rate.buckets", "rate_burst": 3,
               "rate_per_second": 0.001}  # fmt: skip
    page = "/01/09506000134352/10/NO-SUCH-LOT/21/SN1"  # a unit's scan: one token each
    with (
        TestClient(create_app(app_world.settings(**options))) as first,
        TestClient(create_app(app_world.settings(**options))) as second,
    ):
        statuses = [first.get(page).status_code for _ in range(2)]
        statuses += [second.get(page).status_code for _ in range(2)]
        refused = second.get(page, headers={"Accept": "application/json"})
    assert 429 not in statuses[:3]
    assert statuses[3] == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.headers["X-Content-Type-Options"] == "nosniff"  # headers still added


def test_two_apps_over_one_file_share_the_credential_limits(
    app_world: AppWorld, tmp_path: Path
) -> None:
    """Guesses and a token's use count once across workers (they were per worker)."""
    options = {"rate_file": tmp_path / "run" / "rate.buckets", "auth_failure_burst": 3,
               "auth_failures_per_minute": 0.06, "api_burst": 3,
               "api_rate_per_second": 0.001}  # fmt: skip
    audits = "/api/v1/audits/some-id"  # the regulator's: a token's request, one each
    wrong = {"Authorization": "Bearer not-a-known-token"}
    with (
        TestClient(create_app(app_world.settings(**options))) as first,
        TestClient(create_app(app_world.settings(**options))) as second,
    ):
        guesses = [first.get(audits, headers=wrong).status_code for _ in range(2)]
        guesses += [second.get(audits, headers=wrong).status_code for _ in range(2)]
        # The address spent its failures in both workers together: the right token waits.
        late = second.get(audits, headers=app_world.auth("regulator")).status_code
    assert guesses == [401, 401, 401, 429]
    assert late == 429
    # A token's budget: a fresh pair of workers (new files), three requests in all.
    options["rate_file"] = tmp_path / "run2" / "rate.buckets"
    with (
        TestClient(create_app(app_world.settings(**options))) as first,
        TestClient(create_app(app_world.settings(**options))) as second,
    ):
        regulator = app_world.auth("regulator")
        used = [first.get(audits, headers=regulator).status_code for _ in range(2)]
        used += [second.get(audits, headers=regulator).status_code for _ in range(2)]
    assert 429 not in used[:3]
    assert used[3] == 429  # per-worker buckets would have allowed six
    assert (tmp_path / "run2" / "rate.buckets.api").exists()
    assert (tmp_path / "run" / "rate.buckets.auth-failures").exists()


@pytest.mark.slow
def test_serve_with_two_workers_gives_an_address_one_budget(
    app_world: AppWorld, tmp_path: Path
) -> None:
    """``agritrace serve --workers 2``: scans on fresh connections, served by either worker."""
    import os
    import time

    import httpx2

    from tests.verifier_app.test_cli import free_port

    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AGRITRACE_")},
        "AGRITRACE_TOKENS": str(app_world.token_file),
        "AGRITRACE_RESOLVER": "https://id.kashgar-coop.example",
        "AGRITRACE_KEYS": str(app_world.keys),
        "AGRITRACE_RATE_BURST": "20",
        "AGRITRACE_RATE_PER_SECOND": "0.001",
    }
    command = [sys.executable, "-m", "agritrace", "serve", "--db", app_world.url]
    command += ["--port", str(port), "--workers", "2"]
    log = tmp_path / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    page = f"{base}/01/09506000134352/10/NO-SUCH-LOT/21/SN1"  # one token each
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx2.get(f"{base}/api/v1/log/checkpoint").status_code == 200:
                    break
            except httpx2.TransportError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            assert server.poll() is None, log.read_text()
            time.sleep(0.2)
        time.sleep(2)  # both workers up
        statuses = []
        for _ in range(60):
            with httpx2.Client() as client:  # a new connection each time: either worker
                statuses.append(client.get(page).status_code)
    finally:
        server.terminate()
        server.wait(timeout=30)
    served = sum(status != 429 for status in statuses)
    assert served == 20, statuses  # per-worker buckets would serve up to 40
    assert (app_world.keys.parent / "run" / f"rate-{port}.buckets").exists()


def test_an_oversized_path_is_refused_before_routing(app_world: AppWorld) -> None:
    with TestClient(create_app(app_world.settings())) as client:
        long_lot = "A" * 2000
        response = client.get(f"/01/09506000134352/10/{long_lot}")
        assert response.status_code == 414
        assert response.json()["error"]["field"] == "path"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert client.get("/01/09506000134352/10/" + "A" * 20).status_code != 414
