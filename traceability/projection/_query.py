"""Projection lookups and writes shared by the event handlers."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import Connection, Select, bindparam, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from traceability._errors import LifecycleError, ValidationError
from traceability.events._events import LotRef
from traceability.events._ids import lot_key
from traceability.projection import _schema as t
from traceability.projection._cache import BatchCache, active, no_wait, write
from traceability.projection._lineage import ancestors
from traceability.rules._lifecycle import LotStatus
from traceability.rules._refusals import lot_code
from traceability.rules._tables import MrlTable, Profile

__all__ = [
    "LOT_INSERTS",
    "commodity_of",
    "find_lot",
    "harvest_time",
    "link",
    "mrl_table",
    "new_lot",
    "profile_for",
    "set_lot",
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
    """Return the lot row ``ref`` names; refuse an unknown lot naming ``field``."""
    key = lot_key(ref.gtin, ref.lot)
    cache = active(conn)
    if cache is not None and (cached := cache.lot(key)) is not None:
        return cached
    row = conn.execute(_FIND_LOT, {"key": key}).first()
    if row is None:
        raise ValidationError(field, "a lot recorded on this ledger", key)
    if cache is not None:
        cache.keep_lot(dict(row._mapping))
    return row


_COMMODITY = select(t.products.c.commodity).where(t.products.c.gtin == bindparam("gtin"))


def commodity_of(conn: Connection, gtin: str, field: str) -> str:
    """Return the commodity of a registered product; refuse an unknown GTIN."""
    cache = active(conn)
    if cache is not None and gtin in cache.commodities:
        return cache.commodities[gtin]
    row = conn.execute(_COMMODITY, {"gtin": gtin}).first()
    if row is None:
        raise ValidationError(field, "a GTIN registered with a trace.product entry", gtin)
    if cache is not None:
        cache.commodities[gtin] = str(row.commodity)
    return str(row.commodity)


# The latest entry of a rule table by name (commodity for profiles, edition for MRL tables).
_PROFILE = (
    select(t.rules.c.seq, t.rules.c.body)
    .where(t.rules.c.kind == Profile.KIND, t.rules.c.commodity == bindparam("name"))
    .order_by(t.rules.c.seq.desc())
    .limit(1)
)
_MRL = (
    select(t.rules.c.seq, t.rules.c.body)
    .where(t.rules.c.kind == MrlTable.KIND, t.rules.c.name == bindparam("name"))
    .order_by(t.rules.c.seq.desc())
    .limit(1)
)

R = TypeVar("R")


def _latest_rule(
    conn: Connection,
    query: Select[Any],
    name: str,
    memo: Callable[[BatchCache], dict[str, tuple[int, R]]],
    parse: Callable[[str], R],
) -> tuple[int, R] | None:
    cache = active(conn)
    known = None if cache is None else memo(cache)
    if known is not None and name in known:
        return known[name]
    row = conn.execute(query, {"name": name}).first()
    if row is None:
        return None
    found = int(row.seq), parse(row.body)
    if known is not None:
        known[name] = found
    return found


def profile_for(conn: Connection, commodity: str) -> tuple[int, Profile]:
    """Return the latest profile entry for ``commodity`` and its ledger seq."""
    found = _latest_rule(conn, _PROFILE, commodity, lambda c: c.profiles, _parsed_profile)
    if found is None:
        raise LifecycleError(
            "profile-required",
            f"no commodity profile for {commodity!r}",
            {"commodity": commodity},
        )
    return found


@lru_cache(maxsize=64)
def _parsed_profile(body: str) -> Profile:
    # Keyed by the entry's exact body text, so a cached model can never be stale; parsing
    # the profile was a fifth of recording time in bench/trace.py.
    return Profile.from_body(json.loads(body))


def mrl_table(conn: Connection, edition: str) -> tuple[int, MrlTable]:
    """Return the latest MRL table entry of ``edition`` and its seq; refuse an unknown one."""
    found = _latest_rule(conn, _MRL, edition, lambda c: c.tables, _parsed_mrl)
    if found is None:
        raise LifecycleError(
            "mrl-table-required", f"no MRL table {edition!r} on the ledger", {"edition": edition}
        )
    return found


@lru_cache(maxsize=16)
def _parsed_mrl(body: str) -> MrlTable:
    # As for profiles: keyed by the exact body text, never stale.
    return MrlTable.from_body(json.loads(body))


def harvest_time(conn: Connection, key: str) -> datetime | None:
    """Return the earliest harvest time among the lot and its ancestors, or None."""
    keys = ancestors(conn, key)
    cache = active(conn)
    known = [] if cache is None else [cache.lots.get(k) for k in keys]
    if known and all(row is not None for row in known):
        stamps = [row["harvest_time"] for row in known if row and row["harvest_time"]]
        return min(datetime.fromisoformat(s) for s in stamps) if stamps else None
    rows = conn.execute(
        select(t.lots.c.harvest_time).where(
            t.lots.c.key.in_(keys), t.lots.c.harvest_time.is_not(None)
        )
    ).all()
    times = [datetime.fromisoformat(r.harvest_time) for r in rows]
    return min(times) if times else None


# --- writes --------------------------------------------------------------------------------


_TOUCH = insert(t.event_lots)
# A lot whose key or case-folded code is taken is not inserted (no row returned), per
# dialect (psycopg reports no rowcount for it).
_NEW_LOT = {
    "sqlite": sqlite_insert(t.lots).on_conflict_do_nothing().returning(t.lots.c.key),
    "postgresql": postgresql_insert(t.lots).on_conflict_do_nothing().returning(t.lots.c.key),
}


_INSERT_LOT = insert(t.lots)
#: Every statement :func:`new_lot` inserts lots with (the batch cache knows them).
LOT_INSERTS = frozenset([_INSERT_LOT, *_NEW_LOT.values()])

# Decided by the key and folded code alone, which queued status updates never change: a new
# lot need not wait for them (each graded lot's insert used to send its input's status).
for _statement in _NEW_LOT.values():
    no_wait(_statement, _SET_STATUS)


def _new_lot_statement(conn: Connection) -> Any:
    return _NEW_LOT[conn.dialect.name]


def touch(conn: Connection, seq: int, *keys: str) -> None:
    """Record that entry ``seq`` concerns the lots ``keys`` (the lot history index)."""
    # One executemany with a prebuilt statement: a recall touches 10,000 lots at once. In
    # a batch, the rows wait for the batch's single executemany (see _cache).
    rows = [{"seq": seq, "lot": key} for key in dict.fromkeys(keys)]
    cache = active(conn)
    if cache is not None:
        cache.touched.extend(rows)
    elif rows:
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
    cache = active(conn)
    if cache is not None:
        for key in keys:
            cache.update_lot(key, status=status.value, status_seq=seq, status_reason=reason)


def set_status(
    conn: Connection, key: str, status: LotStatus, seq: int, reason: str | None = None
) -> None:
    """Move a lot to ``status`` at entry ``seq``, with the reason shown to people."""
    cache = active(conn)
    queued = None if cache is None else cache.queued_row(t.lots.name, key)
    if queued is not None:  # inserted by this batch, not sent yet: the row says it
        queued.update(status=status.value, status_seq=seq, status_reason=reason)
    else:
        # Queued in a batch (one executemany with the other lots' statuses, see _cache).
        write(conn, _SET_STATUS, {"k": key, "status": status.value, "seq": seq, "r": reason})
    if cache is not None:
        cache.update_lot(key, status=status.value, status_seq=seq, status_reason=reason)


_FOLDED = select(t.lots.c.key).where(t.lots.c.folded == bindparam("folded"))


def new_lot(conn: Connection, seq: int, ref: LotRef, commodity: str, **values: Any) -> str:
    """Insert a new lot row made by entry ``seq`` and return its key."""
    key = lot_key(ref.gtin, ref.lot)
    # Compared case-folded: 'h1' beside 'H1' reads as the same lot on a label or a phone.
    folded = lot_key(ref.gtin, ref.lot.casefold())
    cache = active(conn)
    known = cache is not None and cache.lot(key) is not None
    values.setdefault("status", LotStatus.ACTIVE.value)
    values.setdefault("failed", False)
    row = dict(
        key=key,
        folded=folded,
        gtin=ref.gtin,
        lot=ref.lot,
        commodity=commodity,
        status_seq=seq,
        created_seq=seq,
        **values,
    )
    if not known and cache is not None and cache.take(key, folded):
        # Key and code read ahead as free and not taken since: queued with the batch's
        # other writes (every column given, so that the rows go as one executemany).
        full = dict.fromkeys(c.name for c in t.lots.c) | row
        write(conn, _INSERT_LOT, full)
        cache.keep_lot(full)
        cache.created("lot", key)
        cache.ancestors[key] = [key]
        return key
    # The unique key and folded columns decide: the insert is skipped on a conflict, and
    # only then is the existing lot looked up to name it (no look-up per new lot).
    if known or conn.execute(_new_lot_statement(conn), row).first() is None:
        existing = None if known else conn.execute(_FOLDED, {"folded": folded}).first()
        same = key if known or existing is None else existing.key
        raise LifecycleError(
            "lot-codes-unique",
            f"lot {key} already exists"
            if same == key
            else f"lot {key} looks like the existing lot {same} "
            "(lot codes compare case-insensitively)",
            {"lot": ref.lot, "existing": lot_code(same)},
            case=None if same == key else "look-alike",
        )
    if cache is not None:
        cache.free_keys.discard(key)  # taken now, whether or not read ahead
        cache.free_codes.discard(folded)
        cache.keep_lot(row)
        cache.created("lot", key)
        # A new lot has no parents until :func:`link` gives it some (in the same event), so
        # its ancestry is known without asking the edges.
        cache.ancestors[key] = [key]
    return key


_EDGE = insert(t.edges)


def link(conn: Connection, seq: int, parent: str, child: str, kind: str) -> None:
    """Record that entry ``seq`` (of ``kind``) made lot ``child`` from lot ``parent``."""
    write(conn, _EDGE, {"parent": parent, "child": child, "seq": seq, "kind": kind})
    cache = active(conn)
    if cache is not None and child in cache.ancestors:
        known = cache.ancestors[child]
        known.extend(a for a in ancestors(conn, parent) if a not in known)


def set_lot(conn: Connection, key: str, **values: Any) -> None:
    """Update columns of one lot row (and the batch's cached copy with it)."""
    conn.execute(update(t.lots).where(t.lots.c.key == key).values(**values))
    cache = active(conn)
    if cache is not None:
        cache.update_lot(key, **values)
