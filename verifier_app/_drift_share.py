"""One drift checker per server: a lock elects it, a JSON file tells the other workers.

``agritrace serve --workers N`` runs N processes on one database. A full projection check
replays the whole log (about 12 minutes of CPU at 1,000,000 entries), so it must run once
per server, not once per worker. The workers share two files in the server's run folder
(``AGRITRACE_DRIFT_STATE_FILE``, by default ``run/drift-<port>.json`` next to the key
folder):

- ``<file>.lock``: the worker holding an exclusive ``flock`` on it is the checker. The
  kernel releases the lock when that process dies, so another worker takes it over at its
  next poll. ``flock`` (not ``fcntl``'s record locks) belongs to the open file, so two apps
  in one process (the tests) are two contenders as well. A worker that has been told to
  stop takes nothing over (:mod:`verifier_app._stopping`): on a plain stop all of them go.
- ``<file>``: the checker's latest :class:`~verifier_app._drift.DriftState` as JSON, written
  to a temporary file and renamed over it, so a reader sees the old state or the new one,
  never half of one. The others look at its modification time every poll and read it only
  when it changed: a ``stat`` per poll per worker.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import tempfile
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from traceability import Drift

__all__ = ["CheckerLock", "StateFile", "state_from_json", "state_to_json"]

_log = logging.getLogger("verifier_app")


class CheckerLock:
    """The exclusive lock that makes one worker of a server the drift checker.

    Args:
        path: the lock file (created 0600, in a 0700 folder, when missing).
        stopping: set when this process was told to stop (:mod:`verifier_app._stopping`);
            :meth:`claim` then takes no job up.
    """

    def __init__(self, path: Path, stopping: threading.Event | None = None) -> None:
        self.path = path
        self.stopping = stopping
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        """Whether this process holds the lock through this object."""
        return self._fd is not None

    def try_acquire(self) -> bool:
        """Take the lock if nobody holds it (never waits); True when held afterwards."""
        if self._fd is not None:
            return True
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def claim(self) -> bool:
        """Whether this process does the elected job now: it holds the lock, not stopping.

        It takes the lock when it is free. A stopping worker keeps a lock it holds until it
        closes, and takes none: on a plain stop every worker is going, and a job taken up
        only to be dropped is a full replay started for nothing (or two syncs at once, the
        old holder's still finishing).
        """
        if self.stopping is not None and self.stopping.is_set():
            return False
        return self.try_acquire()

    def release(self) -> None:
        """Give the lock up (closing the file releases it)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def state_to_json(state: Any) -> dict[str, Any]:
    """A :class:`~verifier_app._drift.DriftState` as the shared file's JSON object."""
    return {
        "status": state.status,
        "size": state.size,
        "count": state.count,
        "checked_at": _time(state.checked_at),
        "full_at": _time(state.full_at),
        "full_duration": state.full_duration,
        "error": state.error,
        "drifts": [
            {
                "table": d.table,
                "key": d.key,
                "lot": d.lot,
                "field": d.field,
                "stored": d.stored,
                "replayed": d.replayed,
                "entries": list(d.entries),
            }
            for d in state.drifts
        ],
    }


def state_from_json(data: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of a ``DriftState`` read back from :func:`state_to_json`.

    Raises:
        KeyError, TypeError, ValueError: the object is not such a state.
    """
    status = data["status"]
    if status not in {"unchecked", "clean", "drift"}:
        raise ValueError(f"status: expected unchecked, clean or drift, got {status!r}")
    duration = data["full_duration"]
    return {
        "status": status,
        "size": int(data["size"]),
        "count": int(data["count"]),
        "checked_at": _parse_time(data["checked_at"]),
        "full_at": _parse_time(data["full_at"]),
        "full_duration": None if duration is None else float(duration),
        "error": None if data["error"] is None else str(data["error"]),
        "drifts": tuple(
            Drift(
                table=str(d["table"]),
                key=str(d["key"]),
                lot=None if d["lot"] is None else str(d["lot"]),
                field=str(d["field"]),
                stored=str(d["stored"]),
                replayed=str(d["replayed"]),
                entries=tuple(int(s) for s in d["entries"]),
            )
            for d in data["drifts"]
        ),
    }


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _parse_time(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(str(value))


class StateFile:
    """The shared state file: the checker writes it whole, the others read it when it changed.

    Args:
        path: the file (its folder is created 0700 when missing).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen: tuple[int, int, int] | None = None

    def write(self, data: dict[str, Any]) -> None:
        """Replace the file's content with ``data`` at once (temporary file, then rename)."""
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=self.path.name, suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(data, out)
            os.replace(temp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise

    def read_if_changed(self) -> dict[str, Any] | None:
        """The file's object if it changed since the last read here, else None.

        A missing file, or one that is not a JSON object, counts as unchanged (logged once
        per change): the reader keeps the state it has.
        """
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        # The inode changes with every rename, so two writes within one mtime tick differ.
        seen = (st.st_ino, st.st_mtime_ns, st.st_size)
        if seen == self._seen:
            return None
        self._seen = seen
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            _log.warning("drift state file %s unreadable: %s", self.path, e)
            return None
        if not isinstance(data, dict):
            _log.warning("drift state file %s holds no JSON object", self.path)
            return None
        return data
