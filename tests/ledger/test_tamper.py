"""Attacks on the stored log: each must make the audit fail and name the entry attacked.

The attacker here has the database: they change bytes in place, delete, reorder, duplicate,
insert or truncate rows. They do not have the root, actor or log keys.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy
from sqlalchemy import text

from ledger import AuditFailure, AuditReport, Record, audit, leaf_hash
from ledger._tree import CompactRange
from tests.ledger.conftest import LogWorld, notes

ENTRY_COLUMNS = ["seq", "leaf", "statement_hash", "kind", "key_id", "log_time", "log_id"]

# The audit checks chunks of 2**chunk_level entries on their own and stitches them; small
# chunks put many boundaries, upper-level nodes and mid-chunk checkpoints in a 50-entry log.
MODES: dict[str, dict[str, Any]] = {
    "one-chunk": {},
    "chunks-of-8": {"chunk_level": 3, "processes": False},
    "chunks-of-4-on-workers": {"chunk_level": 2, "processes": True},
}


@pytest.fixture(params=list(MODES))
def mode(request: pytest.FixtureRequest) -> dict[str, Any]:
    """How the audit splits its work."""
    return MODES[request.param]


@pytest.fixture
def filled(world: LogWorld) -> LogWorld:
    """A log of 50 entries by three actors, with a final checkpoint."""
    actors = [world.actor(name) for name in ("packer", "lab", "truck")]
    for i, actor in enumerate(actors):
        world.ledger.append_batch(notes(actor, 15, start=i * 100))
    world.ledger.append(actors[0].sign("test.note", {"last": True}))
    world.ledger.checkpoint()
    assert world.ledger.size() == 50
    assert audit(world.ledger.store).verdict == "valid"
    return world


@pytest.fixture
def raw(filled: LogWorld) -> Iterator[sqlalchemy.Engine]:
    """A plain connection to the same database: no ledger code, no foreign-key pragma."""
    engine = sqlalchemy.create_engine(filled.url)
    yield engine
    engine.dispose()


def _failure(report: AuditReport) -> AuditFailure:
    """The failure an audit must have found."""
    assert report.verdict == "invalid"
    assert report.failure is not None
    return report.failure


def _entry(raw: sqlalchemy.Engine, seq: int) -> dict[str, Any]:
    with raw.connect() as conn:
        row = conn.execute(text("SELECT * FROM ledger_entry WHERE seq = :s"), {"s": seq}).one()
    return dict(row._mapping)


def _set(raw: sqlalchemy.Engine, seq: int, column: str, value: Any) -> None:
    with raw.begin() as conn:
        conn.execute(
            text(f"UPDATE ledger_entry SET {column} = :v WHERE seq = :s"),
            {"v": value, "s": seq},
        )


def _change_one_byte(value: Any, rng: random.Random) -> Any:
    if isinstance(value, bytes | memoryview):
        data = bytearray(bytes(value))
        data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        return bytes(data)
    if isinstance(value, str):
        i = rng.randrange(len(value))
        replacement = rng.choice([c for c in "0123456789abcdefxyz.-:TZ" if c != value[i]])
        return value[:i] + replacement + value[i + 1 :]
    # An integer: flip a bit in a high byte, so the row moves rather than collides.
    return int(value) ^ (1 << (8 * rng.randrange(3, 6)))


def test_changing_any_byte_of_any_column_of_any_entry_is_caught_at_that_entry(
    filled: LogWorld, raw: sqlalchemy.Engine, request: pytest.FixtureRequest
) -> None:
    postgres = raw.dialect.name == "postgresql"
    rng = random.Random(20261123)
    trials = 24 if postgres else 60
    columns = [c for c in ENTRY_COLUMNS if not (postgres and c == "log_id")]  # FK-enforced
    for trial in range(trials):
        seq = rng.randrange(50)
        column = columns[trial % len(columns)] if trial < len(columns) else rng.choice(columns)
        original = _entry(raw, seq)[column]
        _set(raw, seq, column, _change_one_byte(original, rng))
        report = audit(filled.ledger.store)
        _set(
            raw, seq if column != "seq" else _entry_seq_after(raw, original, seq), column, original
        )
        assert report.verdict == "invalid", f"trial {trial}: {column} of entry {seq} unnoticed"
        assert _failure(report).seq == seq, (
            f"trial {trial}: changed {column} of entry {seq}, audit blamed {report.failure}"
        )
    assert audit(filled.ledger.store).verdict == "valid"  # every change was undone


def _entry_seq_after(raw: sqlalchemy.Engine, original: Any, seq: int) -> int:
    """The moved row's new seq (the one not in 0..49), to put it back."""
    with raw.connect() as conn:
        moved = conn.execute(text("SELECT seq FROM ledger_entry WHERE seq >= 50")).scalars().all()
    assert len(moved) == 1, moved
    return int(moved[0])


def _rows(raw: sqlalchemy.Engine) -> list[dict[str, Any]]:
    with raw.connect() as conn:
        rows = conn.execute(text("SELECT * FROM ledger_entry ORDER BY seq")).all()
    return [dict(r._mapping) for r in rows]


def _rewrite(raw: sqlalchemy.Engine, change: Callable[[list[dict[str, Any]]], None]) -> None:
    rows = _rows(raw)
    change(rows)
    with raw.begin() as conn:
        conn.execute(text("DELETE FROM ledger_entry"))
        for row in rows:
            columns = ", ".join(row)
            values = ", ".join(":" + c for c in row)
            conn.execute(
                text(f"INSERT INTO ledger_entry ({columns}) VALUES ({values})"),
                row,
            )


def test_deleted_entry_is_caught(
    filled: LogWorld, raw: sqlalchemy.Engine, mode: dict[str, Any]
) -> None:
    with raw.begin() as conn:
        conn.execute(text("DELETE FROM ledger_entry WHERE seq = 31"))
    report = audit(filled.ledger.store, **mode)
    assert _failure(report).seq == 31
    assert "missing" in _failure(report).reason


def test_deleted_last_entry_is_caught(
    filled: LogWorld, raw: sqlalchemy.Engine, mode: dict[str, Any]
) -> None:
    with raw.begin() as conn:
        conn.execute(text("DELETE FROM ledger_entry WHERE seq = 49"))
    report = audit(filled.ledger.store, **mode)
    assert _failure(report).seq == 49


def test_swapped_entries_are_caught(
    filled: LogWorld, raw: sqlalchemy.Engine, mode: dict[str, Any]
) -> None:
    def swap(rows: list[dict[str, Any]]) -> None:
        rows[20]["seq"], rows[21]["seq"] = 21, 20

    _rewrite(raw, swap)
    report = audit(filled.ledger.store, **mode)
    assert _failure(report).seq == 20
    assert "holds the record of position 21" in _failure(report).reason


def test_duplicated_entry_appended_past_the_head_is_caught(
    filled: LogWorld, raw: sqlalchemy.Engine, mode: dict[str, Any]
) -> None:
    def duplicate(rows: list[dict[str, Any]]) -> None:
        copy = dict(rows[10])
        copy["seq"] = 50
        copy["statement_hash"] = bytes(32)  # the unique index would refuse an exact copy
        rows.append(copy)

    _rewrite(raw, duplicate)
    report = audit(filled.ledger.store, **mode)
    assert _failure(report).seq == 50
    with raw.begin() as conn:
        conn.execute(text("UPDATE ledger_head SET size = 51"))
    report = audit(filled.ledger.store, **mode)
    assert _failure(report).seq == 50


def test_entry_inserted_in_the_middle_is_caught(
    filled: LogWorld, raw: sqlalchemy.Engine, mode: dict[str, Any]
) -> None:
    forger = filled.actor("forger")  # a registered key, but history is not theirs to rewrite
    rows = _rows(raw)
    forged = Record(
        25,
        leaf_hash(bytes(rows[24]["leaf"])),
        rows[24]["log_time"],
        forger.sign("test.note", {"fake": True}),
    )

    def insert(rows: list[dict[str, Any]]) -> None:
        for row in rows[25:]:
            row["seq"] += 1
        rows.insert(25, {**rows[25], "seq": 25, "leaf": forged.leaf(), "statement_hash": bytes(32)})

    _rewrite(raw, insert)
    report = audit(filled.ledger.store, **mode)
    assert _failure(report).seq == 25


def test_truncation_is_caught_against_a_checkpoint_held_from_before(
    filled: LogWorld, raw: sqlalchemy.Engine, mode: dict[str, Any]
) -> None:
    held = filled.ledger.checkpoint().encode()
    size = filled.ledger.size()
    # A careful attacker cuts the tail and rewinds everything derived from it.
    keep = 40
    tree = CompactRange()
    last, last_time = b"", ""
    for row in _rows(raw)[:keep]:
        last, last_time = leaf_hash(bytes(row["leaf"])), row["log_time"]
        tree.append(last)
    with raw.begin() as conn:
        conn.execute(text("DELETE FROM ledger_entry WHERE seq >= :k"), {"k": keep})
        conn.execute(text("DELETE FROM ledger_checkpoint WHERE size > :k"), {"k": keep})
        conn.execute(text("DELETE FROM ledger_node"))
        published = conn.execute(
            text("SELECT size, signed_at FROM ledger_checkpoint ORDER BY size DESC LIMIT 1")
        ).one()
        # Every derived column rewound too, so that the log is consistent with itself.
        conn.execute(
            text(
                "UPDATE ledger_head SET size = :k, last_hash = :h, border = :b, "
                "last_log_time = :t, checkpoint_size = :cs, checkpoint_time = :ct"
            ),
            {
                "k": keep,
                "h": last,
                "b": tree.to_bytes(),
                "t": last_time,
                "cs": published.size,
                "ct": published.signed_at,
            },
        )
    nodes = CompactRange()
    with raw.begin() as conn:
        for row in _rows(raw):
            for (level, index), value in nodes.append(leaf_hash(bytes(row["leaf"]))):
                conn.execute(
                    text("INSERT INTO ledger_node (log_id, node, hash) VALUES (:l, :n, :h)"),
                    {"l": row["log_id"], "n": (level << 48) | index, "h": value},
                )
    alone = audit(filled.ledger.store, **mode)
    assert alone.verdict == "valid", (alone.failure, alone.drift)  # consistent with itself...
    report = audit(filled.ledger.store, held_checkpoint=held, **mode)  # ...but not with the past
    assert _failure(report).seq is None
    assert report.failure is not None
    assert f"covers {size} entries, the log now has {keep}" in _failure(report).reason
