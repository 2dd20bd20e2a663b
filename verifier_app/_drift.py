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

Cost: a checker's first full check replays every entry (about 1,400 entries/s on a loaded
two-core box, so ~12 minutes of CPU at 1,000,000 entries); later ones replay the new entries
and compare every row. The next one therefore starts no sooner than
``max(full_seconds, FULL_CHECK_SPACING x the last one's duration)`` after the last one
ended, which keeps full checks under 5% of one core on average, however large the log.
Under ``agritrace serve`` only one worker checks (:mod:`verifier_app._drift_share`); the
others adopt the state it publishes.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import threading
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final, Literal

from fastapi.concurrency import run_in_threadpool

from ledger import Ledger
from traceability import Drift, ProjectionCheck, projection_exists
from verifier_app._drift_share import CheckerLock, StateFile, state_from_json, state_to_json
from verifier_app.consumer._lookup import LotView

__all__ = ["FULL_CHECK_SPACING", "DriftMonitor", "DriftState", "drift_state", "vouched"]

_log = logging.getLogger("verifier_app")

#: How many drifting fields a state keeps for the pages (the count is always exact).
MAX_SHOWN = 500

#: A full check waits at least this many times its predecessor's duration after it ended:
#: busy 1 part in 21 at most, under 5% of one core (docs/trust.md, ADR 19).
FULL_CHECK_SPACING: Final = 20


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
        full_duration: how long the last full check took (seconds), or None.
        error: why the last check could not run, or None.
    """

    status: Literal["unchecked", "clean", "drift"] = "unchecked"
    size: int = 0
    drifts: tuple[Drift, ...] = ()
    count: int = 0
    checked_at: datetime | None = None
    full_at: datetime | None = None
    full_duration: float | None = None
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
            "full_duration": self.full_duration,
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
        full_seconds: the shortest interval between full checks (longer on a large log:
            :data:`FULL_CHECK_SPACING`).
        on_change: called (from the checking thread) when the state's status changes, so
            answers cached under the old status are dropped.
        state_file: the server's shared drift state (:mod:`verifier_app._drift_share`):
            only the worker holding its lock checks and writes the file, the others adopt
            what it holds; None: this process checks on its own.
        stopping: set when this worker was told to stop: it then takes the checks over
            from no one (:meth:`~verifier_app._drift_share.CheckerLock.claim`).
    """

    def __init__(
        self,
        ledger: Ledger,
        full_seconds: float,
        on_change: Any = None,
        state_file: Path | None = None,
        stopping: threading.Event | None = None,
    ) -> None:
        self.url = ledger.engine.url.render_as_string(hide_password=False)
        self.origin = ledger.origin
        self._ledger: Ledger | None = None
        self.full_seconds = full_seconds
        self.on_change = on_change
        self.state = DriftState()
        self._check: ProjectionCheck | None = None
        # When the last full check tried here ended and how long it took (a failed one too,
        # so a check that keeps failing is paced like one that succeeds).
        self._last_full: tuple[datetime, float] | None = None
        self._lock = threading.Lock()  # one check at a time: it owns one connection
        self._shared = None if state_file is None else StateFile(state_file)
        self._checker = (
            None
            if state_file is None
            else CheckerLock(state_file.with_name(f"{state_file.name}.lock"), stopping)
        )

    @property
    def checking(self) -> bool:
        """Whether this process runs the checks (always, without a shared state file)."""
        return self._checker is None or self._checker.held

    def close(self) -> None:
        """Release the scratch projection and, for a checking worker, the checker's lock."""
        with self._lock:
            if self._check is not None:
                self._check.close()
                self._check = None
            if self._ledger is not None:
                self._ledger.close()
                self._ledger = None
            if self._checker is not None:
                self._checker.release()

    @property
    def ledger(self) -> Ledger:
        """The monitor's own handle on the app's ledger (opened on first use)."""
        if self._ledger is None:
            self._ledger = Ledger.open(self.url, self.origin)
        return self._ledger

    def _last(self) -> tuple[datetime, float] | None:
        """When the last full check ended and how long it took, here or in another worker."""
        if self._last_full is None and self.state.full_at is not None:
            return self.state.full_at, self.state.full_duration or 0.0
        return self._last_full

    def full_wait(self) -> float:
        """Seconds from the end of the last full check to the soonest start of the next."""
        last = self._last()
        return max(self.full_seconds, FULL_CHECK_SPACING * (0.0 if last is None else last[1]))

    def full_due(self) -> bool:
        """Whether a full check may start now: none has run yet, or it has waited its turn."""
        last = self._last()
        return last is None or datetime.now(UTC) >= last[0] + timedelta(seconds=self.full_wait())

    def check(self, *, full: bool | None = None) -> DriftState:
        """Run one check now (blocking) and return the new state.

        Args:
            full: force a full (True) or incremental (False) check; default: full when
                due, when drift stands, or on the first run; else incremental. (The
                background loop, :meth:`run`, asks for a full one only when due.)
        """
        with self._lock:
            if not projection_exists(self.ledger):
                return self.state
            covered = self.state.size  # what the scratch copy holds already
            if self._check is None:
                self._check = ProjectionCheck(self.ledger)
                full = True  # the first run of a scratch projection replays everything
                covered = 0
            if full is None:
                full = self.full_due() or self.state.status != "clean"
            began = time.monotonic()
            try:
                report = self._check.run(full=full)
            except Exception as e:  # a check that cannot run must be seen, not kill the task
                _log.exception("projection check failed")
                if full:
                    self._last_full = (datetime.now(UTC), time.monotonic() - began)
                self._check.close()
                self._check = None
                self._set(replace(self.state, error=f"{type(e).__name__}: {e}"))
                return self.state
            took = time.monotonic() - began
            now = datetime.now(UTC)
            if report.scope == "full":
                self._last_full = (now, took)
                drifts = report.drifts
            else:
                # An incremental check adds what it found; only a full one clears drift.
                drifts = tuple(dict.fromkeys(self.state.drifts + report.drifts))
            status: Literal["clean", "drift"] = "drift" if drifts else "clean"
            full_check = report.scope == "full"
            self._set(
                DriftState(
                    status=status,
                    size=report.size,
                    drifts=drifts[:MAX_SHOWN],
                    count=len(drifts),
                    checked_at=now,
                    full_at=now if full_check else self.state.full_at,
                    full_duration=took if full_check else self.state.full_duration,
                )
            )
            if full_check:
                # The first full check of a scratch copy replays every entry; later ones
                # replay the new entries and compare every row.
                _log.info(
                    "full projection check: %d entries (%d replayed now) in %.1f s "
                    "(%.0f entries/s), %s; the next starts %.0f s from now at the soonest",
                    report.size,
                    report.size - covered,
                    took,
                    report.size / took if took > 0 else 0.0,
                    status,
                    self.full_wait(),
                )
            for drift in report.drifts[:20]:
                _log.error("projection drift: %s", drift.describe())
            return self.state

    def follow(self) -> None:
        """Adopt the state the checking worker last published, if it changed since."""
        if self._shared is None:
            return
        data = self._shared.read_if_changed()
        if data is None:
            return
        try:
            state = DriftState(**state_from_json(data))
        except (KeyError, TypeError, ValueError) as e:
            _log.warning("drift state file %s: %s", self._shared.path, e)
            return
        with self._lock:
            self._set(state)

    def _set(self, state: DriftState) -> None:
        changed = state.status != self.state.status
        self.state = state
        if self._shared is not None and self.checking:
            try:
                self._shared.write(state_to_json(state))
            except OSError as e:  # the other workers keep their last state; this one is right
                _log.error("could not publish the drift state to %s: %s", self._shared.path, e)
        if changed and self.on_change is not None:
            self.on_change()

    def _lead(self) -> bool:
        """Whether this worker checks now: it holds the checker's lock or just took it over.

        False once it has been told to stop: no check starts here any more.
        """
        if self._checker is None:
            return True
        took_over = not self._checker.held
        if not self._checker.claim():
            return False
        if not took_over:
            return True
        self.follow()  # start from what the last checker published
        _log.info("drift checks run in this worker (pid %d)", os.getpid())
        return True

    def _size(self) -> int:
        with self._lock:
            return self.ledger.size()

    async def run(self, poll_seconds: float) -> None:
        """Check at start, after every growth of the log and when a full check is due.

        A worker that does not hold the checker's lock only adopts the published state,
        and tries the lock again each poll (the checker may have died).
        """
        seen = -1
        while True:
            if await run_in_threadpool(self._lead):
                size = await run_in_threadpool(self._size)
                full = self.full_due()
                # Without its scratch copy (after a failure, or just taken over) any check
                # is a full one: wait for the full one's turn.
                if full or (size != seen and self._check is not None):
                    await run_in_threadpool(functools.partial(self.check, full=full))
                    seen = size
            else:
                await run_in_threadpool(self.follow)
            await asyncio.sleep(poll_seconds)
