"""Release over composition: every input contributing mass passed, or the lot itself did."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.traceability.conftest import JAM, Coop, at, ev, ref
from traceability import (
    LifecycleError,
    LotStatus,
    Processing,
    Release,
    Role,
)


def refused(coop: Coop, rule: str, step: Callable[[], Any]) -> LifecycleError:
    size = coop.ledger.size()
    with pytest.raises(LifecycleError) as caught:
        step()
    assert caught.value.rule.startswith(rule), caught.value
    assert coop.ledger.size() == size
    return caught.value


def jam(coop: Coop, inputs: list[str], minutes: float = 300) -> None:
    coop.record(
        Role.PACKING_STATION,
        ev(Processing, inputs=[ref(x) for x in inputs], output=ref("J1", JAM), quantity="400",
           process="jam cooking", time=at(minutes)),
    )  # fmt: skip


def release_jam(coop: Coop, minutes: float = 320) -> None:
    coop.record(Role.COOPERATIVE, ev(Release, lot=ref("J1", JAM), note="ok", time=at(minutes)))


def test_blend_with_an_untested_input_is_refused_naming_it_and_its_share(coop: Coop) -> None:
    coop.harvest("H1", quantity="10")
    coop.test("H1")
    coop.harvest("H2", minutes=5, plot="YK-P2", quantity="500")  # never tested
    jam(coop, ["H1", "H2"])
    error = refused(coop, "release-requires-passed-tests", lambda: release_jam(coop))
    assert "(10)H2 (98.0% of the mass)" in str(error)
    assert "chlorpyrifos" in str(error)


def test_blend_of_tested_inputs_is_released(coop: Coop) -> None:
    coop.harvest("H1", quantity="10")
    coop.test("H1")
    coop.harvest("H2", minutes=5, plot="YK-P2", quantity="500")
    coop.test("H2", minutes=125)
    jam(coop, ["H1", "H2"])
    release_jam(coop)
    assert coop.projection.lot(JAM, "J1").status is LotStatus.RELEASED


def test_lot_tested_itself_passes_over_an_untested_input(coop: Coop) -> None:
    coop.harvest("H1")  # never tested itself
    coop.grade("H1", {"G1": ("super", "40", ["36"])})
    error = refused(coop, "release-requires-passed-tests", lambda: coop.release("G1"))
    assert "(10)H1 (100.0% of the mass)" in str(error)
    coop.test("G1", minutes=120)
    coop.release("G1")
    assert coop.projection.lot(ref("G1")["gtin"], "G1").status is LotStatus.RELEASED


def test_untested_input_found_at_any_depth(coop: Coop) -> None:
    coop.harvest("H1", quantity="100")
    coop.test("H1")
    coop.harvest("H2", minutes=5, plot="YK-P2", quantity="100")
    coop.grade("H2", {"G2": ("processing", "50", ["22"])}, minutes=95)
    jam(coop, ["H1", "G2"])
    error = refused(coop, "release-requires-passed-tests", lambda: release_jam(coop))
    # G2 weighs 50 of 150: a third of the jam, traced back to the untested harvest H2.
    assert "(10)H2 (33.3% of the mass)" in str(error)


def test_processing_grade_is_never_released_for_fresh_sale(coop: Coop) -> None:
    coop.harvest()
    coop.test("H1")
    coop.grade("H1", {"G2": ("processing", "20", ["22"])})
    error = refused(coop, "processing-grade-not-for-sale", lambda: coop.release("G2"))
    assert "goes to processing only" in str(error)
