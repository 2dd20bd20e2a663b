"""The server's own watch on its projection: drift found, "verified" withheld, regulators told.

``serve`` checks the ``trace_*`` tables against a replay of the log in the background
(:class:`DriftMonitor`, on :mod:`traceability.projection._check`): a full check at start-up
and every ``AGRITRACE_DRIFT_FULL_SECONDS``, and after each growth of the log an incremental
one that replays only the new entries and compares only the lots and shipments they touched,
so an append costs about what applying it did. While a check has found drift that a later
full check has not cleared, :func:`vouched` turns every "verified" the resolver would answer
into "unverified", and the regulator's page and API list the rows (:func:`drift_state`).

Until the first check has finished the state is ``unchecked`` and answers are unchanged: the
page's own proof check (and its wording, "proof not yet checked on this device") still
stands between a database editor and a green banner.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi.concurrency import run_in_threadpool

from ledger import Ledger
from traceability import Drift, ProjectionCheck, projection_exists
from verifier_app.consumer._lookup import LotView

__all__ = ["DriftMonitor", "DriftState", "drift_state", "vouched"]

_log = logging.getLogger("verifier_app")

#: How many drifting fields a state keeps for the pages (the count is always exact).
MAX_SHOWN = 500


@dataclass(frozen=True)
class DriftState:
    """What the last checks found.

    Attributes:
        status: ``unchecked`` (no check finished yet), ``clean`` or ``drift``.
        size: log entries the last check covered.
        drifts: the differing fields (at most :data:`MAX_SHOWN`).
        count: how many fields differ in all.
        checked_at: when the last check finished (UTC), or None.
        full_at: when the last full check finished (UTC), or None.
        error: why the last check could not run, or None.
    """

    status: Literal["unchecked", "clean", "drift"] = "unchecked"
    size: int = 0
    drifts: tuple[Drift, ...] = ()
    count: int = 0
    checked_at: datetime | None = None
    full_at: datetime | None = None
    error: str | None = None

    @property
    def unresolved(self) -> bool:
        """Whether drift was found and no later full check cleared it."""
        return self.status == "drift"

    def as_json(self) -> dict[str, Any]:
        """The state for the regulator's API."""
        return {
            "status": self.status,
            "size": self.size,
            "count": self.count,
            "checked_at": None if self.checked_at is None else self.checked_at.isoformat(),
            "full_at": None if self.full_at is None else self.full_at.isoformat(),
            "error": self.error,
            "drifts": [
                {
                    "table": d.table,
                    "key": d.key,
                    "lot": d.lot,
                    "field": d.field,
                    "stored": d.stored,
                    "log": d.replayed,
                    "entries": list(d.entries),
                }
                for d in self.drifts
            ],
        }


def drift_state(app: Any) -> DriftState:
    """The drift state of the app (a FastAPI app or its ``state``); unchecked without one."""
    state = getattr(app, "state", app)
    monitor: DriftMonitor | None = getattr(state, "drift", None)
    return DriftState() if monitor is None else monitor.state


def vouched(lot: LotView | None, app: Any) -> LotView | None:
    """``lot`` as the resolver may answer it: never "verified" while drift is unresolved.

    The one line the consumer answer calls on the lookup's result.
    """
    if lot is None or lot.status != "verified" or not drift_state(app).unresolved:
        return lot
    return replace(lot, status="unverified")


class DriftMonitor:
    """Runs the projection check for one ledger and keeps its latest :class:`DriftState`.

    The checks run on a ledger of their own (same database, own connections), so they
    never hold one of the app's pooled connections for a long replay.

    Args:
        ledger: the app's ledger.
        full_seconds: how often a full check runs (and how often while drift stands).
        on_change: called (from the checking thread) when the state's status changes, so
            answers cached under the old status are dropped.
    """

    def __init__(
        self,
        ledger: Ledger,
        full_seconds: float,
        on_change: Any = None,
    ) -> None:
        self.url = ledger.engine.url.render_as_string(hide_password=False)
        self.origin = ledger.origin
        self._ledger: Ledger | None = None
        self.full_seconds = full_seconds
        self.on_change = on_change
        self.state = DriftState()
        self._check: ProjectionCheck | None = None
        self._last_full = 0.0
        self._lock = threading.Lock()  # one check at a time: it owns one connection

    def close(self) -> None:
        """Release the scratch projection."""
        with self._lock:
            if self._check is not None:
                self._check.close()
                self._check = None
            if self._ledger is not None:
                self._ledger.close()
                self._ledger = None

    @property
    def ledger(self) -> Ledger:
        """The monitor's own handle on the app's ledger (opened on first use)."""
        if self._ledger is None:
            self._ledger = Ledger.open(self.url, self.origin)
        return self._ledger

    def check(self, *, full: bool | None = None) -> DriftState:
        """Run one check now (blocking) and return the new state.

        Args:
            full: force a full (True) or incremental (False) check; default: full when
                due, when drift stands, or on the first run; else incremental.
        """
        with self._lock:
            if not projection_exists(self.ledger):
                return self.state
            if self._check is None:
                self._check = ProjectionCheck(self.ledger)
            due = time.monotonic() - self._last_full >= self.full_seconds
            if full is None:
                full = due or self.state.status != "clean"
            try:
                report = self._check.run(full=full)
            except Exception as e:  # a check that cannot run must be seen, not kill the task
                _log.exception("projection check failed")
                self._check.close()
                self._check = None
                self._set(replace(self.state, error=f"{type(e).__name__}: {e}"))
                return self.state
            now = datetime.now(UTC)
            if report.scope == "full":
                self._last_full = time.monotonic()
                drifts = report.drifts
            else:
                # An incremental check adds what it found; only a full one clears drift.
                drifts = tuple(dict.fromkeys(self.state.drifts + report.drifts))
            status: Literal["clean", "drift"] = "drift" if drifts else "clean"
            self._set(
                DriftState(
                    status=status,
                    size=report.size,
                    drifts=drifts[:MAX_SHOWN],
                    count=len(drifts),
                    checked_at=now,
                    full_at=now if report.scope == "full" else self.state.full_at,
                )
            )
            for drift in report.drifts[:20]:
                _log.error("projection drift: %s", drift.describe())
            return self.state

    def _set(self, state: DriftState) -> None:
        changed = state.status != self.state.status
        self.state = state
        if changed and self.on_change is not None:
            self.on_change()

    def _size(self) -> int:
        with self._lock:
            return self.ledger.size()

    async def run(self, poll_seconds: float) -> None:
        """Check at start, then after every growth of the log and every full interval."""
        seen = -1
        while True:
            size = await run_in_threadpool(self._size)
            if size != seen or time.monotonic() - self._last_full >= self.full_seconds:
                await run_in_threadpool(self.check)
                seen = size
            await asyncio.sleep(poll_seconds)
