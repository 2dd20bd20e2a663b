"""Appending inside a caller's transaction: the caller's rows and the entries commit as one."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, insert, select

from ledger import SignatureError, audit
from tests.ledger.conftest import LogWorld, notes, seqs

side_metadata = MetaData()
side = Table("test_side", side_metadata, Column("seq", Integer, primary_key=True))


def side_rows(world: LogWorld) -> list[int]:
    with world.ledger.engine.connect() as conn:
        return sorted(conn.execute(select(side.c.seq)).scalars())


def test_caller_rows_commit_with_the_entries(world: LogWorld) -> None:
    side_metadata.create_all(world.ledger.engine)
    packer = world.actor("packer")
    prepared = world.ledger.prepare_batch(notes(packer, 3))
    with world.ledger.append_transaction() as appender:
        first = appender.size
        appender.conn.execute(insert(side), [{"seq": first + i} for i in range(3)])
        receipts = appender.append(prepared)
        assert appender.size == first + 3
    assert seqs(receipts) == [first, first + 1, first + 2]
    assert side_rows(world) == [first, first + 1, first + 2]
    assert world.ledger.size() == first + 3
    assert audit(world.ledger.store).verdict == "valid"


def test_an_error_after_the_append_rolls_back_entries_and_rows(world: LogWorld) -> None:
    side_metadata.create_all(world.ledger.engine)
    packer = world.actor("packer")  # registering the key is an append of its own
    size = world.ledger.size()
    prepared = world.ledger.prepare_batch(notes(packer, 2))

    def refuse_after_appending() -> None:
        with world.ledger.append_transaction() as appender:
            appender.conn.execute(insert(side), {"seq": appender.size})
            appender.append(prepared)
            raise RuntimeError("the caller refused its own rows")

    with pytest.raises(RuntimeError, match="refused"):
        refuse_after_appending()
    assert world.ledger.size() == size
    assert side_rows(world) == []
    # The log is still whole: the next append takes the same position.
    assert world.ledger.append(notes(packer, 1, start=9)[0]).seq == size


def test_positions_skip_statements_already_in_the_log_or_earlier_in_the_batch(
    world: LogWorld,
) -> None:
    packer = world.actor("packer")
    old, new = notes(packer, 2)
    kept = world.ledger.append(old)
    prepared = world.ledger.prepare_batch([new, old, new])
    with world.ledger.append_transaction() as appender:
        size = appender.size
        assert appender.positions(prepared) == [size, None, None]
        receipts = appender.append(prepared)
    assert [(r.seq, r.duplicate) for r in receipts] == [
        (size, False),
        (kept.seq, True),
        (size, True),
    ]


def test_a_bad_signature_in_a_prepared_batch_is_refused_and_nothing_appended(
    world: LogWorld,
) -> None:
    side_metadata.create_all(world.ledger.engine)
    packer = world.actor("packer")
    size = world.ledger.size()
    good, other = notes(packer, 2)
    forged = type(good)(good.statement, other.signature)
    prepared = world.ledger.prepare_batch([other, forged])

    def append_forged() -> None:
        with world.ledger.append_transaction() as appender:
            appender.conn.execute(insert(side), {"seq": appender.size})
            appender.append(prepared)

    with pytest.raises(SignatureError, match=r"statement 1: signature on test\.note"):
        append_forged()
    assert world.ledger.size() == size
    assert side_rows(world) == []


def test_many_signatures_are_verified_on_threads_and_the_bad_one_named(
    world: LogWorld,
) -> None:
    batch = notes(world.actor("packer"), 100)  # enough to go to the thread pool
    batch[70] = type(batch[70])(batch[70].statement, batch[3].signature)
    prepared = world.ledger.prepare_batch(batch)
    with pytest.raises(SignatureError, match="statement 70: "):
        prepared.wait()


def test_the_same_batch_appended_twice_in_one_transaction_is_appended_once(
    world: LogWorld,
) -> None:
    prepared = world.ledger.prepare_batch(notes(world.actor("packer"), 2))
    with world.ledger.append_transaction() as appender:
        size = appender.size
        assert appender.positions(prepared) == [size, size + 1]
        first = appender.append(prepared)
        again = appender.append(prepared)
    assert [r.duplicate for r in first] == [False, False]
    assert [(r.seq, r.duplicate) for r in again] == [(size, True), (size + 1, True)]
    assert world.ledger.size() == size + 2
