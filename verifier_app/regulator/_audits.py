"""Audits run in the background: one at a time, their progress readable while they run.

Jobs live in this process's memory. With ``--workers N`` a job's progress is only known to
the worker that started it (a poll that lands on another worker gets 404); deployments
running audits over the API with several workers need sticky sessions or one audit worker.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Literal

from ledger import AuditReport, Ledger, LedgerError

__all__ = ["AuditJob", "AuditJobs"]

_log = logging.getLogger("verifier_app.audits")

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


class AuditJobs:
    """Runs audits of one ledger on a single background thread and keeps their state."""

    def __init__(self, ledger: Ledger, keep: int = 100) -> None:
        self.ledger = ledger
        self.keep = keep
        self._jobs: OrderedDict[str, AuditJob] = OrderedDict()
        self._lock = threading.Lock()
        # One thread: an audit already uses every core for long logs (worker processes).
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="audit")

    def start(
        self,
        requested_by: str,
        held_checkpoint: bytes | None = None,
        trusted_root_key: bytes | None = None,
    ) -> AuditJob:
        """Queue an audit and return its job; poll it with :meth:`get`.

        Args:
            requested_by: The actor asking, kept with the job.
            held_checkpoint: A checkpoint saved earlier that the log must still contain.
            trusted_root_key: The root public key known out of band.
        """
        job = AuditJob(uuid.uuid4().hex, requested_by)
        with self._lock:
            self._jobs[job.id] = job
            while len(self._jobs) > self.keep:
                self._jobs.popitem(last=False)
        self._executor.submit(self._run, job.id, held_checkpoint, trusted_root_key)
        return job

    def get(self, job_id: str) -> AuditJob | None:
        """Return the job's current state, or None if unknown (or long forgotten)."""
        with self._lock:
            return self._jobs.get(job_id)

    def close(self) -> None:
        """Stop taking jobs and wait for the running one."""
        self._executor.shutdown(wait=True, cancel_futures=True)

    def _update(self, job_id: str, **changes: object) -> None:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is not None:
                self._jobs[job_id] = replace(job, **changes)  # type: ignore[arg-type]

    def _run(
        self, job_id: str, held_checkpoint: bytes | None, trusted_root_key: bytes | None
    ) -> None:
        self._update(job_id, status="running", total=self.ledger.size())
        try:
            report = self.ledger.audit(
                held_checkpoint=held_checkpoint,
                trusted_root_key=trusted_root_key,
                progress=lambda done, total: self._update(job_id, checked=done, total=total),
            )
        except LedgerError as e:
            _log.warning("audit %s could not run: %s", job_id, e)
            self._update(job_id, status="failed", error=str(e))
            return
        except Exception:
            _log.exception("audit %s crashed", job_id)
            self._update(job_id, status="failed", error="the audit crashed; see server logs")
            return
        self._update(
            job_id, status="done", checked=report.entries, total=report.entries, report=report
        )
