"""Audits run in the background: one at a time, their progress readable while they run.

Jobs live in this process's memory, and with a shared folder (``serve`` names
``run/audits-<port>``) also in a file each, so a poll that lands on another of the server's
workers is answered too (:mod:`verifier_app.regulator._audit_share`).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from ledger import Ledger, LedgerError
from verifier_app.regulator._audit_share import AuditJob, AuditShelf

__all__ = ["AuditJob", "AuditJobs"]

_log = logging.getLogger("verifier_app.audits")


class AuditJobs:
    """Runs audits of one ledger on a single background thread and keeps their state.

    Args:
        ledger: the log to audit.
        keep: how many of its jobs this process remembers (the oldest are forgotten).
        shared: a folder the server's workers share jobs through; None: this process only.
    """

    def __init__(self, ledger: Ledger, keep: int = 100, shared: Path | None = None) -> None:
        self.ledger = ledger
        self.keep = keep
        self._shelf = None if shared is None else AuditShelf(shared)
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
        forgotten = []
        with self._lock:
            self._jobs[job.id] = job
            while len(self._jobs) > self.keep:
                forgotten.append(self._jobs.popitem(last=False)[0])
        if self._shelf is not None:
            self._shelf.put(job)
            for old in forgotten:
                self._shelf.drop(old)
        self._executor.submit(self._run, job.id, held_checkpoint, trusted_root_key)
        return job

    def get(self, job_id: str) -> AuditJob | None:
        """Return the job's current state, or None if unknown (or long forgotten).

        A job another worker of the server runs is read from the shared folder.
        """
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None and self._shelf is not None:
            return self._shelf.get(job_id)
        return job

    def close(self) -> None:
        """Stop taking jobs and wait for the running one."""
        self._executor.shutdown(wait=True, cancel_futures=True)

    def _update(self, job_id: str, **changes: object) -> None:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return
            job = self._jobs[job_id] = replace(job, **changes)  # type: ignore[arg-type]
        if self._shelf is not None:
            self._shelf.put(job)

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
