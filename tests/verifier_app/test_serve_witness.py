"""``serve`` asks its witnesses, and can be one: two apps on 127.0.0.1 (uvicorn).

The regulator's app is configured as a witness (its key file, state folder and the
cooperative's log key) and so mounts ``POST /witness/add-checkpoint``. The cooperative's app
is configured with the regulator's URL and key: it submits each checkpoint it publishes in
the background, stores the cosignature, and its scan answers carry it (named, with its
time). A rewritten history of the cooperative's log, signed with the same log key, is
refused by the witness; a witness that is down is retried without blocking appends.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from ledger import (
    KEY_REGISTER,
    Checkpoint,
    CosignatureVerifier,
    Cosigner,
    KeyFolder,
    Ledger,
    Statement,
    WitnessClientError,
    format_time,
    key_id_for,
    open_checkpoint,
    register_body,
    request_cosignature,
    sign_statement,
    verify_cosignature,
)
from ledger import NoteVerifier as LogKey
from tests.verifier_app.conftest import RESOLVER
from traceability.demo import Season, build_season
from verifier_app import Settings, create_app

ORIGIN = "witnessed.kashgar-coop.example/log"
WITNESS = "witness.market-regulator.test/kashgar"
JSON = {"Accept": "application/json"}


class Served:
    """An app served by uvicorn on a free 127.0.0.1 port, in a thread."""

    def __init__(self, app: FastAPI, port: int | None = None) -> None:
        if port is None:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
        self.app = app
        self.base = f"http://127.0.0.1:{port}"
        self.server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        for _ in range(400):
            if self.server.started:
                return
            time.sleep(0.05)
        raise AssertionError("uvicorn did not start")

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait(what: str, ok: Callable[[], Any], seconds: float = 30) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        got = ok()
        if got:
            return got
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _answer(url: str) -> Any:
    with urllib.request.urlopen(urllib.request.Request(url, headers=JSON), timeout=30) as r:
        return json.loads(r.read())


class Coop:
    """The cooperative's folder: its ledger (demo season), keys and log key."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.keys = KeyFolder(folder / "keys")
        self.root = self.keys.create("root")
        self.url = f"sqlite:///{folder / 'ledger.db'}"
        signer = self.keys.create_log_signer(ORIGIN)
        with Ledger.create(self.url, ORIGIN, self.root, signer) as ledger:
            self.season: Season = build_season(ledger, self.root, self.keys.create)
            ledger.checkpoint()
            self.log_key = str(ledger.log_key())

    def register(self, ledger: Ledger, name: str) -> int:
        """Append one more entry (a key registration) to ``ledger``, signed by the root."""
        public = self.keys.create(name).public_key().public_bytes_raw()
        root_id = key_id_for(self.root.public_key().public_bytes_raw())
        body = register_body(public, name, ["grower"])
        when = format_time(datetime.now(UTC))
        statement = Statement(ledger.origin, KEY_REGISTER, body, root_id, when)
        return ledger.append(sign_statement(statement, self.root)).seq


@pytest.fixture(scope="module")
def coop(tmp_path_factory: pytest.TempPathFactory) -> Coop:
    return Coop(tmp_path_factory.mktemp("coop"))


@pytest.fixture(scope="module")
def regulator(tmp_path_factory: pytest.TempPathFactory, coop: Coop) -> Iterator[Served]:
    """The regulator's own app (its own small log) serving as the cooperative's witness."""
    folder = tmp_path_factory.mktemp("regulator")
    keys = KeyFolder(folder / "keys")
    root = keys.create("root")
    url = f"sqlite:///{folder / 'ledger.db'}"
    origin = "market-regulator.test/log"
    Ledger.create(url, origin, root, keys.create_log_signer(origin)).close()
    keys.create("witness")
    settings = Settings(
        db=url,
        keys=folder / "keys",
        resolver=RESOLVER,
        demo=True,
        witness_name=WITNESS,
        witness_key=folder / "keys" / "witness.pem",
        witness_state=folder / "witness",
        witness_logs=(coop.log_key,),
    )
    served = Served(create_app(settings))
    served.witness_key = Cosigner(WITNESS, keys.load("witness")).verifier_key()  # type: ignore[attr-defined]
    yield served
    served.close()


def _coop_app(coop: Coop, witness_urls: dict[str, str]) -> FastAPI:
    settings = Settings(
        db=coop.url,
        keys=coop.folder / "keys",
        resolver=RESOLVER,
        demo=True,
        rate_burst=10_000,
        checkpoint_seconds=0.2,
        witness_urls=witness_urls,
        witness_retry_seconds=0.5,
    )
    return create_app(settings)


def _cosigned_by(answer: Any) -> dict[str, Any]:
    return {c["witness"]: c for c in (answer.get("proof") or {}).get("cosignatures", [])}


def _with_cosignature(page: str) -> Any:
    answer = _answer(page)
    return answer if WITNESS in _cosigned_by(answer) else None


def test_the_cooperatives_page_checkpoint_carries_the_regulators_cosignature(
    coop: Coop, regulator: Served
) -> None:
    key: str = regulator.witness_key  # type: ignore[attr-defined]
    app = _coop_app(coop, {f"{regulator.base}/witness": key})
    served = Served(app)
    try:
        page = f"{served.base}/01/{coop.season.gtin}/10/{coop.season.released}"
        answer = _wait(
            "the regulator's cosignature", lambda: _cosigned_by(_answer(page)) and _answer(page)
        )
        cosigned = _cosigned_by(answer)[WITNESS]
        assert abs(cosigned["timestamp"] - time.time()) < 120  # fresh
        # The note itself carries the cosignature: any verifier with the key can check it.
        note = answer["proof"]["checkpoint"].encode()
        checkpoint, parsed = open_checkpoint(note, ORIGIN, LogKey.from_key_string(coop.log_key))
        assert verify_cosignature(checkpoint, parsed, CosignatureVerifier.from_key_string(key))
        html = urllib.request.urlopen(page + "?lang=en", timeout=30).read().decode()
        assert f"cosigned by the witness {WITNESS}" in html
        # The log grows: the next checkpoint is submitted with a consistency proof, cosigned.
        ledger: Ledger = app.state.ledger
        before = checkpoint.size
        coop.register(ledger, "grower-late")

        def grown() -> bool:
            note = ledger.cosigned_checkpoint()
            size = Checkpoint.parse(note.split("\n\n")[0] + "\n").size if note else 0
            return size > before and f"\u2014 {WITNESS} " in (note or "")

        _wait("a cosignature of the grown log", grown)
        status = app.state.witness_submitter.status[f"{regulator.base}/witness"]
        assert status.cosigned_size > before
        assert status.error == ""
    finally:
        served.close()


def test_a_rewritten_log_is_refused_by_the_witness(
    coop: Coop, regulator: Served, tmp_path: Path
) -> None:
    key: str = regulator.witness_key  # type: ignore[attr-defined]
    verifier = CosignatureVerifier.from_key_string(key)
    # The witness has cosigned the real history (the test above, or here if run alone).
    with Ledger.open(coop.url, log_signer=coop.keys.log_signer()) as real:
        request_cosignature(real, f"{regulator.base}/witness", verifier)
        real_size = real.size()
    # The server holds the log key: it rebuilds a different history, longer, and signs it.
    fork_keys = KeyFolder(tmp_path / "keys")
    root_id = key_id_for(coop.root.public_key().public_bytes_raw())
    url = f"sqlite:///{tmp_path / 'fork.db'}"
    with Ledger.create(url, ORIGIN, coop.root, coop.keys.log_signer()) as fork:
        build_season(fork, coop.root, fork_keys.create)
        n = 0
        while fork.size() <= real_size + 1:
            n += 1
            public = fork_keys.create(f"extra-{n}").public_key().public_bytes_raw()
            body = register_body(public, "x", ["grower"])
            when = format_time(datetime.now(UTC) + timedelta(seconds=n))
            statement = Statement(ORIGIN, KEY_REGISTER, body, root_id, when)
            fork.append(sign_statement(statement, coop.root))
        fork.checkpoint()
        with pytest.raises(WitnessClientError) as refused:
            request_cosignature(fork, f"{regulator.base}/witness", verifier)
    assert "refused" in str(refused.value)
    assert "422" in str(refused.value)


def test_a_witness_that_is_down_is_retried_and_appends_go_on(coop: Coop, tmp_path: Path) -> None:
    down = f"http://127.0.0.1:{_free_port()}/witness"
    key = Cosigner.generate("witness.nobody.test").verifier_key()
    app = _coop_app(coop, {down: key})
    served = Served(app)
    try:
        submitter = app.state.witness_submitter
        _wait("a failed submission", lambda: submitter.status[down].error)
        assert "cannot reach the witness" in submitter.status[down].error
        ledger: Ledger = app.state.ledger
        started = time.monotonic()
        coop.register(ledger, "grower-while-down")
        assert time.monotonic() - started < 5  # the append does not wait for the witness
        first = submitter.status[down].retry_after
        _wait("a retry", lambda: submitter.status[down].retry_after > first)
        page = f"{served.base}/01/{coop.season.gtin}/10/{coop.season.released}"
        html = urllib.request.urlopen(page + "?lang=en", timeout=30).read().decode()
        assert "not cosigned by a witness yet" in html
    finally:
        served.close()
