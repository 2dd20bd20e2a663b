"""An audit polled on any worker of a server (verifier_app/regulator/_audit_share.py).

Jobs were kept in the memory of the worker that ran them, so with ``serve --workers 2`` a
regulator's poll that landed on the other worker got 404 about half the time.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ledger import AuditFailure, AuditReport, Drift
from tests.verifier_app.conftest import AppWorld
from verifier_app import create_app
from verifier_app.regulator._audit_share import (
    GONE,
    AuditJob,
    AuditShelf,
    job_from_json,
    job_to_json,
)


def _finished(client: TestClient, audit_id: str, headers: dict[str, str]) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while True:
        answer = client.get(f"/api/v1/audits/{audit_id}", headers=headers)
        assert answer.status_code == 200, answer.text
        result: dict[str, Any] = answer.json()
        if result["status"] in ("done", "failed"):
            return result
        assert time.monotonic() < deadline, result
        time.sleep(0.02)


def test_an_audit_started_on_one_worker_is_answered_by_another(
    app_world: AppWorld, tmp_path: Path
) -> None:
    settings = app_world.settings(audit_folder=tmp_path / "run" / "audits-8000")
    headers = app_world.auth("regulator")
    with (
        TestClient(create_app(settings)) as first,
        TestClient(create_app(settings)) as second,
    ):
        started = first.post("/api/v1/audits", headers=headers)
        assert started.status_code in (200, 201, 202), started.text
        audit_id = started.json()["id"]
        there = _finished(second, audit_id, headers)
        here = _finished(first, audit_id, headers)
    assert there == here  # the same verdict, root and counts from either worker
    assert there["verdict"] == "valid"
    assert there["checked"] == there["total"] == app_world.ledger.size()


def test_without_a_shared_folder_another_process_does_not_know_the_job(
    app_world: AppWorld,
) -> None:
    headers = app_world.auth("regulator")
    with (
        TestClient(create_app(app_world.settings())) as first,
        TestClient(create_app(app_world.settings())) as second,
    ):
        audit_id = first.post("/api/v1/audits", headers=headers).json()["id"]
        assert second.get(f"/api/v1/audits/{audit_id}", headers=headers).status_code == 404
        assert _finished(first, audit_id, headers)["verdict"] == "valid"


def test_a_report_round_trips_through_its_file_with_drift_values() -> None:
    report = AuditReport(
        origin="coop.example/log",
        entries=12,
        checkpoints=3,
        root=bytes(range(32)),
        seconds=0.25,
        failure=AuditFailure(7, "entry 7: the signature does not verify"),
        cpu_seconds=0.5,
        drift=(
            Drift("ledger_head", "coop.example/log", "last_hash", b"\x01\x02", b"\x03", 11),
            Drift("ledger_key", "k1", "(row)", None, "registered", 2),
            Drift("ledger_head", "coop.example/log", "size", 11, 12, None),
            Drift("ledger_head", "o", "time", datetime(2026, 6, 1, tzinfo=UTC), None, 3),
        ),
        anchors=("held checkpoint of size 10",),
    )
    job = AuditJob("ab" * 16, "regulator-1", "done", 12, 12, report, None)
    data = json.loads(json.dumps(job_to_json(job, 4242)))
    assert data["pid"] == 4242
    assert job_from_json(data) == job
    assert job_from_json(data).report.verdict == "invalid"  # type: ignore[union-attr]


def test_a_job_whose_worker_is_gone_reads_as_failed(tmp_path: Path) -> None:
    shelf = AuditShelf(tmp_path / "audits")
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    job = AuditJob("cd" * 16, "regulator-1", "running", 4096, 100_000)
    (tmp_path / "audits" / f"{job.id}.json").write_text(
        json.dumps(job_to_json(job, int(ended.stdout)))
    )
    found = shelf.get(job.id)
    assert found is not None
    assert (found.status, found.error, found.checked) == ("failed", GONE, 4096)
    shelf.put(job)  # written by this (running) process: still running
    assert shelf.get(job.id) == job


@pytest.mark.parametrize("job_id", ["../../etc/passwd", "AB" * 16, "ab" * 15, "", "ab" * 16 + "\n"])
def test_an_id_that_is_not_32_hex_digits_never_becomes_a_path(tmp_path: Path, job_id: str) -> None:
    shelf = AuditShelf(tmp_path / "audits")
    assert shelf.get(job_id) is None
    with pytest.raises(ValueError, match="32 hex digits"):
        shelf.put(AuditJob(job_id, "regulator-1"))
    shelf.drop(job_id)  # nothing to drop, nothing outside the folder touched
    assert list((tmp_path / "audits").iterdir()) == []


@pytest.mark.parametrize(
    "content", ["{", "[]", '{"id": "x"}', '{"id": "ef", "requested_by": "r", "status": "won",'
                '"checked": 0, "total": 0, "report": null, "error": null, "pid": 1}']
)  # fmt: skip
def test_a_broken_job_file_is_unknown_not_an_error(
    tmp_path: Path, content: str, caplog: pytest.LogCaptureFixture
) -> None:
    shelf = AuditShelf(tmp_path / "audits")
    (tmp_path / "audits" / f"{'ef' * 16}.json").write_text(content)
    assert shelf.get("ef" * 16) is None
    assert "audit file" in caplog.text


def test_forgotten_jobs_leave_the_folder_too(app_world: AppWorld, tmp_path: Path) -> None:
    folder = tmp_path / "audits"
    with TestClient(create_app(app_world.settings(audit_folder=folder))) as client:
        audits = client.app.state.audits  # type: ignore[attr-defined]
        audits.keep = 2
        jobs = [audits.start("regulator-1") for _ in range(3)]
        audits.close()  # the queue runs out
    assert sorted(p.stem for p in folder.glob("*.json")) == sorted(j.id for j in jobs[1:])
