"""Read EPCIS 2.0 identifiers and values back into the domain's terms (the import's lexicon).

Each function takes one JSON value from an event and returns the domain value or raises
:class:`Unsupported` naming the field and why this cooperative cannot use it. Only lots
(GTIN + AI 10) are tracked, so instance EPCs without a lot are refused by scheme.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import unquote

from labels import gs1_check_digit
from traceability._errors import TraceError

__all__ = ["Unsupported", "decimal_text", "get", "local_id", "lot_of", "text", "unit_of"]


class Unsupported(TraceError):
    """One field of an event holds something the domain cannot represent.

    Attributes:
        field: the event field, dotted (e.g. ``"quantityList[0].epcClass"``).
        category: ``"unsupported"`` (a valid EPCIS value the domain has no place for) or
            ``"invalid"`` (a value the domain's own rules refuse).
    """

    def __init__(self, field: str, message: str, category: str = "unsupported") -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.category = category


# GS1 Digital Link (any resolver host): a lot is 01 + 10, a unit adds 21 (DL 1.2 §4).
_DL_LOT = re.compile(r"^https?://[^/]+(?:/[^?#]*)?/01/(\d{14})/10/([^/?#]+)$")
_DL_UNIT = re.compile(r"^https?://[^/]+(?:/[^?#]*)?/01/(\d{14})/10/([^/?#]+)/21/([^/?#]+)$")
# EPC pure-identity class URI for a lot (TDS 2.0 §6.3.1): CompanyPrefix.IndicatorItemRef.Lot
_LGTIN = re.compile(r"^urn:epc:class:lgtin:(\d{6,12})\.(\d{1,7})\.(.+)$")

# Why each other scheme is not a lot: the sentence a refusal carries.
_NOT_LOTS = {
    "urn:epc:id:sgtin:": "SGTIN-keyed EPCs are serialised items without a lot (AI 10); "
    "this cooperative tracks lots",
    "urn:epc:id:sscc:": "SSCC-keyed EPCs are logistic units, not lots this cooperative tracks",
    "urn:epc:id:giai:": "GIAI-keyed EPCs are individual assets, not lots",
    "urn:epc:id:grai:": "GRAI-keyed EPCs are returnable assets, not lots",
    "urn:epc:id:gsrn:": "GSRN-keyed EPCs are service relations, not lots",
    "urn:epc:id:sgln:": "SGLN identifiers are locations, not lots",
    "urn:epc:idpat:": "EPC patterns match many items; a lot must be named exactly",
    "urn:epc:class:lgtin:": "",
    "urn:gdst:": "GDST product classes carry no GTIN; lots here are GTIN + AI 10",
    "urn:epc:id:": "this EPC scheme names no lot (GTIN + AI 10)",
}


def lot_of(value: object, field: str) -> dict[str, str]:
    """Return ``{"gtin", "lot"}`` for a lot EPC class (Digital Link or LGTIN URN)."""
    if not isinstance(value, str):
        raise Unsupported(field, f"expected an EPC class URI, got {value!r}")
    if match := _DL_LOT.match(value):
        return {"gtin": match[1], "lot": unquote(match[2])}
    if match := _LGTIN.match(value):
        prefix, item, lot = match[1], match[2], match[3]
        if len(prefix) + len(item) != 13:
            raise Unsupported(field, f"LGTIN {value} has {len(prefix) + len(item)} digits, not 13")
        body = item[0] + prefix + item[1:]
        return {"gtin": body + gs1_check_digit(body), "lot": unquote(lot)}
    if _DL_UNIT.match(value):
        raise Unsupported(field, f"{value} is a serialised unit; a lot event names the lot")
    raise Unsupported(field, _why_not(value))


def unit_of(value: object, field: str) -> dict[str, str]:
    """Return ``{"gtin", "lot", "serial"}`` for a Digital Link with AI 01, 10 and 21."""
    if isinstance(value, str) and (match := _DL_UNIT.match(value)):
        return {"gtin": match[1], "lot": unquote(match[2]), "serial": unquote(match[3])}
    if isinstance(value, str) and value.startswith("urn:epc:id:sgtin:"):
        raise Unsupported(field, "SGTIN URNs carry no lot; a packed unit must name its lot")
    raise Unsupported(field, f"expected a Digital Link /01/…/10/…/21/…, got {value!r}")


def _why_not(value: str) -> str:
    for prefix, reason in _NOT_LOTS.items():
        if value.startswith(prefix) and reason:
            return f"{value}: {reason}"
    return f"{value} is not a lot URI (GS1 Digital Link /01/…/10/… or urn:epc:class:lgtin)"


def local_id(value: object, field: str, base: str, kind: str) -> str:
    """Return ``X`` from ``<base>/<kind>/X``: the cooperative's own plots, sites, units."""
    prefix = f"{base}/{kind}/"
    if isinstance(value, str) and value.startswith(prefix):
        return unquote(value[len(prefix) :])
    sgln = "urn:epc:id:sgln:"
    if kind == "site" and isinstance(value, str) and value.startswith(sgln):
        # A partner's site by GLN (e.g. a DC): kept as "sgln.<company>.<location>.<ext>",
        # which the local-id syntax admits; plots are never foreign.
        return "sgln." + value[len(sgln) :]
    raise Unsupported(
        field, f"{value!r} is not a {kind} of this cooperative (expected {prefix}<id>)"
    )


def decimal_text(value: object, field: str) -> str:
    """Return a JSON number as the exact decimal string the domain models take."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise Unsupported(field, f"expected a number, got {value!r}", "invalid")
    try:
        # str() of a float is its shortest round-tripping form, so 0.1 stays "0.1".
        number = Decimal(str(value))
    except InvalidOperation as e:
        raise Unsupported(field, f"expected a number, got {value!r}", "invalid") from e
    return format(number.normalize(), "f") if number == number.to_integral() else str(number)


def text(value: object, field: str) -> str:
    """Return a non-empty string or refuse the field."""
    if isinstance(value, str) and value.strip():
        return value
    raise Unsupported(field, f"expected text, got {value!r}", "invalid")


def get(event: dict[str, Any], name: str) -> Any:
    """Return ``event[name]`` or refuse: the domain event needs the field."""
    if name not in event:
        raise Unsupported(name, "missing; the domain event needs it")
    return event[name]
