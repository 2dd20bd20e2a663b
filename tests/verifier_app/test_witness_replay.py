"""The regulator's HTTP witness recomputes the lot-status map before it cosigns (issue 10).

The regulator's app follows the cooperative's log as a mirror (``AGRITRACE_WITNESS_FOLLOW``:
origin -> the cooperative's tiles URL), replays the entries into its own projection and
cosigns a checkpoint only when it ends with a map of every entry before it and every map up
to it reproduces. The cooperative's server holds its keys, so it can sign anything: a map
that leaves a recall out, a made-up root, or a checkpoint that does not end with a map. The
witness refuses each (422, named) and keeps the submission as evidence; an honest
checkpoint after more entries is cosigned, replaying only the new entries.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from ledger import (
    Checkpoint,
    CosignatureVerifier,
    Cosigner,
    KeyFolder,
    Ledger,
    LogWitness,
    NoteVerifier,
    Statement,
    WitnessClientError,
    WitnessStateFile,
    WitnessUnavailableError,
    format_time,
    key_id_for,
    parse_note,
    request_cosignature,
    sign_statement,
)
from tests.verifier_app.conftest import RESOLVER
from tests.verifier_app.test_serve_witness import Coop, Served
from traceability import DomainMirror, Recall, Recorder, StatusMap, StatusMapWitnessCheck
from verifier_app import Settings, create_app
from verifier_app.witness import witness_router

ORIGIN = "witnessed.kashgar-coop.example/log"
WITNESS = "witness.market-regulator.test/kashgar"
NOW = datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class World:
    """A cooperative serving its log, and the regulator's witness following it."""

    coop: Coop
    served: Served
    regulator: Served
    witness_key: CosignatureVerifier
    state: Path

    def submit(self) -> int:
        with Ledger.open(self.coop.url) as ledger:
            return request_cosignature(ledger, f"{self.regulator.base}/witness", self.witness_key)

    def mirror_db(self) -> Path:
        # Named after the origin, so an operator can catch a large log up beforehand.
        db = self.state / "mirrors" / "witnessed.kashgar-coop.example_log.db"
        assert db.exists()
        return db


@contextmanager
def witnessed(tmp_path: Path, pin: str | None = None, **witness: Any) -> Iterator[World]:
    """A cooperative's app and the regulator's witnessing app; ``witness``: more settings.

    ``pin`` names the season's key the witness pins as the regulator's own (in the season
    the regulator's key sits in the cooperative's key folder; in the field only the
    regulator holds it).
    """
    coop = Coop(tmp_path / "coop")
    if pin is not None:
        public = coop.keys.load(pin).public_key().public_bytes_raw()
        witness["witness_regulator_keys"] = (base64.b64encode(public).decode(),)
    coop_settings = Settings(
        db=coop.url,
        keys=coop.folder / "keys",
        resolver=RESOLVER,
        demo=True,
        checkpoint_seconds=3600,  # the test signs checkpoints itself
    )
    served = Served(create_app(coop_settings))
    folder = tmp_path / "regulator"
    keys = KeyFolder(folder / "keys")
    root = keys.create("root")
    url = f"sqlite:///{folder / 'ledger.db'}"
    origin = "market-regulator.test/log"
    Ledger.create(url, origin, root, keys.create_log_signer(origin)).close()
    key = keys.create("witness")
    settings = Settings(
        db=url,
        keys=folder / "keys",
        resolver=RESOLVER,
        demo=True,
        witness_name=WITNESS,
        witness_key=folder / "keys" / "witness.pem",
        witness_state=folder / "witness",
        witness_logs=(coop.log_key,),
        witness_follow={ORIGIN: f"{served.base}/log"},
        **witness,
    )
    regulator = Served(create_app(settings))
    verifier = CosignatureVerifier.from_key_string(Cosigner(WITNESS, key).verifier_key())
    try:
        yield World(coop, served, regulator, verifier, folder / "witness")
    finally:
        regulator.close()
        served.close()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with witnessed(tmp_path) as made:
        yield made


def _signed_map(coop: Coop, ledger: Ledger, root: str, lots: int) -> int:
    """The cooperative's server appends a map of its own making, around its recorder."""
    key = coop.keys.load("status-map")
    seq = ledger.size()
    body = StatusMap(size=seq, root=root, lots=lots).to_body()
    key_id = key_id_for(key.public_key().public_bytes_raw())
    when = format_time(datetime.now(UTC) - timedelta(seconds=5))
    statement = Statement(ORIGIN, StatusMap.KIND, body, key_id, when)
    assert ledger.append(sign_statement(statement, key)).seq == seq
    return seq


def _recall(coop: Coop, ledger: Ledger) -> int:
    body = {"lot": {"gtin": coop.season.gtin, "lot": coop.season.released}, "reason": "glass"}
    receipt = Recorder(ledger).record(
        Recall.from_body(body | {"time": NOW}), coop.keys.load("coop-admin")
    )
    return receipt.seq


def _refusal(world: World) -> str:
    with pytest.raises(WitnessClientError) as refused:
        world.submit()
    return str(refused.value)


def _last_map(ledger: Ledger) -> tuple[str, int]:
    for seq in range(ledger.size() - 1, -1, -1):
        statement = ledger.entry(seq).statement
        if statement.kind == StatusMap.KIND:
            return str(statement.body["root"]), int(statement.body["lots"])
    raise AssertionError("no map")


def test_an_honest_log_is_cosigned_after_the_witness_replays_it(world: World) -> None:
    world.submit()
    with (
        Ledger.open(f"sqlite:///{world.mirror_db()}") as mirror,
        Ledger.open(world.coop.url) as ledger,
    ):
        assert mirror.size() == ledger.size()
        assert mirror.root() == ledger.root()
    # More entries (a recall), sealed as serve seals: cosigned again, replaying only those.
    with Ledger.open(world.coop.url, log_signer=world.coop.keys.log_signer()) as ledger:
        from traceability import seal_with_status_map

        seal_with_status_map(ledger, world.coop.keys.load("status-map"))
        _recall(world.coop, ledger)
        note = ledger.checkpoint()
    world.submit()
    with Ledger.open(world.coop.url) as ledger:
        cosigned = ledger.cosigned_checkpoint()
        assert cosigned is not None
        assert f"\u2014 {WITNESS} " in cosigned
        assert cosigned.startswith(note.split("\n\n")[0])


def test_a_map_that_leaves_the_recall_out_is_refused(world: World) -> None:
    world.submit()  # the witness has cosigned the honest log so far
    with Ledger.open(world.coop.url, log_signer=world.coop.keys.log_signer()) as ledger:
        recall = _recall(world.coop, ledger)
        # The server seals with the map as it was before the recall: the recalled lot
        # still "released" in the map, so a page leaving the recall out would pass.
        root, lots = _last_map(ledger)
        seq = _signed_map(world.coop, ledger, root, lots)
        assert seq == recall + 1
        ledger.checkpoint()  # no seal installed: the checkpoint ends with the stale map
    why = _refusal(world)
    assert "422" in why
    assert f"trace.status_map entry {seq} does not reproduce" in why
    # Twice: the same answer (the replay is kept, not redone), and the evidence is kept.
    assert f"entry {seq}" in _refusal(world)
    state = json.loads((world.state / "witness-state.json").read_text())
    assert any(f"entry {seq}" in e["reason"] for e in state[ORIGIN]["evidence"])


def test_a_made_up_root_is_refused_and_stays_refused(world: World) -> None:
    with Ledger.open(world.coop.url, log_signer=world.coop.keys.log_signer()) as ledger:
        seq = _signed_map(world.coop, ledger, base64.b64encode(bytes(32)).decode(), 26)
        ledger.checkpoint()
    why = _refusal(world)
    assert f"trace.status_map entry {seq} does not reproduce" in why
    # The server then seals honestly on top: the false map stays in the log, named.
    with Ledger.open(world.coop.url, log_signer=world.coop.keys.log_signer()) as ledger:
        from traceability import seal_with_status_map

        seal_with_status_map(ledger, world.coop.keys.load("status-map"))
        _recall(world.coop, ledger)
        ledger.checkpoint()
        assert ledger.entry(ledger.size() - 1).statement.kind == StatusMap.KIND
    assert f"entry {seq}" in _refusal(world)


def test_a_checkpoint_that_does_not_end_with_a_map_is_refused(world: World) -> None:
    with Ledger.open(world.coop.url, log_signer=world.coop.keys.log_signer()) as ledger:
        _recall(world.coop, ledger)
        ledger.checkpoint()  # unsealed, as `agritrace ledger checkpoint` signs
        size = ledger.size()
    why = _refusal(world)
    assert "422" in why
    assert f"entry {size - 1}, the checkpoint's last, is trace.recall" in why


def test_the_mirror_must_hold_the_checkpoints_tree(world: World, tmp_path: Path) -> None:
    # The witness's mirror was fed other entries (its database edited): the roots differ
    # and the check refuses rather than cosigning a checkpoint of entries it did not replay.
    world.submit()
    with Ledger.open(world.coop.url) as ledger:
        note = ledger.latest_checkpoint()
        assert note is not None
        checkpoint = Checkpoint.parse(parse_note(note.encode()).text)
    key = NoteVerifier.from_key_string(world.coop.log_key)
    mirror = DomainMirror.open(
        f"sqlite:///{world.mirror_db()}", key, lambda _: b"", tmp_path / "st"
    )
    forged = Checkpoint(checkpoint.origin, checkpoint.size, bytes(32))
    with pytest.raises(Exception, match="not the ones this checkpoint commits to"):
        StatusMapWitnessCheck(mirror)(forged, note.encode())
    mirror.close()


def test_an_unreachable_log_is_a_503_to_try_again(tmp_path: Path) -> None:
    # The witness cannot fetch the entries: it neither cosigns nor keeps evidence.
    coop = Coop(tmp_path / "coop")

    def down(path: str) -> bytes:
        from ledger import MirrorNetworkError

        raise MirrorNetworkError(f"{path}: connection refused")

    key = NoteVerifier.from_key_string(coop.log_key)
    mirror = DomainMirror.open(f"sqlite:///{tmp_path / 'm.db'}", key, down, tmp_path / "st")
    cosigner = Cosigner.generate(WITNESS)
    state = WitnessStateFile(tmp_path / "witness-state.json")
    witness = LogWitness(
        cosigner, {ORIGIN: [key]}, state, checks={ORIGIN: StatusMapWitnessCheck(mirror)}
    )
    app = FastAPI()
    app.include_router(witness_router(witness))
    with Ledger.open(coop.url) as ledger:
        note = ledger.latest_checkpoint()
    assert note is not None
    response = TestClient(app).post("/add-checkpoint", content=b"old 0\n\n" + note.encode())
    assert response.status_code == 503
    assert response.headers["retry-after"].isdigit()
    assert "cannot fetch the log's entries" in response.text
    assert state.get(ORIGIN).checkpoint is None
    assert state.get(ORIGIN).evidence == []
    with pytest.raises(WitnessUnavailableError):
        StatusMapWitnessCheck(mirror)(
            Checkpoint.parse(parse_note(note.encode()).text), note.encode()
        )
    mirror.close()
