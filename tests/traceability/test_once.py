"""Idempotency keys in the recorder: stored in the append's own transaction, or not at all."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from ledger import Appender, Statement, format_time, key_id_for, sign_statement
from tests.traceability.conftest import Coop, at, ev, ref
from traceability import (
    KEY_RETENTION,
    Harvest,
    IdempotencyKey,
    IdempotencyKeyUsedError,
    Role,
    ValidationError,
    check_projection,
    reindex,
)
from traceability.projection import _once
from traceability.projection import _schema as t

FP = hashlib.sha256(b"the request").hexdigest()
OTHER = hashlib.sha256(b"another request").hexdigest()


def harvest(lot: str = "H1") -> Harvest:
    fields = {"lot": ref(lot), "plot": "YK-P1", "variety": "Hongyan", "quantity": "100"}
    return ev(Harvest, **fields, time=at(0))


def stored_keys(coop: Coop) -> int:
    with coop.ledger.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.idempotency)).scalar_one())


@pytest.fixture
def db_coop(make_coop: Callable[[str], Coop], db_url: str) -> Coop:
    return make_coop(db_url)


def test_key_is_stored_with_the_receipt_and_a_second_use_appends_nothing(db_coop: Coop) -> None:
    once = IdempotencyKey("packer", "k1", FP)
    key = db_coop.keys[Role.PACKING_STATION]
    receipt = db_coop.recorder.record(harvest(), key, once=once)
    size = db_coop.ledger.size()
    with pytest.raises(IdempotencyKeyUsedError) as caught:
        db_coop.recorder.record(harvest("H2"), key, once=once)
    assert caught.value.stored.fingerprint == FP
    assert caught.value.stored.receipts == (receipt,)
    assert db_coop.ledger.size() == size
    assert db_coop.projection.find(ref("H2")["gtin"], "H2") is None


def test_key_is_scoped_to_its_caller(db_coop: Coop) -> None:
    key = db_coop.keys[Role.PACKING_STATION]
    db_coop.recorder.record(harvest(), key, once=IdempotencyKey("packer-a", "k", FP))
    db_coop.recorder.record(harvest("H2"), key, once=IdempotencyKey("packer-b", "k", FP))
    assert db_coop.projection.idempotency("packer-a", "k") is not None
    assert db_coop.projection.idempotency("packer-b", "k") is not None
    assert db_coop.projection.idempotency("packer-c", "k") is None


def test_append_failing_after_the_key_insert_leaves_neither(
    db_coop: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The key and the entry commit together: a failure between them rolls back both."""
    size = db_coop.ledger.size()

    def crash(self: Appender, *args: Any, **kwargs: Any) -> Any:
        assert self.conn.execute(select(func.count()).select_from(t.idempotency)).scalar_one()
        raise RuntimeError("the append failed after the key was inserted")

    monkeypatch.setattr(Appender, "append", crash)
    with pytest.raises(RuntimeError, match="after the key"):
        db_coop.recorder.record(
            harvest(), db_coop.keys[Role.PACKING_STATION], once=IdempotencyKey("p", "k", FP)
        )
    monkeypatch.undo()
    assert db_coop.ledger.size() == size
    assert stored_keys(db_coop) == 0
    # The retry goes through, once.
    db_coop.recorder.record(
        harvest(), db_coop.keys[Role.PACKING_STATION], once=IdempotencyKey("p", "k", FP)
    )
    assert db_coop.ledger.size() == size + 1


def test_a_refused_event_stores_no_key(db_coop: Coop) -> None:
    key = db_coop.keys[Role.PACKING_STATION]
    db_coop.recorder.record(harvest(), key)
    with pytest.raises(Exception, match="exist"):
        db_coop.recorder.record(harvest(), key, once=IdempotencyKey("p", "k", FP))
    assert stored_keys(db_coop) == 0


def test_reindex_keeps_the_keys_and_the_drift_check_ignores_them(db_coop: Coop) -> None:
    db_coop.recorder.record(
        harvest(), db_coop.keys[Role.PACKING_STATION], once=IdempotencyKey("p", "k", FP)
    )
    reindex(db_coop.ledger)
    assert db_coop.projection.idempotency("p", "k") is not None
    assert check_projection(db_coop.ledger).verdict == "clean"


def test_expired_keys_are_forgotten(db_coop: Coop, monkeypatch: pytest.MonkeyPatch) -> None:
    key = db_coop.keys[Role.PACKING_STATION]
    db_coop.recorder.record(harvest(), key, once=IdempotencyKey("p", "k", FP))
    later = _once._now() + int(KEY_RETENTION.total_seconds()) + 1
    monkeypatch.setattr(_once, "_now", lambda: later)
    assert db_coop.projection.idempotency("p", "k") is None
    db_coop.recorder.record(harvest("H2"), key, once=IdempotencyKey("p", "k", OTHER))
    assert db_coop.projection.idempotency("p", "k").fingerprint == OTHER  # type: ignore[union-attr]


@pytest.mark.parametrize("bad", ["", "x" * 256, "caf\u00e9", "new\nline"])
def test_malformed_keys_are_refused_naming_the_key(bad: str) -> None:
    with pytest.raises(ValidationError) as caught:
        IdempotencyKey("p", bad, FP)
    assert caught.value.field == "Idempotency-Key"


def test_signed_statements_sent_twice_with_two_keys_append_once(coop: Coop) -> None:
    """A client's own signature already deduplicates: the statement hash is the key."""
    key = coop.keys[Role.PACKING_STATION]
    statement = Statement(
        coop.ledger.origin,
        "trace.harvest",
        harvest().to_body(),
        key_id_for(key.public_key().public_bytes_raw()),
        format_time(datetime.now(UTC)),
    )
    signed = sign_statement(statement, key)
    (first,) = coop.recorder.record_signed([signed], once=IdempotencyKey("p", "a", FP))
    size = coop.ledger.size()
    (second,) = coop.recorder.record_signed([signed], once=IdempotencyKey("p", "b", FP))
    (third,) = coop.recorder.record_signed([signed])
    assert second.seq == third.seq == first.seq
    assert second.duplicate
    assert coop.ledger.size() == size
