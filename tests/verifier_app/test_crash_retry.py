"""A server SIGKILLed at random moments while clients append with retries: each event once.

Clients send farm-input events (a plot may get many, so a second copy would be accepted by
the rules: only the idempotency key stands between a retry and a duplicate) through the
event API, each with its own ``Idempotency-Key``, and retry with the same key after a
connection error, a timeout or a 409 (key still in use), with backoff. A third of the first
attempts give up after 0.1 s (an impatient phone: the server may well commit after the
client stopped waiting, which is what duplicated events before keys). Meanwhile the server
is killed (SIGKILL: no shutdown, no flush) and restarted a few times. Afterwards every acknowledged
event is on the ledger exactly once, nothing is there twice, and the audit is valid.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from ledger import Ledger
from tests.verifier_app.staff_world import RESOLVER, StaffWorld, ago, build_staff_world
from verifier_app.staff._events_api import EVENT_ROLES

CLIENTS = 3
PER_CLIENT = 20  # 60 appends
KILLS = 3
SEED = 12


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Server:
    """``agritrace serve`` as a subprocess that can be killed and started again."""

    def __init__(self, world: StaffWorld, log: Path) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("AGRITRACE_")},
            "AGRITRACE_TOKENS": str(world.token_file),
            "AGRITRACE_RESOLVER": RESOLVER,
            "AGRITRACE_KEYS": str(world.folder / "keys"),
            # Generous limits: the test is about crashes, not about rate limiting.
            "AGRITRACE_API_RATE_PER_SECOND": "1000",
            "AGRITRACE_API_BURST": "10000",
        }
        self.command = [sys.executable, "-m", "agritrace", "serve", "--db", world.url]
        self.command += ["--port", str(self.port)]
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        self.kills = 0

    def start(self) -> None:
        with self.log.open("a") as out:
            self.process = subprocess.Popen(
                self.command, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx2.get(f"{self.base}/api/v1/log/checkpoint").status_code == 200:
                    return
            except httpx2.TransportError:
                pass
            assert self.process is not None
            assert self.process.poll() is None, self.log.read_text()
            time.sleep(0.1)
        raise AssertionError("server did not start:\n" + self.log.read_text())

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        self.kills += 1

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StaffWorld]:
    url = None if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    built = build_staff_world(tmp_path, url=url)
    yield built
    built.ledger.close()


def _event(client: int, n: int) -> dict[str, Any]:
    return {
        "plot": "YK-P1",
        "category": "fertiliser",
        "product_name": "compost",
        "active_substance": "organic matter",
        "dose": "2",
        "dose_unit": "kg/ha",
        "time": ago(60),
        "operator": f"client-{client}-event-{n}",  # what makes each event its own
    }


@pytest.mark.slow
def test_killed_server_and_retrying_clients_append_each_event_exactly_once(
    world: StaffWorld, tmp_path: Path
) -> None:
    server = Server(world, tmp_path / "server.log")
    server.start()
    server.wait_ready()
    role = EVENT_ROLES["input"][0]
    headers = world.auth(role)
    acknowledged: dict[str, int] = {}  # operator -> seq the server answered
    replays = Counter[str]()
    lock = threading.Lock()
    done = threading.Event()
    randomness = random.Random(SEED)
    keys = {(c, n): str(uuid.UUID(int=randomness.getrandbits(128))) for c in range(CLIENTS)
            for n in range(PER_CLIENT)}  # fmt: skip
    patience = {name: randomness.random() < 1 / 3 for name in sorted(keys)}

    def client(c: int) -> None:
        with httpx2.Client(base_url=server.base, timeout=30) as http:
            for n in range(PER_CLIENT):
                body = _event(c, n)
                key_headers = headers | {"Idempotency-Key": keys[c, n]}
                pause = 0.05
                impatient = patience[c, n]
                for _ in range(400):
                    timeout = httpx2.Timeout(30, read=0.1) if impatient else httpx2.Timeout(30)
                    impatient = False  # retries wait
                    try:
                        answer = http.post(
                            "/api/v1/events/input", json=body, headers=key_headers, timeout=timeout
                        )
                    except httpx2.TransportError:
                        time.sleep(pause)  # the server is down: back off, same key
                        pause = min(pause * 2, 1.0)
                        continue
                    if answer.status_code in (409, 503):  # key in use, store restarting
                        time.sleep(pause)
                        continue
                    assert answer.status_code == 201, answer.text
                    with lock:
                        acknowledged[body["operator"]] = answer.json()["seq"]
                        if answer.headers.get("Idempotent-Replayed") == "true":
                            replays[body["operator"]] += 1
                    break
                else:
                    raise AssertionError(f"event {c}/{n} never acknowledged")

    def killer() -> None:
        chaos = random.Random(SEED + 1)
        while server.kills < KILLS and not done.is_set():
            time.sleep(chaos.uniform(0.2, 1.2))
            if done.is_set():
                break
            server.kill()
            server.start()
            server.wait_ready()

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(c,)) for c in range(CLIENTS)]
    chaos = threading.Thread(target=killer)
    try:
        for thread in [*threads, chaos]:
            thread.start()
        for thread in threads:
            thread.join(timeout=240)
        done.set()
        chaos.join(timeout=120)
    finally:
        server.stop()
    assert server.kills >= 1, "the server was never killed: the test showed nothing"
    assert len(acknowledged) == CLIENTS * PER_CLIENT
    with Ledger.open(world.url) as ledger:
        inputs = [r for r in ledger.entries() if r.statement.kind == "trace.input"]
        on_ledger = Counter(r.statement.body["operator"] for r in inputs)
        twice = {op: count for op, count in on_ledger.items() if count > 1}
        assert twice == {}, f"appended more than once: {twice}"
        assert set(on_ledger) == set(acknowledged)
        for r in inputs:  # each answer names the entry that holds the event
            assert acknowledged[r.statement.body["operator"]] == r.seq
        assert ledger.audit(processes=False).verdict == "valid"
    print(
        f"{server.kills} kills, {sum(replays.values())} replayed answers, "
        f"{time.monotonic() - started:.1f} s"
    )
