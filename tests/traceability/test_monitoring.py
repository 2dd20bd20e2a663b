"""Monitoring and the quarterly evaluation: received quantities, loss, excursions, positions.

A receiving may carry what arrived (``quantity``, ``unit``); loss is what the shipment's lots
weighed less that. Each figure is computed at a position (``upto``), so a report at a
checkpoint stays the same after later entries. Attacks: a quantity in a unit the lots were
not counted in, on a part of a logger file, a unit without a quantity, a forged arrival row
written straight into the database.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import insert, update

from tests.traceability.conftest import Coop, at, ev, ref
from traceability import (
    Hold,
    LifecycleError,
    Receiving,
    Release,
    Role,
    ValidationError,
    check_projection,
    export_epcis,
    import_epcis,
    parse_quarter,
)
from traceability.projection import _schema as t


@pytest.fixture
def coop(make_coop: Callable[[str], Coop], db_url: str) -> Coop:
    """The conftest cooperative, on SQLite and on PostgreSQL."""
    return make_coop(db_url)


def _shipped(coop: Coop, shipment: str = "SH1", lots: tuple[str, ...] = ("A", "B")) -> None:
    """Two graded lots (30 kg and 20 kg) released and shipped as ``shipment``."""
    coop.harvest("H1")
    coop.cool("H1", minutes=40)
    coop.test("H1")
    coop.grade("H1", {"A": ("super", "30", ["36"]), "B": ("grade_1", "20", ["31"])})
    for lot in lots:
        coop.release(lot)
    coop.ship(shipment, list(lots), readings=[{"time": at(200), "celsius": "5"}])


def _receive(coop: Coop, shipment: str = "SH1", **kw: Any) -> int:
    fields: dict[str, Any] = {
        "shipment": shipment,
        "receiver": "URUMQI-DC",
        "readings": [{"time": at(300), "celsius": "5.5"}],
        "time": at(400),
    }
    return coop.record(Role.LOGISTICS, ev(Receiving, **(fields | kw)))


def test_loss_of_a_weighed_shipment_on_its_route(coop: Coop) -> None:
    _shipped(coop)
    _receive(coop, quantity="46.5")
    (loss,) = coop.projection.quarterly("2026-Q2").shipments
    assert (loss.shipped_kg, loss.received_kg, loss.loss_kg) == (
        Decimal(50),
        Decimal("46.5"),
        Decimal("3.5"),
    )
    (route,) = coop.projection.monitoring().routes
    assert (route.origin, route.destination, route.shipments, route.weighed) == (
        "PS1",
        "URUMQI-DC",
        1,
        1,
    )
    assert route.loss_rate == pytest.approx(0.07)


def test_unweighed_shipment_has_no_loss_rather_than_zero(coop: Coop) -> None:
    _shipped(coop)
    _receive(coop)
    found = coop.projection.quarterly("2026-Q2")
    assert found.shipments == ()
    assert found.loss_rate is None
    assert found.loss_within_target is None
    (route,) = found.routes
    assert route.loss_rate is None


def test_quantity_in_a_unit_the_lots_were_not_counted_in_is_refused(coop: Coop) -> None:
    _shipped(coop)
    size = coop.ledger.size()
    with pytest.raises(ValidationError) as refused:
        _receive(coop, quantity="40", unit="H87")
    assert refused.value.field == "unit"
    assert coop.ledger.size() == size  # nothing appended
    _receive(coop, quantity="40")  # the shipment is still in transit: received once


def test_quantity_on_a_part_of_a_logger_file_is_refused(coop: Coop) -> None:
    with pytest.raises(ValidationError) as refused:
        ev(
            Receiving,
            shipment="SH1",
            receiver="URUMQI-DC",
            more_readings=True,
            quantity="40",
            time=at(400),
        )
    assert refused.value.field == "quantity"


def test_unit_without_a_quantity_is_refused() -> None:
    with pytest.raises(ValidationError) as refused:
        ev(Receiving, shipment="SH1", receiver="URUMQI-DC", unit="KGM", time=at(400))
    assert refused.value.field == "unit"


@pytest.mark.parametrize("bad", ["0", "-3", "abc", "1e3"])
def test_received_quantity_must_be_a_positive_decimal(bad: str) -> None:
    with pytest.raises(ValidationError) as refused:
        ev(Receiving, shipment="SH1", receiver="URUMQI-DC", quantity=bad, time=at(400))
    assert refused.value.field == "quantity"


def test_receiving_twice_is_refused_and_keeps_the_first_quantity(coop: Coop) -> None:
    _shipped(coop)
    _receive(coop, quantity="46.5")
    with pytest.raises(LifecycleError, match="receive-requires-shipped"):
        _receive(coop, quantity="10", time=at(500))
    (loss,) = coop.projection.quarterly("2026-Q2").shipments
    assert loss.received_kg == Decimal("46.5")


def test_transport_excursion_counts_on_its_route(coop: Coop) -> None:
    _shipped(coop)
    _receive(coop, readings=[{"time": at(300), "celsius": "15"}], quantity="45")
    (route,) = coop.projection.monitoring().routes
    assert route.excursions == 1
    holds = {h.rule: h.lots for h in coop.projection.monitoring().holds}
    assert holds["cold-chain-transport"] == 2


def test_figures_at_a_position_do_not_change_with_later_entries(coop: Coop) -> None:
    _shipped(coop)
    _receive(coop, quantity="46.5")
    coop.record(Role.REGULATOR, ev(Hold, lot=ref("A"), reason="spot check", time=at(450)))
    size = coop.ledger.size()
    before = coop.projection.quarterly("2026-Q2", upto=size)
    # Later: the hold is lifted, another lot is harvested and tested with a failure.
    coop.record(Role.REGULATOR, ev(Release, lot=ref("A"), note="checked, fine", time=at(460)))
    coop.harvest("H2", minutes=500)
    coop.test("H2", {"chlorpyrifos": "0.5"}, minutes=560)
    assert coop.projection.quarterly("2026-Q2", upto=size) == before
    assert before.still_held == 1
    after = coop.projection.quarterly("2026-Q2")
    assert (before.holds_lifted, after.holds_lifted) == (0, 1)
    # A's hold was lifted; H2's failed test held H2.
    assert after.still_held == 1
    assert {h.rule for h in after.holds_placed} == {h.rule for h in before.holds_placed} | {
        "residue-above-mrl"
    }
    assert (after.tests, after.passed) == (2, 1)
    # The dashboard at that position still shows the hold; now it is lifted.
    assert sum(h.lots for h in coop.projection.monitoring(upto=size).holds) == 1
    assert [h.rule for h in coop.projection.monitoring().holds] == ["residue-above-mrl"]


def test_upto_beyond_the_projection_is_refused(coop: Coop) -> None:
    with pytest.raises(ValidationError) as refused:
        coop.projection.quarterly("2026-Q2", upto=coop.ledger.size() + 5)
    assert refused.value.field == "upto"


@pytest.mark.parametrize("bad", ["2026-Q0", "2026-Q5", "2026-q1", "2026-Q1 ", "Q1-2026", ""])
def test_malformed_quarter_names_the_field(bad: str) -> None:
    with pytest.raises(ValidationError) as refused:
        parse_quarter(bad)
    assert refused.value.field == "quarter"


def test_quarter_boundaries() -> None:
    q4 = parse_quarter("2026-Q4")
    assert (q4.start.isoformat(), q4.end.isoformat()) == ("2026-10-01", "2027-01-01")
    q1 = parse_quarter("2027-Q1")
    assert (q1.start.isoformat(), q1.end.isoformat()) == ("2027-01-01", "2027-04-01")


def test_events_outside_the_quarter_do_not_count(coop: Coop) -> None:
    _shipped(coop)
    _receive(coop, quantity="46.5")
    other = coop.projection.quarterly("2026-Q3")
    assert (other.tests, other.harvested_kg, other.shipments, other.routes) == (
        0,
        Decimal(0),
        (),
        (),
    )
    assert other.holds_placed == ()


def test_forged_arrival_row_is_named_by_the_drift_check(coop: Coop) -> None:
    _shipped(coop)
    _receive(coop, quantity="46.5")
    with coop.ledger.engine.begin() as conn:
        conn.execute(update(t.arrivals).values(quantity="50"))
    (drift,) = check_projection(coop.ledger).drifts
    assert (drift.table, drift.field, drift.stored, drift.replayed) == (
        "trace_arrivals",
        "quantity",
        "50",
        "46.5",
    )


def test_arrival_row_the_log_lacks_is_named_by_the_drift_check(coop: Coop) -> None:
    _shipped(coop)
    _receive(coop)
    with coop.ledger.engine.begin() as conn:
        conn.execute(insert(t.arrivals).values(shipment="SH1", seq=1, quantity="50", unit="KGM"))
    (drift,) = check_projection(coop.ledger).drifts
    assert (drift.table, drift.replayed) == ("trace_arrivals", "(no row)")


def test_received_quantity_round_trips_through_epcis(coop: Coop) -> None:
    _shipped(coop)
    _receive(coop, quantity="46.5")
    document = export_epcis(coop.projection, coop.ledger)
    (receiving,) = [
        e for e in document["epcisBody"]["eventList"] if e.get("bizStep") == "receiving"
    ]
    assert receiving["agt:receivedQuantity"] == {"quantity": "46.5", "uom": "KGM"}
    imported = import_epcis(document, origin=coop.ledger.origin)
    (event,) = [e for e in imported.events if isinstance(e, Receiving)]
    assert (event.quantity, event.unit) == (Decimal("46.5"), "KGM")


def test_kept_sums_moved_forward_equal_the_tables_summed_afresh(coop: Coop) -> None:
    from traceability.projection._dashboard import (
        excursions_by_route,
        routes_of,
        weekly_figures,
        weeks_of,
    )
    from traceability.projection._rollup import Rollup, advance, rollup_at

    _shipped(coop)
    _receive(coop, quantity="46.5")
    sizes = [coop.ledger.size()]
    coop.harvest("H2", minutes=2000)
    coop.cool("H2", minutes=2040)
    coop.test("H2", {"chlorpyrifos": "0.5"}, minutes=2100)  # fails: held
    coop.harvest("H3", minutes=12000)  # a week later
    coop.cool("H3", minutes=12040)
    coop.test("H3", minutes=12100)
    coop.grade("H3", {"C": ("super", "40", ["36"])}, minutes=12150)
    coop.release("C", minutes=12200)
    coop.ship("SH2", ["C"], minutes=12300, destination="KASHGAR-DC")
    _receive(coop, "SH2", time=at(12400), readings=[{"time": at(12350), "celsius": "15"}])
    sizes.append(coop.ledger.size())
    with coop.ledger.engine.connect() as conn, conn.begin():
        kept = rollup_at(conn, sizes[0])  # kept at the first size, then moved forward
        moved = rollup_at(conn, sizes[1])
        fresh = advance(conn, Rollup(), sizes[1])
        for upto, sums in ((sizes[0], kept), (sizes[1], moved), (sizes[1], fresh)):
            assert weeks_of(sums) == weekly_figures(conn, upto)
            assert routes_of(conn, sums, upto) == excursions_by_route(conn, upto)
    with coop.ledger.engine.connect() as conn, conn.begin():
        weeks = weekly_figures(conn, sizes[1])
        routes = {r.destination: r for r in excursions_by_route(conn, sizes[1])}
    assert len(weeks) == 2
    assert sum(w.tests - w.passed for w in weeks) == 1
    assert (routes["KASHGAR-DC"].excursions, routes["KASHGAR-DC"].weighed) == (1, 0)
    assert (routes["URUMQI-DC"].excursions, routes["URUMQI-DC"].weighed) == (0, 1)
