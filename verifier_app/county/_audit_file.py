"""The county pages' last audit of each member, in one JSON file every worker reads.

The county regulator runs an audit of every member (``POST /county/audit``) on whichever
worker the request lands on, then is sent to the audit page, which may be served by
another. Kept in one worker's memory, the verdicts showed on about half the views with
``serve --workers 2``. So they are written to one file (beside the county token file):
read, merged and replaced under an exclusive ``flock`` (two audits finishing together both
land), written to a temporary file and renamed, so a reader sees the old map or the new one.
Readers parse it again only when its modification time or size changed. The file keeps the
last audit across restarts too: the pages say when it ran. The file (0600) is the server
account's, like the databases and keys beside it: its verdicts are as trustworthy as the
server that wrote them.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from traceability import IntakeView, LinkCheck, LotState, LotStatus, MemberAudit

__all__ = ["CountyAudits"]

_log = logging.getLogger("verifier_app.county")

Last = dict[str, tuple[datetime, MemberAudit]]


def _audit_to_json(at: datetime, audit: MemberAudit) -> dict[str, Any]:
    return {"at": at.isoformat(), "audit": asdict(audit)}


def _link_from_json(data: dict[str, Any]) -> LinkCheck:
    state = data["source_state"]
    if state is not None:
        state = LotState(**(state | {"status": LotStatus(state["status"])}))
    return LinkCheck(
        member=data["member"],
        intake=IntakeView(**data["intake"]),
        source_member=data["source_member"],
        verdict=data["verdict"],
        problem=data["problem"],
        detail=data["detail"],
        source_state=state,
    )


def _audit_from_json(data: dict[str, Any]) -> tuple[datetime, MemberAudit]:
    audit = dict(data["audit"])
    audit["drifts"] = tuple(audit["drifts"])
    audit["links"] = tuple(_link_from_json(link) for link in audit["links"])
    return datetime.fromisoformat(data["at"]), MemberAudit(**audit)


class CountyAudits:
    """The last audit of each member, shared by the server's workers through ``path``.

    Args:
        path: the JSON file (created 0600, in a 0700 folder, on the first audit).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._last: Last = {}

    def record(self, at: datetime, audits: Iterable[MemberAudit]) -> None:
        """Keep ``audits`` as their members' last, run at ``at``.

        Raises:
            OSError: the file cannot be written (the request then fails as any other would:
                the server's error page, the error in its log).
        """
        done = {a.member: _audit_to_json(at, a) for a in audits}  # before the lock: slow
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        lock = os.open(f"{self.path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
            data = self._read_raw() or {}
            data |= done
            fd, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".audits-")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as out:
                    json.dump(data, out, ensure_ascii=False)
                os.replace(temporary, self.path)
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(temporary)
                raise
        finally:
            os.close(lock)  # closing releases the flock

    def last(self) -> Last:
        """Member slug -> (when, verdict) of its last audit (parsed again only on change)."""
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            return {}
        stamp = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            if stamp != self._stamp:
                raw = self._read_raw()
                try:
                    self._last = {slug: _audit_from_json(v) for slug, v in (raw or {}).items()}
                except (KeyError, TypeError, ValueError) as e:
                    _log.warning("county audit file %s: %s", self.path, e)
                    self._last = {}
                self._stamp = stamp
            return dict(self._last)

    def _read_raw(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as e:
            _log.warning("county audit file %s: %s", self.path, e)
            return None
        return data if isinstance(data, dict) else None
