"""Witnessed by default: the demo's regulator witness holds a checkpoint the server cannot undo.

The server holds the log key, so it can rebuild or cut the log and sign a fresh checkpoint
that is consistent with itself. The witness that cosigned the demo's checkpoint keeps it
(``witness-checkpoint.txt``) and refuses to cosign anything that does not extend it.
"""

from __future__ import annotations

import io
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from rich.console import Console

from agritrace.demo import ORIGIN, WITNESS, run_demo
from ledger import (
    Checkpoint,
    Cosigner,
    KeyFolder,
    Ledger,
    NoteError,
    NoteVerifier,
    ProofError,
    Statement,
    format_time,
    key_id_for,
    open_checkpoint,
    sign_statement,
    witness_checkpoint,
)
from traceability import Hold, Recorder
from traceability.demo import Season, build_season


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Season]:
    folder = tmp_path_factory.mktemp("witnessed") / "agritrace-demo"
    return folder, run_demo(folder, Console(file=io.StringIO()))


def witness(folder: Path, ledger: Ledger) -> str:
    """The regulator's witness run against ``ledger``, holding the demo's checkpoint."""
    keys = KeyFolder(folder / "keys")
    log_key = NoteVerifier.from_key_string(keys.log_signer().verifier_key())
    held_note = (folder / "witness-checkpoint.txt").read_bytes()
    held, _ = open_checkpoint(held_note, ORIGIN, log_key)
    note = ledger.checkpoint()
    new = Checkpoint.parse(note.split("\n\n")[0] + "\n")
    proof = ledger.consistency_proof(held.size, new.size) if held.size <= new.size else []
    cosigner = Cosigner(WITNESS, keys.load("regulator-witness"))
    return witness_checkpoint(
        note.encode(), ORIGIN, log_key, cosigner, int(time.time()), held, proof
    )


def server_rebuild(folder: Path, target: Path, *, cut: bool) -> Ledger:
    """What a server holding the root and log keys can do: start the log again."""
    keys = KeyFolder(folder / "keys")
    ledger = Ledger.create(f"sqlite:///{target}", ORIGIN, keys.load("root"), keys.log_signer())
    if not cut:
        scratch = KeyFolder(target.parent / "keys")
        made: dict[str, Ed25519PrivateKey] = {}

        def new_key(name: str) -> Ed25519PrivateKey:
            made[name] = made.get(name) or scratch.create(name)
            return made[name]

        build_season(ledger, keys.load("root"), new_key)
        # As long as the real log at least (the demo adds its label run): a rewrite, not a cut.
        with Ledger.open(f"sqlite:///{folder / 'ledger.db'}") as real:
            real_size = real.size()
        root = keys.load("root")
        root_id = key_id_for(root.public_key().public_bytes_raw())
        while ledger.size() <= real_size:
            note = Statement(
                ORIGIN, "note.text", {"text": "padding"}, root_id, format_time(datetime.now(UTC))
            )
            ledger.append(sign_statement(note, root))
    return ledger


def test_the_demo_checkpoint_carries_the_regulator_cosignature(demo: tuple[Path, Season]) -> None:
    folder, _ = demo
    with Ledger.open(f"sqlite:///{folder / 'ledger.db'}") as ledger:
        note = ledger.cosigned_checkpoint()
    assert note is not None
    assert f"— {WITNESS} " in note
    assert (folder / "witnesses.txt").read_text(encoding="utf-8").startswith(f"{WITNESS}+")


def test_the_honest_log_grows_and_the_witness_cosigns(
    demo: tuple[Path, Season], tmp_path: Path
) -> None:
    folder, season = demo
    import shutil

    shutil.copytree(folder, tmp_path / "copy")
    copy = tmp_path / "copy"
    with Ledger.open(
        f"sqlite:///{copy / 'ledger.db'}", log_signer=KeyFolder(copy / "keys").log_signer()
    ) as ledger:
        hold = {"lot": {"gtin": season.gtin, "lot": season.released}, "reason": "spot check"}
        hold["time"] = "2026-06-20T10:00:00+08:00"
        Recorder(ledger).record(
            Hold.from_body(hold), KeyFolder(copy / "keys").load("market-regulator")
        )
        assert witness(copy, ledger).startswith(f"— {WITNESS} ")


def test_a_rewritten_log_is_refused_by_the_witness(
    demo: tuple[Path, Season], tmp_path: Path
) -> None:
    folder, _ = demo
    ledger = server_rebuild(folder, tmp_path / "rewritten.db", cut=False)
    with ledger, pytest.raises(ProofError):
        witness(folder, ledger)


def test_a_truncated_log_is_refused_by_the_witness(
    demo: tuple[Path, Season], tmp_path: Path
) -> None:
    folder, _ = demo
    ledger = server_rebuild(folder, tmp_path / "cut.db", cut=True)
    with ledger, pytest.raises(NoteError, match="the log shrank"):
        witness(folder, ledger)
