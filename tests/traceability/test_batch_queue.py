"""A batch's queued writes and read-ahead answers (projection/_cache.py, _prefetch.py).

A batch queues its plain writes, folds statuses into its own lots' queued rows, answers
questions about the lots and shipments it created itself and reads ahead which codes are
free. None of that may change what is recorded or refused: the projection a batch leaves is
the one a replay of the log builds, and every uniqueness rule still refuses within one batch,
across batches, and against a row written straight into the database. On SQLite and on
PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import insert, select

from tests.traceability.conftest import Coop, at, ev, ref
from tests.traceability.test_batch import projection
from traceability import (
    BatchError,
    Cooling,
    GradedLot,
    Grading,
    Harvest,
    LifecycleError,
    Packing,
    Reading,
    Receiving,
    Release,
    ResidueTest,
    Role,
    Shipping,
    SubstanceResult,
    reindex,
)
from traceability.events._model import Model
from traceability.projection import _schema as t

Pair = tuple[Model, Ed25519PrivateKey]


def chain(coop: Coop, i: int, *, hot: bool = False) -> list[Pair]:
    """Lot ``H<i>``: harvest, cooling, test, grading, releases, packing, shipping, receiving.

    ``hot``: the receiving's logger readings are out of range (the lots go on hold).
    """
    k = coop.keys
    h, a, b = f"H{i}", f"H{i}A", f"H{i}B"
    results = [
        ev(SubstanceResult, substance=s, value="<LOQ", loq="0.01")
        for s in ("chlorpyrifos", "carbendazim", "imidacloprid")
    ]
    outputs = [
        ev(GradedLot, lot=ref(a), grade="super", quantity="60", sizes_mm=["36"]),
        ev(GradedLot, lot=ref(b), grade="grade_1", quantity="40", sizes_mm=["31"]),
    ]
    celsius = "14" if hot else "5"
    return [
        (
            ev(Harvest, lot=ref(h), plot="YK-P1", variety="Hongyan", quantity="100", time=at(i)),
            k[Role.PACKING_STATION],
        ),
        (
            ev(
                Cooling,
                lot=ref(h),
                site="PS1",
                readings=[ev(Reading, time=at(i + m), celsius="5") for m in (20, 40)],
                time=at(i + 40),
            ),
            k[Role.PACKING_STATION],
        ),
        (
            ev(
                ResidueTest,
                lot=ref(h),
                sample_id=f"S{i}",
                lab="Kashgar Agri Testing Lab",
                method="GB 23200.113-2018",
                results=results,
                time=at(i + 60),
            ),
            k[Role.LAB],
        ),
        (
            ev(Grading, input=ref(h), outputs=outputs, site="PS1", time=at(i + 90)),
            k[Role.PACKING_STATION],
        ),
        (ev(Release, lot=ref(a), note="ok", time=at(i + 120)), k[Role.COOPERATIVE]),
        (ev(Release, lot=ref(b), note="ok", time=at(i + 121)), k[Role.COOPERATIVE]),
        (
            ev(Packing, unit_id=f"PAL{i}", lots=[ref(a), ref(b)], site="PS1", time=at(i + 130)),
            k[Role.PACKING_STATION],
        ),
        (
            ev(
                Shipping,
                shipment=f"SH{i}",
                lots=[ref(a), ref(b)],
                origin="PS1",
                destination="URUMQI-DC",
                set_point_celsius="5",
                time=at(i + 140),
            ),
            k[Role.LOGISTICS],
        ),
        (
            ev(
                Receiving,
                shipment=f"SH{i}",
                receiver="URUMQI-DC",
                readings=[ev(Reading, time=at(i + 400), celsius=celsius)],
                time=at(i + 600),
            ),
            k[Role.LOGISTICS],
        ),
    ]


@pytest.fixture
def db_coop(make_coop: Callable[[str], Coop], db_url: str) -> Coop:
    """The test cooperative on SQLite, then on PostgreSQL."""
    return make_coop(db_url)


def test_a_batch_leaves_what_a_replay_of_the_log_builds(db_coop: Coop) -> None:
    # Three lot chains in one batch (one of them held at receiving), then the same ledger
    # replayed from scratch: every table, row for row.
    db_coop.recorder.record_batch([p for i in range(3) for p in chain(db_coop, i, hot=i == 1)])
    db_coop.recorder.record_batch(chain(db_coop, 3))  # a second batch on top
    recorded = projection(db_coop)
    reindex(db_coop.ledger)
    assert projection(db_coop) == recorded
    statuses = {lot: db_coop.projection.lot(ref(lot)["gtin"], lot).status for lot in ("H0A", "H1A")}
    assert statuses == {"H0A": "received", "H1A": "on_hold"}
    assert len(recorded[t.shipments.name]) == 4
    assert {r[0] for r in recorded[t.event_lots.name]}  # the history index was written


def test_a_batch_with_one_shipment_received_and_one_in_transit(db_coop: Coop) -> None:
    # The receiving folds into SH0's queued row (status, received_seq, receiver); SH1's row
    # keeps the insert's columns. The two rows then differ in their columns, and must still
    # land (a replay of 100,000 entries failed on exactly this).
    db_coop.recorder.record_batch(chain(db_coop, 0) + chain(db_coop, 1)[:-1])
    recorded = projection(db_coop)
    shipments = {r[0]: r for r in recorded[t.shipments.name]}
    assert set(shipments) == {"SH0", "SH1"}
    reindex(db_coop.ledger)
    assert projection(db_coop) == recorded
    column = list(t.shipments.c.keys()).index("status")
    status = {s: row[column] for s, row in shipments.items()}
    assert status == {"SH0": "received", "SH1": "in_transit"}


def test_a_batch_equals_the_same_events_one_by_one(
    make_coop: Callable[[str], Coop], db_url: str, tmp_path: Path
) -> None:
    one, many = make_coop(f"sqlite:///{tmp_path / 'one.db'}"), make_coop(db_url)
    for pair in chain(one, 0) + chain(one, 1, hot=True):
        one.recorder.record(*pair)
    many.recorder.record_batch(chain(many, 0) + chain(many, 1, hot=True))
    assert projection(many) == projection(one)


def _refused(coop: Coop, batch: list[Pair]) -> LifecycleError:
    size = coop.ledger.size()
    before = projection(coop)
    with pytest.raises(BatchError) as refused:
        coop.recorder.record_batch(batch)
    assert coop.ledger.size() == size
    assert projection(coop) == before  # nothing half-written
    assert isinstance(refused.value.error, LifecycleError)
    return refused.value.error


def test_a_shipment_id_twice_in_one_batch_is_refused(db_coop: Coop) -> None:
    first = chain(db_coop, 0)
    again = [(p[0].model_copy(update={"shipment": "SH0"}), p[1]) for p in chain(db_coop, 1)[7:8]]
    error = _refused(db_coop, first[:8] + chain(db_coop, 1)[:7] + again)
    assert error.rule == "shipment-ids-unique"


def test_a_shipment_id_of_an_earlier_batch_is_refused(db_coop: Coop) -> None:
    db_coop.recorder.record_batch(chain(db_coop, 0)[:8])
    again = [(p[0].model_copy(update={"shipment": "SH0"}), p[1]) for p in chain(db_coop, 1)[7:8]]
    error = _refused(db_coop, chain(db_coop, 1)[:7] + again)
    assert error.rule == "shipment-ids-unique"


def test_a_lot_packed_twice_into_one_unit_in_one_batch_is_refused(db_coop: Coop) -> None:
    events = chain(db_coop, 0)[:7]
    packing, key = events[6]
    again = packing.model_copy(update={"lots": packing.lots[:1]})  # type: ignore[attr-defined]
    error = _refused(db_coop, [*events, (again, key)])
    assert error.rule == "pack-once-per-unit"


@pytest.mark.parametrize("code", ["H0", "h0"])
def test_a_lot_code_written_straight_into_the_database_is_not_reused(
    db_coop: Coop, code: str
) -> None:
    # A row the log never made, but the unique code is taken all the same: the batch reads
    # ahead which codes are free, so it must see this one as taken and refuse by the rule.
    key = f"(01){ref(code)['gtin']}(10){code}"
    row: dict[str, Any] = {
        "key": key,
        "gtin": ref(code)["gtin"],
        "lot": code,
        "commodity": "strawberry",
        "status": "active",
        "status_seq": 0,
        "failed": False,
        "created_seq": 0,
        "origin_kind": "trace.harvest",
        "quantity": "1",
        "unit": "KGM",
    }
    row["folded"] = f"(01){ref(code)['gtin']}(10){code.casefold()}"  # as new_lot folds it
    with db_coop.ledger.engine.begin() as conn:
        conn.execute(insert(t.lots), row)
    error = _refused(db_coop, chain(db_coop, 0)[:1])
    assert error.rule == "lot-codes-unique"


def test_a_graded_lot_code_twice_in_one_batch_is_refused(db_coop: Coop) -> None:
    events = chain(db_coop, 0)[:4]
    grading, key = events[3]
    outputs = list(grading.outputs)  # type: ignore[attr-defined]
    clash = outputs[1].model_copy(update={"lot": outputs[0].lot.model_copy(update={"lot": "h0a"})})
    events[3] = (grading.model_copy(update={"outputs": (outputs[0], clash)}), key)
    error = _refused(db_coop, events)
    assert error.rule == "lot-codes-unique"


def test_statements_do_not_grow_with_the_batch(db_coop: Coop) -> None:
    # The statements a batch sends do not grow with its events: ten chains cost what one does.
    from tests.traceability.test_recording_cost import statements

    def count(batch: list[Pair]) -> int:
        with statements() as seen:
            db_coop.recorder.record_batch(batch)
        return len([sql for sql, _, _ in seen if "trace_" in sql])

    one = count(chain(db_coop, 0))
    ten = count([p for i in range(1, 11) for p in chain(db_coop, i)])
    assert ten <= one + 2, (one, ten)


def test_the_lot_rows_match_their_events(db_coop: Coop) -> None:
    # The statuses folded into queued inserts are the ones the events left.
    db_coop.recorder.record_batch(chain(db_coop, 0)[:6])
    with db_coop.ledger.engine.connect() as conn:
        rows = dict(conn.execute(select(t.lots.c.lot, t.lots.c.status)).all())
    assert rows == {"H0": "consumed", "H0A": "released", "H0B": "released"}
