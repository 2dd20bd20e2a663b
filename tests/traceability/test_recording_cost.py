"""What recording a batch costs in statements, and that the savings keep every rule.

bench/trace.py records seasons in batches; each statement a handler runs per event is paid
at every event. The time rule moves a lot's clock (``stage_time``) at every stage event:
in a batch those writes wait for the batch's flush (one statement), and a receiving with no
logger readings does not read the shipment's transport log (it can add no finding). The
adversarial side: a stage event dated before one earlier *in the same batch* is refused, and
the clock the database holds afterwards is the batch's last one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy
from sqlalchemy import event, select

from tests.traceability.conftest import Coop, at, ev, ref
from traceability import (
    BatchError,
    Cooling,
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
)
from traceability.events._model import Model
from traceability.projection import _schema as t


@contextmanager
def statements() -> Iterator[list[tuple[str, Any, bool]]]:
    """Every statement sent to a database meanwhile: (SQL, parameters, executemany)."""
    seen: list[tuple[str, Any, bool]] = []

    def keep(conn: Any, cursor: Any, sql: str, params: Any, context: Any, many: bool) -> None:
        seen.append((sql, params, many))

    event.listen(sqlalchemy.Engine, "before_cursor_execute", keep)
    try:
        yield seen
    finally:
        event.remove(sqlalchemy.Engine, "before_cursor_execute", keep)


def chain(
    coop: Coop, *, receiving_readings: str | None = None, shipped: float = 140
) -> list[tuple[Model, Any]]:
    """One harvest lot from field to the distribution centre, as bench/trace.py records it."""
    k = coop.keys
    results = [
        ev(SubstanceResult, substance=s, value="<LOQ", loq="0.01")
        for s in ("chlorpyrifos", "carbendazim", "imidacloprid")
    ]
    readings = [ev(Reading, time=at(m), celsius="5") for m in (20, 40)]
    receive: dict[str, Any] = {"shipment": "SH1", "receiver": "URUMQI-DC", "time": at(600)}
    if receiving_readings is not None:
        receive["readings"] = [ev(Reading, time=at(400), celsius=receiving_readings)]
    return [
        (
            ev(Harvest, lot=ref("H1"), plot="YK-P1", variety="Hongyan", quantity="100", time=at(0)),
            k[Role.PACKING_STATION],
        ),
        (
            ev(Cooling, lot=ref("H1"), site="PS1", readings=readings, time=at(40)),
            k[Role.PACKING_STATION],
        ),
        (
            ev(
                ResidueTest,
                lot=ref("H1"),
                sample_id="S1",
                lab="Lab",
                method="m",
                results=results,
                time=at(60),
            ),
            k[Role.LAB],
        ),
        (ev(Release, lot=ref("H1"), note="ok", time=at(120)), k[Role.COOPERATIVE]),
        (
            ev(Packing, unit_id="PAL1", lots=[ref("H1")], site="PS1", time=at(130)),
            k[Role.PACKING_STATION],
        ),
        (
            ev(
                Shipping,
                shipment="SH1",
                lots=[ref("H1")],
                origin="PS1",
                destination="URUMQI-DC",
                set_point_celsius="5",
                time=at(shipped),
            ),
            k[Role.LOGISTICS],
        ),
        (ev(Receiving, **receive), k[Role.LOGISTICS]),
    ]


def stage_time(coop: Coop, lot: str) -> str:
    with coop.ledger.engine.connect() as conn:
        key = f"(01){ref(lot)['gtin']}(10){lot}"
        return str(conn.execute(select(t.lots.c.stage_time).where(t.lots.c.key == key)).scalar())


def test_a_batch_writes_its_stage_times_in_one_statement(coop: Coop) -> None:
    with statements() as seen:
        coop.recorder.record_batch(chain(coop))
    stage_writes = [(params, many) for sql, params, many in seen if "SET stage_time" in sql]
    assert len(stage_writes) == 1, stage_writes  # cooling, packing, shipping, receiving
    assert at(600) in str(stage_writes[0][0])  # the lot's latest clock only
    assert stage_time(coop, "H1") == at(600)


def test_one_by_one_still_writes_each_stage_time(coop: Coop) -> None:
    for model, key in chain(coop):
        coop.recorder.record(model, key)
        if isinstance(model, Harvest | Cooling | Packing | Shipping | Receiving):  # stages
            assert stage_time(coop, "H1") == model.time.isoformat()


def test_a_receiving_without_readings_does_not_read_the_transport_log(coop: Coop) -> None:
    # Shipped in one batch, received in the next: the shipment is not the receiving batch's
    # own, so only the database could tell its log (and with readings it is read, below).
    *shipped, receiving = chain(coop)
    coop.recorder.record_batch(shipped)
    with statements() as seen:
        coop.recorder.record_batch([receiving])
    reads = [p for sql, p, _ in seen if sql.startswith("SELECT") and "FROM trace_readings" in sql]
    assert reads == []


def test_a_receiving_with_readings_of_an_earlier_shipment_reads_its_log(coop: Coop) -> None:
    *shipped, receiving = chain(coop, receiving_readings="5")
    coop.recorder.record_batch(shipped)
    with statements() as seen:
        coop.recorder.record_batch([receiving])
    reads = [p for sql, p, _ in seen if sql.startswith("SELECT") and "FROM trace_readings" in sql]
    assert ["transport" in str(p) for p in reads] == [True]


def test_a_batch_asks_nothing_per_event_about_what_it_created(coop: Coop) -> None:
    # The lot, its readings, results, packing and shipment are this batch's own: the batch
    # answers questions about them itself (projection/_cache.py), so no statement names a
    # lot or shipment one at a time.
    with statements() as seen:
        coop.recorder.record_batch(chain(coop))
    asked = [sql for sql, _, _ in seen if sql.startswith("SELECT") and "trace_" in sql]
    per_event = [sql for sql in asked if "IN (" not in sql and "trace_state" not in sql]
    per_event = [sql for sql in per_event if not any(n in sql for n in _ONCE_PER_BATCH)]
    assert per_event == []


# Rule tables, products and keys: asked once per batch, not per event.
_ONCE_PER_BATCH = ("trace_rules", "trace_products", "trace_lab_keys", "trace_sampling_plans")


@pytest.mark.parametrize("split", [False, True])
@pytest.mark.parametrize("excursion", ["5", "12"])
def test_a_receiving_with_readings_is_still_judged(coop: Coop, excursion: str, split: bool) -> None:
    # In the shipment's own batch (its log answered from the batch) or in a later one.
    events = chain(coop, receiving_readings=excursion)
    if split:
        coop.recorder.record_batch(events[:-1])
        events = events[-1:]
    coop.recorder.record_batch(events)
    status = coop.projection.lot(ref("H1")["gtin"], "H1").status
    assert status == ("received" if excursion == "5" else "on_hold")


def test_a_stage_dated_before_one_earlier_in_the_same_batch_is_refused(coop: Coop) -> None:
    # Packed at 130 (a deferred clock), shipped at 125: the batch's clock must refuse it.
    batch = chain(coop, shipped=125)[:6]
    size = coop.ledger.size()
    with pytest.raises(BatchError) as refused:
        coop.recorder.record_batch(batch)
    assert refused.value.index == 5
    assert isinstance(refused.value.error, LifecycleError)
    assert refused.value.error.rule == "time-order"
    assert coop.ledger.size() == size


def test_a_residue_event_inserts_its_results_in_one_statement(coop: Coop) -> None:
    with statements() as seen:
        coop.recorder.record_batch(chain(coop)[:3])
    inserts = [p for sql, p, _ in seen if sql.startswith("INSERT INTO trace_results")]
    assert len(inserts) == 1, inserts
    assert len(inserts[0]) == 3  # three substances, one executemany
    verdicts = coop.projection.lot(ref("H1")["gtin"], "H1")
    assert verdicts.status == "active"


def harvest(coop: Coop, lot: str, minutes: float = 0) -> tuple[Model, Any]:
    body = {"lot": ref(lot), "plot": "YK-P1", "variety": "Hongyan", "quantity": "100"}
    return ev(Harvest, **body, time=at(minutes)), coop.keys[Role.PACKING_STATION]


def test_a_new_lot_is_not_looked_up_before_it_is_inserted(coop: Coop) -> None:
    # One read ahead for the whole batch's new codes (projection/_prefetch.py), none per lot.
    with statements() as seen:
        coop.recorder.record_batch([harvest(coop, "H1"), harvest(coop, "H2"), harvest(coop, "H3")])
    looked = [(sql, p) for sql, p, _ in seen if "trace_lots.folded" in sql]
    assert len(looked) == 1, looked
    assert "IN (" in looked[0][0]
    assert "H3" in str(looked[0][1])


@pytest.mark.parametrize(
    ("first", "batched", "second", "case"),
    [
        ("H1", False, "h1", "look-alike"),
        ("H1", True, "h1", "look-alike"),
        ("H1", False, "H1", None),
        ("H1", True, "H1", None),
    ],
)
def test_a_taken_lot_code_is_refused_naming_the_existing_lot(
    make_coop: Callable[[str], Coop],
    db_url: str,
    first: str,
    batched: bool,
    second: str,
    case: str | None,
) -> None:
    coop = make_coop(db_url)
    batch = [harvest(coop, first), harvest(coop, second, minutes=5)]
    if not batched:
        coop.recorder.record_batch(batch[:1])
        batch = batch[1:]
    size = coop.ledger.size()
    with pytest.raises(BatchError) as refused:
        coop.recorder.record_batch(batch)
    error = refused.value.error
    assert isinstance(error, LifecycleError)
    assert error.rule == "lot-codes-unique"
    assert error.case == case
    assert error.params["existing"] == first
    assert coop.ledger.size() == size
