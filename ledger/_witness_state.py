"""A witness's memory: the latest checkpoint it cosigned per log, and evidence it refused.

c2sp.org/tlog-witness requires that checking the old size against the latest cosigned
checkpoint and persisting the new one "be performed atomically", or two concurrent requests
could roll the witness back. :meth:`WitnessStateFile.update` holds an exclusive lock (a
thread lock and an ``flock`` on a lock file, so several app workers share one state) from
the read to the durable write (temporary file, ``fsync``, rename).
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ledger._errors import StoreError

__all__ = ["WitnessRecord", "WitnessStateFile"]

#: Refused-but-signed submissions kept per log (possible proof of a fork); oldest dropped.
MAX_EVIDENCE = 100


@dataclass
class WitnessRecord:
    """The mutable state of one log at the witness, inside :meth:`WitnessStateFile.update`.

    Attributes:
        checkpoint: The latest cosigned checkpoint note (its text and log signature), or
            None if this witness never cosigned one for the log.
        evidence: Validly signed submissions the witness refused, as
            ``{"reason", "request"}`` objects, newest last.
    """

    checkpoint: str | None = None
    evidence: list[dict[str, str]] = field(default_factory=list)

    def add_evidence(self, reason: str, request: bytes) -> None:
        """Keep a refused request whose checkpoint the log did sign."""
        self.evidence.append({"reason": reason, "request": request.decode("utf-8", "replace")})
        del self.evidence[:-MAX_EVIDENCE]


class WitnessStateFile:
    """The witness state of every log it follows, in one JSON file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def get(self, origin: str) -> WitnessRecord:
        """Return a snapshot of the state of the log ``origin`` (read without the lock)."""
        return self._record(self._load(), origin)

    @contextmanager
    def update(self, origin: str) -> Iterator[WitnessRecord]:
        """Hold the lock, yield the log's record, and persist it durably on a clean exit.

        Changes made before an exception are persisted too, so that evidence recorded
        just before a refusal is kept.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, open(self.path.with_name(self.path.name + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                state = self._load()
                record = self._record(state, origin)
                try:
                    yield record
                finally:
                    state[origin] = {
                        "checkpoint": record.checkpoint,
                        "evidence": record.evidence,
                    }
                    self._save(state)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _load(self) -> dict[str, Any]:
        if not self.path.exists():
            return {}
        try:
            state = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise StoreError(f"witness state {self.path}: cannot read it: {e}") from e
        if not isinstance(state, dict):
            raise StoreError(f"witness state {self.path}: expected a JSON object")
        return state

    def _record(self, state: dict[str, Any], origin: str) -> WitnessRecord:
        entry = state.get(origin) or {}
        checkpoint = entry.get("checkpoint")
        evidence = entry.get("evidence", [])
        if checkpoint is not None and not isinstance(checkpoint, str):
            raise StoreError(f"witness state {self.path}: {origin!r}: checkpoint is not text")
        return WitnessRecord(checkpoint, list(evidence))

    def _save(self, state: dict[str, Any]) -> None:
        data = json.dumps(state, ensure_ascii=False, indent=1, sort_keys=True).encode()
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".witness-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())  # tlog-witness: persist before responding
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
