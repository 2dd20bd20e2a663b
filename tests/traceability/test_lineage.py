"""Lineage at any depth: recall propagates forward; a shipment traces back to farm and grower."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.traceability.conftest import JAM, STRAWBERRY, Coop, at, ev, ref
from traceability import LotStatus, Processing, Recall, Receiving, Release, Role, Shipping


def process(coop: Coop, inputs: list[tuple[str, str]], output: str, minutes: float) -> None:
    coop.record(
        Role.PACKING_STATION,
        ev(
            Processing,
            inputs=[ref(lot, gtin) for lot, gtin in inputs],
            output=ref(output, JAM),
            quantity="8",
            process="jam cooking",
            time=at(minutes),
        ),
    )


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def coop_on(request: pytest.FixtureRequest, make_coop: Callable[[str], Coop]) -> Coop:
    """The cooperative on a SQLite file, then on PostgreSQL."""
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    return make_coop(url)


@pytest.fixture
def season(coop_on: Coop) -> Coop:
    """H1 graded into G1, G2, G3; G3 cooked into jam J1; J1 boxed into JB1 (three levels);
    G1, G2 and JB1 shipped, G2's shipment received."""
    coop = coop_on
    coop.harvest("H1")
    coop.cool("H1")
    coop.test("H1")
    coop.grade(
        "H1",
        {
            "G1": ("super", "30", ["36", "37.5"]),
            "G2": ("grade_1", "40", ["31", "34.9"]),
            "G3": ("processing", "20", ["18", "24"]),
        },
    )
    process(coop, [("G3", STRAWBERRY)], "J1", 200)
    process(coop, [("J1", JAM)], "JB1", 220)
    for lot, gtin in (("G1", STRAWBERRY), ("G2", STRAWBERRY), ("JB1", JAM)):
        coop.record(Role.COOPERATIVE, ev(Release, lot=ref(lot, gtin), note="ok", time=at(230)))
    coop.ship("SH1", ["G1"], minutes=240)
    coop.ship("SH2", ["G2"], minutes=241, destination="KASHGAR-SHOP")
    coop.record(
        Role.LOGISTICS,
        ev(
            Receiving,
            shipment="SH2",
            receiver="KASHGAR-SHOP",
            time=at(400),
            readings=[{"time": at(300), "celsius": "5.5"}],
        ),
    )
    coop.record(
        Role.LOGISTICS,
        ev(
            Shipping,
            shipment="SH3",
            lots=[ref("JB1", JAM)],
            origin="PS1",
            destination="URUMQI-DC",
            time=at(250),
        ),
    )
    return coop


def test_recall_of_harvest_lot_reaches_every_derived_lot_and_shipment(season: Coop) -> None:
    size = season.ledger.size()
    season.record(Role.REGULATOR, ev(Recall, lot=ref("H1"), reason="complaint", time=at(500)))
    assert season.ledger.size() == size + 1  # one entry; the projection derives the rest
    for lot, gtin in [
        ("H1", STRAWBERRY),
        ("G1", STRAWBERRY),
        ("G2", STRAWBERRY),
        ("G3", STRAWBERRY),
        ("J1", JAM),
        ("JB1", JAM),
    ]:
        state = season.projection.lot(gtin, lot)
        assert state.status is LotStatus.RECALLED, lot
        assert state.status_reason is not None
        assert "recall of (01)06912345678902(10)H1" in state.status_reason
    forward = season.projection.trace_forward(STRAWBERRY, "H1")
    assert {s.shipment: s.status for s in forward.shipments} == {
        "SH1": "recalled",
        "SH2": "recalled",
        "SH3": "recalled",
    }


def test_recall_of_a_graded_lot_leaves_its_siblings(season: Coop) -> None:
    season.record(Role.COOPERATIVE, ev(Recall, lot=ref("G1"), reason="mould", time=at(500)))
    assert season.projection.lot(STRAWBERRY, "G1").status is LotStatus.RECALLED
    assert season.projection.lot(STRAWBERRY, "G2").status is LotStatus.RECEIVED
    assert season.projection.lot(JAM, "JB1").status is LotStatus.SHIPPED


def test_forward_trace_reaches_shipments_and_receivers(season: Coop) -> None:
    forward = season.projection.trace_forward(STRAWBERRY, "H1")
    assert len(forward.lots) == 6
    by_id = {s.shipment: s for s in forward.shipments}
    assert by_id["SH2"].receiver == "KASHGAR-SHOP"
    assert by_id["SH3"].lots == ("(01)06912345678919(10)JB1",)


def test_trace_back_from_shipment_reaches_farm_and_grower(season: Coop) -> None:
    back = season.projection.trace_shipment_back("SH3")
    assert back.lots == (
        "(01)06912345678919(10)JB1",
        "(01)06912345678919(10)J1",
        "(01)06912345678902(10)G3",
        "(01)06912345678902(10)H1",
    )
    (origin,) = back.origins
    assert (origin.plot, origin.farm, origin.grower, origin.county) == (
        "YK-P1",
        "YK-F1",
        "Aysha Tursun",
        "Yarkant",
    )


def test_jam_release_rests_on_the_harvest_lots_results(season: Coop) -> None:
    # JB1 was released: its required results are on H1, three levels up.
    assert season.projection.lot(JAM, "JB1").status is LotStatus.SHIPPED


def test_failing_result_on_harvest_lot_holds_derived_lots(coop: Coop) -> None:
    coop.harvest("H1")
    coop.grade("H1", {"G1": ("super", "30", ["36"]), "G2": ("grade_1", "30", ["31"])})
    coop.test("H1", {"carbendazim": "0.9"}, minutes=300)
    for lot in ("G1", "G2"):
        state = coop.projection.lot(STRAWBERRY, lot)
        assert state.status is LotStatus.ON_HOLD
        assert state.failed
    assert coop.projection.lot(STRAWBERRY, "H1").status is LotStatus.CONSUMED
