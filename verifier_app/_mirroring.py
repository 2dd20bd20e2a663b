"""A read-only mirror's app: keep in sync with the origin in the background, refuse writes.

With ``AGRITRACE_MIRROR_OF`` the app's database is a :class:`traceability.DomainMirror` of
the origin's log: :class:`MirrorFollower` syncs it every ``mirror_seconds`` (checkpoint,
tiles, entries, signatures, all verified by :class:`ledger.Mirror`) and replays the new
entries into the mirror's projection, so the consumer pages and JSON are built exactly as
the origin builds them. When the origin is unreachable or the transfer is cut, it waits
(doubling up to :data:`MAX_BACKOFF`) and resumes where it stopped; the pages meanwhile
answer from what the mirror holds, with the checkpoint it last verified. A fork stops the
syncing for good (the evidence is in the state folder) and is logged as an error.

One worker of a server syncs: the one holding the lock ``<state>/sync.lock``; the others
serve what it writes. :class:`ReadOnly` answers every write (any method but GET, HEAD and
OPTIONS) with 405 before it reaches a route: a mirror holds no key and signs nothing.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from ledger import ForkError, LedgerError, MirrorNetworkError
from traceability import DomainMirror, TraceError
from verifier_app._drift_share import CheckerLock
from verifier_app._errors import error_body

__all__ = ["MAX_BACKOFF", "MirrorFollower", "MirrorStatus", "ReadOnly"]

_log = logging.getLogger("verifier_app")

#: The longest wait after failures: an origin down for hours is still tried every 5 minutes.
MAX_BACKOFF = 300.0
_READS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class MirrorStatus:
    """What the follower last did: the mirror's size, the last error, a fork if any."""

    size: int = 0
    syncs: int = 0
    error: str = ""
    forked: str = ""
    failures: list[str] = field(default_factory=list)


class MirrorFollower:
    """Syncs a mirror and replays it into its projection, in the background.

    Args:
        mirror: The mirror (its database is the app's).
        lock: The lock that makes this worker the one that syncs.
        seconds: The interval between syncs when all is well.
    """

    def __init__(self, mirror: DomainMirror, lock: CheckerLock, seconds: float) -> None:
        self.mirror, self.lock, self.seconds = mirror, lock, seconds
        self.status = MirrorStatus(size=mirror.ledger.size())
        #: Called when the served checkpoint note changed without the log's size changing
        #: (cosignatures the origin received later): cached answers carry the old note.
        self.on_change: Callable[[], None] = lambda: None
        self._note = mirror.ledger.cosigned_checkpoint()

    def sync_once(self) -> float:
        """Sync once if this worker holds the lock; return the seconds to wait before the next.

        Every worker (the one that syncs and the others) then looks at the latest note, so
        each drops its cached answers when the cosignatures on it changed.
        """
        try:
            return self._sync()
        finally:
            note = self.mirror.ledger.cosigned_checkpoint()
            if note != self._note:
                self._note = note
                self.on_change()

    def _sync(self) -> float:
        if self.status.forked or not self.lock.claim():
            return self.seconds
        try:
            progress = self.mirror.sync()
        except ForkError as e:
            self.status.forked = str(e)
            _log.error("mirror: the origin's log forked; no longer syncing: %s", e)
            return self.seconds
        except MirrorNetworkError as e:
            return self._failed(f"origin unreachable: {e}")
        except (LedgerError, TraceError) as e:
            # Data that does not verify may be a broken cache in front of the origin: the
            # mirror keeps what it verified and tries again later, never storing the bad part.
            return self._failed(f"the origin served data that does not verify: {e}")
        finally:
            self.status.size = self.mirror.ledger.size()
        self.status.syncs += 1
        self.status.error = ""
        self.status.failures.clear()
        if progress.after > progress.before:
            _log.info("mirror: %d entries (+%d)", progress.after, progress.after - progress.before)
        return self.seconds

    def _failed(self, why: str) -> float:
        self.status.error = why
        self.status.failures.append(why)
        del self.status.failures[:-20]
        wait: float = min(self.seconds * 2.0 ** min(len(self.status.failures), 16), MAX_BACKOFF)
        if len(self.status.failures) == 1:  # once per outage, not once per try
            _log.warning("mirror: %s; next try in %.1f s", why, wait)
        return wait

    async def run(self) -> None:
        """Sync now and then until cancelled (the app's lifespan runs it)."""
        while True:
            await asyncio.sleep(await run_in_threadpool(self.sync_once))

    def close(self) -> None:
        """Give the sync lock up (another worker may take it over)."""
        self.lock.release()


class ReadOnly:
    """Refuse every request but GET, HEAD and OPTIONS with 405: this server is a mirror.

    Args:
        app: The app within.
        origin: The tiles URL of the log mirrored, named in the refusal.
    """

    def __init__(self, app: ASGIApp, origin: str) -> None:
        self.app = app
        body = error_body(
            "read_only_mirror",
            f"this server is a read-only mirror of {origin}: it records nothing; "
            "send writes to the cooperative's own server",
        )
        self.body = json.dumps(body).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass reads through; answer anything else with 405 without reading its body."""
        if scope["type"] != "http" or scope["method"] in _READS:
            await self.app(scope, receive, send)
            return
        await send(
            {
                "type": "http.response.start",
                "status": 405,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"allow", b"GET, HEAD, OPTIONS"),
                    (b"content-length", str(len(self.body)).encode()),
                    (b"cache-control", b"no-store"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": self.body})
