"""A long catch-up verifies signatures on worker processes, with every check the threads make."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import pytest

import ledger._mirror as mirror_module
import ledger._verify as verify_module
from ledger import MirrorError, MirrorNetworkError
from ledger._verify import SignatureCheck
from ledger._verify_processes import first_bad_on_processes
from tests.ledger.conftest import LogWorld
from tests.ledger.test_mirror import (
    Flaky,
    _sync_until_done,
    grow,
    open_mirror,
    same_log,
    served,
    source,
    source_fetch,
)

__all__ = ["source"]  # the fixture, shared with test_mirror.py


@pytest.fixture
def on_processes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Batches of 256 (the process threshold). Returns the sizes of batches sent to workers."""
    monkeypatch.setattr(mirror_module, "BATCH", verify_module.PROCESS_THRESHOLD)
    sent: list[int] = []

    def spy(checks: Sequence[SignatureCheck]) -> Callable[[], int | None]:
        sent.append(len(checks))
        return first_bad_on_processes(checks)

    monkeypatch.setattr(verify_module, "first_bad_on_processes", spy)
    return sent


def test_catch_up_on_worker_processes_equals_the_source(
    source: LogWorld, tmp_path: Path, on_processes: list[int]
) -> None:
    grow(source, 1100)
    mirror = open_mirror(source, tmp_path, source_fetch(source.ledger))
    assert mirror.sync().after == source.ledger.size()
    same_log(mirror, source.ledger)
    # Every full batch's signatures went to the workers; the last 78 to threads.
    assert on_processes == [256] * (source.ledger.size() // 256)


def test_bad_signature_found_by_a_worker_stops_before_its_batch(
    source: LogWorld, tmp_path: Path, on_processes: list[int]
) -> None:
    grow(source, 1100)
    forged = _forged_at(source, 700)
    mirror = open_mirror(source, tmp_path, served(forged, source.log_signer))
    with pytest.raises(MirrorError, match="entry 700: the signature does not verify"):
        mirror.sync()
    # Batches of 256: the two before the forged entry's batch verified and were kept.
    assert mirror.store.head().size == 512
    assert on_processes


def _forged_at(source: LogWorld, seq: int) -> list[bytes]:
    """The log's leaves with entry ``seq``'s signature zeroed, the chain after it relinked."""
    records = list(source.ledger.entries())
    records[seq] = replace(records[seq], signed=replace(records[seq].signed, signature=bytes(64)))
    for i in range(seq + 1, len(records)):
        records[i] = replace(records[i], prev=records[i - 1].leaf_hash())
    return [r.leaf() for r in records]


def test_cut_catch_up_on_worker_processes_resumes(
    source: LogWorld, tmp_path: Path, on_processes: list[int]
) -> None:
    grow(source, 1100)
    flaky = Flaky(source_fetch(source.ledger), every=4)
    mirror = open_mirror(source, tmp_path, flaky)
    _sync_until_done(mirror)
    assert flaky.failures >= 3
    same_log(mirror, source.ledger)
    with pytest.raises(MirrorNetworkError):
        open_mirror(source, tmp_path, Flaky(source_fetch(source.ledger), every=1)).sync()
