"""``agritrace serve``: refuses bad settings in one line; several workers append safely."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx2
import pytest
from typer.testing import CliRunner

from agritrace.cli import app
from ledger import Ledger
from tests.ledger.conftest import ORIGIN, notes
from tests.verifier_app.conftest import RESOLVER, AppWorld

runner = CliRunner()


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No AGRITRACE_* variables; those ``serve`` sets for its workers are undone afterwards."""
    for name in (
        "AGRITRACE_DB",
        "AGRITRACE_DEMO",
        "AGRITRACE_RATE_FILE",
        "AGRITRACE_DRIFT_STATE_FILE",
        "AGRITRACE_AUDIT_FOLDER",
    ):
        monkeypatch.setenv(name, "")  # recorded, so the teardown removes what serve sets
    for name in list(os.environ):
        if name.startswith("AGRITRACE_"):
            monkeypatch.delenv(name)


@pytest.fixture
def uvicorn_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr("uvicorn.run", lambda target, **kw: calls.append({"target": target, **kw}))
    return calls


@pytest.mark.usefixtures("clean_env")
def test_serve_refuses_insecure_settings_in_one_line(
    app_world: AppWorld, uvicorn_calls: list[dict[str, Any]]
) -> None:
    result = runner.invoke(app, ["serve", "--db", app_world.url])
    assert result.exit_code == 2
    assert "AGRITRACE_TOKENS: no token file configured" in result.output
    assert "Traceback" not in result.output
    assert uvicorn_calls == []


@pytest.mark.usefixtures("clean_env")
def test_serve_refuses_a_missing_database(
    tmp_path: Path, uvicorn_calls: list[dict[str, Any]]
) -> None:
    result = runner.invoke(app, ["serve", "--demo", "--db", f"sqlite:///{tmp_path / 'no.db'}"])
    assert result.exit_code == 2
    assert "no ledger at" in result.output
    assert uvicorn_calls == []


@pytest.mark.usefixtures("clean_env")
def test_serve_runs_the_app_factory_with_the_options(
    app_world: AppWorld, monkeypatch: pytest.MonkeyPatch, uvicorn_calls: list[dict[str, Any]]
) -> None:
    monkeypatch.setenv("AGRITRACE_TOKENS", str(app_world.token_file))
    monkeypatch.setenv("AGRITRACE_RESOLVER", RESOLVER)
    monkeypatch.setenv("AGRITRACE_KEYS", str(app_world.keys))
    # A drift state left by an earlier run must not be believed by the new workers.
    stale = app_world.keys.parent / "run" / "drift-8123.json"
    stale.parent.mkdir(exist_ok=True)
    stale.write_text('{"status": "drift"}')
    # So must an audit job of an earlier run's worker (its process id may be another's now).
    old_job = app_world.keys.parent / "run" / "audits-8123" / f"{'ab' * 16}.json"
    old_job.parent.mkdir()
    old_job.write_text("{}")
    result = runner.invoke(
        app,
        ["serve", "--db", app_world.url, "--host", "0.0.0.0", "--port", "8123", "--workers", "3"],
    )
    assert result.exit_code == 0, result.output
    (call,) = uvicorn_calls
    assert call["target"] == "verifier_app._app:create_app_from_env"
    assert call["factory"] is True
    assert (call["host"], call["port"], call["workers"]) == ("0.0.0.0", 8123, 3)
    assert call["access_log"] is False  # a line per scan only when asked for (--access-log)
    assert os.environ["AGRITRACE_DB"] == app_world.url
    # One drift checker per server: the workers share its state through the run folder.
    assert os.environ["AGRITRACE_DRIFT_STATE_FILE"] == str(stale)
    assert not stale.exists()
    assert os.environ["AGRITRACE_AUDIT_FOLDER"] == str(old_job.parent)
    assert not old_job.exists()


@pytest.mark.usefixtures("clean_env")
def test_serve_reads_an_env_file_and_the_environment_wins(
    app_world: AppWorld,
    monkeypatch: pytest.MonkeyPatch,
    uvicorn_calls: list[dict[str, Any]],
    tmp_path: Path,
) -> None:
    env_file = tmp_path / "serve.env"
    env_file.write_text(
        "# as agritrace demo writes its serve.env\n"
        f"AGRITRACE_DB='{app_world.url}'\n"
        f"AGRITRACE_TOKENS='{app_world.token_file}'\n"
        f"AGRITRACE_KEYS='{app_world.keys}'\n"
        # Refused outside demo mode (plain http): the environment's resolver must win.
        "AGRITRACE_RESOLVER='http://file.example'\n",
        encoding="utf-8",
    )
    for name in ("AGRITRACE_TOKENS", "AGRITRACE_KEYS"):
        monkeypatch.setenv(name, "")  # recorded, so the teardown removes what serve sets
        monkeypatch.delenv(name)
    monkeypatch.setenv("AGRITRACE_RESOLVER", RESOLVER)
    result = runner.invoke(app, ["serve", "--env-file", str(env_file)])
    assert result.exit_code == 0, result.output
    assert len(uvicorn_calls) == 1
    # The workers read these from the environment they inherit.
    assert os.environ["AGRITRACE_DB"] == app_world.url
    assert os.environ["AGRITRACE_TOKENS"] == str(app_world.token_file)
    assert os.environ["AGRITRACE_RESOLVER"] == RESOLVER


@pytest.mark.usefixtures("clean_env")
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("PATH=/tmp\n", "PATH is not an AGRITRACE_* setting"),
        ("AGRITRACE_DB\n", "AGRITRACE_DB has no value"),
        (None, "no such file"),
    ],
)
def test_serve_refuses_a_bad_env_file_in_one_line(
    tmp_path: Path, uvicorn_calls: list[dict[str, Any]], text: str | None, message: str
) -> None:
    env_file = tmp_path / "serve.env"
    if text is not None:
        env_file.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["serve", "--demo", "--env-file", str(env_file)])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert uvicorn_calls == []


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.mark.slow
def test_two_workers_append_concurrently_without_forking_the_log(
    app_world: AppWorld, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AGRITRACE_")},
        "AGRITRACE_TOKENS": str(app_world.token_file),
        "AGRITRACE_RESOLVER": RESOLVER,
        "AGRITRACE_KEYS": str(app_world.keys),
    }
    command = [sys.executable, "-m", "agritrace", "serve", "--db", app_world.url]
    # With the access log: its lines must show the requests and never a token.
    command += ["--port", str(port), "--workers", "2", "--access-log"]
    log = tmp_path / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx2.get(f"{base}/api/v1/log/checkpoint").status_code == 200:
                    break
            except httpx2.TransportError:
                pass
            assert time.monotonic() < deadline, "server did not start"
            assert server.poll() is None, log.read_text()
            time.sleep(0.2)
        batches = [
            [s.to_json() for s in notes(app_world.packer, 5, start=i * 5)] for i in range(12)
        ]
        headers = app_world.auth("packing_station")

        def send(batch: list[dict[str, Any]]) -> int:
            with httpx2.Client(base_url=base, timeout=30) as client:
                return client.post("/api/v1/statements", json=batch, headers=headers).status_code

        with ThreadPoolExecutor(4) as pool:
            statuses = list(pool.map(send, batches))
        assert statuses == [201] * 12
    finally:
        server.terminate()
        server.wait(timeout=30)
    server_log = log.read_text()
    assert "POST /api/v1/statements" in server_log
    assert server_log.count(f"serving log {ORIGIN}") == 2  # one line per worker
    assert app_world.tokens["packing_station"] not in server_log
    with Ledger.open(app_world.url) as ledger:
        assert ledger.size() == 2 + 60
        assert sorted(r.statement.body["n"] for r in ledger.entries(2)) == list(range(60))
        assert ledger.audit(processes=False).verdict == "valid"


def test_the_agritrace_command_does_not_load_the_web_stack() -> None:
    check = "import sys, agritrace.cli; print(sorted({'fastapi', 'uvicorn'} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True)
    assert result.stdout.strip() == "[]", result.stderr
