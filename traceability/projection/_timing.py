"""Time is a rule: every event is checked against the events it depends on.

A lot's events follow its stages: harvest < cooling < grading < packing < shipping <
receiving (processing and grading close a lot). Each lot keeps when it was made
(``made_time``: its harvest, grading or processing) and the time of its latest stage event
(``stage_time``); an event on the lot dated before either is refused, naming both times.
Tests, holds, releases and recalls need only come after the lot was made. The ledger's own
entry order is not time order: a record may arrive late, but not dated before its cause.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, update

from traceability._errors import LifecycleError
from traceability.projection import _schema as t
from traceability.projection._cache import active
from traceability.rules._refusals import lot_code

__all__ = ["advance_stage", "after_made"]

# Built once: one runs for nearly every event (bench/trace.py).
_SET_STAGE = update(t.lots).where(t.lots.c.key == bindparam("k")).values(stage_time=bindparam("at"))


def after_made(row: Any, when: datetime, action: str) -> None:
    """Refuse ``action`` on lot ``row`` dated ``when`` before the lot was made."""
    made = row.made_time
    if made is not None and when < datetime.fromisoformat(made):
        raise LifecycleError(
            "time-after-lot-made",
            f"{action} of lot {row.key} at {when.isoformat()} precedes the lot, made at {made}",
            {"action": action, "lot": lot_code(row.key), "time": when.isoformat(), "made": made},
        )


def advance_stage(conn: Connection, row: Any, when: datetime, action: str) -> None:
    """Refuse a stage event dated before the lot's latest one; else move the lot's clock on."""
    after_made(row, when, action)
    stage = row.stage_time
    if stage is not None and when < datetime.fromisoformat(stage):
        raise LifecycleError(
            "time-order",
            f"{action} of lot {row.key} at {when.isoformat()} precedes its latest recorded "
            f"stage event at {stage} (harvest < cooling < grading < packing < shipping "
            "< receiving)",
            {"action": action, "lot": lot_code(row.key), "time": when.isoformat(), "before": stage},
        )
    if stage is None or when > datetime.fromisoformat(stage):
        at, cache = when.isoformat(), active(conn)
        # In a batch, written with the batch's other stage times at its flush.
        if cache is None or not cache.defer_stage(row.key, at):
            conn.execute(_SET_STAGE, {"k": row.key, "at": at})
