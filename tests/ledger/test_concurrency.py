"""Many processes appending at once, and processes killed mid-append, never corrupt the log."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from ledger import Ledger, audit
from tests.ledger.conftest import Actor, LogWorld

REPO = Path(__file__).resolve().parents[2]


def _private_hex(actor: Actor) -> str:
    raw = actor.key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return raw.hex()


def _spawn(url: str, actor: Actor, name: str, count: int, stderr: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.ledger.appender", url, _private_hex(actor), name, str(count)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )


def _acknowledged(output: str) -> dict[int, str]:
    pairs = [line.split() for line in output.splitlines() if line.strip()]
    return {int(seq): digest for seq, digest in pairs}


def _check_present(ledger: Ledger, acknowledged: dict[int, str]) -> None:
    for seq, digest in acknowledged.items():
        statement = ledger.entry(seq).statement
        assert hashlib.sha256(statement.signing_bytes()).hexdigest() == digest, seq


@pytest.mark.slow
def test_eight_processes_appending_500_each_leave_one_contiguous_valid_log(
    world: LogWorld,
) -> None:
    actor = world.actor("packer")
    start = world.ledger.size()
    children = [_spawn(world.url, actor, f"p{n}", 500, subprocess.PIPE) for n in range(8)]
    acknowledged: dict[int, str] = {}
    for child in children:
        out, err = child.communicate(timeout=600)
        assert child.returncode == 0, err
        got = _acknowledged(out)
        assert len(got) == 500
        assert not acknowledged.keys() & got.keys(), "two appends acknowledged the same seq"
        acknowledged.update(got)
    assert world.ledger.size() == start + 4000
    assert sorted(acknowledged) == list(range(start, start + 4000))  # no gap, no duplicate
    _check_present(world.ledger, acknowledged)
    world.ledger.checkpoint()
    report = audit(world.ledger.store)
    assert report.verdict == "valid", report.failure
    assert report.entries == start + 4000


@pytest.mark.slow
def test_killed_appender_loses_nothing_it_acknowledged(
    make_log: Callable[[str], LogWorld], db_url: str
) -> None:
    world = make_log(db_url)
    actor = world.actor("packer")
    rng = random.Random(5)
    acknowledged: dict[int, str] = {}
    for kill in range(6):
        child = _spawn(world.url, actor, f"run{kill}", 0, subprocess.DEVNULL)
        assert child.stdout is not None
        # Wait for its first acknowledgement (a loaded machine may take seconds to start a
        # Python process), then kill it at a random moment, mid-transaction or not.
        first = child.stdout.readline()
        os.set_blocking(child.stdout.fileno(), False)
        time.sleep(rng.uniform(0.05, 0.6))
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        with child.stdout:
            out = first + (child.stdout.read() or "")
        got = _acknowledged(out.rsplit("\n", 1)[0] if not out.endswith("\n") else out)
        assert got, f"run {kill} acknowledged nothing before it was killed"
        acknowledged.update(got)
        with Ledger.open(world.url) as reopened:
            report = audit(reopened.store)
            assert report.verdict == "valid", (kill, report.failure)
            _check_present(reopened, acknowledged)
