"""The cold chain across events: a lot's pre-cooling log and a shipment's transport log.

One event carries at most 1,000 readings, so a long logger file arrives as several events.
Every reading is kept in ``trace_readings``; each new event is judged together with the
readings before it, and only what the new event *adds* (a finding the earlier readings did
not already give) holds a lot. So a lot cooled in time is never held because its log came in
parts, a lot that was not is held once, and an excursion in any part holds it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select

from traceability.events._events import Reading
from traceability.projection import _schema as t
from traceability.projection._cache import active, write
from traceability.rules._tables import Profile, precool_findings, transport_findings

__all__ = ["keep_transport", "new_precool_findings", "new_transport_findings"]

_PRECOOL, _TRANSPORT = "cooling", "transport"

# Built once: statements built per call cost as much as running them (bench/trace.py).
_READINGS = select(t.readings.c.time, t.readings.c.celsius, t.readings.c.more).where(
    t.readings.c.kind == bindparam("kind"), t.readings.c.subject == bindparam("subject")
)
_KEEP = insert(t.readings)


def _log(conn: Connection, kind: str, subject: str) -> tuple[list[Reading], bool]:
    """Return the readings recorded so far and whether a part without ``more`` was among them."""
    cache = active(conn)
    made = None
    if cache is not None:  # a lot or shipment of this batch: its readings are all cached
        made = cache.made(t.readings.name, "lot" if kind == _PRECOOL else "shipment", subject)
    rows: Sequence[Any]
    if made is not None:
        rows = [r for r in made if r.kind == kind]
    else:
        rows = conn.execute(_READINGS, {"kind": kind, "subject": subject}).all()
    # Built directly, not validated again: the rows came from validated events.
    readings = [
        Reading.model_construct(time=datetime.fromisoformat(r.time), celsius=Decimal(r.celsius))
        for r in rows
    ]
    return readings, any(not r.more for r in rows)


def _keep(
    conn: Connection,
    kind: str,
    subject: str,
    seq: int,
    readings: Sequence[Reading],
    more: bool,
) -> None:
    rows = [
        {
            "kind": kind,
            "subject": subject,
            "seq": seq,
            "n": n,
            "time": r.time.isoformat(),
            "celsius": format(r.celsius, "f"),
            "more": more,
        }
        for n, r in enumerate(readings)
    ]
    for row in rows:  # queued: one executemany with the batch's other readings (see _cache)
        write(conn, _KEEP, row)


def new_precool_findings(
    conn: Connection,
    seq: int,
    lot: str,
    profile: Profile,
    harvested: datetime,
    readings: Sequence[Reading],
    more: bool,
) -> list[str]:
    """Keep a cooling event's readings; return the findings it adds to the lot's log."""
    before, complete = _log(conn, _PRECOOL, lot)
    _keep(conn, _PRECOOL, lot, seq, readings, more)
    old = set(precool_findings(profile, harvested, before, complete=complete))
    now = precool_findings(profile, harvested, [*before, *readings], complete=complete or not more)
    return [f for f in now if f not in old]


def new_transport_findings(
    conn: Connection,
    shipment: str,
    profile: Profile,
    set_point: Decimal | None,
    readings: Sequence[Reading],
) -> list[str]:
    """Return the findings a receiving event's readings add to the shipment's log."""
    if not readings:
        # Transport findings judge each reading on its own (set point ± tolerance), so a
        # part with no readings adds none: the log need not be read.
        return []
    before, _ = _log(conn, _TRANSPORT, shipment)
    old = set(transport_findings(profile, set_point, before))
    return [f for f in transport_findings(profile, set_point, [*before, *readings]) if f not in old]


def keep_transport(
    conn: Connection, seq: int, shipment: str, readings: Sequence[Reading], more: bool
) -> None:
    """Keep a receiving event's readings in the shipment's log (after judging every lot)."""
    _keep(conn, _TRANSPORT, shipment, seq, readings, more)
