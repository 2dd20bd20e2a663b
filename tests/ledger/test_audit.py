"""The audit's verdict, its options and its stitching of chunks."""

from __future__ import annotations

from typing import Any

import pytest

from ledger import AuditReport, audit
from tests.ledger.conftest import Actor, LogWorld, notes


@pytest.fixture
def grown(world: LogWorld) -> LogWorld:
    """A 103-entry log with checkpoints at several sizes (mid-chunk for small chunks)."""
    packer = world.actor("packer")
    for start in (0, 30, 60, 90):
        world.ledger.append_batch(notes(packer, 25 if start < 90 else 1, start=start))
        world.ledger.checkpoint()
    return world


@pytest.mark.parametrize(
    "options",
    [{}, {"chunk_level": 3, "processes": False}, {"chunk_level": 4, "processes": True}],
    ids=["one-chunk", "chunks-of-8", "chunks-of-16-on-workers"],
)
def test_valid_log_gives_the_same_verdict_and_root_however_it_is_split(
    grown: LogWorld, options: dict[str, Any]
) -> None:
    seen: list[tuple[int, int]] = []
    report = audit(
        grown.ledger.store, progress=lambda done, total: seen.append((done, total)), **options
    )
    assert report.verdict == "valid", report.failure
    assert report.entries == grown.ledger.size()
    assert report.root == grown.ledger.root()
    assert report.checkpoints == 6  # genesis, key registration, and the four above
    assert seen[-1] == (report.entries, report.entries)


def test_report_refuses_to_be_used_as_a_boolean(grown: LogWorld) -> None:
    report: AuditReport = audit(grown.ledger.store)
    with pytest.raises(TypeError, match="no truth value"):
        bool(report)


def test_genesis_naming_another_root_key_than_the_trusted_one_fails(grown: LogWorld) -> None:
    assert audit(grown.ledger.store, trusted_root_key=grown.root.public_key).verdict == "valid"
    impostor = Actor("impostor")
    report = audit(grown.ledger.store, trusted_root_key=impostor.public_key)
    assert report.failure is not None
    assert (report.failure.seq, report.failure.reason) == (
        0,
        "no root in the log's chain of roots is the trusted key",
    )


def test_held_checkpoint_from_another_log_is_refused(
    grown: LogWorld, make_log: Any, tmp_path: Any
) -> None:
    other = make_log(f"sqlite:///{tmp_path / 'other.db'}")
    report = audit(grown.ledger.store, held_checkpoint=other.ledger.checkpoint().encode())
    assert report.failure is not None
    assert "does not verify" in report.failure.reason


def test_held_checkpoint_from_the_past_is_consistent(grown: LogWorld) -> None:
    held = grown.ledger.checkpoint().encode()
    grown.ledger.append_batch(notes(grown.actor("late"), 10, start=500))
    assert audit(grown.ledger.store, held_checkpoint=held, chunk_level=3).verdict == "valid"
