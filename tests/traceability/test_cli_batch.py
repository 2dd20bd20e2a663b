"""A file's events are checked together and appended together, or not at all (record_batch)."""

from __future__ import annotations

from typing import Any

import pytest

from ledger import Statement
from tests.traceability.conftest import Coop, at, ev, ref
from traceability import (
    BatchError,
    Hold,
    Recall,
    Recorder,
    ResidueTest,
    Role,
    RoleError,
    SubstanceResult,
)


def residue(lot: str, sample: str, minutes: float = 120) -> ResidueTest:
    results = [
        ev(SubstanceResult, substance=s, value="<LOQ", loq="0.01")
        for s in ("chlorpyrifos", "carbendazim", "imidacloprid")
    ]
    return ev(ResidueTest, lot=ref(lot), sample_id=sample, lab="Lab", method="M",
              results=results, time=at(minutes))  # fmt: skip


def test_batch_is_appended_at_consecutive_positions(coop: Coop) -> None:
    coop.harvest("H1")
    coop.harvest("H2", plot="YK-P2")
    size = coop.ledger.size()
    receipts = coop.recorder.record_batch(
        [(e, coop.keys[Role.LAB]) for e in [residue("H1", "S1"), residue("H2", "S2")]]
    )
    assert [r.seq for r in receipts] == [size, size + 1]
    assert len(coop.projection.results(*ref("H2").values())) == 3


def test_later_event_sees_the_earlier_ones(coop: Coop) -> None:
    coop.harvest("H1")
    hold = ev(Hold, lot=ref("H1"), reason="check", time=at(10))
    recall = ev(Recall, lot=ref("H1"), reason="x", time=at(11))
    coop.recorder.record_batch([(e, coop.keys[Role.COOPERATIVE]) for e in [hold, recall]])
    assert coop.projection.lot(*ref("H1").values()).status == "recalled"


def test_refused_event_appends_none_and_is_named(coop: Coop) -> None:
    coop.harvest("H1")
    size = coop.ledger.size()
    events = [residue("H1", "S1"), residue("NOPE", "S2")]
    with pytest.raises(BatchError) as caught:
        coop.recorder.record_batch([(e, coop.keys[Role.LAB]) for e in events])
    assert caught.value.index == 1
    assert str(caught.value.error).startswith("lot: expected a lot recorded")
    assert coop.ledger.size() == size


def test_wrong_role_for_any_event_appends_none(coop: Coop) -> None:
    coop.harvest("H1")
    size = coop.ledger.size()
    with pytest.raises(BatchError) as caught:
        coop.recorder.record_batch(
            [(e, coop.keys[Role.PACKING_STATION]) for e in [residue("H1", "S1")]]
        )
    assert isinstance(caught.value.error, RoleError)
    assert coop.ledger.size() == size


def test_writer_appending_before_the_lock_is_checked_against(
    coop: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    coop.harvest("H1")
    other = Recorder(coop.world.reopen())
    original = coop.ledger.prepare_signing
    calls: list[int] = []

    def overtaken(statements: list[Statement], keys: Any) -> Any:
        if not calls:
            # After this batch was signed, before its lock, another process recalls the lot.
            recall = ev(Recall, lot=ref("H1"), reason="overtaken", time=at(5))
            other.record(recall, coop.keys[Role.COOPERATIVE])
        calls.append(len(statements))
        return original(statements, keys)

    monkeypatch.setattr(coop.ledger, "prepare_signing", overtaken)
    size = coop.ledger.size()
    with pytest.raises(BatchError, match="test-not-after-recall"):
        coop.recorder.record_batch([(e, coop.keys[Role.LAB]) for e in [residue("H1", "S1")]])
    assert calls == [1]  # checked once, under the lock, against the recall
    assert coop.ledger.size() == size + 1  # only the other writer's recall
