"""The log's append protocol, key rules, idempotency, proofs and checkpoint publication."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from datetime import timedelta

import pytest

from ledger import (
    KEY_REGISTER,
    KEY_REVOKE,
    MAX_BODY_BYTES,
    AppendConflictError,
    KeyStateError,
    Ledger,
    NoteVerifier,
    SignatureError,
    SignedStatement,
    StatementError,
    audit,
    leaf_hash,
    open_checkpoint,
    register_body,
    revoke_body,
    verify_consistency,
    verify_inclusion,
)
from tests.ledger.conftest import ORIGIN, Actor, LogWorld, notes, seqs


def test_genesis_names_the_root_key_and_the_checkpoint_key(world: LogWorld) -> None:
    genesis = world.ledger.entry(0)
    assert genesis.statement.kind == "ledger.genesis"
    assert genesis.statement.key_id == world.root.key_id
    assert genesis.statement.body["log_key"] == world.log_signer.verifier_key()
    assert genesis.prev == bytes(32)


def test_appends_are_contiguous_and_each_links_to_the_previous_leaf(world: LogWorld) -> None:
    packer = world.actor("packer")
    receipts = [world.ledger.append(s) for s in notes(packer, 3)]
    receipts += world.ledger.append_batch(notes(packer, 4, start=3))
    assert seqs(receipts) == list(range(2, 9))
    records = list(world.ledger.entries())
    for before, after in itertools.pairwise(records):
        assert after.prev == before.leaf_hash()
    assert [r.leaf_hash for r in receipts] == [r.leaf_hash() for r in records[2:]]


def test_a_retried_statement_returns_its_first_receipt_and_is_not_appended_again(
    world: LogWorld,
) -> None:
    packer = world.actor("packer")
    statement = packer.sign("test.note", {"n": 1})
    first = world.ledger.append(statement)
    size = world.ledger.size()
    again = world.ledger.append(statement)
    assert (again.seq, again.leaf_hash, again.duplicate) == (first.seq, first.leaf_hash, True)
    twice_in_batch = world.ledger.append_batch([*notes(packer, 1, start=5), statement])
    assert twice_in_batch[1].seq == first.seq
    assert world.ledger.size() == size + 1


def test_batch_with_one_forged_signature_appends_nothing(world: LogWorld) -> None:
    packer = world.actor("packer")
    batch = notes(packer, 100)
    forged = SignedStatement(batch[57].statement, bytes(64))
    batch[57] = forged
    size = world.ledger.size()
    with pytest.raises(SignatureError, match=r"statement 57: signature on test\.note"):
        world.ledger.append_batch(batch)
    assert world.ledger.size() == size


def test_unknown_key_is_refused_and_nothing_appended(world: LogWorld) -> None:
    stranger = Actor("stranger")
    size = world.ledger.size()
    with pytest.raises(KeyStateError, match=f"key {stranger.key_id} is not registered"):
        world.ledger.append(stranger.sign("test.note", {"n": 1}))
    assert world.ledger.size() == size


def test_revoked_key_cannot_sign_new_entries_but_its_old_entries_stay_valid(
    world: LogWorld,
) -> None:
    lab = world.actor("lab", ("lab",))
    world.ledger.append(lab.sign("test.note", {"before": True}))
    world.ledger.append(world.root.sign(KEY_REVOKE, revoke_body(lab.key_id, "key leaked")))
    size = world.ledger.size()
    with pytest.raises(KeyStateError, match="was revoked at entry 3"):
        world.ledger.append(lab.sign("test.note", {"after": True}))
    assert world.ledger.size() == size
    assert world.ledger.keys()[lab.key_id].revoked_seq == 3
    assert audit(world.ledger.store).verdict == "valid"


def test_only_the_root_key_may_register_or_revoke_keys(world: LogWorld) -> None:
    packer = world.actor("packer")
    newcomer = Actor("newcomer")
    with pytest.raises(KeyStateError, match="must be signed by the root key"):
        world.ledger.append(
            packer.sign(KEY_REGISTER, register_body(newcomer.public_key, "x", ["lab"]))
        )
    with pytest.raises(KeyStateError, match="root key cannot be revoked"):
        world.ledger.append(world.root.sign(KEY_REVOKE, revoke_body(world.root.key_id, "no")))
    with pytest.raises(KeyStateError, match="already registered"):
        world.ledger.append(
            world.root.sign(KEY_REGISTER, register_body(packer.public_key, "again", ["lab"]))
        )
    with pytest.raises(StatementError, match="unknown ledger statement"):
        world.ledger.append(world.root.sign("ledger.key.rotate", {}))
    with pytest.raises(KeyStateError, match="only allowed as entry 0"):
        world.ledger.append(world.root.sign("ledger.genesis", {}))


def test_a_key_registered_earlier_in_a_batch_can_sign_later_in_it(world: LogWorld) -> None:
    lab = Actor("lab")
    batch = [
        world.root.sign(KEY_REGISTER, register_body(lab.public_key, "lab", ["lab"])),
        lab.sign("test.result", {"ok": True}),
    ]
    assert seqs(world.ledger.append_batch(batch)) == [1, 2]
    forged_batch = [
        lab.sign("test.result", {"n": 2}),
        SignedStatement(batch[1].statement, bytes(64)),
    ]
    with pytest.raises(SignatureError):
        world.ledger.append_batch(forged_batch)


def test_statement_signed_for_another_log_is_refused(world: LogWorld) -> None:
    packer = world.actor("packer")
    elsewhere = Actor("packer", packer.key, origin="other.coop/log")
    with pytest.raises(StatementError, match=r"signed for log 'other\.coop/log'"):
        world.ledger.append(elsewhere.sign("test.note", {}))


def test_oversize_and_non_json_input_is_refused_with_the_field_named(world: LogWorld) -> None:
    packer = world.actor("packer")
    with pytest.raises(StatementError, match=f"body: expected at most {MAX_BODY_BYTES} bytes"):
        packer.sign("test.note", {"blob": "x" * (MAX_BODY_BYTES + 1)})
    with pytest.raises(StatementError, match="exactly 'statement' and 'signature'"):
        SignedStatement.from_json(["not", "an", "object"])
    with pytest.raises(StatementError, match="signature: not valid base64"):
        SignedStatement.from_json(
            {"statement": packer.sign("t.n", {}).statement.to_json(), "signature": "%%%"}
        )
    with pytest.raises(StatementError, match="kind: expected a dotted lowercase name"):
        packer.sign("Harvest", {})
    with pytest.raises(StatementError, match="body: cannot encode canonically"):
        packer.sign("test.note", {"t": float("nan")})


def test_proofs_verify_against_the_signed_checkpoint(world: LogWorld) -> None:
    packer = world.actor("packer")
    world.ledger.append_batch(notes(packer, 37))
    note = world.ledger.checkpoint()
    checkpoint, _ = open_checkpoint(
        note.encode(), ORIGIN, NoteVerifier.from_key_string(world.log_signer.verifier_key())
    )
    assert checkpoint.size == world.ledger.size() == 39
    for seq in (0, 1, 20, 38):
        proof = world.ledger.inclusion_proof(seq, checkpoint.size)
        leaf = leaf_hash(world.ledger.entry(seq).leaf())
        verify_inclusion(seq, checkpoint.size, leaf, proof, checkpoint.root_hash)
    proof = world.ledger.consistency_proof(5, checkpoint.size)
    verify_consistency(5, checkpoint.size, proof, world.ledger.root(5), checkpoint.root_hash)


def test_checkpoints_follow_appends_at_most_once_per_interval(
    make_log: Callable[[str], LogWorld], sqlite_url: str
) -> None:
    world = make_log(sqlite_url)
    slow = world.reopen(checkpoint_interval=timedelta(1))
    packer = world.actor("packer")  # interval 0: signed at once
    assert world.ledger.store.head().checkpoint_size == 2
    slow.append_batch(notes(packer, 5))
    assert slow.store.head().checkpoint_size == 2  # due only after a day
    slow.checkpoint()
    assert slow.store.head().checkpoint_size == 7


def test_racing_checkpoint_publishers_never_publish_conflicting_checkpoints(
    world: LogWorld,
) -> None:
    packer = world.actor("packer")
    writers = [world.reopen() for _ in range(4)]
    published: list[str] = []
    errors: list[BaseException] = []

    def run(ledger: Ledger, offset: int) -> None:
        try:
            for i in range(5):
                ledger.append(packer.sign("test.note", {"w": offset, "i": i}))
                published.append(ledger.checkpoint())
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(w, n)) for n, w in enumerate(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    verifier = NoteVerifier.from_key_string(world.log_signer.verifier_key())
    by_size: dict[int, bytes] = {}
    for note in published:
        checkpoint, _ = open_checkpoint(note.encode(), ORIGIN, verifier)
        assert by_size.setdefault(checkpoint.size, checkpoint.root_hash) == checkpoint.root_hash
    report = audit(world.ledger.store)
    assert report.verdict == "valid", report.failure
    assert world.ledger.size() == 22


def test_an_acknowledged_append_is_there_after_reopening(world: LogWorld) -> None:
    packer = world.actor("packer")
    receipt = world.ledger.append(packer.sign("test.note", {"keep": "me"}))
    again = world.reopen()
    assert again.entry(receipt.seq).statement.body == {"keep": "me"}


def test_conditional_append_refuses_a_log_that_moved_and_appends_nothing(world: LogWorld) -> None:
    packer = world.actor("packer")
    checked_at = world.ledger.size()
    world.ledger.append(packer.sign("test.note", {"someone": "else"}))
    with pytest.raises(AppendConflictError, match=f"expected the log at {checked_at} entries"):
        world.ledger.append(packer.sign("test.note", {"mine": 1}), expected_size=checked_at)
    assert world.ledger.size() == checked_at + 1
    receipt = world.ledger.append(
        packer.sign("test.note", {"mine": 1}), expected_size=checked_at + 1
    )
    assert receipt.seq == checked_at + 1


def test_side_tables_share_the_ledger_database_and_transaction(world: LogWorld) -> None:
    from sqlalchemy import text

    with world.ledger.transaction() as conn:
        conn.execute(text("CREATE TABLE side_note (n INTEGER)"))
        conn.execute(text("INSERT INTO side_note VALUES (1)"))
    with world.ledger.engine.connect() as conn:
        assert conn.execute(text("SELECT n FROM side_note")).scalar_one() == 1
