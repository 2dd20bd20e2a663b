"""Witnesses cosign only checkpoints that extend what they saw; the log keeps cosignatures."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agritrace.cli import app
from ledger import (
    Checkpoint,
    CosignatureVerifier,
    Cosigner,
    KeyFolder,
    NoteError,
    NoteSigner,
    NoteVerifier,
    ProofError,
    open_checkpoint,
    parse_note,
    verify_cosignature,
    witness_checkpoint,
)
from tests.ledger.conftest import ORIGIN, LogWorld, notes


def _checkpoint(note: str) -> Checkpoint:
    return Checkpoint.parse(parse_note(note.encode()).text)


def test_witness_cosigns_an_extension_and_the_log_serves_it(world: LogWorld) -> None:
    log_key = NoteVerifier.from_key_string(world.log_signer.verifier_key())
    regulator = Cosigner.generate("regulator.example/witness")
    first = world.ledger.checkpoint()
    world.ledger.append_batch(notes(world.actor("packer"), 20))
    second = world.ledger.checkpoint()
    old, new = _checkpoint(first), _checkpoint(second)
    proof = world.ledger.consistency_proof(old.size, new.size)
    line = witness_checkpoint(
        second.encode(), ORIGIN, log_key, regulator, 1_800_000_000, old, proof
    )

    verifier = CosignatureVerifier.from_key_string(regulator.verifier_key())
    assert world.ledger.add_cosignature(line, verifier, new.size) == 1_800_000_000
    served = world.ledger.cosigned_checkpoint()
    assert served is not None
    cosigned = parse_note(served.encode())
    assert verify_cosignature(new, cosigned, verifier) == 1_800_000_000
    open_checkpoint(served.encode(), ORIGIN, log_key)  # still a valid log-signed note


def test_witness_refuses_a_log_that_rewrote_history(
    make_log: Callable[[str], LogWorld], tmp_path: Path
) -> None:
    # Two logs with the same origin and keys but different entries: a fork.
    honest = make_log(f"sqlite:///{tmp_path / 'a.db'}")
    honest.ledger.append_batch(notes(honest.actor("packer"), 5))
    seen = _checkpoint(honest.ledger.checkpoint())
    honest.ledger.append_batch(notes(honest.actor("late"), 5, start=100))
    forked_note = honest.ledger.checkpoint()
    log_key = NoteVerifier.from_key_string(honest.log_signer.verifier_key())
    regulator = Cosigner.generate("regulator.example/witness")
    tampered = Checkpoint(seen.origin, seen.size, bytes(32))  # what the witness "saw" differs
    proof = honest.ledger.consistency_proof(seen.size, _checkpoint(forked_note).size)
    with pytest.raises(ProofError):
        witness_checkpoint(forked_note.encode(), ORIGIN, log_key, regulator, 1, tampered, proof)


def test_witness_refuses_a_shrunken_log_and_a_note_not_signed_by_the_log(
    world: LogWorld,
) -> None:
    log_key = NoteVerifier.from_key_string(world.log_signer.verifier_key())
    regulator = Cosigner.generate("regulator.example/witness")
    note = world.ledger.checkpoint()
    current = _checkpoint(note)
    bigger = Checkpoint(current.origin, current.size + 10, current.root_hash)
    with pytest.raises(NoteError, match="the log shrank"):
        witness_checkpoint(note.encode(), ORIGIN, log_key, regulator, 1, bigger)
    impostor_key = NoteVerifier.from_key_string(NoteSigner.generate(ORIGIN).verifier_key())
    with pytest.raises(NoteError):
        witness_checkpoint(note.encode(), ORIGIN, impostor_key, regulator, 1)


def test_cosignature_by_another_witness_key_is_refused(world: LogWorld) -> None:
    log_key = NoteVerifier.from_key_string(world.log_signer.verifier_key())
    regulator, impostor = Cosigner.generate("regulator"), Cosigner.generate("regulator")
    note = world.ledger.checkpoint()
    line = witness_checkpoint(note.encode(), ORIGIN, log_key, impostor, int(time.time()))
    with pytest.raises(NoteError):
        world.ledger.add_cosignature(
            line,
            CosignatureVerifier.from_key_string(regulator.verifier_key()),
            _checkpoint(note).size,
        )


def test_cli_witness_cosigns_and_remembers_what_it_saw(tmp_path: Path) -> None:
    runner = CliRunner()
    db = f"sqlite:///{tmp_path / 'l.db'}"
    keys = tmp_path / "keys"
    common = ["--db", db, "--keys", str(keys)]
    assert runner.invoke(app, ["ledger", "init", "--origin", ORIGIN, *common]).exit_code == 0
    KeyFolder(keys).create("regulator")
    state = tmp_path / "witness-state.note"
    witness = ["ledger", "witness", "--name", "regulator", "--state", str(state), *common]
    first = runner.invoke(app, witness)
    assert first.exit_code == 0, first.output
    assert state.exists()
    body = '{"x": 1}'
    for _ in range(3):
        runner.invoke(app, ["ledger", "append", "--kind", "t.n", "--body", body, *common])
        body = body.replace("1", "11")
    assert runner.invoke(app, ["ledger", "checkpoint", *common]).exit_code == 0
    second = runner.invoke(app, witness)
    assert second.exit_code == 0, second.output
    assert "— regulator " in second.stdout
    assert _checkpoint(state.read_text()).size == 4
