"""The staff pages' forms: which fields each event's page asks for, and the event they make.

A form is a list of :class:`Field` s and a function from the typed values to the event's
JSON body (the same body the event API takes). Refusals come back as the event model's or
the domain's field names (``lot.gtin``, ``outputs[1].quantity``); :meth:`Form.field_for`
maps them to the form field to show the message next to.

Times: the forms' ``datetime-local`` boxes carry no offset; the page gives :func:`with_zone`
the device's chosen clock (Beijing or Xinjiang time, ``staff/_zones.py``), which adds its
offset before the event is built. A value still without one is read as Beijing time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Literal

from traceability import (
    PERMITTED,
    TABLE,
    Action,
    Cooling,
    Grading,
    Harvest,
    Hold,
    LotStatus,
    Model,
    Packing,
    Release,
    Role,
    Shipping,
)
from verifier_app.staff._weights import Weighed, read_weight
from verifier_app.staff._zones import DEFAULT_ZONE, Zone, local_now, read_time

__all__ = [
    "FORMS",
    "NO_FORM",
    "SHED_TIME",
    "Field",
    "Form",
    "FormError",
    "local_now",
    "lot_value",
    "split_lot",
    "with_kg",
    "with_zone",
]

#: The clock a time without an offset is read in (China Standard Time, Beijing).
SHED_TIME: Final = DEFAULT_ZONE.tz
#: Graded lots a grading page offers rows for (more grades are rare in one grading).
GRADING_ROWS: Final = 3
#: Suggested grades and lot-code suffixes for the rows (the cooperative's strawberry bands).
GRADE_ROWS: Final = (("super", "SU"), ("grade_1", "G1"), ("grade_2", "G2"))

Kind = Literal["text", "number", "weight", "datetime", "product", "plot", "lot", "grade"]


class FormError(ValueError):
    """A typed value the form itself cannot read (before the event model sees it).

    Shaped like the domain's :class:`traceability.ValidationError` (``field``, ``expected``,
    ``got``) so the page words both the same way (``staff/_field_errors.py``).
    """

    def __init__(self, field: str, expected: str, got: object = None) -> None:
        super().__init__(f"{field}: expected {expected}, got {got!r}")
        self.field = field
        self.expected = expected
        self.got = got


@dataclass(frozen=True)
class Field:
    """One box on a form: its name, the wording key of its label, and what it holds."""

    name: str
    label: str
    kind: Kind = "text"
    required: bool = True
    group: int | None = None  # grading's output rows: which row this box belongs to


@dataclass(frozen=True)
class Form:
    """One event's page: its fields, who may use it, and how values become the event body.

    Who may use it and which lots it offers are not stated here but read from the domain's
    tables (:data:`traceability.PERMITTED`, :data:`traceability.TABLE`), so a page never
    offers what the domain would refuse.
    """

    kind: str
    title: str
    model: type[Model]
    #: What the event does to the lot it names (None: it creates lots, e.g. a harvest).
    action: Action | None
    fields: tuple[Field, ...]
    build: Callable[[Mapping[str, str]], dict[str, Any]]
    #: Model/domain field prefix -> form field, tried in order (first match wins).
    aliases: tuple[tuple[str, str], ...] = field(default=())

    @property
    def roles(self) -> tuple[str, ...]:
        """The roles that may record this event (the domain's permission table).

        A regulator's holds and recalls go through the regulator's pages, not these.
        """
        allowed = PERMITTED[self.model.KIND] - {Role.REGULATOR}
        return tuple(sorted(r.value for r in allowed))

    @property
    def lot_statuses(self) -> tuple[LotStatus, ...]:
        """Which lots the page's lot dropdown offers: the statuses the action is allowed from."""
        if self.action is None:
            return ()
        return tuple(sorted(TABLE[self.action].allowed))

    def offered_for(self, status: LotStatus) -> bool:
        """Whether a lot's page offers this form as a next step for a lot in ``status``."""
        return self.action is not None and status in TABLE[self.action].allowed

    def field_for(self, error_field: str) -> str | None:
        """Return the form field an error about ``error_field`` belongs next to, if any."""
        names = {f.name for f in self.fields}
        for prefix, name in self.aliases:
            if error_field == prefix or error_field.startswith((f"{prefix}.", f"{prefix}[")):
                return name
        head = re.split(r"[.\[]", error_field, maxsplit=1)[0]
        return head if head in names else None


def with_kg(form: Form, values: Mapping[str, str]) -> tuple[dict[str, str], list[Weighed]]:
    """Return ``values`` with each weight box in kg, and the weights that were converted.

    A weight typed in 斤 or 公斤 is recorded in kg (``staff/_weights.py``); text that is no
    weight is left for the event model to refuse with the field's name.
    """
    out, converted = dict(values), []
    for f in form.fields:
        weighed = read_weight(out.get(f.name, "")) if f.kind == "weight" else None
        if weighed is not None:
            out[f.name] = weighed.kg
            if weighed.converted:
                converted.append(weighed)
    return out, converted


def with_zone(form: Form, values: Mapping[str, str], zone: Zone) -> dict[str, str]:
    """Return ``values`` with each time box read on ``zone``'s clock (an ISO time with offset).

    The typed values stay as they were for showing the form again; a value that is not a
    time is left for :func:`_time` to refuse with the field's name.
    """
    out = dict(values)
    for f in form.fields:
        if f.kind == "datetime" and out.get(f.name, "").strip():
            try:
                out[f.name] = read_time(out[f.name], zone).isoformat()
            except ValueError:
                continue
    return out


def _time(values: Mapping[str, str], name: str = "time") -> str:
    text = values.get(name, "").strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise FormError(name, "a date and time like 2026-06-01T08:30", text) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHED_TIME)
    return moment.isoformat()


def lot_value(gtin: str, lot: str) -> str:
    """A lot as a dropdown's value: the GTIN-14, then the lot code."""
    return f"{gtin}{lot}"


def split_lot(value: str, name: str = "lot") -> dict[str, str]:
    """Read a lot dropdown's value back into ``{"gtin", "lot"}``."""
    if len(value) <= 14 or not value[:14].isdigit():
        raise FormError(name, "a lot from the list", value)
    return {"gtin": value[:14], "lot": value[14:]}


def _harvest(v: Mapping[str, str]) -> dict[str, Any]:
    return {
        "lot": {"gtin": v["product"], "lot": v["lot_code"]},
        "plot": v["plot"],
        "variety": v["variety"],
        "quantity": v["quantity"],
        "time": _time(v),
    }


def _cooling(v: Mapping[str, str]) -> dict[str, Any]:
    when = _time(v)
    reading = {"time": when, "celsius": v["celsius"]}
    return {"lot": split_lot(v["lot"]), "site": v["site"], "readings": [reading], "time": when}


def _grading(v: Mapping[str, str]) -> dict[str, Any]:
    source = split_lot(v["lot"])
    outputs = []
    for i in range(GRADING_ROWS):
        if not v.get(f"out{i}_quantity", "").strip():
            continue  # a row left empty: fewer grades this time
        sizes = _numbers(v.get(f"out{i}_sizes", ""))
        measures = _numbers(v.get(f"out{i}_measures", ""))
        graded: dict[str, Any] = {
            "lot": {"gtin": source["gtin"], "lot": v.get(f"out{i}_lot", "")},
            "grade": v.get(f"out{i}_grade", ""),
            "quantity": v[f"out{i}_quantity"],
        }
        # Sizes, counts or weights: the profile's basis decides which the grade rests on.
        if sizes or not measures:
            graded["sizes_mm"] = sizes
        if measures:
            graded["measures"] = measures
        quality = _readings(f"out{i}_quality", v.get(f"out{i}_quality", ""))
        if quality:
            graded["quality"] = quality
        outputs.append(graded)
    if not outputs:
        raise FormError("out0_quantity", "at least one graded lot with its weight")
    return {"input": source, "outputs": outputs, "site": v["site"], "time": _time(v)}


def _numbers(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"[,，、\s]+", text) if s]


_READING = re.compile(r"([a-z][a-z0-9_]{0,30})\s*[=:：]?\s*(-?[0-9]+(?:\.[0-9]+)?)")


def _readings(name: str, text: str) -> list[dict[str, str]]:
    """Quality readings typed as ``brix 9.5, moisture 20`` (``=`` or ``:`` allowed)."""
    out = []
    for part in (p.strip() for p in re.split("[,，、;\uff1b]+", text.strip().lower())):
        if not part:
            continue
        found = _READING.fullmatch(part)
        if found is None:
            raise FormError(name, "readings like brix 9.5, moisture 20")
        out.append({"indicator": found[1], "value": found[2]})
    return out


def _packing(v: Mapping[str, str]) -> dict[str, Any]:
    lots = [split_lot(v["lot"])]
    return {"unit_id": v["unit_id"], "lots": lots, "site": v["site"], "time": _time(v)}


def _shipping(v: Mapping[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "shipment": v["shipment"],
        "lots": [split_lot(v["lot"])],
        "origin": v["origin"],
        "destination": v["destination"],
        "time": _time(v),
    }
    if v.get("set_point", "").strip():
        body["set_point_celsius"] = v["set_point"].strip()
    return body


def _disposition(text_field: str) -> Callable[[Mapping[str, str]], dict[str, Any]]:
    def build(v: Mapping[str, str]) -> dict[str, Any]:
        return {"lot": split_lot(v["lot"]), text_field: v[text_field], "time": _time(v)}

    return build


_TIME = Field("time", "time", "datetime")
_LOT = Field("lot", "lot_heading", "lot")
_SITE = Field("site", "site_code")


def _grading_fields() -> tuple[Field, ...]:
    rows: list[Field] = []
    for i in range(GRADING_ROWS):
        rows += [
            Field(f"out{i}_lot", "output", required=False, group=i),
            Field(f"out{i}_grade", "grade", "grade", required=False, group=i),
            Field(f"out{i}_quantity", "weight", "weight", required=False, group=i),
            Field(f"out{i}_sizes", "sizes_mm", required=False, group=i),
            Field(f"out{i}_measures", "measures", required=False, group=i),
            Field(f"out{i}_quality", "quality_readings", required=False, group=i),
        ]
    return (_LOT, _SITE, *rows, _TIME)


def _grading_aliases() -> tuple[tuple[str, str], ...]:
    aliases: list[tuple[str, str]] = [("input", "lot")]
    for i in range(GRADING_ROWS):
        aliases += [
            (f"outputs[{i}].lot", f"out{i}_lot"),
            (f"outputs[{i}].grade", f"out{i}_grade"),
            (f"outputs[{i}].quantity", f"out{i}_quantity"),
            (f"outputs[{i}].sizes_mm", f"out{i}_sizes"),
            (f"outputs[{i}].measures", f"out{i}_measures"),
            (f"outputs[{i}].quality", f"out{i}_quality"),
        ]
    return (*aliases, ("outputs", "out0_lot"))


#: Every staff form, by the kind in its path (``/staff/record/<kind>``).
FORMS: Final[Mapping[str, Form]] = {
    f.kind: f
    for f in (
        Form(
            "harvest",
            "do_harvest",
            Harvest,
            None,
            (
                Field("product", "product", "product"),
                Field("lot_code", "lot_code"),
                Field("plot", "plot", "plot"),
                Field("variety", "variety"),
                Field("quantity", "weight", "weight"),
                _TIME,
            ),
            _harvest,
            aliases=(("lot.gtin", "product"), ("lot", "lot_code")),
        ),
        Form(
            "cooling",
            "do_cooling",
            Cooling,
            Action.COOL,
            (_LOT, _SITE, Field("celsius", "celsius", "number"), _TIME),
            _cooling,
            (("readings", "celsius"),),
        ),
        Form(
            "grading",
            "do_grading",
            Grading,
            Action.GRADE,
            _grading_fields(),
            _grading,
            _grading_aliases(),
        ),
        Form(
            "packing",
            "do_packing",
            Packing,
            Action.PACK,
            (_LOT, Field("unit_id", "unit_id"), _SITE, _TIME),
            _packing,
            (("lots", "lot"), ("units", "lot")),
        ),
        Form(
            "shipping",
            "do_shipping",
            Shipping,
            Action.SHIP,
            (
                _LOT,
                Field("shipment", "shipment"),
                Field("origin", "origin_site"),
                Field("destination", "destination"),
                Field("set_point", "set_point", "number", required=False),
                _TIME,
            ),
            _shipping,
            (("lots", "lot"), ("set_point_celsius", "set_point"), ("readings", "time")),
        ),
        Form(
            "release",
            "do_release",
            Release,
            Action.RELEASE,
            (_LOT, Field("note", "note"), _TIME),
            _disposition("note"),
        ),
        Form(
            "hold",
            "do_hold",
            Hold,
            Action.HOLD,
            (_LOT, Field("reason", "reason"), _TIME),
            _disposition("reason"),
        ),
    )
}


#: Event kinds the staff pages have no form for, and where they are recorded instead.
NO_FORM: Final[Mapping[str, str]] = {
    "cooperative": "master data: the cooperative admin records it (CLI or API)",
    "product": "master data: the cooperative admin records it (CLI or API)",
    "farm": "master data: the cooperative admin records it (CLI or API)",
    "site": "master data: the cooperative admin records it (CLI or API)",
    "certificate": "issued from the lot page, with `agritrace lot certificate` or the API",
    "labels": "printed with `agritrace lot labels` or the lot page (or the API)",
    "input": "growers' farm records arrive by CLI import or the API",
    "training": "the cooperative's qualification records arrive by CLI or the API",
    "assessment": "the cooperative's qualification records arrive by CLI or the API",
    "residue": "the lab signs its own results (API or CLI); the server holds no lab key",
    "receiving": "logistics upload logger files (CLI import) or use the API",
    "processing": "processors record by CLI or API",
    "intake": "taken in from another member's shipping entry (its seq and leaf hash): "
    "the alliance's tools or the API, never typed",
    "recall": "recalls are recorded on the regulator's pages (/regulator)",
    "status_map": "appended by the server before each checkpoint it publishes",
    "complaint": "consumers report on the scan page (/report/...); signed by the intake key",
    "decision": "regulators decide on the complaint's page (/regulator/complaints)",
    "sampling_plan": "sampling plans are stated by the cooperative admin or the regulator",
    "lab": "a lab signs its own enrolment (API or CLI); the server holds no lab key",
    "lab_approval": "the regulator approves a lab's enrolment (CLI or API)",
    "sample": "a lab signs its own samples; the regulator's pre-samples by CLI or API",
}
