"""Projection lookups and writes shared by the event handlers."""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from traceability import _schema as t
from traceability._errors import LifecycleError, ValidationError
from traceability._events import LotRef
from traceability._ids import lot_key
from traceability._lifecycle import LotStatus
from traceability._lineage import ancestors, descendants
from traceability._rules import MrlTable, Profile

__all__ = [
    "commodity_of",
    "find_lot",
    "harvest_time",
    "hold_forward",
    "mrl_table",
    "new_lot",
    "profile_for",
    "set_status",
    "touch",
]

# --- lookups -------------------------------------------------------------------------------


# Built once: constructing a statement per call cost as much as running it (bench/trace.py).
_FIND_LOT = select(t.lots).where(t.lots.c.key == bindparam("key"))
_SET_STATUS = (
    update(t.lots)
    .where(t.lots.c.key == bindparam("k"))
    .values(status=bindparam("status"), status_seq=bindparam("seq"), status_reason=bindparam("r"))
)


def find_lot(conn: Connection, ref: LotRef, field: str = "lot") -> Any:
    row = conn.execute(_FIND_LOT, {"key": lot_key(ref.gtin, ref.lot)}).first()
    if row is None:
        raise ValidationError(field, "a lot recorded on this ledger", lot_key(ref.gtin, ref.lot))
    return row


def commodity_of(conn: Connection, gtin: str, field: str) -> str:
    row = conn.execute(select(t.products.c.commodity).where(t.products.c.gtin == gtin)).first()
    if row is None:
        raise ValidationError(field, "a GTIN registered with a trace.product entry", gtin)
    return str(row.commodity)


_PROFILE = (
    select(t.rules.c.seq, t.rules.c.body)
    .where(t.rules.c.kind == Profile.KIND, t.rules.c.commodity == bindparam("commodity"))
    .order_by(t.rules.c.seq.desc())
    .limit(1)
)


def profile_for(conn: Connection, commodity: str) -> tuple[int, Profile]:
    """Return the latest profile entry for ``commodity`` and its ledger seq."""
    row = conn.execute(_PROFILE, {"commodity": commodity}).first()
    if row is None:
        raise LifecycleError("profile-required", f"no commodity profile for {commodity!r}")
    return int(row.seq), _parsed_profile(row.body)


@lru_cache(maxsize=64)
def _parsed_profile(body: str) -> Profile:
    # Keyed by the entry's exact body text, so a cached model can never be stale; parsing
    # the profile was a fifth of recording time in bench/trace.py.
    return Profile.from_body(json.loads(body))


def mrl_table(conn: Connection, edition: str) -> tuple[int, MrlTable]:
    row = conn.execute(
        select(t.rules.c.seq, t.rules.c.body)
        .where(t.rules.c.kind == MrlTable.KIND, t.rules.c.name == edition)
        .order_by(t.rules.c.seq.desc())
    ).first()
    if row is None:
        raise LifecycleError("mrl-table-required", f"no MRL table {edition!r} on the ledger")
    return int(row.seq), MrlTable.from_body(json.loads(row.body))


def harvest_time(conn: Connection, key: str) -> datetime | None:
    keys = ancestors(conn, key)
    rows = conn.execute(
        select(t.lots.c.harvest_time).where(
            t.lots.c.key.in_(keys), t.lots.c.harvest_time.is_not(None)
        )
    ).all()
    times = [datetime.fromisoformat(r.harvest_time) for r in rows]
    return min(times) if times else None


# --- writes --------------------------------------------------------------------------------


_TOUCH = insert(t.event_lots)


def touch(conn: Connection, seq: int, *keys: str) -> None:
    # One executemany with a prebuilt statement: a recall touches 10,000 lots at once.
    rows = [{"seq": seq, "lot": key} for key in dict.fromkeys(keys)]
    if rows:
        conn.execute(_TOUCH, rows)


# SQLite before 3.32 allows 999 bound parameters per statement; stay well below.
_CHUNK = 500


def set_status_many(
    conn: Connection, keys: list[str], status: LotStatus, seq: int, reason: str | None = None
) -> None:
    """Set many lots' status in a few statements (the same effect as :func:`set_status`)."""
    for start in range(0, len(keys), _CHUNK):
        conn.execute(
            update(t.lots)
            .where(t.lots.c.key.in_(keys[start : start + _CHUNK]))
            .values(status=status.value, status_seq=seq, status_reason=reason)
        )


def set_status(
    conn: Connection, key: str, status: LotStatus, seq: int, reason: str | None = None
) -> None:
    conn.execute(_SET_STATUS, {"k": key, "status": status.value, "seq": seq, "r": reason})


def new_lot(conn: Connection, seq: int, ref: LotRef, commodity: str, **values: Any) -> str:
    key = lot_key(ref.gtin, ref.lot)
    if conn.execute(_FIND_LOT, {"key": key}).first() is not None:
        raise LifecycleError("lot-codes-unique", f"lot {key} already exists")
    values.setdefault("status", LotStatus.ACTIVE.value)
    values.setdefault("failed", False)
    conn.execute(
        insert(t.lots),
        dict(
            key=key,
            gtin=ref.gtin,
            lot=ref.lot,
            commodity=commodity,
            status_seq=seq,
            created_seq=seq,
            **values,
        ),
    )
    return key


def hold_forward(conn: Connection, seq: int, key: str, reason: str, *, failed: bool) -> None:
    """Retain a lot and every lot derived from it (failing result, cold-chain excursion)."""
    for k in descendants(conn, key):
        row = conn.execute(select(t.lots.c.status).where(t.lots.c.key == k)).one()
        if failed:
            conn.execute(update(t.lots).where(t.lots.c.key == k).values(failed=True))
        if LotStatus(row.status) in {LotStatus.RECALLED, LotStatus.CONSUMED}:
            continue
        set_status(conn, k, LotStatus.ON_HOLD, seq, reason)
