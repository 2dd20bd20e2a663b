"""Parts (lot references, readings, table rows) are validated inside their event in pydantic's
core, not through their own ``__init__``; the errors must be named exactly as before.

The expected fields, wordings and values below are what the models gave while every nested
model ran its own ``__init__`` (each nested error converted, then prefixed by its place).
"""

from __future__ import annotations

from typing import Any

import pytest

import traceability.events._quality
import traceability.rules._quality
import traceability.rules._tables  # noqa: F401  (defines parts)
from traceability import Cooling, Grading, Harvest, Packing, ValidationError
from traceability.events._model import LotRef, Model, Part

T = "2026-06-01T08:30:00+08:00"
GTIN = "06912345678902"
LOT = {"gtin": GTIN, "lot": "H1"}
HARVEST = {"plot": "P1", "variety": "V", "quantity": "1", "time": T}
COOLING = {"lot": LOT, "site": "PS1", "time": T}
GRADED = {"grade": "super", "quantity": "1", "sizes_mm": ["36"]}
CHECK = "a GTIN-8/12/13/14 with a valid check digit"


def _parts(cls: type[Model]) -> list[type[Model]]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_parts(sub)]
    return found


def test_parts_have_no_model_validator_and_skip_their_init_when_nested() -> None:
    # A model validator's error names its own field, which the nested path cannot carry:
    # such a model must stay a Model (its __init__ converts and prefixes the error).
    parts = _parts(Part)
    assert {p.__name__ for p in parts} >= {"LotRef", "Reading", "MrlRow", "Indicator"}
    for part in parts:
        assert not part.__pydantic_decorators__.model_validators, part
        assert part.__pydantic_custom_init__ is False, part
    assert Harvest.__pydantic_custom_init__ is True


@pytest.mark.parametrize(
    ("model", "body", "field", "expected", "got"),
    [
        (Harvest, {**HARVEST, "lot": {"gtin": "123", "lot": "H1"}}, "lot.gtin", CHECK, "123"),
        (
            Harvest,
            {**HARVEST, "lot": {"gtin": GTIN}},
            "lot.lot",
            "a value (the field is required)",
            None,
        ),
        (
            Harvest,
            {**HARVEST, "lot": {**LOT, "x": 1}},
            "lot.x",
            "extra inputs are not permitted",
            1,
        ),
        (
            Harvest,
            {**HARVEST, "lot": "H1"},
            "lot",
            "input should be a valid dictionary or instance of LotRef",
            "H1",
        ),
        (
            Cooling,
            {**COOLING, "readings": [{"time": T, "celsius": "5"}, {"time": T, "celsius": "warm"}]},
            "readings[1].celsius",
            "a decimal string like '12.5'",
            "warm",
        ),
        (
            Cooling,
            {**COOLING, "readings": [{"time": "noon", "celsius": "5"}]},
            "readings[0].time",
            "an RFC 3339 time like 2026-06-01T08:30:00+08:00",
            "noon",
        ),
        (
            Grading,
            {
                "input": LOT,
                "outputs": [
                    {"lot": {"gtin": GTIN, "lot": "A"}, **GRADED},
                    {"lot": {"gtin": GTIN, "lot": "bad lot\n"}, **GRADED},
                ],
                "time": T,
            },
            "outputs[1].lot.lot",
            "1-20 characters of GS1 character set 82",
            "bad lot\n",
        ),
        (
            Packing,
            {"unit_id": "PAL1", "lots": [LOT, {"gtin": "06912345678903", "lot": "B"}], "time": T},
            "lots[1].gtin",
            CHECK,
            "06912345678903",
        ),
    ],
    ids=[
        "gtin",
        "missing",
        "extra",
        "not-an-object",
        "reading",
        "reading-time",
        "inside-a-graded-lot",
        "in-a-list",
    ],
)
def test_an_error_inside_a_part_is_named_by_its_full_path(
    model: type[Model], body: dict[str, Any], field: str, expected: str, got: Any
) -> None:
    with pytest.raises(ValidationError) as e:
        model.from_body(body)
    assert (type(e.value), e.value.field, e.value.expected, e.value.got) == (
        ValidationError,
        field,
        expected,
        got,
    )


def test_a_part_built_directly_converts_its_own_errors() -> None:
    with pytest.raises(ValidationError) as e:
        LotRef(gtin="1", lot="x")
    assert (e.value.field, e.value.expected, e.value.got) == ("gtin", CHECK, "1")
