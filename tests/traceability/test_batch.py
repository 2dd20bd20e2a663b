"""Batch recording: all-or-nothing, the refused index named, same projection as one by one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from ledger import SignedStatement, Statement, format_time, key_id_for, sign_statement
from tests.traceability.conftest import Coop, at, ev, ref
from traceability import (
    BatchError,
    GradedLot,
    Grading,
    Harvest,
    LifecycleError,
    Recorder,
    Release,
    ResidueTest,
    Role,
    Shipping,
    SubstanceResult,
)
from traceability import _schema as t
from traceability._model import Model


def season(coop: Coop) -> list[tuple[Model, Ed25519PrivateKey]]:
    """Harvest, grade, test, release and ship: each event depends on the ones before it."""
    k = coop.keys
    results = [
        ev(SubstanceResult, substance=s, value="<LOQ", loq="0.01")
        for s in ("chlorpyrifos", "carbendazim", "imidacloprid")
    ]
    return [
        (
            ev(
                Harvest,
                lot=ref("H1"),
                plot="YK-P1",
                variety="Hongyan",
                quantity="100",
                time=at(0),
            ),
            k[Role.PACKING_STATION],
        ),
        (
            ev(
                Grading,
                input=ref("H1"),
                outputs=[
                    ev(GradedLot, lot=ref("G1"), grade="super", quantity="60", sizes_mm=["36"]),
                    ev(GradedLot, lot=ref("G2"), grade="grade_1", quantity="40", sizes_mm=["30"]),
                ],
                site="PS1",
                time=at(90),
            ),
            k[Role.PACKING_STATION],
        ),
        (
            ev(
                ResidueTest,
                lot=ref("G1"),
                sample_id="S-G1",
                lab="Kashgar Agri Testing Lab",
                method="GB 23200.113-2018",
                results=results,
                time=at(120),
            ),
            k[Role.LAB],
        ),
        (ev(Release, lot=ref("G1"), note="tests passed", time=at(150)), k[Role.COOPERATIVE]),
        (
            ev(
                Shipping,
                shipment="SH1",
                lots=[ref("G1")],
                origin="PS1",
                destination="URUMQI-DC",
                time=at(180),
            ),
            k[Role.LOGISTICS],
        ),
    ]


def projection(coop: Coop) -> dict[str, list[tuple[Any, ...]]]:
    with coop.ledger.engine.connect() as conn:
        return {
            table.name: sorted(tuple(r) for r in conn.execute(select(table)))
            for table in t.metadata.sorted_tables
        }


def test_batch_leaves_the_same_projection_as_one_by_one(
    make_coop: Callable[[str], Coop], tmp_path: Path
) -> None:
    one = make_coop(f"sqlite:///{tmp_path / 'one.db'}")
    many = make_coop(f"sqlite:///{tmp_path / 'many.db'}")
    for event, key in season(one):
        one.recorder.record(event, key)
    receipts = many.recorder.record_batch(season(many))
    assert [r.seq for r in receipts] == list(range(receipts[0].seq, receipts[0].seq + 5))
    assert projection(many) == projection(one)
    assert many.recorder.lot(ref("G1")["gtin"], "G1").status == "shipped"


def test_refused_event_names_its_index_and_appends_nothing(coop: Coop) -> None:
    batch = season(coop)
    del batch[3]  # no release: the shipment (now index 3) breaks ship-requires-released
    size = coop.ledger.size()
    with pytest.raises(BatchError, match=r"^event 3: ship-requires-released") as refused:
        coop.recorder.record_batch(batch)
    assert refused.value.index == 3
    assert isinstance(refused.value.error, LifecycleError)
    assert coop.ledger.size() == size
    with pytest.raises(Exception, match="lot"):
        coop.recorder.lot(ref("H1")["gtin"], "H1")  # the harvest at index 0 is not there


def test_wrong_role_in_a_batch_is_refused_by_index(coop: Coop) -> None:
    batch = season(coop)
    batch[2] = (batch[2][0], coop.keys[Role.PACKING_STATION])  # only a lab signs results
    size = coop.ledger.size()
    with pytest.raises(BatchError, match=r"^event 2: trace\.residue must be signed"):
        coop.recorder.record_batch(batch)
    assert coop.ledger.size() == size


def test_batch_checks_again_after_losing_the_append_race(
    coop: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = Recorder(coop.ledger)
    original = coop.ledger.append_batch
    raced: list[bool] = []

    def append_batch(batch: Any, *, expected_size: int | None = None) -> Any:
        if not raced:
            raced.append(True)
            # Another writer appends between this recorder's dry run and its append.
            original([_signed_harvest(coop, other, "OTHER-1")])
        return original(batch, expected_size=expected_size)

    monkeypatch.setattr(coop.ledger, "append_batch", append_batch)
    receipts = coop.recorder.record_batch(season(coop))
    assert raced
    assert len(receipts) == 5
    assert coop.recorder.lot(ref("H1")["gtin"], "OTHER-1").status == "active"
    assert coop.recorder.lot(ref("H1")["gtin"], "G1").status == "shipped"


def _signed_harvest(coop: Coop, recorder: Recorder, lot: str) -> SignedStatement:
    key = coop.keys[Role.PACKING_STATION]
    event = ev(Harvest, lot=ref(lot), plot="YK-P2", variety="Hongyan", quantity="5", time=at(1))
    statement = Statement(
        recorder.ledger.origin,
        event.KIND,
        event.to_body(),
        key_id_for(key.public_key().public_bytes_raw()),
        format_time(datetime.now(UTC)),
    )
    return sign_statement(statement, key)


def test_empty_batch_appends_nothing(coop: Coop) -> None:
    size = coop.ledger.size()
    assert coop.recorder.record_batch([]) == []
    assert coop.ledger.size() == size
