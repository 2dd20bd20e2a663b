"""Attacks on the state derived from the log: the key table and the head row.

The attacker has the database (not the keys) and writes straight into ``ledger_key`` and
``ledger_head``. For every column, either the audit names the table, row and column, or the
tampering has no effect because what it would change is recomputed from the entries (most
often both). Each test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy
from sqlalchemy import text

from ledger import AuditReport, KeyStateError, StoreError
from tests.ledger.conftest import Actor, LogWorld, notes

FUTURE = "2099-01-01T00:00:00.000000Z"


@pytest.fixture
def grown(world: LogWorld) -> LogWorld:
    """A log with a packer, a revoked truck key and a few notes, audited valid."""
    world.packer = world.actor("packer", ("packer",))  # type: ignore[attr-defined]
    truck = world.actor("truck", ("logistics",))
    world.ledger.append_batch(notes(world.packer, 5))  # type: ignore[attr-defined]
    from ledger import KEY_REVOKE, revoke_body

    world.ledger.append(world.root.sign(KEY_REVOKE, revoke_body(truck.key_id, "lost")))
    world.truck = truck  # type: ignore[attr-defined]
    report = world.ledger.audit()
    assert report.verdict == "valid", report.failure
    assert report.drift == ()
    return world


@pytest.fixture
def raw(grown: LogWorld) -> Iterator[sqlalchemy.Engine]:
    """A plain connection to the same database: no ledger code in the way."""
    engine = sqlalchemy.create_engine(grown.url)
    yield engine
    engine.dispose()


def _sql(raw: sqlalchemy.Engine, statement: str, **params: Any) -> None:
    with raw.begin() as conn:
        conn.execute(text(statement), params)


def _named(report: AuditReport, table: str, column: str, row: str | None = None) -> None:
    """The audit failed and one of its drifts names exactly this table, column (and row)."""
    assert report.verdict == "invalid"
    hits = [
        d
        for d in report.drift
        if d.table == table and d.column == column and (row is None or d.row == row)
    ]
    assert hits, f"no drift names {table}.{column}: {report.drift}"
    assert f"{table} row" in hits[0].describe()
    assert f"column {column}:" in hits[0].describe()


# --- ledger_key ------------------------------------------------------------------------------


def test_faked_revocation_is_named_and_does_not_stop_the_key(
    grown: LogWorld, raw: sqlalchemy.Engine
) -> None:
    packer: Actor = grown.packer  # type: ignore[attr-defined]
    _sql(raw, "UPDATE ledger_key SET revoked_seq = 2 WHERE key_id = :k", k=packer.key_id)
    _named(grown.ledger.audit(), "ledger_key", "revoked_seq", packer.key_id)
    assert grown.ledger.keys()[packer.key_id].revoked_seq is None
    fresh = grown.reopen()  # a new process replays the keys too
    assert fresh.keys()[packer.key_id].revoked_seq is None
    fresh.append(packer.sign("test.note", {"after": "fake revocation"}))


def test_lifted_revocation_is_named_and_the_key_stays_revoked(
    grown: LogWorld, raw: sqlalchemy.Engine
) -> None:
    truck: Actor = grown.truck  # type: ignore[attr-defined]
    _sql(raw, "UPDATE ledger_key SET revoked_seq = NULL WHERE key_id = :k", k=truck.key_id)
    _named(grown.ledger.audit(), "ledger_key", "revoked_seq", truck.key_id)
    with pytest.raises(KeyStateError, match="revoked"):
        grown.reopen().append(truck.sign("test.note", {"back": True}))


def test_role_elevation_is_named_and_has_no_effect(grown: LogWorld, raw: sqlalchemy.Engine) -> None:
    packer: Actor = grown.packer  # type: ignore[attr-defined]
    elevated = json.dumps(["lab", "packer"])
    _sql(raw, "UPDATE ledger_key SET roles = :r WHERE key_id = :k", r=elevated, k=packer.key_id)
    _named(grown.ledger.audit(), "ledger_key", "roles", packer.key_id)
    fresh = grown.reopen()
    assert fresh.keys()[packer.key_id].roles == ("packer",)
    with fresh.append_transaction() as appender:
        assert appender.keys()[packer.key_id].roles == ("packer",)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("actor", "someone else"),
        ("registered_seq", 0),
        ("public_key", bytes(32)),
    ],
)
def test_changed_key_column_is_named_and_has_no_effect(
    grown: LogWorld, raw: sqlalchemy.Engine, column: str, value: Any
) -> None:
    packer: Actor = grown.packer  # type: ignore[attr-defined]
    before = grown.ledger.keys()[packer.key_id]
    _sql(raw, f"UPDATE ledger_key SET {column} = :v WHERE key_id = :k", v=value, k=packer.key_id)
    _named(grown.ledger.audit(), "ledger_key", column, packer.key_id)
    fresh = grown.reopen()
    assert fresh.keys()[packer.key_id] == before
    fresh.append(packer.sign("test.note", {"column": column}))


def test_forged_key_row_is_named_and_cannot_sign(grown: LogWorld, raw: sqlalchemy.Engine) -> None:
    forger = Actor("forger")
    with raw.connect() as conn:
        log_id = conn.execute(text("SELECT log_id FROM ledger_head")).scalar_one()
    _sql(
        raw,
        "INSERT INTO ledger_key (log_id, key_id, public_key, actor, roles, registered_seq) "
        "VALUES (:l, :k, :p, 'lab', '[\"lab\"]', 1)",
        l=log_id,
        k=forger.key_id,
        p=forger.public_key,
    )
    _named(grown.ledger.audit(), "ledger_key", "(row)", forger.key_id)
    with pytest.raises(KeyStateError, match="not registered"):
        grown.reopen().append(forger.sign("trace.residue", {"forged": True}))


@pytest.mark.parametrize("column", ["key_id", "log_id"])
def test_key_row_moved_away_is_named_as_missing(
    grown: LogWorld, raw: sqlalchemy.Engine, column: str
) -> None:
    packer: Actor = grown.packer  # type: ignore[attr-defined]
    if column == "log_id":  # a second log for the row to move to (the foreign key holds)
        _sql(
            raw,
            "INSERT INTO ledger_head (origin, size, last_hash, last_log_time, border, "
            "checkpoint_size, checkpoint_time) VALUES ('other', 0, :h, :t, :b, 0, :t)",
            h=bytes(32),
            t=FUTURE,
            b=b"",
        )
        with raw.connect() as conn:
            value: Any = conn.execute(
                text("SELECT log_id FROM ledger_head WHERE origin = 'other'")
            ).scalar_one()
    else:
        value = "0" * 32
    _sql(raw, f"UPDATE ledger_key SET {column} = :v WHERE key_id = :k", v=value, k=packer.key_id)
    ledger = grown.reopen() if column == "key_id" else grown.ledger
    _named(ledger.audit(), "ledger_key", "(row)", packer.key_id)
    ledger.append(packer.sign("test.note", {"moved": column}))  # the key still signs


# --- ledger_head -----------------------------------------------------------------------------


def test_future_last_log_time_is_named_and_never_stamped(
    grown: LogWorld, raw: sqlalchemy.Engine
) -> None:
    packer: Actor = grown.packer  # type: ignore[attr-defined]
    _sql(raw, "UPDATE ledger_head SET last_log_time = :t", t=FUTURE)
    _named(grown.ledger.audit(), "ledger_head", "last_log_time")
    receipt = grown.ledger.append(packer.sign("test.note", {"after": "2099"}))
    assert receipt.log_time < "2098"
    assert grown.ledger.entry(receipt.seq).log_time == receipt.log_time
    assert grown.ledger.audit().verdict == "valid"  # the append wrote the true time back


@pytest.mark.parametrize("value", [FUTURE, "not a time"])
def test_edited_checkpoint_time_is_named_and_does_not_stop_publication(
    grown: LogWorld, raw: sqlalchemy.Engine, value: str
) -> None:
    packer: Actor = grown.packer  # type: ignore[attr-defined]
    _sql(raw, "UPDATE ledger_head SET checkpoint_time = :t", t=value)
    _named(grown.ledger.audit(), "ledger_head", "checkpoint_time")
    _sql(raw, "UPDATE ledger_checkpoint SET signed_at = :t", t=value)  # every stored one too
    receipt = grown.ledger.append(packer.sign("test.note", {"after": value}))
    assert grown.ledger.head().checkpoint_size == receipt.seq + 1  # published at once


@pytest.mark.parametrize("value", [10**9, 0, 1])
def test_edited_checkpoint_size_is_named_and_does_not_stop_publication(
    grown: LogWorld, raw: sqlalchemy.Engine, value: int
) -> None:
    packer: Actor = grown.packer  # type: ignore[attr-defined]
    _sql(raw, "UPDATE ledger_head SET checkpoint_size = :s", s=value)
    _named(grown.ledger.audit(), "ledger_head", "checkpoint_size")
    receipt = grown.ledger.append(packer.sign("test.note", {"after": value}))
    assert grown.ledger.head().checkpoint_size == receipt.seq + 1
    assert grown.ledger.latest_checkpoint() == grown.ledger.cosigned_checkpoint()
    assert f"\n{receipt.seq + 1}\n" in (grown.ledger.latest_checkpoint() or "")


@pytest.mark.parametrize("delta", [1, -1])
def test_edited_size_is_named_and_refuses_appends(
    grown: LogWorld, raw: sqlalchemy.Engine, delta: int
) -> None:
    packer: Actor = grown.packer  # type: ignore[attr-defined]
    size = grown.ledger.size()
    _sql(raw, "UPDATE ledger_head SET size = :s", s=size + delta)
    _named(grown.ledger.audit(), "ledger_head", "size")
    with pytest.raises(StoreError) as caught:
        grown.ledger.append(packer.sign("test.note", {"delta": delta}))
    assert caught.value.field == "ledger_head.size"
    with pytest.raises(StoreError):
        grown.ledger.checkpoint()
    _sql(raw, "UPDATE ledger_head SET size = :s", s=size)
    assert grown.ledger.audit().verdict == "valid"  # nothing was appended meanwhile


def test_edited_last_hash_is_named_and_refuses_appends(
    grown: LogWorld, raw: sqlalchemy.Engine
) -> None:
    packer: Actor = grown.packer  # type: ignore[attr-defined]
    _sql(raw, "UPDATE ledger_head SET last_hash = :h", h=b"\x01" * 32)
    _named(grown.ledger.audit(), "ledger_head", "last_hash")
    with pytest.raises(StoreError) as caught:
        grown.ledger.append(packer.sign("test.note", {"x": 1}))
    assert caught.value.field == "ledger_head.last_hash"
    assert caught.value.got == (b"\x01" * 32).hex()


def test_edited_border_is_named_and_nothing_is_signed_over_it(
    grown: LogWorld, raw: sqlalchemy.Engine
) -> None:
    with raw.connect() as conn:
        border = bytes(conn.execute(text("SELECT border FROM ledger_head")).scalar_one())
    _sql(raw, "UPDATE ledger_head SET border = :b", b=bytes([border[0] ^ 1]) + border[1:])
    _named(grown.ledger.audit(), "ledger_head", "border")
    published = grown.ledger.latest_checkpoint()
    with pytest.raises(StoreError) as caught:
        grown.ledger.checkpoint()
    assert caught.value.field == "ledger_head.border"
    packer: Actor = grown.packer  # type: ignore[attr-defined]
    grown.ledger.append(packer.sign("test.note", {"x": 2}))  # committed; publication refused
    assert grown.ledger.latest_checkpoint() == published


def test_edited_origin_is_named(grown: LogWorld, raw: sqlalchemy.Engine) -> None:
    _sql(raw, "UPDATE ledger_head SET origin = 'evil.example/log'")
    _named(grown.reopen().audit(), "ledger_head", "origin")


def test_head_moved_to_another_log_id_is_refused_or_named(
    grown: LogWorld, raw: sqlalchemy.Engine
) -> None:
    try:
        _sql(raw, "UPDATE ledger_head SET log_id = log_id + 100")
    except sqlalchemy.exc.IntegrityError:
        return  # PostgreSQL enforces the entries' foreign key: the edit cannot happen
    _named(grown.reopen().audit(), "ledger_head", "size")  # the log's entries are elsewhere
