"""Holds as rows: placed under a rule by an authority, lifted only as the rule allows.

A lot is ``on_hold`` while any of its ``trace_holds`` rows is open; ``held_from`` keeps the
status it returns to when the last one is lifted (a shipped lot held in transit is shipped
again, not "released"). Who may lift what is :mod:`traceability.rules._holds`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from traceability.projection import _schema as t
from traceability.projection._cache import active
from traceability.projection._lineage import descendants
from traceability.projection._query import set_lot, set_status
from traceability.rules._holds import AUTOMATIC, check_lift
from traceability.rules._lifecycle import LotStatus

__all__ = ["hold_forward", "lift_holds", "open_holds", "place_hold"]

_STATUS = select(t.lots.c.status, t.lots.c.held_from).where(t.lots.c.key == bindparam("key"))
_OPEN = (
    select(t.holds)
    .where(t.holds.c.lot == bindparam("key"), t.holds.c.lifted_seq.is_(None))
    .order_by(t.holds.c.seq)
)


def _status(conn: Connection, key: str) -> LotStatus:
    cache = active(conn)
    cached = None if cache is None else cache.lot(key)
    if cached is not None:
        return LotStatus(cached.status)
    return LotStatus(conn.execute(_STATUS, {"key": key}).one().status)


def open_holds(conn: Connection, key: str) -> list[Any]:
    """Return the lot's open hold rows, oldest first."""
    return list(conn.execute(_OPEN, {"key": key}).all())


def place_hold(
    conn: Connection,
    seq: int,
    key: str,
    *,
    rule: str,
    authority: str,
    actor: str,
    reason: str,
    failed: bool = False,
) -> None:
    """Put ``key`` on hold under ``rule`` at entry ``seq`` (a recalled or consumed lot: no-op).

    ``failed`` marks a failing residue result in its history (release refused until a
    re-test or a regulator's decision lifts the hold).
    """
    if failed:
        set_lot(conn, key, failed=True)
    status = _status(conn, key)
    if status in {LotStatus.RECALLED, LotStatus.CONSUMED}:
        return
    if any(h.seq == seq for h in open_holds(conn, key)):
        return  # one entry reaching a lot by two paths (a blend of two held lots) holds once
    conn.execute(
        insert(t.holds),
        {
            "seq": seq,
            "lot": key,
            "rule": rule,
            "authority": authority,
            "actor": actor,
            "reason": reason,
        },
    )
    if status is not LotStatus.ON_HOLD:
        set_lot(conn, key, held_from=status.value)
    set_status(conn, key, LotStatus.ON_HOLD, seq, reason)


def hold_forward(
    conn: Connection, seq: int, key: str, reason: str, *, rule: str, failed: bool
) -> None:
    """Hold a lot and every lot derived from it under ``rule`` (placed by the rules)."""
    for k in descendants(conn, key):
        place_hold(
            conn,
            seq,
            k,
            rule=rule,
            authority=AUTOMATIC,
            actor=AUTOMATIC,
            reason=reason,
            failed=failed,
        )


def lift_holds(
    conn: Connection,
    seq: int,
    key: str,
    actor: str,
    roles: tuple[str, ...],
    retest: int | None,
) -> list[Any]:
    """Lift every open hold on ``key`` at entry ``seq``, or refuse naming the first that stays.

    Returns the lifted rows. Each is checked by
    :func:`traceability.rules._holds.check_lift` before any is lifted.
    """
    held = open_holds(conn, key)
    for hold in held:
        evidence = retest if retest is not None and retest > hold.seq else None
        check_lift(hold.rule, hold.seq, key, roles, evidence)
    for hold in held:
        conn.execute(
            update(t.holds)
            .where(t.holds.c.seq == hold.seq, t.holds.c.lot == key)
            .values(lifted_seq=seq, lifted_by=actor, evidence=retest)
        )
    return held
