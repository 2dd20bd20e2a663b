"""A log rewritten by whoever holds the log key: caught only by what is kept outside the log.

The attacker here has the database and the log key (the server itself): they cut the tail,
append other entries in its place and re-sign every checkpoint. The log is then consistent
with itself and a bare audit cannot tell; a checkpoint held from before, or a witness that
cosigned the old history, can.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import sqlalchemy
from sqlalchemy import text

from agritrace.cli import app
from ledger import (
    Checkpoint,
    CosignatureVerifier,
    Cosigner,
    KeyFolder,
    Ledger,
    LedgerError,
    parse_note,
    witness_checkpoint,
)
from ledger._merkle import leaf_hash
from ledger._tree import CompactRange
from tests.ledger.conftest import ORIGIN, Actor, LogWorld, notes
from tests.ledger.test_cli import RUNNER, Cli, cli, coop, plain

__all__ = ["cli", "coop"]  # the command-line fixtures, shared with test_cli

KEEP = 12


@pytest.fixture
def witness() -> Cosigner:
    """A regulator's witness key under a URL-shaped cosigner name."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Cosigner("witness.example.gov/regulator", Ed25519PrivateKey.generate())


@pytest.fixture
def cosigned(world: LogWorld, witness: Cosigner) -> tuple[LogWorld, str]:
    """A 20-entry log whose latest checkpoint the witness cosigned; returns the held note."""
    packer = world.actor("packer")
    world.ledger.append_batch(notes(packer, 18))
    note = world.ledger.checkpoint()
    line = witness_checkpoint(
        note.encode(), ORIGIN, world.ledger.log_verifier(), witness, int(time.time())
    )
    world.ledger.add_cosignature(line, _verifier(witness), world.ledger.size())
    world.packer = packer  # type: ignore[attr-defined]
    return world, note


def _verifier(witness: Cosigner) -> CosignatureVerifier:
    return CosignatureVerifier.from_key_string(witness.verifier_key())


@pytest.fixture
def raw(cosigned: tuple[LogWorld, str]) -> Iterator[sqlalchemy.Engine]:
    """A plain connection to the same database."""
    engine = sqlalchemy.create_engine(cosigned[0].url)
    yield engine
    engine.dispose()


def _rewrite(world: LogWorld, raw: sqlalchemy.Engine, *, drop_cosignatures: bool) -> None:
    """Cut the log to KEEP entries, rewind everything derived, append others, re-sign."""
    with raw.connect() as conn:
        leaves = [
            bytes(r[0])
            for r in conn.execute(
                text("SELECT leaf FROM ledger_entry WHERE seq < :k ORDER BY seq"), {"k": KEEP}
            )
        ]
        log_id = conn.execute(text("SELECT log_id FROM ledger_head")).scalar_one()
    tree = CompactRange()
    nodes = []
    for leaf in leaves:
        nodes.extend(tree.append(leaf_hash(leaf)))
    with raw.begin() as conn:
        conn.execute(text("DELETE FROM ledger_entry WHERE seq >= :k"), {"k": KEEP})
        conn.execute(text("DELETE FROM ledger_checkpoint WHERE size > :k"), {"k": KEEP})
        if drop_cosignatures:
            conn.execute(text("DELETE FROM ledger_cosignature"))
        conn.execute(text("DELETE FROM ledger_node"))
        for (level, index), value in nodes:
            conn.execute(
                text("INSERT INTO ledger_node (log_id, node, hash) VALUES (:l, :n, :h)"),
                {"l": log_id, "n": (level << 48) | index, "h": value},
            )
        conn.execute(
            text(
                "UPDATE ledger_head SET size = :k, last_hash = :h, border = :b, checkpoint_size = 0"
            ),
            {"k": KEEP, "h": leaf_hash(leaves[-1]), "b": tree.to_bytes()},
        )
    ledger = world.reopen()
    packer: Actor = world.packer  # type: ignore[attr-defined]
    ledger.append_batch(notes(packer, 8, start=1000))  # other history, same length
    ledger.checkpoint()  # re-signed with the log key


@pytest.mark.parametrize("drop", [False, True], ids=["cosignature-left", "cosignature-dropped"])
def test_rewrite_by_the_key_holder_passes_a_bare_audit_but_not_an_anchored_one(
    cosigned: tuple[LogWorld, str], raw: sqlalchemy.Engine, witness: Cosigner, drop: bool
) -> None:
    world, held = cosigned
    assert world.ledger.audit(witnesses=[_verifier(witness)]).verdict == "valid"
    _rewrite(world, raw, drop_cosignatures=drop)
    ledger = world.reopen()
    bare = ledger.audit()
    assert bare.verdict == "valid", (bare.failure, bare.drift)  # consistent with itself...
    assert not bare.anchored  # ...which is why the CLI warns
    by_checkpoint = ledger.audit(held_checkpoint=held.encode())
    assert by_checkpoint.verdict == "invalid"
    assert "history was rewritten" in str(by_checkpoint.failure)
    by_witness = ledger.audit(witnesses=[_verifier(witness)])
    assert by_witness.verdict == "invalid"
    assert witness.name in str(by_witness.failure)


def test_witness_holding_the_old_checkpoint_refuses_to_cosign_the_rewrite(
    cosigned: tuple[LogWorld, str], raw: sqlalchemy.Engine, witness: Cosigner
) -> None:
    world, held = cosigned
    _rewrite(world, raw, drop_cosignatures=True)
    ledger = world.reopen()
    new = (ledger.latest_checkpoint() or "").encode()
    previous = Checkpoint.parse(parse_note(held.encode()).text)
    proof = ledger.consistency_proof(previous.size, Checkpoint.parse(parse_note(new).text).size)
    with pytest.raises(LedgerError):
        witness_checkpoint(
            new, ORIGIN, ledger.log_verifier(), witness, int(time.time()), previous, proof
        )


def test_truncation_is_caught_by_the_witness(
    cosigned: tuple[LogWorld, str], raw: sqlalchemy.Engine, witness: Cosigner
) -> None:
    world, _ = cosigned
    with raw.begin() as conn:  # the cosigned checkpoint goes with the tail
        conn.execute(text("DELETE FROM ledger_cosignature"))
    report = world.ledger.audit(witnesses=[_verifier(witness)])
    assert report.verdict == "invalid"
    assert "no stored checkpoint carries a valid cosignature" in str(report.failure)


def test_cli_audit_warns_loudly_without_a_held_checkpoint_or_witness(tmp_path: object) -> None:
    from pathlib import Path

    coop = Cli(Path(str(tmp_path)))
    RUNNER.invoke(app, ["ledger", "init", "--origin", ORIGIN, "--db", coop.url, "--keys",
                        str(coop.keys)])  # fmt: skip
    bare = coop.ok("audit")
    assert "WARNING" in plain(bare.stderr)
    assert "rewritten or truncated" in plain(bare.stderr)
    note = coop.folder / "held.note"
    note.write_text(coop.ok("checkpoint").stdout, encoding="utf-8")
    anchored = coop.ok("audit", "--checkpoint", str(note))
    assert "WARNING" not in plain(anchored.stderr)
    assert "checked against the checkpoint you hold (size 1)" in plain(anchored.stdout)


def test_cli_witness_cosigns_under_a_url_shaped_name_and_the_audit_checks_it(
    coop: Cli,
) -> None:
    coop.ok("keygen", "regulator")
    name = "witness.example.gov/regulator"
    state = coop.folder / "witness.state"
    refused = coop("witness", "--name", name, "--state", str(state))
    assert refused.exit_code == 2
    assert "--key" in plain(refused.stderr)
    out = coop.ok("witness", "--name", name, "--key", "regulator", "--state", str(state))
    assert f"\n— {name} " in out.stdout
    vkey = Cosigner(name, KeyFolder(coop.keys).load("regulator")).verifier_key()
    with Ledger.open(coop.url) as ledger:
        report = ledger.audit(witnesses=[CosignatureVerifier.from_key_string(vkey)])
    assert report.verdict == "valid"
    anchored = coop.ok("audit", "--witness", vkey)
    assert f"witness {name} (cosigned size" in plain(anchored.stdout)
    assert "WARNING" not in plain(anchored.stderr)
