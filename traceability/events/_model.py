"""The base of every event model: frozen pydantic, strict field types, domain errors.

Event bodies are a trust boundary (they come from devices, files and other actors' signed
statements), so every model is pydantic, frozen, and refuses unknown fields. Errors come out
as :class:`~traceability.ValidationError` naming the field, what was expected and what came.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Self

import pydantic
from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer

from traceability._errors import ValidationError
from traceability._text import MAX_TEXT, check_text
from traceability.events._ids import (
    check_time,
    parse_decimal,
    parse_gln,
    parse_gtin,
    parse_local_id,
    parse_lot,
    parse_serial,
)

__all__ = [
    "Amount",
    "Gln",
    "Gtin",
    "LocalId",
    "LotCode",
    "LotRef",
    "Measure",
    "Model",
    "Part",
    "SerialNo",
    "Text",
    "Time",
]


def _field(info: pydantic.ValidationInfo) -> str:
    return info.field_name or "value"


Gtin = Annotated[str, BeforeValidator(lambda v, i: parse_gtin(v, _field(i)))]
Gln = Annotated[str, BeforeValidator(lambda v, i: parse_gln(v, _field(i)))]
LotCode = Annotated[str, BeforeValidator(lambda v, i: parse_lot(v, _field(i)))]
SerialNo = Annotated[str, BeforeValidator(lambda v, i: parse_serial(v, _field(i)))]
LocalId = Annotated[str, BeforeValidator(lambda v, i: parse_local_id(v, _field(i)))]
Time = Annotated[
    datetime,
    BeforeValidator(lambda v, i: check_time(v, _field(i))),
    PlainSerializer(lambda t: t.isoformat(), return_type=str),
]
_as_text = PlainSerializer(lambda d: format(d, "f"), return_type=str)
#: A quantity: a decimal string greater than zero.
Amount = Annotated[
    Decimal, BeforeValidator(lambda v, i: parse_decimal(v, _field(i), positive=True)), _as_text
]
#: A measurement (temperature, size, concentration): any decimal string, sign allowed.
Measure = Annotated[Decimal, BeforeValidator(lambda v, i: parse_decimal(v, _field(i))), _as_text]
#: Free text (a name, a variety, a reason): the one text policy (:mod:`traceability._text`:
#: no control, bidi or invisible characters; NFC) on every boundary, since every boundary
#: (API, forms, CSV, CLI, other actors' statements) builds these models.
Text = Annotated[
    str,
    pydantic.StringConstraints(min_length=1, max_length=MAX_TEXT, strip_whitespace=True),
    # After the constraints in this list, so it runs before them (pydantic wraps inwards).
    BeforeValidator(lambda v, i: check_text(v, _field(i))),
]


def _dotted(loc: tuple[int | str, ...]) -> str:
    out = ""
    for i, part in enumerate(loc):
        if i + 1 < len(loc) and loc[i + 1] == "[key]":
            continue  # a refused dict key: named by "[key]" below, never echoed into the name
        if part == "[key]":
            out += "[key]"
        else:
            out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "body"


class Model(BaseModel):
    """Base of every event and master-data model: frozen, strict, no unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=False)

    #: The ledger statement kind this model is recorded as.
    KIND: ClassVar[str]

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except pydantic.ValidationError as e:
            raise _domain_error(e) from None

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> Self:
        """Build the model from a statement body (raises :class:`ValidationError`)."""
        if not isinstance(body, Mapping):
            raise ValidationError("body", "a JSON object", body)
        return cls(**dict(body))

    def to_body(self) -> dict[str, Any]:
        """Return the statement body: JSON types only, decimals and times as strings."""
        return self.model_dump(mode="json", exclude_none=True)


def _domain_error(error: pydantic.ValidationError) -> ValidationError:
    first = error.errors(include_url=False)[0]
    cause = first.get("ctx", {}).get("error")
    loc = tuple(first["loc"])
    if isinstance(cause, ValidationError):
        # Pydantic runs a nested model's own __init__, so a nested model's error arrives
        # already converted (its path relative to that model): prefix where it sits.
        if getattr(cause, "nested", False):
            field = ".".join(p for p in (_dotted(loc) if loc else "", cause.field) if p)
        else:
            field = _dotted(loc) if loc else cause.field
        converted = ValidationError(field, cause.expected, cause.got)
    else:
        if first["type"] == "missing":
            converted = ValidationError(_dotted(loc), "a value (the field is required)", None)
        else:
            message = str(first["msg"]).removeprefix("Value error, ")
            message = message[:1].lower() + message[1:]
            converted = ValidationError(_dotted(loc), message, first.get("input"))
    converted.nested = True
    return converted


class Part(Model):
    """Base of a model that sits inside others and has no model validator, only fields.

    Pydantic calls a model's own ``__init__`` for each nested copy when the class defines
    one (to convert errors), and that re-entry cost about 1.5 µs per lot reference, reading
    or row: recording builds a dozen per lot chain. A part's ``__init__`` is marked as
    pydantic's own, so nested copies are validated in pydantic's core and their errors reach
    the enclosing model with their full path, which :func:`_domain_error` names exactly as
    it named the nested model's converted error (field validators only: a model validator
    would report its own field, which the path alone does not carry).
    Built directly (``LotRef(gtin=..., lot=...)``), a part converts its errors as any model.
    """

    def __init__(self, **data: Any) -> None:
        super().__init__(**data)

    # Pydantic reads this to decide that nested copies need not call __init__.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]


class LotRef(Part):
    """A lot: product GTIN-14 and lot code (AI 01 + AI 10)."""

    gtin: Gtin
    lot: LotCode
