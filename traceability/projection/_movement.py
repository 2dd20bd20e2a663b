"""Handlers for the events that move, transform, stop or withdraw lots.

Packing, shipping, receiving, processing, hold, release, recall.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from traceability._errors import LifecycleError, ValidationError
from traceability.events._events import (
    Hold,
    Packing,
    Processing,
    Recall,
    Receiving,
    Release,
    Shipping,
)
from traceability.projection import _schema as t
from traceability.projection._cold_chain import keep_transport, new_transport_findings
from traceability.projection._lineage import ancestors, descendants
from traceability.projection._query import (
    commodity_of,
    find_lot,
    hold_forward,
    new_lot,
    profile_for,
    set_status,
    set_status_many,
    touch,
)
from traceability.rules._lifecycle import Action, LotStatus, transition

__all__ = ["MOVEMENT_HANDLERS"]


# Built once: building a statement per event cost about as much as running it.
_PACKED = select(t.packed).where(
    t.packed.c.unit_id == bindparam("unit"), t.packed.c.lot == bindparam("lot")
)
_SHIPMENT = select(t.shipments).where(t.shipments.c.shipment == bindparam("shipment"))
_SHIPMENT_LOTS = select(t.shipment_lots.c.lot).where(
    t.shipment_lots.c.shipment == bindparam("shipment")
)
_LOTS = select(t.lots).where(t.lots.c.key.in_(bindparam("keys", expanding=True)))
_RECEIVED = (
    update(t.shipments)
    .where(t.shipments.c.shipment == bindparam("ship"))
    .values(status="received", received_seq=bindparam("at"), receiver=bindparam("by"))
)
_PASSED = select(t.results.c.substance).where(
    t.results.c.lot.in_(bindparam("keys", expanding=True)), t.results.c.outcome == "pass"
)


def _packing(conn: Connection, seq: int, e: Packing) -> None:
    keys = []
    for i, ref in enumerate(e.lots):
        row = find_lot(conn, ref, f"lots[{i}]")
        transition(Action.PACK, LotStatus(row.status), row.key)
        if conn.execute(_PACKED, {"unit": e.unit_id, "lot": row.key}).first() is not None:
            raise LifecycleError("pack-once-per-unit", f"lot {row.key} is already in {e.unit_id}")
        conn.execute(insert(t.packed), {"unit_id": e.unit_id, "lot": row.key, "seq": seq})
        keys.append(row.key)
    touch(conn, seq, *keys)


def _shipping(conn: Connection, seq: int, e: Shipping) -> None:
    if conn.execute(_SHIPMENT, {"shipment": e.shipment}).first():
        raise LifecycleError("shipment-ids-unique", f"shipment {e.shipment} already exists")
    rows = [find_lot(conn, ref, f"lots[{i}]") for i, ref in enumerate(e.lots)]
    for row in rows:
        transition(Action.SHIP, LotStatus(row.status), row.key)
    conn.execute(
        insert(t.shipments),
        {
            "shipment": e.shipment,
            "seq": seq,
            "origin": e.origin,
            "destination": e.destination,
            "status": "in_transit",
            "set_point": None if e.set_point_celsius is None else format(e.set_point_celsius, "f"),
        },
    )
    for row in rows:
        set_status(conn, row.key, LotStatus.SHIPPED, seq)
        conn.execute(insert(t.shipment_lots), {"shipment": e.shipment, "lot": row.key})
    touch(conn, seq, *(r.key for r in rows))


def _receiving(conn: Connection, seq: int, e: Receiving) -> None:
    ship = conn.execute(_SHIPMENT, {"shipment": e.shipment}).first()
    if ship is None:
        raise ValidationError("shipment", "a shipment recorded on this ledger", e.shipment)
    if ship.status != "in_transit":
        raise LifecycleError(
            "receive-requires-shipped", f"shipment {e.shipment} is {ship.status}, not in_transit"
        )
    keys = [r.lot for r in conn.execute(_SHIPMENT_LOTS, {"shipment": e.shipment})]
    lot_rows = conn.execute(_LOTS, {"keys": keys}).all()
    final = not e.more_readings  # a part with more to come only adds readings
    set_point = None if ship.set_point is None else Decimal(ship.set_point)
    problems = []
    for row in lot_rows:
        target = transition(Action.RECEIVE, LotStatus(row.status), row.key) if final else None
        profile_seq, profile = profile_for(conn, row.commodity)
        # Judged across every part of the shipment's logger file, not this event's alone.
        found = new_transport_findings(conn, e.shipment, profile, set_point, e.readings)
        problems.append((row, target, profile_seq, found))
    keep_transport(conn, seq, e.shipment, e.readings, bool(e.more_readings))
    if final:
        conn.execute(_RECEIVED, {"ship": e.shipment, "at": seq, "by": e.receiver})
    for row, target, profile_seq, found in problems:
        if target is not None:
            # A held lot stays held when received, and keeps the reason it was held for.
            held = target is LotStatus.ON_HOLD
            set_status(conn, row.key, target, seq, row.status_reason if held else None)
        if found:
            reason = f"cold-chain-transport (profile entry {profile_seq}): {found[0]}"
            hold_forward(conn, seq, row.key, reason, failed=False)
    touch(conn, seq, *keys)


def _processing(conn: Connection, seq: int, e: Processing) -> None:
    commodity = commodity_of(conn, e.output.gtin, "output.gtin")
    rows = [find_lot(conn, ref, f"inputs[{i}]") for i, ref in enumerate(e.inputs)]
    for row in rows:
        transition(Action.PROCESS, LotStatus(row.status), row.key)
    key = new_lot(
        conn,
        seq,
        e.output,
        commodity,
        origin_kind=e.KIND,
        quantity=format(e.quantity, "f"),
        unit=e.unit,
    )
    for row in rows:
        set_status(conn, row.key, LotStatus.CONSUMED, seq)
        conn.execute(insert(t.edges), {"parent": row.key, "child": key, "seq": seq, "kind": e.KIND})
    touch(conn, seq, *(r.key for r in rows), key)


def _hold(conn: Connection, seq: int, e: Hold) -> None:
    row = find_lot(conn, e.lot)
    transition(Action.HOLD, LotStatus(row.status), row.key)
    set_status(conn, row.key, LotStatus.ON_HOLD, seq, f"manual-hold: {e.reason}")
    touch(conn, seq, row.key)


def _release(conn: Connection, seq: int, e: Release) -> None:
    row = find_lot(conn, e.lot)
    transition(Action.RELEASE, LotStatus(row.status), row.key)
    if row.failed:
        raise LifecycleError(
            "release-refused-after-failed-residue",
            f"lot {row.key} or a lot it came from failed a residue test ({row.status_reason})",
        )
    _, profile = profile_for(conn, row.commodity)
    keys = ancestors(conn, row.key)
    passed = {r.substance.lower() for r in conn.execute(_PASSED, {"keys": keys})}
    missing = [s for s in profile.required_substances if s.lower() not in passed]
    if missing:
        raise LifecycleError(
            "release-requires-passed-tests",
            f"lot {row.key} has no passing result for {', '.join(missing)}",
        )
    set_status(conn, row.key, LotStatus.RELEASED, seq, e.note)
    touch(conn, seq, row.key)


def _recall(conn: Connection, seq: int, e: Recall) -> None:
    row = find_lot(conn, e.lot)
    transition(Action.RECALL, LotStatus(row.status), row.key)
    reason = f"recall of {row.key} (entry {seq}): {e.reason}"
    affected = descendants(conn, row.key)
    set_status_many(conn, affected, LotStatus.RECALLED, seq, reason)
    conn.execute(
        update(t.shipments)
        .where(
            t.shipments.c.shipment.in_(
                select(t.shipment_lots.c.shipment).where(t.shipment_lots.c.lot.in_(affected))
            )
        )
        .values(status="recalled")
    )
    touch(conn, seq, *affected)


MOVEMENT_HANDLERS: dict[type[Any], Any] = {
    Packing: _packing,
    Shipping: _shipping,
    Receiving: _receiving,
    Processing: _processing,
    Hold: _hold,
    Release: _release,
    Recall: _recall,
}
