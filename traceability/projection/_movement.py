"""Handlers for the events that move, transform, stop or withdraw lots.

Packing, shipping, receiving, processing, hold, release, recall.
"""

from __future__ import annotations

from datetime import datetime
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
from traceability.projection._cache import active, no_wait, write
from traceability.projection._cold_chain import keep_transport, new_transport_findings
from traceability.projection._gate import check_sale
from traceability.projection._holds import hold_forward, lift_holds, place_hold
from traceability.projection._lineage import descendants
from traceability.projection._query import (
    commodity_of,
    find_lot,
    link,
    new_lot,
    profile_for,
    set_lot,
    set_status,
    set_status_many,
    touch,
)
from traceability.projection._timing import advance_stage, after_made
from traceability.rules._actors import Role
from traceability.rules._lifecycle import Action, LotStatus, transition
from traceability.rules._refusals import lot_code
from traceability.rules._tables import transport_findings

__all__ = ["MOVEMENT_HANDLERS", "SIGNER_HANDLERS"]


# Built once: building a statement per event cost about as much as running it.
_PACKED = select(t.packed).where(
    t.packed.c.unit_id == bindparam("unit"), t.packed.c.lot == bindparam("lot")
)
_PACK = insert(t.packed)
_NEW_SHIPMENT = insert(t.shipments)
_SHIPMENT_LOT = insert(t.shipment_lots)
_ARRIVAL = insert(t.arrivals)
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
_RECEIVED_RECALLED = (
    update(t.shipments)
    .where(t.shipments.c.shipment == bindparam("ship"))
    .values(received_seq=bindparam("at"), receiver=bindparam("by"))
)
_RETEST = select(t.results.c.outcome, t.results.c.substance).where(
    t.results.c.seq == bindparam("seq"), t.results.c.lot == bindparam("lot")
)


def _packing(conn: Connection, seq: int, e: Packing) -> None:
    keys = []
    for i, ref in enumerate(e.lots):
        row = find_lot(conn, ref, f"lots[{i}]")
        transition(Action.PACK, LotStatus(row.status), row.key)
        advance_stage(conn, row, e.time, "packing")
        if _packed(conn, e.unit_id, row.key):
            raise LifecycleError(
                "pack-once-per-unit",
                f"lot {row.key} is already in {e.unit_id}",
                {"lot": lot_code(row.key), "unit": e.unit_id},
            )
        write(conn, _PACK, {"unit_id": e.unit_id, "lot": row.key, "seq": seq})
        keys.append(row.key)
    touch(conn, seq, *keys)


def _packed(conn: Connection, unit: str, key: str) -> bool:
    """Whether lot ``key`` is packed in ``unit`` already (a lot of this batch: asked here)."""
    cache = active(conn)
    rows = None if cache is None else cache.made(t.packed.name, "lot", key)
    if rows is not None:
        return any(r.unit_id == unit for r in rows)
    return conn.execute(_PACKED, {"unit": unit, "lot": key}).first() is not None


def _shipment(conn: Connection, shipment: str) -> Any:
    """The shipment's row, or None (a shipment of this batch: its cached copy)."""
    cache = active(conn)
    rows = None if cache is None else cache.made(t.shipments.name, "shipment", shipment)
    if rows is not None:
        return rows[0] if rows else None
    return conn.execute(_SHIPMENT, {"shipment": shipment}).first()


def _shipment_lots(conn: Connection, shipment: str) -> list[str]:
    """The keys of the lots shipped in ``shipment``."""
    cache = active(conn)
    rows = None if cache is None else cache.made(t.shipment_lots.name, "shipment", shipment)
    if rows is not None:
        return [r.lot for r in rows]
    return [r.lot for r in conn.execute(_SHIPMENT_LOTS, {"shipment": shipment})]


# Whether a shipment id is taken. Asked only for shipments the batch did not create, so the
# batch's queued shipment rows (all of shipments it created) cannot change the answer.
_SHIPMENT_TAKEN = select(t.shipments.c.shipment).where(
    t.shipments.c.shipment == bindparam("shipment")
)
no_wait(_SHIPMENT_TAKEN, _NEW_SHIPMENT, _RECEIVED, _RECEIVED_RECALLED)


def _taken(conn: Connection, shipment: str) -> bool:
    """Whether shipment id ``shipment`` is recorded already."""
    cache = active(conn)
    if cache is not None and cache.made(t.shipments.name, "shipment", shipment) is not None:
        return True
    if cache is not None and shipment in cache.free_shipments:
        return False  # read ahead (_prefetch), and not inserted since
    return conn.execute(_SHIPMENT_TAKEN, {"shipment": shipment}).first() is not None


def _shipping(conn: Connection, seq: int, e: Shipping) -> None:
    if _taken(conn, e.shipment):
        raise LifecycleError(
            "shipment-ids-unique",
            f"shipment {e.shipment} already exists",
            {"shipment": e.shipment},
        )
    rows = [find_lot(conn, ref, f"lots[{i}]") for i, ref in enumerate(e.lots)]
    for row in rows:
        transition(Action.SHIP, LotStatus(row.status), row.key)
        advance_stage(conn, row, e.time, "shipping")
    shipment = {
        "shipment": e.shipment,
        "seq": seq,
        "origin": e.origin,
        "destination": e.destination,
        "status": "in_transit",
        "set_point": None if e.set_point_celsius is None else format(e.set_point_celsius, "f"),
        "time": e.time.isoformat(),
    }
    write(conn, _NEW_SHIPMENT, shipment)
    cache = active(conn)
    if cache is not None:
        cache.free_shipments.discard(e.shipment)
        cache.created("shipment", e.shipment)
        cache.keep_row(t.shipments.name, e.shipment, **shipment)
    for row in rows:
        set_status(conn, row.key, LotStatus.SHIPPED, seq)
        write(conn, _SHIPMENT_LOT, {"shipment": e.shipment, "lot": row.key})
    _judge_departure(conn, seq, e, rows)
    touch(conn, seq, *(r.key for r in rows))


def _judge_departure(conn: Connection, seq: int, e: Shipping, rows: list[Any]) -> None:
    """Judge the shipping event's own logger readings and its set point; hold what fails.

    The readings start the shipment's transport log (receiving parts add to it), so an
    excursion is never silently dropped; a set point outside the profile's allowed range,
    or none where the profile requires transport evidence, holds the lots too.
    """
    findings = []
    for row in rows:
        profile_seq, profile = profile_for(conn, row.commodity)
        point = e.set_point_celsius
        low, high = profile.set_point_min_celsius, profile.set_point_max_celsius
        problem = None
        if point is None and "transport" in profile.cold_chain_stages:
            problem = "no reefer set point recorded"
        elif (
            point is not None and low is not None and high is not None and not low <= point <= high
        ):
            problem = f"set point {point} °C outside the allowed {low}-{high} °C"
        # A new shipment: its log starts with these readings, nothing before them.
        found = transport_findings(profile, point, e.readings) if e.readings else []
        findings.append((row, profile_seq, problem, found))
    keep_transport(conn, seq, e.shipment, e.readings, True)
    for row, profile_seq, problem, found in findings:
        if problem is not None:
            rule = "cold-chain-set-point"
            reason = f"{rule} (profile entry {profile_seq}): {problem}"
            hold_forward(conn, seq, row.key, reason, rule=rule, failed=False)
        if found:
            rule = "cold-chain-transport"
            reason = f"{rule} (profile entry {profile_seq}): {found[0]}"
            hold_forward(conn, seq, row.key, reason, rule=rule, failed=False)


def _receiving(conn: Connection, seq: int, e: Receiving) -> None:
    ship = _shipment(conn, e.shipment)
    cache = active(conn)
    if ship is None:
        raise ValidationError("shipment", "a shipment recorded on this ledger", e.shipment)
    if ship.status == "recalled" and ship.received_seq is None:
        # Recalled goods still arrive somewhere: received into quarantine, so where they
        # are is on the ledger. The lots stay recalled.
        keep_transport(conn, seq, e.shipment, e.readings, bool(e.more_readings))
        if not e.more_readings:
            keys = _shipment_lots(conn, e.shipment)
            _arrival(conn, seq, e, {r.unit for r in _lot_rows(conn, keys)})
            write(conn, _RECEIVED_RECALLED, {"ship": e.shipment, "at": seq, "by": e.receiver})
            if cache is not None:
                cache.update_row(
                    t.shipments.name, e.shipment, received_seq=seq, receiver=e.receiver
                )
        touch(conn, seq, *_shipment_lots(conn, e.shipment))
        return
    if ship.status != "in_transit":
        raise LifecycleError(
            "receive-requires-shipped",
            f"shipment {e.shipment} is {ship.status}, not in_transit",
            {"shipment": e.shipment, "status": ship.status},
            case="shipment",
        )
    if ship.time is not None and e.time < datetime.fromisoformat(ship.time):
        raise LifecycleError(
            "time-order",
            f"receiving of shipment {e.shipment} at {e.time.isoformat()} precedes its "
            f"shipping at {ship.time}",
            {"shipment": e.shipment, "time": e.time.isoformat(), "shipped": ship.time},
            case="receiving",
        )
    keys = _shipment_lots(conn, e.shipment)
    lot_rows = _lot_rows(conn, keys)
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
        _arrival(conn, seq, e, {row.unit for row in lot_rows})
        queued = None if cache is None else cache.queued_row(t.shipments.name, e.shipment)
        if queued is not None:  # shipped in this batch, not sent yet: the row says it
            queued.update(status="received", received_seq=seq, receiver=e.receiver)
        else:
            write(conn, _RECEIVED, {"ship": e.shipment, "at": seq, "by": e.receiver})
        if cache is not None:
            cache.update_row(
                t.shipments.name,
                e.shipment,
                status="received",
                received_seq=seq,
                receiver=e.receiver,
            )
    for row, target, profile_seq, found in problems:
        if target is not None:
            advance_stage(conn, row, e.time, "receiving")
            # A held lot stays held when received, and keeps the reason it was held for;
            # when its holds are lifted it is where it arrived.
            held = target is LotStatus.ON_HOLD
            set_status(conn, row.key, target, seq, row.status_reason if held else None)
            if held:
                set_lot(conn, row.key, held_from=LotStatus.RECEIVED.value)
        if found:
            reason = f"cold-chain-transport (profile entry {profile_seq}): {found[0]}"
            hold_forward(conn, seq, row.key, reason, rule="cold-chain-transport", failed=False)
    touch(conn, seq, *keys)


def _arrival(conn: Connection, seq: int, e: Receiving, units: set[str]) -> None:
    """Keep the received quantity, refusing a unit no lot of the shipment was counted in."""
    if e.quantity is None:
        return
    unit = e.unit or "KGM"
    if unit not in units:
        raise ValidationError(
            "unit", f"the unit of the shipment's lots ({', '.join(sorted(units))})", unit
        )
    conn.execute(
        _ARRIVAL,
        {"shipment": e.shipment, "seq": seq, "quantity": format(e.quantity, "f"), "unit": unit},
    )


def _lot_rows(conn: Connection, keys: list[str]) -> list[Any]:
    """The rows of lots ``keys``, in key order: the batch's cached copies where it has them.

    The cached copy is the current one (a batch defers some of its writes, see ``_cache``);
    rows read here are cached in turn.
    """
    cache = active(conn)
    if cache is None:
        return sorted(conn.execute(_LOTS, {"keys": keys}).all(), key=lambda r: r.key)
    rows: dict[str, Any] = {k: row for k in keys if (row := cache.lot(k)) is not None}
    missing = [k for k in keys if k not in rows]
    if missing:
        for found in conn.execute(_LOTS, {"keys": missing}):
            cache.keep_lot(dict(found._mapping))
            rows[found.key] = cache.lot(found.key)
    return [rows[k] for k in sorted(rows)]


def _processing(conn: Connection, seq: int, e: Processing) -> None:
    commodity = commodity_of(conn, e.output.gtin, "output.gtin")
    rows = [find_lot(conn, ref, f"inputs[{i}]") for i, ref in enumerate(e.inputs)]
    for row in rows:
        transition(Action.PROCESS, LotStatus(row.status), row.key)
        advance_stage(conn, row, e.time, "processing")
    key = new_lot(
        conn,
        seq,
        e.output,
        commodity,
        origin_kind=e.KIND,
        quantity=format(e.quantity, "f"),
        unit=e.unit,
        made_time=e.time.isoformat(),
        stage_time=e.time.isoformat(),
    )
    for row in rows:
        set_status(conn, row.key, LotStatus.CONSUMED, seq)
        link(conn, seq, row.key, key, e.KIND)
    touch(conn, seq, *(r.key for r in rows), key)


def _hold(conn: Connection, seq: int, e: Hold, actor: str, roles: tuple[str, ...]) -> None:
    row = find_lot(conn, e.lot)
    transition(Action.HOLD, LotStatus(row.status), row.key)
    after_made(row, e.time, "hold")
    # The regulator's hold is the regulator's: only its own decision lifts it.
    rule, authority = (
        ("regulator-hold", Role.REGULATOR.value)
        if Role.REGULATOR in roles
        else ("manual-hold", Role.COOPERATIVE.value)
    )
    place_hold(
        conn,
        seq,
        row.key,
        rule=rule,
        authority=authority,
        actor=actor,
        reason=f"{rule} (entry {seq}): {e.reason}",
    )
    touch(conn, seq, row.key)


def _retest(conn: Connection, seq: int | None, key: str) -> int | None:
    """Return ``seq`` when it is a lab's results for lot ``key``, every one a pass."""
    if seq is None:
        return None
    rows = conn.execute(_RETEST, {"seq": seq, "lot": key}).all()
    if not rows or any(r.outcome != "pass" for r in rows):
        raise LifecycleError(
            "hold-lift-evidence",
            f"evidence entry {seq} is not a passing re-test of lot {key} "
            f"({'no results for the lot' if not rows else 'a result in it does not pass'})",
            {"lot": lot_code(key), "evidence": seq},
            case="not-a-retest",
        )
    return seq


def _release(conn: Connection, seq: int, e: Release, actor: str, roles: tuple[str, ...]) -> None:
    row = find_lot(conn, e.lot)
    status = LotStatus(row.status)
    after_made(row, e.time, "release")
    retest = _retest(conn, e.evidence, row.key)
    if Role.REGULATOR in roles and Role.COOPERATIVE not in roles:
        # The regulator's decision: lift the holds, return the lot to where it stood.
        # Only the cooperative releases for sale (it carries the compliance promise).
        if status is not LotStatus.ON_HOLD:
            raise LifecycleError(
                "regulator-release-lifts-holds",
                f"lot {row.key} is {status}, not on hold; only the cooperative releases a "
                "lot for sale",
                {"lot": lot_code(row.key), "status": status},
            )
        lift_holds(conn, seq, row.key, actor, roles, retest)
        back = LotStatus(row.held_from or LotStatus.ACTIVE.value)
        set_lot(conn, row.key, failed=False, held_from=None)
        if back is LotStatus.RELEASED:
            # Released before the hold: still for sale only if it passes the gate now.
            try:
                check_sale(conn, find_lot(conn, e.lot), e.time, "release")
            except LifecycleError:
                back = LotStatus.ACTIVE
        set_status(conn, row.key, back, seq, f"holds lifted by {actor} (entry {seq}): {e.note}")
        touch(conn, seq, row.key)
        return
    transition(Action.RELEASE, status, row.key)
    lifted = (
        lift_holds(conn, seq, row.key, actor, roles, retest) if status is LotStatus.ON_HOLD else []
    )
    back = LotStatus(row.held_from or LotStatus.ACTIVE.value) if lifted else status
    if retest is not None and any(h.rule == "residue-above-mrl" for h in lifted):
        set_lot(conn, row.key, failed=False)  # a passing re-test answers the failing one
        row = find_lot(conn, e.lot)
    if back in {LotStatus.ACTIVE, LotStatus.RELEASED}:
        check_sale(conn, row, e.time, "release")
        back = LotStatus.RELEASED
    set_status(conn, row.key, back, seq, e.note)
    if lifted:
        set_lot(conn, row.key, held_from=None)
    touch(conn, seq, row.key)


def _recall(conn: Connection, seq: int, e: Recall) -> None:
    row = find_lot(conn, e.lot)
    transition(Action.RECALL, LotStatus(row.status), row.key)
    after_made(row, e.time, "recall")
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
    Recall: _recall,
}

#: Handlers that judge the signer too (who placed a hold, who may lift it): they get the
#: signer's actor name and roles after the entry.
SIGNER_HANDLERS: dict[type[Any], Any] = {Hold: _hold, Release: _release}
