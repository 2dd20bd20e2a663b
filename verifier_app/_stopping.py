"""Whether this server process has been told to stop, so a dying worker takes no work over.

``agritrace serve --workers N`` elects one worker for each one-per-server job (the drift
check, the mirror's sync, the alert webhook) with a file lock, and a worker takes a job over
when the lock comes free: that is how the job survives a worker that died. But on a plain
stop every worker gets SIGTERM at once; the one holding a lock gives it up at the end of its
shutdown while another may still be draining connections, and that one would take the job up
just to drop it, possibly starting a full replay of the log that its shutdown then waits for.

:class:`StopSignals` notices the signal first: it chains a handler in front of the server's
own (uvicorn's, which starts the graceful shutdown), sets :attr:`StopSignals.seen`, and hands
the signal on unchanged. :meth:`verifier_app._drift_share.CheckerLock.claim` reads it.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

__all__ = ["StopSignals"]

#: The signals that stop a server (uvicorn's own list on Unix).
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

_Handler = Callable[[int, FrameType | None], Any] | int | signal.Handlers | None


class StopSignals:
    """Sets :attr:`seen` when this process receives SIGINT or SIGTERM, then passes it on."""

    def __init__(self) -> None:
        #: Set once a stop signal arrived (never cleared: a stopping process stays stopping).
        self.seen = threading.Event()
        self._previous: dict[int, _Handler] = {}

    def install(self) -> None:
        """Put the handlers in front of the current ones (a no-op off the main thread).

        Python runs signal handlers on the main thread only, and only it may install them;
        an app started elsewhere (a test's client) has no process signals of its own.
        """
        if threading.current_thread() is not threading.main_thread() or self._previous:
            return
        for sig in STOP_SIGNALS:
            self._previous[sig] = signal.signal(sig, self._handle)

    def restore(self) -> None:
        """Put the handlers found by :meth:`install` back, where ours is still in place."""
        for sig, previous in self._previous.items():
            if signal.getsignal(sig) == self._handle:
                signal.signal(sig, previous)
        self._previous.clear()

    def _handle(self, sig: int, frame: FrameType | None) -> None:
        self.seen.set()
        previous = self._previous.get(sig)
        if callable(previous):
            previous(sig, frame)
        elif previous in (signal.SIG_DFL, None):
            # The default action (end the process): do it with the default handler back.
            signal.signal(sig, signal.SIG_DFL)
            signal.raise_signal(sig)
        # SIG_IGN: the signal was ignored before; it still is.
