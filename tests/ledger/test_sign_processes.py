"""A large batch signed on the ledger's worker processes (ADR 29, ``Ledger.prepare_signing``).

The signatures are the very bytes signing in line makes (Ed25519 is deterministic); the main
process signs none of a large batch and all of a small one; a key that is not the one its
statement names is refused by index whichever path signed, and nothing is written; a
statement by a key registered earlier in the batch is signed in line and checked under the
lock; a worker killed mid-batch fails it with nothing written.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger import (
    KEY_REGISTER,
    Ledger,
    LedgerError,
    Receipt,
    SignatureError,
    Statement,
    StatementError,
    format_time,
    register_body,
)
from ledger._verify import PROCESS_THRESHOLD
from ledger._verify_processes import worker_pids
from tests.ledger.conftest import ORIGIN, Actor, LogWorld

LARGE = PROCESS_THRESHOLD + 44


class _SignsNowhereHere:
    """A key whose seed the workers may use but which must never sign in this process."""

    def __init__(self, key: Ed25519PrivateKey) -> None:
        self._key = key

    def private_bytes_raw(self) -> bytes:
        return self._key.private_bytes_raw()

    def sign(self, data: bytes) -> bytes:
        raise AssertionError("signed in the main process")


def _statements(actors: Sequence[Actor], count: int) -> list[Statement]:
    when = format_time(datetime.now(UTC))
    return [
        Statement(ORIGIN, "test.note", {"n": i}, actors[i % len(actors)].key_id, when)
        for i in range(count)
    ]


def _append(ledger: Ledger, statements: list[Statement], keys: Sequence[object]) -> list[Receipt]:
    prepared = ledger.prepare_signing(statements, keys)  # type: ignore[arg-type]
    with ledger.append_transaction() as appender:
        return appender.append(prepared)


def test_a_large_batch_is_signed_on_the_workers_byte_for_byte(world: LogWorld) -> None:
    actors = [world.actor("a"), world.actor("b")]
    statements = _statements(actors, LARGE)
    keys = [actors[i % 2].key for i in range(LARGE)]
    receipts = _append(world.ledger, statements, keys)
    assert [r.seq for r in receipts] == list(range(receipts[0].seq, receipts[0].seq + LARGE))
    stored = list(world.ledger.entries(receipts[0].seq))
    assert [r.signed.statement for r in stored] == statements
    assert [r.signed.signature for r in stored] == [
        k.sign(s.signing_bytes()) for k, s in zip(keys, statements, strict=True)
    ]
    assert worker_pids()


def test_the_workers_sign_a_large_batch_and_the_caller_a_small_one(world: LogWorld) -> None:
    actor = world.actor("a")
    guarded = _SignsNowhereHere(actor.key)
    _append(world.ledger, _statements([actor], LARGE), [guarded] * LARGE)
    with pytest.raises(AssertionError, match="signed in the main process"):
        _append(world.ledger, _statements([actor], 10), [guarded] * 10)


@pytest.mark.parametrize("count", [10, LARGE], ids=["in-line", "workers"])
def test_a_key_other_than_the_statements_is_refused_by_index(world: LogWorld, count: int) -> None:
    named, other = world.actor("named"), world.actor("other")
    statements = _statements([named], count)
    keys = [named.key] * count
    wrong = count * 2 // 3
    keys[wrong] = other.key  # registered too, but not the key this statement names
    size = world.ledger.size()
    with pytest.raises(SignatureError, match=f"^statement {wrong}: signature on test.note"):
        _append(world.ledger, statements, keys)
    assert world.ledger.size() == size


def test_a_key_registered_earlier_in_the_batch_signs_in_line(world: LogWorld) -> None:
    newcomer = Actor("newcomer")
    when = format_time(datetime.now(UTC))
    body = register_body(newcomer.public_key, "newcomer", ("packer",))
    registration = Statement(ORIGIN, KEY_REGISTER, body, world.root.key_id, when)
    statements = [registration, *_statements([newcomer], LARGE)]
    keys = [world.root.key, *[newcomer.key] * LARGE]
    receipts = _append(world.ledger, statements, keys)
    assert len(receipts) == LARGE + 1
    last = world.ledger.entry(receipts[-1].seq).signed
    assert last.signature == newcomer.key.sign(last.statement.signing_bytes())

    impostor = Actor("impostor")  # signs for a key the batch registers: refused under the lock
    registration = Statement(
        ORIGIN,
        KEY_REGISTER,
        register_body(impostor.public_key, "impostor", ("packer",)),
        world.root.key_id,
        when,
    )
    statements = [registration, *_statements([impostor], LARGE)]
    keys = [world.root.key, *[impostor.key] * LARGE]
    keys[5] = newcomer.key
    size = world.ledger.size()
    with pytest.raises(SignatureError, match=r"^statement 5:"):
        _append(world.ledger, statements, keys)
    assert world.ledger.size() == size


def test_a_worker_killed_while_signing_fails_the_batch_and_writes_nothing(
    world: LogWorld,
) -> None:
    actor = world.actor("a")
    _append(world.ledger, _statements([actor], LARGE), [actor.key] * LARGE)  # workers are up
    victim = worker_pids()[0]
    os.kill(victim, signal.SIGKILL)
    os.waitpid(victim, 0)
    size = world.ledger.size()
    with pytest.raises(LedgerError, match="signature worker process stopped"):
        _append(world.ledger, _statements([actor], LARGE * 2), [actor.key] * LARGE * 2)
    assert world.ledger.size() == size
    assert len(_append(world.ledger, _statements([actor], LARGE), [actor.key] * LARGE)) == LARGE
    assert victim not in worker_pids()


def test_one_key_per_statement_and_the_log_checked(world: LogWorld) -> None:
    actor = world.actor("a")
    with pytest.raises(StatementError, match="expected one key per statement") as e:
        world.ledger.prepare_signing(_statements([actor], 3), [actor.key] * 2)
    assert e.value.field == "signers"
    elsewhere = Statement(
        "elsewhere.example/log", "test.note", {}, actor.key_id, "2026-01-01T00:00:00Z"
    )
    with pytest.raises(StatementError, match=r"^statement 1: signed for log 'elsewhere"):
        world.ledger.prepare_signing([*_statements([actor], 1), elsewhere], [actor.key] * 2)
