"""The alert webhook: POST each new alert, as JSON, to the URL ``alert_webhook`` names.

Every ``alert_webhook_seconds`` the worker holding the state file's lock reads the alerts
after the last entry it sent (:meth:`traceability.Projection.alerts`) and POSTs them in one
``{"origin", "alerts": [...]}`` body (the items of ``/alerts.json``). Only a 2xx answer moves
the position on, so a receiver that was down gets everything it missed, once it is back,
possibly twice if it took a body but did not answer (alert ids are stable: deduplicate by
``id``). The position is kept in a small JSON file, so a restart neither repeats nor skips;
on its first start the webhook begins at the log's end (it tells of new facts, the feeds
hold the past). Alerts about no entry (labels scanned unusually often) are sent once each.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Final

from fastapi.concurrency import run_in_threadpool

from verifier_app._drift_share import CheckerLock
from verifier_app._feed import MAX_ALERTS, read_alerts
from verifier_app._settings import Settings
from verifier_app._signing import AppRecorder

__all__ = ["AlertWebhook"]

_log = logging.getLogger("verifier_app")
#: Seconds the receiver has to answer a POST.
TIMEOUT: Final = 10.0
_KEPT_IDS = 10_000  # no-entry alert ids remembered as sent


class AlertWebhook:
    """Sends new alerts to one URL; one sender among the workers (a file lock).

    Args:
        holder: The app's recorder holder (its projection answers the alerts).
        settings: ``alert_webhook`` (the URL), ``resolver`` (alert links).
        state: The position file; ``<state>.lock`` elects the sending worker.
        stopping: set when this worker was told to stop: it then sends nothing more and takes
            the sending over from no one (:meth:`~verifier_app._drift_share.CheckerLock.claim`).
    """

    def __init__(
        self,
        holder: AppRecorder,
        settings: Settings,
        state: Path,
        stopping: threading.Event | None = None,
    ) -> None:
        if settings.alert_webhook is None:
            raise ValueError("AlertWebhook needs AGRITRACE_ALERT_WEBHOOK")
        self.url = settings.alert_webhook
        self.holder = holder
        self.settings = settings
        self.state = state
        self._lock = CheckerLock(state.with_name(f"{state.name}.lock"), stopping)

    def _read_state(self) -> dict[str, Any] | None:
        try:
            found: dict[str, Any] = json.loads(self.state.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        return found

    def _write_state(self, since: int, sent: list[str]) -> None:
        temp = self.state.with_name(self.state.name + ".tmp")
        temp.write_text(json.dumps({"since": since, "sent": sent[-_KEPT_IDS:]}), "utf-8")
        os.replace(temp, self.state)

    def post(self, body: bytes) -> None:
        """POST ``body`` (JSON) to the URL; raise ``OSError`` unless it answers 2xx."""
        request = urllib.request.Request(  # noqa: S310 (an http(s) URL, checked by Settings)
            self.url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "User-Agent": "agritrace-alerts"},
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:  # noqa: S310
                status = answer.status
        except urllib.error.HTTPError as e:
            e.close()  # the error holds the connection
            status = e.code
        if not 200 <= status < 300:
            raise OSError(f"{self.url} answered {status}")

    def send_new(self) -> int:
        """Send the alerts since the last send (blocking); return how many were sent.

        Returns 0 without sending when another worker holds the lock, or this one is stopping.
        """
        if not self._lock.claim():
            return 0
        size = self.holder.ledger.size()
        state = self._read_state()
        if state is None:
            # First start: begin at the log's end; the stand-ing no-entry alerts count as sent.
            standing = read_alerts(self.holder, self.settings, size, None, MAX_ALERTS)
            self._write_state(size - 1, [a.id for a in standing if a.entry is None])
            return 0
        since, sent = int(state["since"]), list(state.get("sent", []))
        alerts = read_alerts(self.holder, self.settings, since, None, MAX_ALERTS)
        new = [a for a in alerts if a.entry is not None or a.id not in sent]
        new = [a for a in new if a.entry is None or a.entry < size]
        if new:
            body = {
                "origin": self.holder.ledger.origin,
                "alerts": [a.model_dump() for a in new],
            }
            self.post(json.dumps(body, ensure_ascii=False).encode("utf-8"))
        entries = [a.entry for a in new if a.entry is not None]
        # A full answer may have left older alerts out: move only as far as was sent.
        position = max(entries) if len(alerts) >= MAX_ALERTS and entries else size - 1
        self._write_state(max(since, position), sent + [a.id for a in new if a.entry is None])
        return len(new)

    async def run(self, interval: float) -> None:
        """Send new alerts every ``interval`` seconds until cancelled; failures are logged."""
        while True:
            await asyncio.sleep(interval)
            try:
                await run_in_threadpool(self.send_new)
            except (OSError, urllib.error.URLError, ValueError) as e:
                _log.warning("alert webhook %s: not sent, retried later: %s", self.url, e)

    def close(self) -> None:
        """Let another worker take the sending over."""
        self._lock.release()
