"""Tracing a lot across members' logs, through verified ``trace.intake`` links only.

Backward: the lot's own log is traced back (:meth:`Projection.trace_back`); a lot on the way
that was taken in from another member continues in that member's log from the lot it
shipped, to its farm and grower. Forward: the lot's own log is traced forward; a lot on the
way that another member took in continues in that member's log, to what it made and
shipped. Each lot is named with its member. A link is followed only when it is verified
against the source log (:mod:`traceability._alliance_links`); broken and unverified links
met on the way are listed with the reason, never crossed.

A hold, recall or failing verdict of the source lot in the source log reaches the lots the
receiver made of it: they carry an ``alarm`` naming it, though the receiver's own log has
not (yet) recorded a hold.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from traceability._alliance import Alliance
from traceability._alliance_links import LinkCheck
from traceability.events._ids import lot_key
from traceability.projection._lineage import FarmOrigin, Shipment
from traceability.projection._lists import LotState
from traceability.projection._member_reads import IntakeView

__all__ = ["CrossTrace", "TraceLot", "trace_across"]


@dataclass(frozen=True)
class TraceLot:
    """A lot reached by a cross-log trace, in one member's log.

    Attributes:
        member: the member whose log holds the lot.
        state: the lot as that member's projection holds it.
        alarm: ``recalled``, ``on_hold`` or ``failed`` when a lot upstream of it in another
            member's log is so (the receiver's log may not say it yet), else None.
        alarm_from: ``member:lot key`` of that upstream lot.
    """

    member: str
    state: LotState
    alarm: str | None = None
    alarm_from: str | None = None


@dataclass(frozen=True)
class CrossTrace:
    """A lot's lineage across the alliance's logs.

    Attributes:
        focus: the traced lot (its ``alarm`` set when an upstream lot in another log is
            held, recalled or failed).
        back: every lot upstream, in any member's log (the focus excluded).
        origins: (member, farm origin) of every harvest lot reached backward.
        forward: every lot downstream, in any member's log (the focus excluded).
        shipments: (member, shipment) carrying any lot downstream or the focus.
        links: every cross-log link met, verified or not (only verified ones were crossed).
    """

    focus: TraceLot
    back: tuple[TraceLot, ...]
    origins: tuple[tuple[str, FarmOrigin], ...]
    forward: tuple[TraceLot, ...]
    shipments: tuple[tuple[str, Shipment], ...]
    links: tuple[LinkCheck, ...]


def _split(key: str) -> tuple[str, str]:
    gtin, _, lot = key.removeprefix("(01)").partition("(10)")
    return gtin, lot


def trace_across(alliance: Alliance, member: str, gtin: str, lot: str) -> CrossTrace:
    """Trace lot ``gtin``/``lot`` of ``member`` backward and forward across members' logs.

    Raises:
        UnknownError: no such member, or no such lot in its log.
    """
    start = alliance.member(member)
    start.projection.catch_up()
    focus_state = start.projection.lot(gtin, lot)
    checker = alliance.link_checker()
    # Where to look, from the projections' rows; each link is checked when the trace meets it.
    into = {(slug, row.lot): row for slug, rows in checker.rows.items() for row in rows}
    out_of: dict[tuple[str, str], list[tuple[str, IntakeView]]] = defaultdict(list)
    for slug, rows in checker.rows.items():
        for intake in rows:
            sender = checker.source_member(intake)
            if sender is not None:
                key = lot_key(intake.source_gtin, intake.source_lot)
                out_of[(sender, key)].append((slug, intake))
    met: dict[tuple[str, int], LinkCheck] = {}

    def state(slug: str, key: str) -> LotState | None:
        return alliance.member(slug).projection.find(*_split(key))

    # Backward.
    back: list[TraceLot] = []
    origins: list[tuple[str, FarmOrigin]] = []
    focus_alarm: tuple[str, str] | None = None
    queue, seen = [(member, focus_state.key)], {(member, focus_state.key)}
    while queue:
        slug, key = queue.pop(0)
        traced = alliance.member(slug).projection.trace_back(*_split(key))
        origins.extend((slug, o) for o in traced.origins)
        for k in traced.lots:
            if (slug, k) not in seen:
                seen.add((slug, k))
                found = state(slug, k)
                if found is not None:
                    back.append(TraceLot(slug, found))
            taken = into.get((slug, k))
            if taken is None:
                continue
            link = checker.check(slug, taken)
            met[(link.member, link.intake.seq)] = link
            if link.verdict != "verified" or link.source_member is None:
                continue
            if link.upstream_alarm and focus_alarm is None:
                focus_alarm = (link.upstream_alarm, f"{link.source_member}:{link.source_key}")
            if (link.source_member, link.source_key) not in seen:
                seen.add((link.source_member, link.source_key))
                source = state(link.source_member, link.source_key)
                if source is not None:
                    back.append(TraceLot(link.source_member, source))
                    queue.append((link.source_member, link.source_key))

    # Forward, carrying an upstream alarm into what receivers made.
    forward: list[TraceLot] = []
    shipments: list[tuple[str, Shipment]] = []
    alarm = focus_alarm
    todo: list[tuple[str, str, tuple[str, str] | None]] = [(member, focus_state.key, alarm)]
    done = {(member, focus_state.key)}
    while todo:
        slug, key, carried = todo.pop(0)
        ahead = alliance.member(slug).projection.trace_forward(*_split(key))
        shipments.extend((slug, s) for s in ahead.shipments if (slug, s) not in shipments)
        for k in ahead.lots:
            if (slug, k) not in done:
                done.add((slug, k))
                found = state(slug, k)
                if found is not None:
                    forward.append(TraceLot(slug, found, *(carried or (None, None))))
            for receiver, intake in out_of.get((slug, k), []):
                link = checker.check(receiver, intake)
                met[(link.member, link.intake.seq)] = link
                if link.verdict != "verified" or (link.member, link.intake.lot) in done:
                    continue
                reason = carried
                if link.upstream_alarm:
                    reason = (link.upstream_alarm, f"{slug}:{k}")
                done.add((link.member, link.intake.lot))
                received = state(link.member, link.intake.lot)
                if received is not None:
                    forward.append(TraceLot(link.member, received, *(reason or (None, None))))
                todo.append((link.member, link.intake.lot, reason))
    focus = TraceLot(member, focus_state, *(focus_alarm or (None, None)))
    return CrossTrace(
        focus,
        tuple(back),
        tuple(origins),
        tuple(forward),
        tuple(shipments),
        tuple(met[k] for k in sorted(met)),
    )
