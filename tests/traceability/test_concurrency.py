"""Several recording processes at once, and a recorder killed mid-batch, never break the
projection: a check is never made against a stale projection, and the tables always equal
what ``reindex`` rebuilds from the ledger."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from ledger import Ledger
from tests.traceability.conftest import Coop
from traceability import Role, reindex
from traceability.projection import _schema as t

REPO = Path(__file__).resolve().parents[2]


def _spawn(url: str, key: Ed25519PrivateKey, name: str, count: int) -> subprocess.Popen[str]:
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    args = [url, raw.hex(), name, str(count)]
    return subprocess.Popen(
        [sys.executable, "-m", "tests.traceability.recorder_child", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _tables(url: str) -> dict[str, list[tuple[Any, ...]]]:
    with Ledger.open(url) as ledger, ledger.engine.connect() as conn:
        return {
            table.name: sorted(tuple(r) for r in conn.execute(select(table)))
            for table in t.metadata.sorted_tables
        }


def _assert_projection_is_the_ledger(url: str) -> None:
    before = _tables(url)
    assert before["trace_anomalies"] == []
    with Ledger.open(url) as ledger:
        assert before["trace_state"] == [(1, ledger.size())]
        assert ledger.audit().verdict == "valid"
        reindex(ledger)
    assert _tables(url) == before


@pytest.mark.slow
def test_processes_racing_for_one_lot_code_have_exactly_one_winner(
    make_coop: Callable[[str], Coop], db_url: str
) -> None:
    coop = make_coop(db_url)  # on PostgreSQL the lock is the head row's FOR UPDATE
    key = coop.keys[Role.PACKING_STATION]
    children = [_spawn(coop.world.url, key, f"p{n}", 15) for n in range(3)]
    winners: dict[int, list[str]] = {}
    for n, child in enumerate(children):
        out, err = child.communicate(timeout=600)
        assert child.returncode == 0, err
        for line in out.splitlines():
            verdict, j, detail = line.split()
            if verdict == "won":
                winners.setdefault(int(j), []).append(f"p{n}")
            else:
                assert detail == "lot-codes-unique", line
    # Each contested lot went to exactly one process; a loser checked against the winner's
    # rows (under the append lock), so nothing was appended for it and nothing is anomalous.
    assert sorted(winners) == list(range(15))
    assert all(len(names) == 1 for names in winners.values()), winners
    lots = {row[2] for row in _tables(coop.world.url)["trace_lots"]}
    assert {f"C{j}" for j in range(15)} <= lots
    _assert_projection_is_the_ledger(coop.world.url)


@pytest.mark.slow
def test_recorder_killed_mid_batch_leaves_projection_and_ledger_agreeing(
    make_coop: Callable[[str], Coop], db_url: str
) -> None:
    coop = make_coop(db_url)
    key = coop.keys[Role.PACKING_STATION]
    rng = random.Random(7)
    for kill in range(3):
        child = _spawn(coop.world.url, key, f"k{kill}", 0)
        assert child.stdout is not None
        first = child.stdout.readline()  # it is recording (however slowly it started)
        assert first.startswith(("won", "lost")), first
        time.sleep(rng.uniform(0.0, 0.5))  # then killed at a random moment, mid-batch or not
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        with child.stdout:
            out = first + child.stdout.read()
        if child.stderr is not None:
            child.stderr.close()
        assert "won" in out or kill > 0, f"run {kill} recorded nothing before it was killed"
        _assert_projection_is_the_ledger(coop.world.url)
