"""``Ledger.seal``: what a layer above appends under the lock ends the checkpoint.

The ledger knows nothing of what the seal appends (the domain appends its lot-status map);
it promises that the checkpoint it then signs covers exactly up to the seal's last entry,
even when another append lands between the seal and the signature.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest

from ledger import Appender, Checkpoint, StoreError, parse_note
from ledger._publish import publish_checkpoint
from tests.ledger.conftest import LogWorld


def _size(note: str) -> int:
    return Checkpoint.parse(parse_note(note.encode()).text).size


@pytest.fixture
def world(make_log: Callable[[str], LogWorld], sqlite_url: str) -> LogWorld:
    return make_log(sqlite_url)


def test_the_checkpoint_ends_with_what_the_seal_appended(world: LogWorld) -> None:
    packer = world.actor("packer")
    world.ledger.checkpoint_interval = timedelta(hours=1)  # only explicit checkpoints
    seen: list[int] = []

    def seal(appender: Appender) -> None:
        seen.append(appender.size)
        body = {"size": appender.size}
        appender.append(world.ledger.prepare_batch([packer.sign("test.seal", body)]))

    world.ledger.append(packer.sign("test.event", {"n": 1}))
    world.ledger.seal = seal
    note = world.ledger.checkpoint()
    assert _size(note) == world.ledger.size() == seen[0] + 1
    last = world.ledger.entry(_size(note) - 1).statement
    assert (last.kind, last.body) == ("test.seal", {"size": seen[0]})


def test_an_append_after_the_seal_is_left_to_the_next_checkpoint(
    world: LogWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    packer = world.actor("packer")
    world.ledger.checkpoint_interval = timedelta(hours=1)
    other = world.reopen(checkpoint_interval=timedelta(hours=1))

    def seal(appender: Appender) -> None:
        appender.append(world.ledger.prepare_batch([packer.sign("test.seal", {})]))

    world.ledger.seal = seal
    sealed_at: list[int] = []
    original = world.ledger._locked

    # Another writer appends right after the seal released the lock, before the signature.
    @contextmanager
    def locked_then_race() -> Iterator[Any]:
        with original() as held:
            yield held
        sealed_at.append(world.ledger.size())
        other.append(packer.sign("test.event", {"n": 2}))

    monkeypatch.setattr(world.ledger, "_locked", locked_then_race)
    note = world.ledger.checkpoint()
    assert world.ledger.size() == sealed_at[0] + 1  # the racing append landed
    assert _size(note) == sealed_at[0]  # and is not under this checkpoint
    assert world.ledger.entry(_size(note) - 1).statement.kind == "test.seal"


def test_a_size_beyond_the_log_is_refused(world: LogWorld) -> None:
    with pytest.raises(StoreError, match="between 0 and"):
        publish_checkpoint(world.ledger.store, world.log_signer, world.ledger.size() + 1)
