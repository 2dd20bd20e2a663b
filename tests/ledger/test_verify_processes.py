"""Signatures verified on the ledger's own worker processes (ledger/_verify_processes.py).

The verdict is the same as in line, whatever worker finds the bad signature; a worker that
dies fails the job (nothing counts as verified) and the next job starts new ones; a user's
script without a main guard runs once (multiprocessing's workers would run it again); a
forked child gets workers of its own; the workers exit with their parent.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger import LedgerError
from ledger._verify import PROCESS_THRESHOLD, SignatureCheck, first_bad_signature_later
from ledger._verify_processes import first_bad_on_processes, worker_pids

ROOT = Path(__file__).resolve().parents[2]


def _checks(count: int) -> list[SignatureCheck]:
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes_raw()
    messages = [b"statement %d " % i * (1 + i % 7) for i in range(count)]
    return [(public, key.sign(m), m) for m in messages]


def _forged(checks: list[SignatureCheck], *at: int) -> list[SignatureCheck]:
    forged = list(checks)
    for i in at:
        public, signature, message = forged[i]
        forged[i] = (public, signature, message + b"!")
    return forged


def test_the_first_bad_signature_is_found_whichever_worker_checks_it() -> None:
    checks = _checks(PROCESS_THRESHOLD * 2 + 3)
    assert first_bad_on_processes(checks)() is None
    for at in [(0,), (len(checks) - 1,), (300, 20), (len(checks) // 2,)]:
        assert first_bad_on_processes(_forged(checks, *at))() == min(at)
    assert worker_pids()  # the pool is up and kept


def test_jobs_in_flight_are_answered_in_any_order_of_waiting() -> None:
    good, bad = _checks(300), _forged(_checks(300), 7)
    first, second = first_bad_on_processes(bad), first_bad_on_processes(good)
    assert second() is None
    assert first() == 7


def test_a_batch_goes_to_the_processes_from_the_threshold_on() -> None:
    checks = _forged(_checks(PROCESS_THRESHOLD), 100)
    before = set(worker_pids())
    assert first_bad_signature_later(checks)() == 100
    assert worker_pids()
    assert not before or set(worker_pids()) == before  # the pool is kept, not restarted


def test_a_signature_of_the_wrong_size_is_still_refused() -> None:
    checks = _checks(PROCESS_THRESHOLD)
    public, signature, message = checks[40]
    checks[40] = (public, signature[:63], message)  # cannot be framed: verified in line
    assert first_bad_signature_later(checks)() == 40


def test_a_killed_worker_fails_the_job_and_the_next_job_starts_new_workers() -> None:
    checks = _checks(PROCESS_THRESHOLD * 8)
    first_bad_on_processes(checks[:2])()  # the pool is up
    victim = worker_pids()[0]
    os.kill(victim, signal.SIGKILL)
    os.waitpid(victim, 0)
    with pytest.raises(LedgerError, match="signature worker process stopped"):
        first_bad_on_processes(checks)()
    assert first_bad_on_processes(_forged(checks, 5))() == 5
    assert victim not in worker_pids()


def _run(script: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "user_script.py"
    path.write_text(textwrap.dedent(script), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, str(path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_script_without_a_main_guard_runs_once(tmp_path: Path) -> None:
    # multiprocessing's workers (spawn, forkserver) run such a script again in each worker:
    # with its append at the top, the events would be recorded again, or the pool breaks.
    done = _run(
        """
        from pathlib import Path
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        from ledger._verify import first_bad_signature

        with open("ran.txt", "a") as f:
            f.write("ran\\n")
        key = Ed25519PrivateKey.generate()
        public = key.public_key().public_bytes_raw()
        checks = [(public, key.sign(b"%d" % i), b"%d" % i) for i in range(600)]
        checks[450] = (public, checks[450][1], b"forged")
        print(first_bad_signature(checks))
        """,
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "450"
    assert (tmp_path / "ran.txt").read_text() == "ran\n"


def test_the_workers_exit_with_their_parent(tmp_path: Path) -> None:
    done = _run(
        """
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        from ledger._verify_processes import first_bad_on_processes, worker_pids

        key = Ed25519PrivateKey.generate()
        public = key.public_key().public_bytes_raw()
        assert first_bad_on_processes([(public, key.sign(b"x"), b"x")] * 300)() is None
        print(" ".join(map(str, worker_pids())))
        """,
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    pids = [int(p) for p in done.stdout.split()]
    assert pids
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{p}").exists() for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [p for p in pids if Path(f"/proc/{p}").exists()]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork: POSIX only")
def test_a_forked_child_starts_workers_of_its_own() -> None:
    checks = _forged(_checks(PROCESS_THRESHOLD), 9)
    assert first_bad_on_processes(checks)() == 9
    parents = set(worker_pids())
    child = os.fork()
    if child == 0:  # pragma: no cover (the child's exit code is the assertion)
        ok = not worker_pids() and first_bad_on_processes(checks)() == 9
        ok = ok and not parents & set(worker_pids())
        os._exit(0 if ok else 1)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert set(worker_pids()) == parents
    assert first_bad_on_processes(checks)() == 9  # the parent's workers still answer
