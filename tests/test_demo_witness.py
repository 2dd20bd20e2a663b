"""The demo stays witnessed: ``serve`` on the demo folder keeps the regulator cosigning.

``agritrace demo`` writes ``serve.env``; ``agritrace serve --demo --env-file`` on it (a real
uvicorn, in its own process, as a user runs it) hosts the regulator's witness and submits
every checkpoint it publishes to it. After an event recorded through the API the page's
checkpoint grows, carries the regulator's cosignature of the new size, and ``agritrace
verify --trust trust.toml`` passes; the hosted witness still refuses a rewritten history
signed with the log's own key (it is the HTTP witness, not a rubber stamp).

The one change made to the demo's files: the port. The demo serves at 127.0.0.1:8000, which
another process may hold on a shared test machine, so the test serves on a free port and
writes that port into ``serve.env`` in place of 8000.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from dotenv import dotenv_values
from typer.testing import CliRunner

from agritrace.cli import app
from agritrace.demo import RESOLVER, WITNESS, serve_command
from ledger import (
    KEY_REGISTER,
    CosignatureVerifier,
    KeyFolder,
    Ledger,
    Statement,
    WitnessClientError,
    WitnessStateFile,
    format_time,
    key_id_for,
    register_body,
    request_cosignature,
    sign_statement,
)
from traceability.demo import PRODUCTS, build_season

RUNNER = CliRunner()
GTIN = PRODUCTS[0].gtin
ORIGIN = "demo.kashgar-coop.example/log"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait(what: str, ok: Callable[[], Any], seconds: float = 60) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        got = ok()
        if got:
            return got
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _answer(url: str) -> Any:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def _size(answer: Any) -> int:
    return int(answer["proof"]["checkpoint"].split("\n")[1])


class DemoServer:
    """``agritrace serve`` as the demo prints it, in a process of its own."""

    def __init__(self, folder: Path, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.log = folder.parent / "serve.log"
        words = serve_command(folder, "agritrace").split()
        assert words[:2] == ["agritrace", "serve"], words
        # As a user's shell would run it: no AGRITRACE_* of the test run leaks in.
        env = {k: v for k, v in os.environ.items() if not k.startswith("AGRITRACE_")}
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "agritrace", *words[1:], "--port", str(port)],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            _wait("the server", self._up)
        except AssertionError:
            self.close()
            raise AssertionError(self.log.read_text(encoding="utf-8")) from None

    def _up(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(self.log.read_text(encoding="utf-8"))
        try:
            _answer(f"{self.base}/01/{GTIN}/10/SB26-H01-G1")
        except (urllib.error.URLError, OSError):
            return False
        return True

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo") / "agritrace-demo"
    result = RUNNER.invoke(app, ["demo", "--folder", str(folder)])
    assert result.exit_code == 0, (result.stdout, result.exception)
    return folder


@pytest.fixture(scope="module")
def served(demo: Path) -> Iterator[DemoServer]:
    port = _free_port()
    env_file = demo / "serve.env"
    text = env_file.read_text(encoding="utf-8")
    assert RESOLVER == "http://127.0.0.1:8000"
    env_file.write_text(text.replace(RESOLVER, f"http://127.0.0.1:{port}"), encoding="utf-8")
    server = DemoServer(demo, port)
    yield server
    server.close()


def test_serve_env_hosts_the_regulators_witness_and_submits_to_it(demo: Path) -> None:
    settings = dotenv_values(demo / "serve.env")
    trust = (demo / "trust.toml").read_text(encoding="utf-8")
    assert settings["AGRITRACE_WITNESS_NAME"] == WITNESS
    assert Path(str(settings["AGRITRACE_WITNESS_KEY"])) == (
        demo.resolve() / "keys" / "regulator-witness.pem"
    )
    (submitted,) = json.loads(str(settings["AGRITRACE_WITNESS_URLS"])).values()
    assert submitted in trust  # the witness the trust file requires is the one asked
    (log_key,) = json.loads(str(settings["AGRITRACE_WITNESS_LOGS"]))
    assert log_key in trust
    assert ORIGIN in json.loads(str(settings["AGRITRACE_WITNESS_FOLLOW"]))
    (regulator,) = json.loads(str(settings["AGRITRACE_WITNESS_REGULATOR_KEYS"]))
    assert regulator in trust
    # The witness starts from the checkpoint the demo had it cosign, not from nothing.
    seeded = WitnessStateFile(Path(str(settings["AGRITRACE_WITNESS_STATE"])) / "witness-state.json")
    held = (demo / "witness-checkpoint.txt").read_text(encoding="utf-8")
    assert seeded.get(ORIGIN).checkpoint == held


def test_a_new_event_gets_the_regulators_cosignature_and_verify_passes(
    demo: Path, served: DemoServer
) -> None:
    before = _answer(f"{served.base}/01/{GTIN}/10/SB26-H01-G1")
    first = _size(before)
    assert [c["witness"] for c in before["proof"]["cosignatures"]] == [WITNESS]
    tokens = dict(
        line.split(" ", 1) for line in (demo / "tokens.txt").read_text("utf-8").splitlines()
    )
    hold = urllib.request.Request(
        f"{served.base}/api/v1/holds",
        data=json.dumps(
            {"gtin": GTIN, "lot": "SB26-H05-G1", "reason": "spot check after a complaint"}
        ).encode(),
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {tokens['regulator']}",
        },
        method="POST",
    )
    with urllib.request.urlopen(hold, timeout=30) as response:
        assert response.status == 201

    def cosigned_beyond() -> Any:
        answer = _answer(f"{served.base}/01/{GTIN}/10/SB26-H05-G1")
        names = [c["witness"] for c in answer["proof"]["cosignatures"]]
        return answer if _size(answer) > first and names == [WITNESS] else None

    after = _wait("the regulator's cosignature of the grown log", cosigned_beyond)
    assert after["lot_status"] == "on_hold"
    log = served.log.read_text(encoding="utf-8")
    assert f"witness {WITNESS} cosigned size {_size(after)}" in log
    assert "did not cosign" not in log  # no failed first try while the server started
    # The witness itself moved on: its state holds the new checkpoint, and it replayed the
    # log into its mirror to recompute the lot-status map before cosigning.
    state = WitnessStateFile(demo / "witness-state" / "witness-state.json").get(ORIGIN)
    assert state.checkpoint is not None
    assert state.checkpoint.split("\n")[1] == str(_size(after))
    assert (demo / "witness-state" / "mirrors" / "demo.kashgar-coop.example_log.db").exists()
    trust = str(demo / "trust.toml")
    for lot in ("SB26-H05-G1", "SB26-H01-G1"):
        result = RUNNER.invoke(
            app, ["verify", f"{served.base}/01/{GTIN}/10/{lot}", "--trust", trust]
        )
        assert result.exit_code == 0, result.stdout
        assert f"cosigned by {WITNESS}" in result.stdout
        assert f"size {_size(after)}" in result.stdout


def test_the_hosted_witness_refuses_a_rewritten_history(
    demo: Path, served: DemoServer, tmp_path: Path
) -> None:
    keys = KeyFolder(demo / "keys")
    root, settings = keys.load("root"), dotenv_values(demo / "serve.env")
    (url, key), *_ = json.loads(str(settings["AGRITRACE_WITNESS_URLS"])).items()
    with Ledger.open(f"sqlite:///{demo / 'ledger.db'}") as real:
        real_size = real.size()
    # The cooperative's server holds the log key: it signs a different, longer history.
    fork_keys = KeyFolder(tmp_path / "keys")
    root_id = key_id_for(root.public_key().public_bytes_raw())
    with Ledger.create(
        f"sqlite:///{tmp_path / 'fork.db'}", ORIGIN, root, keys.log_signer()
    ) as fork:
        build_season(fork, root, fork_keys.create)
        n = 0
        while fork.size() <= real_size + 1:
            n += 1
            public = fork_keys.create(f"extra-{n}").public_key().public_bytes_raw()
            when = format_time(datetime.now(UTC) + timedelta(seconds=n))
            body = register_body(public, "x", ["grower"])
            fork.append(sign_statement(Statement(ORIGIN, KEY_REGISTER, body, root_id, when), root))
        fork.checkpoint()
        with pytest.raises(WitnessClientError) as refused:
            request_cosignature(fork, url, CosignatureVerifier.from_key_string(key))
    assert "422" in str(refused.value)
    evidence = WitnessStateFile(demo / "witness-state" / "witness-state.json").get(ORIGIN)
    assert evidence.evidence, "the refused, validly signed fork is kept as evidence"
