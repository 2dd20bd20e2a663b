"""``serve`` asks its witnesses: each checkpoint it publishes is submitted to them.

The log's side of C2SP tlog-witness (:func:`ledger.request_cosignature`) runs here in the
background, never in an append: a witness far away over a patchy uplink must not slow or
block recording. Each poll submits the latest checkpoint to every configured witness that
has not cosigned it yet; the cosignature, checked with the witness's key, is stored next to
the checkpoint, so the scan answers built afterwards carry it (the kept answers are dropped
when one arrives). A failure is logged and the witness is tried again after
``retry_seconds``; what happened last is kept per witness for the operator
(:attr:`WitnessSubmitter.status`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from fastapi.concurrency import run_in_threadpool

from ledger import (
    Checkpoint,
    CosignatureVerifier,
    Ledger,
    LedgerError,
    parse_note,
    request_cosignature,
)

__all__ = ["WitnessStatus", "WitnessSubmitter"]

_log = logging.getLogger("verifier_app.witnessing")


@dataclass
class WitnessStatus:
    """What happened with one witness: the size it last cosigned, the last failure.

    Attributes:
        cosigned_size: The largest checkpoint size it cosigned (0: none yet).
        cosigned_at: That cosignature's timestamp (POSIX seconds), or None.
        error: The last failure's message ("" after a success).
        retry_after: When (``time.monotonic``) it may be tried again after a failure.
    """

    cosigned_size: int = 0
    cosigned_at: int | None = None
    error: str = ""
    retry_after: float = 0.0


class WitnessSubmitter:
    """Submits the log's latest checkpoint to each configured witness, in the background.

    Args:
        ledger: The log.
        witnesses: Submission prefix URL -> the witness's cosignature key.
        retry_seconds: How long a witness that failed is left before the next try.
        on_cosigned: Called after a cosignature was stored (the app drops kept answers).
    """

    def __init__(
        self,
        ledger: Ledger,
        witnesses: Mapping[str, CosignatureVerifier],
        retry_seconds: float,
        on_cosigned: Callable[[], None] = lambda: None,
    ) -> None:
        self._ledger = ledger
        self._witnesses = dict(witnesses)
        self._retry = retry_seconds
        self._on_cosigned = on_cosigned
        self.status = {url: WitnessStatus() for url in self._witnesses}

    def submit_due(self) -> int:
        """Submit the latest checkpoint to each witness that lacks it; return how many cosigned.

        Blocking (network); never raises for a witness's failure, which is logged and kept
        in :attr:`status`.
        """
        note = self._ledger.latest_checkpoint()
        if note is None:
            return 0
        size = Checkpoint.parse(parse_note(note.encode()).text).size
        cosigned = 0
        for url, key in self._witnesses.items():
            status = self.status[url]
            if status.cosigned_size < size:
                # Cosigned already, by an earlier run, another worker or the witness's own
                # tool: nothing to ask. At start-up this is what keeps the server from asking
                # a witness it hosts itself before it listens.
                status.cosigned_size = max(status.cosigned_size, self._stored_size(key))
            if status.cosigned_size >= size or time.monotonic() < status.retry_after:
                continue
            try:
                when = request_cosignature(self._ledger, url, key)
            except LedgerError as e:
                status.error = str(e)
                status.retry_after = time.monotonic() + self._retry
                _log.warning(
                    "witness %s (%s) did not cosign size %d; retrying in %.0f s: %s",
                    key.name,
                    url,
                    size,
                    self._retry,
                    e,
                )
                continue
            status.cosigned_size, status.cosigned_at, status.error = size, when, ""
            cosigned += 1
            _log.info("witness %s cosigned size %d", key.name, size)
        if cosigned:
            self._on_cosigned()
        return cosigned

    def _stored_size(self, key: CosignatureVerifier) -> int:
        with self._ledger.store.read() as conn:
            return self._ledger.store.cosigned_size(conn, key.name) or 0

    async def run(self, poll_seconds: float) -> None:
        """Submit every ``poll_seconds`` (in a worker thread) until cancelled."""
        while True:
            try:
                await run_in_threadpool(self.submit_due)
            except LedgerError as e:  # the log itself could not be read: try again later
                _log.error("could not submit the checkpoint to the witnesses: %s", e)
            await asyncio.sleep(poll_seconds)
