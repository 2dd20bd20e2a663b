"""Audit jobs every worker of a server can answer for: one JSON file per job in a folder.

``agritrace serve --workers N`` runs N processes, and a regulator's poll of an audit lands
on any of them. The worker running an audit writes the job's state to
``<folder>/<job id>.json`` at each step (queued, each chunk's progress, the verdict), to a
temporary file renamed over the old one, so a reader sees one state or the next, never half
of one. A worker asked about a job it does not hold reads that file. A job left ``queued`` or
``running`` by a worker that is gone (its process id no longer runs) reads as failed, so a
regulator's page does not wait for ever.

Job ids are 32 random hex digits: anything else is refused before a path is built from it.
The folder (0700) and its files (0600) are the server account's: whoever can write them can
also write the database and the keys, so a verdict read from them is as trustworthy as the
server itself, as one kept in its memory was. An auditor who trusts no server runs
``agritrace audit`` or ``agritrace verify`` from its own copy (docs/trust.md).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import tempfile
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from ledger import AuditFailure, AuditReport, Drift

__all__ = ["AuditJob", "AuditShelf", "job_from_json", "job_to_json"]

_log = logging.getLogger("verifier_app.audits")
_JOB_ID = re.compile(r"[0-9a-f]{32}")
#: What a reader says of a job whose worker stopped before the verdict.
GONE = "the worker running this audit stopped before it finished; start it again"

Status = Literal["queued", "running", "done", "failed"]


@dataclass(frozen=True)
class AuditJob:
    """A snapshot of one audit's state.

    Attributes:
        id: The job's id (random, unguessable).
        requested_by: The actor who started it.
        status: ``queued``, ``running``, ``done`` (a verdict exists) or ``failed`` (the
            audit itself could not run; ``error`` says why).
        checked: Entries checked so far.
        total: Entries in the log when the audit started (0 until it starts).
        report: The audit's report once done.
        error: Why the audit could not run, when it failed.
    """

    id: str
    requested_by: str
    status: Status = "queued"
    checked: int = 0
    total: int = 0
    report: AuditReport | None = None
    error: str | None = None


def _value_to_json(value: Any) -> Any:
    """A drift's stored or replayed value as JSON (bytes and times tagged)."""
    if isinstance(value, bytes | memoryview):
        return {"bytes": bytes(value).hex()}
    if isinstance(value, datetime):
        return {"time": value.isoformat()}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return {"repr": repr(value)}


def _value_from_json(value: Any) -> Any:
    if isinstance(value, dict):
        if "bytes" in value:
            return bytes.fromhex(value["bytes"])
        if "time" in value:
            return datetime.fromisoformat(value["time"])
        return str(value["repr"])  # shown only: what the log gave, as text
    return value


def _report_to_json(report: AuditReport) -> dict[str, Any]:
    failure = report.failure
    return {
        "origin": report.origin,
        "entries": report.entries,
        "checkpoints": report.checkpoints,
        "root": report.root.hex(),
        "seconds": report.seconds,
        "failure": None if failure is None else {"seq": failure.seq, "reason": failure.reason},
        "cpu_seconds": report.cpu_seconds,
        "drift": [
            {
                "table": d.table,
                "row": d.row,
                "column": d.column,
                "stored": _value_to_json(d.stored),
                "from_log": _value_to_json(d.from_log),
                "seq": d.seq,
            }
            for d in report.drift
        ],
        "anchors": list(report.anchors),
    }


def _report_from_json(data: dict[str, Any]) -> AuditReport:
    failure = data["failure"]
    return AuditReport(
        origin=str(data["origin"]),
        entries=int(data["entries"]),
        checkpoints=int(data["checkpoints"]),
        root=bytes.fromhex(data["root"]),
        seconds=float(data["seconds"]),
        failure=None if failure is None else AuditFailure(failure["seq"], str(failure["reason"])),
        cpu_seconds=float(data["cpu_seconds"]),
        drift=tuple(
            Drift(
                d["table"],
                d["row"],
                d["column"],
                _value_from_json(d["stored"]),
                _value_from_json(d["from_log"]),
                d["seq"],
            )
            for d in data["drift"]
        ),
        anchors=tuple(str(a) for a in data["anchors"]),
    )


def job_to_json(job: AuditJob, pid: int) -> dict[str, Any]:
    """An :class:`AuditJob` as its file's JSON object.

    Args:
        job: the job's snapshot.
        pid: the process running it (a reader checks it still runs).
    """
    return {
        "id": job.id,
        "requested_by": job.requested_by,
        "status": job.status,
        "checked": job.checked,
        "total": job.total,
        "report": None if job.report is None else _report_to_json(job.report),
        "error": job.error,
        "pid": pid,
    }


def job_from_json(data: dict[str, Any]) -> AuditJob:
    """The job a file holds.

    Raises:
        KeyError, TypeError, ValueError: the object is not a job's state.
    """
    report = data["report"]
    status = data["status"]
    if status not in ("queued", "running", "done", "failed"):
        raise ValueError(f"status: expected queued, running, done or failed, got {status!r}")
    return AuditJob(
        id=str(data["id"]),
        requested_by=str(data["requested_by"]),
        status=status,
        checked=int(data["checked"]),
        total=int(data["total"]),
        report=None if report is None else _report_from_json(report),
        error=data["error"],
    )


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it runs
        return True
    return True


class AuditShelf:
    """The folder of job files (created 0700 when missing).

    Args:
        folder: where the jobs' files go (``serve``: ``run/audits-<port>``).
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)

    def _path(self, job_id: str) -> Path | None:
        return self.folder / f"{job_id}.json" if _JOB_ID.fullmatch(job_id) else None

    def put(self, job: AuditJob) -> None:
        """Write ``job``'s state (a failure to write is logged: the running worker has it)."""
        path = self._path(job.id)
        if path is None:
            raise ValueError(f"job id: expected 32 hex digits, got {job.id!r}")
        data = json.dumps(job_to_json(job, os.getpid()))
        try:
            fd, temporary = tempfile.mkstemp(dir=self.folder, prefix=".job-", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(data)
            os.replace(temporary, path)
        except OSError as e:
            _log.error("could not share audit %s's state in %s: %s", job.id, self.folder, e)

    def get(self, job_id: str) -> AuditJob | None:
        """The job another worker shared, or None (unknown id, or an unreadable file)."""
        path = self._path(job_id)
        if path is None:
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            job = job_from_json(data)
            pid = int(data["pid"])
        except FileNotFoundError:
            return None
        except (OSError, KeyError, TypeError, ValueError) as e:
            _log.warning("audit file %s: %s", path, e)
            return None
        if job.status in ("queued", "running") and not _running(pid):
            return replace(job, status="failed", error=GONE)
        return job

    def clear(self) -> None:
        """Forget every job (``serve`` at start: an earlier run's workers are gone)."""
        for path in self.folder.glob("*.json"):
            if _JOB_ID.fullmatch(path.stem):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()

    def drop(self, job_id: str) -> None:
        """Forget a job's file (the worker that ran it keeps its last ``keep`` jobs)."""
        path = self._path(job_id)
        if path is not None:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
