"""tlog-witness over HTTP: the ``add-checkpoint`` route's statuses, and the log's client.

The witness is mounted in a small FastAPI app of its own; the log submits to it through the
same ``request_cosignature`` it would use against a real witness URL (``post`` is the test
client instead of urllib).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from agritrace.cli import app as cli_app
from ledger import (
    AddCheckpoint,
    CosignatureVerifier,
    Cosigner,
    Ledger,
    LogWitness,
    NoteVerifier,
    WitnessClientError,
    WitnessStateFile,
    request_cosignature,
)
from ledger._witness_client import HttpReply, urllib_post
from tests.ledger import conftest as ledger_fixtures
from tests.ledger.conftest import ORIGIN, LogWorld, notes
from verifier_app.witness import MAX_REQUEST_BYTES, witness_router

make_log = ledger_fixtures.make_log
sqlite_url = ledger_fixtures.sqlite_url
URL = "http://witness.test/"


class Witness:
    """A witness app following the test log, and a ``post`` for the log's client."""

    def __init__(self, log_key: str, state: Path, name: str = "regulator.example/w") -> None:
        self.cosigner = Cosigner.generate(name)
        self.key = CosignatureVerifier.from_key_string(self.cosigner.verifier_key())
        logs = {ORIGIN: [NoteVerifier.from_key_string(log_key)]}
        self.witness = LogWitness(self.cosigner, logs, WitnessStateFile(state))
        app = FastAPI()
        app.include_router(witness_router(self.witness))
        self.http = TestClient(app)
        self.requests: list[bytes] = []

    def post(self, url: str, body: bytes) -> HttpReply:
        assert url == URL + "add-checkpoint"
        self.requests.append(body)
        r = self.http.post("/add-checkpoint", content=body)
        return HttpReply(r.status_code, r.headers.get("content-type", ""), r.content)


@pytest.fixture
def log(make_log: Callable[[str], LogWorld], sqlite_url: str) -> LogWorld:
    return make_log(sqlite_url)


@pytest.fixture
def hub(log: LogWorld, tmp_path: Path) -> Witness:
    return Witness(log.log_signer.verifier_key(), tmp_path / "witness.json")


def _body(ledger: Ledger, old: int, size: int | None = None) -> bytes:
    size = ledger.size() if size is None else size
    proof = ledger.consistency_proof(old, size) if 0 < old < size else []
    return AddCheckpoint(
        old, tuple(proof), (ledger.cosigned_checkpoint(size) or "").encode()
    ).body()


# --- the route -----------------------------------------------------------------------------


def test_add_checkpoint_returns_a_cosignature_line(log: LogWorld, hub: Witness) -> None:
    r = hub.http.post("/add-checkpoint", content=_body(log.ledger, 0))
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.text.startswith("\u2014 regulator.example/w ")
    assert r.text.endswith("\n")
    assert r.text.count("\n") == 1


def test_stale_old_size_gets_409_with_the_known_size(log: LogWorld, hub: Witness) -> None:
    first = log.ledger.size()
    assert hub.http.post("/add-checkpoint", content=_body(log.ledger, 0)).status_code == 200
    log.ledger.append_batch(notes(log.actor("packer"), 3))
    r = hub.http.post("/add-checkpoint", content=_body(log.ledger, 0))
    assert r.status_code == 409
    assert r.headers["content-type"] == "text/x.tlog.size"
    assert r.text == f"{first}\n"
    assert hub.http.post("/add-checkpoint", content=_body(log.ledger, first)).status_code == 200


def test_inconsistent_checkpoint_gets_422(log: LogWorld, hub: Witness, tmp_path: Path) -> None:
    log.ledger.append_batch(notes(log.actor("packer"), 2))
    seen = log.ledger.size()
    assert hub.http.post("/add-checkpoint", content=_body(log.ledger, 0)).status_code == 200
    # A rewritten history signed with the log's own key.
    url = f"sqlite:///{tmp_path / 'fork.db'}"
    fork = Ledger.create(url, ORIGIN, log.root.key, log.log_signer, timedelta(0))
    fork.append_batch(notes(log.root, 5))
    r = hub.http.post("/add-checkpoint", content=_body(fork, seen))
    assert r.status_code == 422
    assert "consistency proof" in r.text
    fork.close()


@pytest.mark.parametrize(
    ("mangle", "status"),
    [
        (lambda b: b.replace(b"old 0", b"old 00"), 400),
        (lambda b: b.replace(b"old 0", b"old 99"), 400),
        (lambda b: b.replace(b"\n\n", b"\n", 1), 400),
        (lambda b: b.replace(ORIGIN.encode(), b"elsewhere.example/log", 1), 404),
        (lambda b: b[: b.rindex(b" ") + 5] + b"AAAA" + b[b.rindex(b" ") + 9 :], 403),
    ],
    ids=["leading-zero", "old-above-size", "no-blank-line", "unknown-origin", "bad-signature"],
)
def test_refusals_get_the_specs_status(
    log: LogWorld, hub: Witness, mangle: Callable[[bytes], bytes], status: int
) -> None:
    r = hub.http.post("/add-checkpoint", content=mangle(_body(log.ledger, 0)))
    assert r.status_code == status, r.text
    assert hub.witness.state.get(ORIGIN).checkpoint is None


def test_oversize_request_refused(hub: Witness) -> None:
    r = hub.http.post("/add-checkpoint", content=b"x" * (MAX_REQUEST_BYTES + 1))
    assert r.status_code == 413


def test_get_is_not_allowed(hub: Witness) -> None:
    assert hub.http.get("/add-checkpoint").status_code == 405


# --- the log's client ----------------------------------------------------------------------


def test_client_stores_the_cosignature_with_the_checkpoint(log: LogWorld, hub: Witness) -> None:
    request_cosignature(log.ledger, URL, hub.key, post=hub.post)
    size = log.ledger.size()
    assert hub.requests[-1].startswith(b"old 0\n\n")
    log.ledger.append_batch(notes(log.actor("packer"), 4))
    request_cosignature(log.ledger, URL, hub.key, post=hub.post)
    # The second submission starts from the size the witness cosigned, with a proof.
    parsed = AddCheckpoint.parse(hub.requests[-1])
    assert (parsed.old_size, len(parsed.proof)) == (size, len(log.ledger.consistency_proof(size)))
    note = log.ledger.cosigned_checkpoint() or ""
    assert note.count("\u2014 regulator.example/w ") == 1
    assert len(hub.requests) == 2


def test_client_catches_up_a_witness_it_lost_track_of(
    log: LogWorld, hub: Witness, tmp_path: Path
) -> None:
    # The witness cosigned size 1 through someone else; the log's store has no record.
    assert hub.http.post("/add-checkpoint", content=_body(log.ledger, 0)).status_code == 200
    log.ledger.append_batch(notes(log.actor("packer"), 2))
    request_cosignature(log.ledger, URL, hub.key, post=hub.post)
    assert [AddCheckpoint.parse(b).old_size for b in hub.requests] == [0, 1]
    assert "regulator.example/w" in (log.ledger.cosigned_checkpoint() or "")


def test_client_refuses_a_line_not_by_the_witness_key(log: LogWorld, hub: Witness) -> None:
    other = Witness(log.log_signer.verifier_key(), hub.witness.state.path.with_name("o.json"))
    with pytest.raises(WitnessClientError, match=r"no valid cosignature by regulator\.example/w"):
        request_cosignature(log.ledger, URL, hub.key, post=other.post)  # same name, other key
    assert "regulator.example/w" not in (log.ledger.cosigned_checkpoint() or "")


def test_client_reports_a_fork_refusal(log: LogWorld, hub: Witness, tmp_path: Path) -> None:
    log.ledger.append_batch(notes(log.actor("packer"), 2))
    request_cosignature(log.ledger, URL, hub.key, post=hub.post)
    url = f"sqlite:///{tmp_path / 'fork.db'}"
    fork = Ledger.create(url, ORIGIN, log.root.key, log.log_signer, timedelta(0))
    fork.append_batch(notes(log.root, 6))
    with pytest.raises(WitnessClientError, match="refused size"):
        # The fork's store knows nothing of the witness: old 0, then 409, then 422.
        request_cosignature(fork, URL, hub.key, post=hub.post)
    fork.close()


def test_client_reports_an_unreachable_witness(log: LogWorld, hub: Witness) -> None:
    with socket.socket() as s:  # a port that was free a moment ago: connection refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(WitnessClientError, match="cannot reach the witness"):
        request_cosignature(log.ledger, f"http://127.0.0.1:{port}", hub.key, post=urllib_post)


def test_client_refuses_a_witness_ahead_of_the_log(log: LogWorld, hub: Witness) -> None:
    # The witness holds size 3 of this origin; the log (rolled back, or an impostor with
    # the same name) offers size 1 and must not quietly "catch up".
    log.ledger.append_batch(notes(log.actor("packer"), 1))
    assert log.ledger.size() == 3
    assert hub.http.post("/add-checkpoint", content=_body(log.ledger, 0)).status_code == 200
    url = log.url.replace("ledger.db", "rolled-back.db")
    small = Ledger.create(url, ORIGIN, log.root.key, log.log_signer, timedelta(0))
    with pytest.raises(WitnessClientError, match="has cosigned size 3 of this log, beyond"):
        request_cosignature(small, URL, hub.key, post=hub.post)
    small.close()


# --- over a real socket --------------------------------------------------------------------


@pytest.fixture
def served_witness(hub: Witness) -> Iterator[str]:
    """The witness app under uvicorn on a free local port; yields its URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(
        hub.http.app, host="127.0.0.1", port=port, log_level="warning", ws="none", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(5)


def test_client_over_http_with_urllib(log: LogWorld, hub: Witness, served_witness: str) -> None:
    # A first cosignature through someone else, so the real client meets a 409 first.
    assert hub.http.post("/add-checkpoint", content=_body(log.ledger, 0)).status_code == 200
    log.ledger.append_batch(notes(log.actor("packer"), 3))
    request_cosignature(log.ledger, served_witness, hub.key)
    assert "regulator.example/w" in (log.ledger.cosigned_checkpoint() or "")


def test_submit_witness_command(log: LogWorld, hub: Witness, served_witness: str) -> None:
    args = ["ledger", "submit-witness", served_witness, "--witness-key"]
    args += [hub.cosigner.verifier_key(), "--db", log.url]
    result = CliRunner().invoke(cli_app, args)
    assert result.exit_code == 0, result.output
    assert "\u2014 regulator.example/w " in result.stdout
    other = Cosigner.generate("regulator.example/w").verifier_key()  # same name, other key
    result = CliRunner().invoke(cli_app, [*args[:3], "--witness-key", other, "--db", log.url])
    assert result.exit_code == 2
    assert "no valid cosignature" in result.output
