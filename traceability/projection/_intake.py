"""The handler of ``trace.intake``: a lot from another member's log becomes a lot of this one.

What one log alone can check is checked here: the product is known, the lot code is new, and
a lot of a source shipping entry is taken in once (a second intake of it would count the
same fruit twice). Whether the source log really shipped that lot here is a question for
both logs together (traceability/_alliance_links.py).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select

from traceability._errors import LifecycleError
from traceability.events._intake import Intake
from traceability.projection import _schema as t
from traceability.projection._query import commodity_of, new_lot, touch
from traceability.rules._refusals import lot_code

__all__ = ["INTAKE_HANDLERS"]

_INTAKE = insert(t.intakes)


def _intake(conn: Connection, seq: int, e: Intake) -> None:
    commodity = commodity_of(conn, e.lot.gtin, "lot.gtin")
    i = t.intakes.c
    earlier = conn.execute(
        select(i.seq, i.lot).where(
            i.source_log == e.source_log,
            i.source_seq == e.source_seq,
            i.source_gtin == e.source_lot.gtin,
            i.source_lot == e.source_lot.lot,
        )
    ).first()
    if earlier is not None:
        raise LifecycleError(
            "intake-once-per-source-lot",
            f"lot {e.source_lot.lot} of entry {e.source_seq} of {e.source_log} was taken in "
            f"at entry {earlier.seq} as {earlier.lot}",
            {
                "lot": e.source_lot.lot,
                "source_log": e.source_log,
                "entry": e.source_seq,
                "existing": lot_code(earlier.lot),
            },
        )
    # A lot of this log from now on: active, made (for the time rules) when it arrived.
    key = new_lot(
        conn,
        seq,
        e.lot,
        commodity,
        origin_kind=e.KIND,
        quantity=format(e.quantity, "f"),
        unit=e.unit,
        made_time=e.time.isoformat(),
        stage_time=e.time.isoformat(),
    )
    conn.execute(
        _INTAKE,
        {
            "seq": seq,
            "lot": key,
            "site": e.site,
            "source_log": e.source_log,
            "source_gtin": e.source_lot.gtin,
            "source_lot": e.source_lot.lot,
            "source_shipment": e.source_shipment,
            "source_seq": e.source_seq,
            "source_leaf": e.source_leaf,
            "time": e.time.isoformat(),
        },
    )
    touch(conn, seq, key)


INTAKE_HANDLERS: dict[type[Any], Any] = {Intake: _intake}
