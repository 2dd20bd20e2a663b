"""The idempotency keys' table: claimed in the append transaction, read before it.

The protocol lives in :mod:`traceability._once`; this module is its SQL. A key is claimed
(:func:`claim`) under the log's append lock, before the event is checked, so a retry is
recognised even when checking the event anew would refuse it (a harvest of a lot that the
first attempt created); its receipts are written (:func:`settle`) after the append, in
the same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, Connection, delete, insert, select, update
from sqlalchemy.engine import Engine

from ledger import Receipt
from traceability._once import KEY_RETENTION, IdempotencyKey, IdempotencyKeyUsedError, StoredKey
from traceability.projection import _schema as t
from traceability.projection._ddl import ensure_tables

__all__ = ["claim", "ensure_table", "lookup", "remember", "settle"]

_table = t.idempotency


def ensure_table(engine: Engine) -> None:
    """Create the keys' table when the database has none (a fresh or older ledger)."""
    ensure_tables(engine, t.retained)


def _now() -> int:
    return int(datetime.now(UTC).timestamp())


def _cutoff(now: int) -> int:
    return now - int(KEY_RETENTION.total_seconds())


def _where(scope: str, key: str) -> ColumnElement[bool]:
    return (_table.c.scope == scope) & (_table.c.key == key)


def _receipts(text: str | None) -> tuple[Receipt, ...]:
    if text is None:
        return ()
    return tuple(
        Receipt(int(seq), bytes.fromhex(leaf), str(when), bool(duplicate))
        for seq, leaf, when, duplicate in json.loads(text)
    )


def _read(conn: Connection, scope: str, key: str, now: int) -> StoredKey | None:
    row = conn.execute(
        select(_table.c.fingerprint, _table.c.receipts, _table.c.status, _table.c.response).where(
            _table.c.scope == scope, _table.c.key == key, _table.c.created >= _cutoff(now)
        )
    ).first()
    if row is None:
        return None
    return StoredKey(row.fingerprint, _receipts(row.receipts), row.status, row.response)


def lookup(engine: Engine, scope: str, key: str) -> StoredKey | None:
    """Return ``scope``'s key ``key`` as stored, or None (never used, or expired)."""
    with engine.connect() as conn:
        return _read(conn, scope, key, _now())


def claim(conn: Connection, once: IdempotencyKey) -> None:
    """Insert the key in the append transaction (the caller holds the log's append lock).

    Expired keys are deleted first, so a key sent again after the retention is new.

    Raises:
        IdempotencyKeyUsedError: the key is stored already (nothing is written).
    """
    now = _now()
    conn.execute(delete(_table).where(_table.c.created < _cutoff(now)))
    stored = _read(conn, once.scope, once.key, now)
    if stored is not None:
        raise IdempotencyKeyUsedError(stored)
    conn.execute(
        insert(_table).values(
            scope=once.scope, key=once.key, fingerprint=once.fingerprint, created=now
        )
    )


def settle(conn: Connection, once: IdempotencyKey, receipts: Sequence[Receipt]) -> None:
    """Write the receipts of what the key's request appended (same transaction as :func:`claim`)."""
    text = json.dumps([[r.seq, r.leaf_hash.hex(), r.log_time, r.duplicate] for r in receipts])
    conn.execute(update(_table).where(_where(once.scope, once.key)).values(receipts=text))


def remember(engine: Engine, once: IdempotencyKey, status: int, response: str) -> None:
    """Store the answer the key's request got (after the commit; a replay sends it again)."""
    with engine.begin() as conn:
        conn.execute(
            update(_table)
            .where(_where(once.scope, once.key), _table.c.fingerprint == once.fingerprint)
            .values(status=status, response=response)
        )
