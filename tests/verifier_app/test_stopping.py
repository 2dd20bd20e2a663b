"""A worker told to stop takes no one-per-server job over (verifier_app/_stopping.py).

CI saw it: on SIGTERM to ``serve --workers 2`` the checker gave its lock up at the end of its
shutdown while the other worker was still draining, and that one took the drift checks over
on its way out ("drift checks run in this worker" twice in one run).
"""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path
from types import FrameType

from verifier_app._drift_share import CheckerLock
from verifier_app._stopping import StopSignals


def test_a_stop_signal_is_seen_and_handed_on_to_the_handler_before() -> None:
    got: list[int] = []

    def before(sig: int, _: FrameType | None) -> None:
        got.append(sig)

    old = signal.signal(signal.SIGTERM, before)
    stop = StopSignals()
    try:
        stop.install()
        assert not stop.seen.is_set()
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop.seen.is_set()
        assert got == [signal.SIGTERM]  # uvicorn's graceful shutdown still starts
        stop.restore()
        assert signal.getsignal(signal.SIGTERM) is before
    finally:
        signal.signal(signal.SIGTERM, old)


def test_an_ignored_signal_stays_ignored() -> None:
    old = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    stop = StopSignals()
    try:
        stop.install()
        os.kill(os.getpid(), signal.SIGTERM)  # the test process lives on
        assert stop.seen.is_set()
        stop.restore()
        assert signal.getsignal(signal.SIGTERM) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGTERM, old)


def test_off_the_main_thread_nothing_is_installed() -> None:
    stop = StopSignals()
    before = signal.getsignal(signal.SIGTERM)
    thread = threading.Thread(target=stop.install)
    thread.start()
    thread.join()
    assert signal.getsignal(signal.SIGTERM) == before
    stop.restore()  # nothing to restore: no error


def test_a_stopping_worker_takes_no_lock_over_and_keeps_the_one_it_holds(tmp_path: Path) -> None:
    path = tmp_path / "run" / "job.lock"
    stopping = threading.Event()
    holder, other = CheckerLock(path, stopping), CheckerLock(path)
    assert holder.claim()
    stopping.set()
    assert not holder.claim()  # no new work once told to stop ...
    assert holder.held  # ... and the lock stays with it until it closes
    assert not other.claim()
    holder.release()
    late = CheckerLock(path, stopping)
    assert not late.claim()  # free now, but a stopping worker does not take it
    assert not late.held
    assert other.claim()  # a worker that is not stopping does (a dead checker's successor)
