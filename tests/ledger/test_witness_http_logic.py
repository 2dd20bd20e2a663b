"""tlog-witness ``add-checkpoint`` logic: request parsing, the state, forks, races.

The HTTP route and the log's client are tested in tests/verifier_app/test_witness_http.py.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from ledger import (
    KEY_REGISTER,
    AddCheckpoint,
    Checkpoint,
    CosignatureVerifier,
    Cosigner,
    Ledger,
    LogWitness,
    NoteSigner,
    NoteVerifier,
    UnknownLogError,
    UntrustedLogError,
    WitnessConflictError,
    WitnessProofError,
    WitnessRequestError,
    WitnessStateFile,
    parse_note,
    register_body,
    verify_cosignature,
)
from tests.ledger.conftest import ORIGIN, Actor, LogWorld, notes

NOW = 1_780_000_000


@dataclass
class Hub:
    """A witness following the test log, with its state file."""

    witness: LogWitness
    cosigner: Cosigner
    state: Path

    def add(self, ledger: Ledger, old: int, size: int | None = None) -> str:
        size = ledger.size() if size is None else size
        return self.witness.add_checkpoint(request(ledger, old, size))

    def evidence(self) -> list[dict[str, str]]:
        data: list[dict[str, str]] = json.loads(self.state.read_text())[ORIGIN]["evidence"]
        return data


def request(ledger: Ledger, old: int, size: int) -> bytes:
    """The add-checkpoint body a correct log would send."""
    note = ledger.cosigned_checkpoint(size)
    assert note is not None, f"no checkpoint of size {size}"
    proof = ledger.consistency_proof(old, size) if 0 < old < size else []
    return AddCheckpoint(old, tuple(proof), note.encode()).body()


@pytest.fixture
def log(make_log: Callable[[str], LogWorld], sqlite_url: str) -> LogWorld:
    return make_log(sqlite_url)


@pytest.fixture
def hub(log: LogWorld, tmp_path: Path) -> Hub:
    cosigner = Cosigner.generate("regulator.example/witness")
    keys = {ORIGIN: [NoteVerifier.from_key_string(log.log_signer.verifier_key())]}
    state = tmp_path / "witness.json"
    return Hub(LogWitness(cosigner, keys, WitnessStateFile(state), lambda: NOW), cosigner, state)


def _grow(world: LogWorld, actor: Actor, count: int) -> int:
    world.ledger.append_batch(notes(actor, count, start=world.ledger.size()))
    return world.ledger.size()


def test_request_body_round_trips() -> None:
    body = AddCheckpoint(20852014, (bytes(32), b"\xff" * 32), b"o\n1\nroot\n\n- sig\n").body()
    assert body.startswith(b"old 20852014\nAAAA")
    assert AddCheckpoint.parse(body) == AddCheckpoint.parse(body)
    assert AddCheckpoint.parse(body).proof == (bytes(32), b"\xff" * 32)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"old 01\n\nx", "without leading zeroes"),
        (b"old -1\n\nx", "expected 'old <size>'"),
        (b"new 1\n\nx", "expected 'old <size>'"),
        (b"old 1\nAAAA\n\nx", "expected a 32-byte hash, got 3"),
        (b"old 1\n!!!!\n\nx", "not base64"),
        (b"old 1\n" + b"".join([base64.b64encode(bytes(32)) + b"\n"] * 64) + b"\nx", "at most 63"),
        (b"old 1\n", "empty line"),
    ],
)
def test_malformed_request_refused(body: bytes, message: str) -> None:
    with pytest.raises(WitnessRequestError, match=message):
        AddCheckpoint.parse(body)


def test_cosigns_first_then_consistent_checkpoints(log: LogWorld, hub: Hub) -> None:
    actor = log.actor("packer")
    first = log.ledger.size()
    line = hub.add(log.ledger, 0)
    note = parse_note((log.ledger.cosigned_checkpoint(first) or "").encode() + line.encode())
    verifier = CosignatureVerifier.from_key_string(hub.cosigner.verifier_key())
    assert verify_cosignature(Checkpoint.parse(note.text), note, verifier) == NOW
    size = _grow(log, actor, 5)
    hub.add(log.ledger, first)
    assert hub.witness.state.get(ORIGIN).checkpoint == log.ledger.cosigned_checkpoint(size)
    hub.add(log.ledger, size)  # the same checkpoint again: cosigned again


def test_stale_old_size_is_a_conflict_naming_the_known_size(log: LogWorld, hub: Hub) -> None:
    actor = log.actor("packer")
    first = log.ledger.size()
    hub.add(log.ledger, 0)
    _grow(log, actor, 3)
    with pytest.raises(WitnessConflictError) as caught:
        hub.add(log.ledger, 0)  # the witness already holds `first`
    assert caught.value.known_size == first
    with pytest.raises(WitnessConflictError):
        hub.add(log.ledger, first - 1, first + 3)


def test_old_size_above_new_size_is_a_bad_request(log: LogWorld, hub: Hub) -> None:
    note = (log.ledger.cosigned_checkpoint() or "").encode()
    with pytest.raises(WitnessRequestError, match="exceeds the checkpoint size"):
        hub.witness.add_checkpoint(AddCheckpoint(99, (), note).body())


def test_proof_from_size_zero_refused(log: LogWorld, hub: Hub) -> None:
    note = (log.ledger.cosigned_checkpoint() or "").encode()
    with pytest.raises(WitnessProofError, match="no proof from size 0"):
        hub.witness.add_checkpoint(AddCheckpoint(0, (bytes(32),), note).body())


def test_unknown_log_and_untrusted_key_refused(log: LogWorld, hub: Hub, tmp_path: Path) -> None:
    stranger = NoteSigner.generate("other.example/log")
    ledger = Ledger.create(
        f"sqlite:///{tmp_path / 'o.db'}", stranger.name, Actor("r").key, stranger
    )
    with pytest.raises(UnknownLogError, match=r"does not follow the log 'other\.example/log'"):
        hub.witness.add_checkpoint(request(ledger, 0, ledger.size()))
    impostor = NoteSigner.generate(ORIGIN)  # right origin, wrong key
    fake = Ledger.create(f"sqlite:///{tmp_path / 'f.db'}", ORIGIN, Actor("r").key, impostor)
    with pytest.raises(UntrustedLogError, match="no signature by a trusted key"):
        hub.witness.add_checkpoint(request(fake, 0, fake.size()))
    assert hub.witness.state.get(ORIGIN).checkpoint is None
    ledger.close()
    fake.close()


def _fork(log: LogWorld, tmp_path: Path) -> Ledger:
    """Another history signed with the same log key: what a compromised log would do."""
    url = f"sqlite:///{tmp_path / 'fork.db'}"
    return Ledger.create(url, ORIGIN, log.root.key, log.log_signer, timedelta(0))


def test_fork_refused_with_proof_error_and_kept_as_evidence(
    log: LogWorld, hub: Hub, tmp_path: Path
) -> None:
    actor = log.actor("packer")
    _grow(log, actor, 2)
    seen = log.ledger.size()  # 4: genesis, register, two notes
    hub.add(log.ledger, 0)
    fork = _fork(log, tmp_path)
    for name in ("lab", "lab2", "lab3", "lab4"):
        fork.append(log.root.sign(KEY_REGISTER, register_body(Actor(name).public_key, name, [])))
    assert fork.size() > seen
    # The fork's own proof from `seen` to its size proves its history, not the one cosigned.
    with pytest.raises(WitnessProofError, match=f"consistency proof from {seen} to"):
        hub.add(fork, seen)
    evidence = hub.evidence()
    assert len(evidence) == 1
    assert "consistency proof" in evidence[0]["reason"]
    assert (fork.cosigned_checkpoint(fork.size()) or "?") in evidence[0]["request"]
    fork.close()


def test_same_size_other_root_is_a_conflict(log: LogWorld, hub: Hub, tmp_path: Path) -> None:
    hub.add(log.ledger, 0)
    fork = _fork(log, tmp_path)  # one genesis entry, like the log: size 1, another root
    assert fork.size() == log.ledger.size() == 1
    with pytest.raises(WitnessConflictError, match="different root at size 1"):
        hub.add(fork, 1)
    assert len(hub.evidence()) == 1
    fork.close()


def test_concurrent_submissions_never_roll_back(log: LogWorld, hub: Hub) -> None:
    actor = log.actor("packer")
    base = log.ledger.size()
    hub.add(log.ledger, 0)
    sizes = [_grow(log, actor, 1) for _ in range(8)]  # a checkpoint at each size
    bodies = [request(log.ledger, base, size) for size in sizes]
    results: list[str] = []
    barrier = threading.Barrier(len(bodies))

    def submit(body: bytes) -> None:
        barrier.wait()
        try:
            hub.witness.add_checkpoint(body)
            results.append("ok")
        except WitnessConflictError:
            results.append("conflict")

    threads = [threading.Thread(target=submit, args=(b,)) for b in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Every request claims the witness is at `base`; once one wins, that is false.
    assert sorted(results) == ["conflict"] * 7 + ["ok"]
