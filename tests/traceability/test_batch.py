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
    Cooling,
    GradedLot,
    Grading,
    Harvest,
    LifecycleError,
    Reading,
    Recorder,
    Release,
    ResidueTest,
    Role,
    Shipping,
    SubstanceResult,
)
from traceability.events._model import Model
from traceability.projection import _schema as t


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
    # Each cooperative has its own keys: the lab's key id is the one column that must differ.
    with coop.ledger.engine.connect() as conn:
        return {
            table.name: sorted(
                tuple(r) for r in conn.execute(select(*(c for c in table.c if c.name != "key_id")))
            )
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
    assert many.projection.lot(ref("G1")["gtin"], "G1").status == "shipped"


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
        coop.projection.lot(ref("H1")["gtin"], "H1")  # the harvest at index 0 is not there


def test_wrong_role_in_a_batch_is_refused_by_index(coop: Coop) -> None:
    batch = season(coop)
    batch[2] = (batch[2][0], coop.keys[Role.PACKING_STATION])  # only a lab signs results
    size = coop.ledger.size()
    with pytest.raises(BatchError, match=r"^event 2: trace\.residue must be signed"):
        coop.recorder.record_batch(batch)
    assert coop.ledger.size() == size


def test_batch_sees_an_entry_appended_between_its_signing_and_its_lock(
    coop: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = Recorder(coop.ledger)
    original = coop.ledger.prepare_signing
    raced: list[int] = []

    def prepare_signing(statements: Any, keys: Any) -> Any:
        prepared = original(statements, keys)
        # Another writer appends after this batch was signed, before its lock: the entry is
        # applied to the projection first and the batch checked on top of it.
        raced.append(coop.ledger.append(_signed_harvest(coop, other, "OTHER-1")).seq)
        return prepared

    monkeypatch.setattr(coop.ledger, "prepare_signing", prepare_signing)
    receipts = coop.recorder.record_batch(season(coop))
    assert len(receipts) == 5
    assert receipts[0].seq == raced[0] + 1
    assert coop.projection.lot(ref("H1")["gtin"], "OTHER-1").status == "active"
    assert coop.projection.lot(ref("H1")["gtin"], "G1").status == "shipped"


def test_projection_and_entries_commit_together(coop: Coop) -> None:
    receipts = coop.recorder.record_batch(season(coop))
    with coop.ledger.engine.connect() as conn:
        applied = conn.execute(select(t.state.c.applied_size)).scalar_one()
        event_seqs = set(conn.execute(select(t.event_lots.c.seq)).scalars())
    assert applied == coop.ledger.size() == receipts[-1].seq + 1
    assert {r.seq for r in receipts} <= event_seqs


def test_exact_duplicate_in_a_batch_is_checked_but_appended_and_applied_once(
    coop: Coop,
) -> None:
    coop.harvest("H1")
    readings = [ev(Reading, time=at(45), celsius="5")]
    cooling = ev(Cooling, lot=ref("H1"), site="PS1", readings=readings, time=at(45))
    key = coop.keys[Role.PACKING_STATION]
    size = coop.ledger.size()
    pair = (cooling, key)
    first, again = coop.recorder.record_batch([pair, pair], at=datetime.now(UTC))
    assert (first.seq, first.duplicate) == (size, False)
    assert (again.seq, again.duplicate) == (size, True)
    assert coop.ledger.size() == size + 1
    with coop.ledger.engine.connect() as conn:
        touched = conn.execute(select(t.event_lots.c.seq).where(t.event_lots.c.seq >= size))
        assert list(touched.scalars()) == [size]


def test_exact_duplicate_that_breaks_a_rule_is_still_refused(coop: Coop) -> None:
    coop.harvest("H1")
    release = ev(Release, lot=ref("H1"), note="no tests yet", time=at(5))
    key = coop.keys[Role.COOPERATIVE]
    size = coop.ledger.size()
    with pytest.raises(BatchError, match=r"^event 0: release-requires-passed-tests"):
        coop.recorder.record_batch([(release, key), (release, key)], at=datetime.now(UTC))
    assert coop.ledger.size() == size


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


def test_each_event_is_checked_and_applied_once(
    coop: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    from traceability.projection import _apply

    calls: list[int] = []
    handlers: dict[type[Any], Any] = _apply._HANDLERS
    kind: type[Any] = Harvest
    original = handlers[kind]

    def counted(conn: Any, seq: int, event: Any) -> None:
        calls.append(seq)
        original(conn, seq, event)

    monkeypatch.setitem(handlers, kind, counted)
    (receipt,) = coop.recorder.record_batch(season(coop)[:1])
    # No dry run rolled back and replayed: the one application is the one committed.
    assert calls == [receipt.seq]


def test_catch_up_of_a_current_projection_takes_no_write_lock(
    coop: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    coop.recorder.record_batch(season(coop)[:1])

    def refuse() -> Any:
        raise AssertionError("a read path took the append lock")

    monkeypatch.setattr(coop.ledger, "append_transaction", refuse)
    assert coop.recorder.catch_up() == 0
