"""Time is a rule: no event dated before what it depends on, none before the floor."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.traceability.conftest import STRAWBERRY, Coop, at, ev, ref
from traceability import (
    InputApplication,
    LifecycleError,
    LotStatus,
    Receiving,
    ResidueTest,
    Role,
    SubstanceResult,
    ValidationError,
)


def refused(coop: Coop, rule: str, step: Callable[[], Any]) -> LifecycleError:
    size = coop.ledger.size()
    with pytest.raises(LifecycleError) as caught:
        step()
    assert caught.value.rule.startswith(rule), caught.value
    assert coop.ledger.size() == size
    return caught.value


def residue(lot: str, minutes: float, sampled: float | None = None) -> ResidueTest:
    results = [
        ev(SubstanceResult, substance=s, value="<LOQ", loq="0.01")
        for s in ("chlorpyrifos", "carbendazim", "imidacloprid")
    ]
    extra = {} if sampled is None else {"sampled": at(sampled)}
    return ev(ResidueTest, lot=ref(lot), sample_id="S1", lab="Lab", method="GB 23200.113-2018",
              results=results, time=at(minutes), **extra)  # fmt: skip


def test_result_dated_before_the_harvest_is_refused(coop: Coop) -> None:
    coop.harvest(minutes=60)
    error = refused(coop, "time-after-lot-made", lambda: coop.record(Role.LAB, residue("H1", 30)))
    assert "residue result" in str(error)


def test_sample_taken_before_the_harvest_is_refused(coop: Coop) -> None:
    coop.harvest(minutes=60)
    refused(coop, "time-after-lot-made", lambda: coop.record(Role.LAB, residue("H1", 120, 30)))


def test_sample_after_its_result_is_malformed() -> None:
    with pytest.raises(ValidationError, match="sampled"):
        residue("H1", 120, 130)


def test_release_before_the_results_it_relies_on_is_refused(coop: Coop) -> None:
    coop.harvest()
    coop.test("H1", minutes=120)
    refused(coop, "decision-after-results", lambda: coop.release("H1", minutes=100))


def test_shipment_dated_before_the_harvest_is_refused(coop: Coop) -> None:
    coop.harvest(minutes=60)
    coop.test("H1", minutes=120)
    coop.release("H1", minutes=150)
    refused(coop, "time-after-lot-made", lambda: coop.ship("SH1", ["H1"], minutes=10))


def test_grading_before_cooling_is_refused(coop: Coop) -> None:
    coop.harvest()
    coop.cool("H1", minutes=45)
    error = refused(
        coop, "time-order", lambda: coop.grade("H1", {"G1": ("super", "40", ["36"])}, minutes=30)
    )
    assert "grading of lot" in str(error)


def test_receiving_before_the_shipment_left_is_refused(coop: Coop) -> None:
    coop.harvest()
    coop.test("H1")
    coop.release("H1")
    coop.ship("SH1", ["H1"], minutes=180)
    receiving = ev(Receiving, shipment="SH1", receiver="DC", time=at(170))
    error = refused(coop, "time-order", lambda: coop.record(Role.LOGISTICS, receiving))
    assert "precedes its shipping" in str(error)


def test_year_one_is_refused() -> None:
    with pytest.raises(ValidationError, match="not before 2000-01-01"):
        ev(
            ResidueTest, lot=ref("H1"), sample_id="S1", lab="Lab", method="m",
            results=[{"substance": "x", "value": "<LOQ", "loq": "0.01"}],
            time="0001-01-01T00:00:00+00:00",
        )  # fmt: skip


def test_spray_recorded_late_holds_the_shipped_lot_and_what_was_made(coop: Coop) -> None:
    coop.harvest(minutes=60)
    coop.test("H1")
    coop.release("H1")
    coop.ship("SH1", ["H1"])
    spray = ev(
        InputApplication, plot="YK-P1", category="pesticide", product_name="Lorsban",
        active_substance="chlorpyrifos", dose="1", dose_unit="l/ha", time=at(-60 * 24),
        operator="Ahmet",
    )  # fmt: skip
    coop.record(Role.COOPERATIVE, spray)  # recorded now, dated a day before the harvest
    state = coop.projection.lot(STRAWBERRY, "H1")
    assert state.status is LotStatus.ON_HOLD
    assert state.status_reason is not None
    assert "pre-harvest-interval" in state.status_reason


def test_spray_after_the_harvest_holds_nothing(coop: Coop) -> None:
    coop.harvest()
    spray = ev(
        InputApplication, plot="YK-P1", category="pesticide", product_name="Lorsban",
        active_substance="chlorpyrifos", dose="1", dose_unit="l/ha", time=at(600),
        operator="Ahmet",
    )  # fmt: skip
    coop.record(Role.COOPERATIVE, spray)
    assert coop.projection.lot(STRAWBERRY, "H1").status is LotStatus.ACTIVE
