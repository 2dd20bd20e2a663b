"""What a scan shows of a lot: residue lines read as a person would write them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.traceability.conftest import STRAWBERRY, Coop
from traceability import ResidueLine, ValidationError


def line(value: str, limit: str | None = "0.05", outcome: str = "pass") -> ResidueLine:
    return ResidueLine(
        9, 7, "(01)x(10)H1", "", "chlorpyrifos", value, "0.01", limit, outcome, "GB", "lab", "S1"
    )


def test_below_loq_line_names_the_loq_and_its_unit() -> None:
    assert str(line("<LOQ")) == "chlorpyrifos <LOQ (0.01 mg/kg), MRL 0.05 mg/kg: pass"


def test_measured_line_gives_value_loq_and_limit_with_units() -> None:
    assert str(line("0.12", outcome="fail")) == (
        "chlorpyrifos 0.12 mg/kg (LOQ 0.01 mg/kg), MRL 0.05 mg/kg: fail"
    )
    assert str(line("<LOQ", None, "not_assessable")) == (
        "chlorpyrifos <LOQ (0.01 mg/kg), no listed MRL: not_assessable"
    )


def test_summary_of_a_tested_lot_prints_no_decimal_repr(coop: Coop) -> None:
    coop.harvest("H1")
    coop.test("H1")
    summary = coop.projection.summary(STRAWBERRY, "H1")
    assert summary is not None
    shown = [str(r) for r in summary.residues]
    assert "chlorpyrifos <LOQ (0.01 mg/kg), MRL 0.05 mg/kg: pass" in shown
    assert not any("Decimal" in s for s in shown)


def test_decimal_in_an_error_is_printed_as_written() -> None:
    with pytest.raises(ValidationError) as caught:
        raise ValidationError("value", "a value >= the LOQ", Decimal("0.001"))
    assert str(caught.value) == "value: expected a value >= the LOQ, got '0.001'"
