"""Identifiers and measured values: GS1 keys via :mod:`labels`, local ids, decimals, times.

GTIN (AI 01), lot (AI 10) and serial (AI 21) syntax is checked by :mod:`labels`, and GS1
Digital Link URIs are built by it (:class:`labels.DigitalLink`); this module only turns its
errors into the domain's :class:`ValidationError` naming the event's field.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from labels import (
    DigitalLink,
    GS1SyntaxError,
    gs1_check_digit,
    normalize_gtin,
    validate_lot,
    validate_serial,
)
from traceability._errors import ValidationError

__all__ = [
    "CLOCK_SKEW",
    "TIME_FLOOR",
    "check_time",
    "epc_class",
    "lot_key",
    "parse_decimal",
    "parse_gln",
    "parse_gtin",
    "parse_local_id",
    "parse_lot",
    "parse_serial",
    "time_text",
    "unit_uri",
]

#: A device clock may run a little ahead of the server's; more than this is a future date.
CLOCK_SKEW = timedelta(minutes=5)
#: No event of this system happened before this: an earlier time is a typo or a forgery
#: (year 0001 results were once accepted).
TIME_FLOOR = datetime(2000, 1, 1, tzinfo=UTC)

# Cooperative-chosen ids for farms, plots, sites, shipments: URI-safe so they can sit in
# EPCIS location URIs unescaped.
_LOCAL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
# Plain decimal notation only: no exponent, no NaN/Infinity, as measured values are written.
_DECIMAL = re.compile(r"^-?\d{1,9}(\.\d{1,6})?$")


def parse_gtin(value: object, field: str) -> str:
    """Return ``value`` as a validated GTIN-14 (check digit included) or raise."""
    if not isinstance(value, str):
        raise ValidationError(field, "a GTIN as a string of digits", value)
    try:
        return _gtin14(value)
    except GS1SyntaxError as e:
        raise ValidationError(field, "a GTIN-8/12/13/14 with a valid check digit", value) from e


@lru_cache(maxsize=4096)
def _gtin14(value: str) -> str:
    # A cooperative has a few dozen products and every event names one: the check digit of
    # the same string was worked out again for each (a refusal raises and is not kept).
    return normalize_gtin(value)


def parse_gln(value: object, field: str) -> str:
    """Return ``value`` as a validated GLN (13 digits, GS1 check digit) or raise."""
    if not isinstance(value, str) or not re.fullmatch(r"\d{13}", value):
        raise ValidationError(field, "a GLN of 13 digits", value)
    if gs1_check_digit(value[:12]) != value[12]:
        raise ValidationError(field, f"a GLN with check digit {gs1_check_digit(value[:12])}", value)
    return value


def parse_lot(value: object, field: str) -> str:
    """Return ``value`` as a validated lot code (AI 10: 1-20 chars of GS1 set 82) or raise."""
    if not isinstance(value, str):
        raise ValidationError(field, "a lot code string", value)
    try:
        return validate_lot(value)
    except GS1SyntaxError as e:
        raise ValidationError(field, "1-20 characters of GS1 character set 82", value) from e


def parse_serial(value: object, field: str) -> str:
    """Return ``value`` as a validated serial (AI 21) or raise."""
    if not isinstance(value, str):
        raise ValidationError(field, "a serial number string", value)
    try:
        return validate_serial(value)
    except GS1SyntaxError as e:
        raise ValidationError(field, "1-20 characters of GS1 character set 82", value) from e


def parse_local_id(value: object, field: str) -> str:
    """Return a cooperative id (farm, plot, site, shipment): 1-40 of ``A-Z a-z 0-9 . _ -``."""
    if not isinstance(value, str) or not _LOCAL_ID.match(value):
        raise ValidationError(
            field, "1-40 characters of A-Z a-z 0-9 . _ - (letter/digit first)", value
        )
    return value


def parse_decimal(
    value: object, field: str, *, minimum: Decimal | None = None, positive: bool = False
) -> Decimal:
    """Parse a measured value written as a decimal string (never a float) or raise.

    Args:
        value: e.g. ``"4.5"``; a JSON number is refused so no binary rounding sneaks in.
        field: the field named in errors.
        minimum: the smallest value allowed (inclusive).
        positive: require a value greater than zero.
    """
    if isinstance(value, Decimal) and value.is_finite():
        text = format(value, "f")
    elif isinstance(value, str):
        text = value
    else:
        raise ValidationError(field, "a decimal string like '12.5'", value)
    if not _DECIMAL.match(text):
        raise ValidationError(field, "a decimal string like '12.5'", value)
    try:
        number = Decimal(text)
    except InvalidOperation as e:  # pragma: no cover - the pattern admits only decimals
        raise ValidationError(field, "a decimal string like '12.5'", value) from e
    if positive and number <= 0:
        raise ValidationError(field, "a value greater than 0", value)
    if minimum is not None and number < minimum:
        raise ValidationError(field, f"a value of at least {minimum}", value)
    return number


def check_time(value: object, field: str, *, now: datetime | None = None) -> datetime:
    """Return a timezone-aware, not-in-the-future time (RFC 3339 string or datetime)."""
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as e:
            raise ValidationError(
                field, "an RFC 3339 time like 2026-06-01T08:30:00+08:00", value
            ) from e
    elif isinstance(value, datetime):
        moment = value
    else:
        raise ValidationError(field, "an RFC 3339 time like 2026-06-01T08:30:00+08:00", value)
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValidationError(field, "a time with a UTC offset", value)
    if moment < TIME_FLOOR:
        raise ValidationError(field, f"a time not before {time_text(TIME_FLOOR)}", value)
    limit = (now or datetime.now(UTC)) + CLOCK_SKEW
    if moment > limit:
        raise ValidationError(field, f"a time not after now ({time_text(limit)})", value)
    return moment


def time_text(moment: datetime) -> str:
    """Return ``moment`` as RFC 3339 keeping its own UTC offset (EPCIS needs the offset)."""
    return moment.isoformat()


def lot_key(gtin: str, lot: str) -> str:
    """Return the key a lot is known by in projections: its GS1 element string."""
    return f"(01){gtin}(10){lot}"


#: The canonical resolver EPCIS identifiers use (GS1 Digital Link, EPCIS 2.0 §7.3).
_GS1_RESOLVER = "https://id.gs1.org"


def epc_class(gtin: str, lot: str) -> str:
    """Return a lot's EPC class as a GS1 Digital Link URI (allowed by EPCIS 2.0 §7.3).

    Raises:
        labels.GS1SyntaxError: the GTIN or lot code is not valid.
    """
    # labels percent-encodes what set 82 admits but a URI reserves (/, %, ?, ...).
    return DigitalLink(_GS1_RESOLVER, gtin, lot=lot).uri


def unit_uri(gtin: str, lot: str, serial: str) -> str:
    """Return a serialised unit's EPC as a GS1 Digital Link URI (01, 10, 21 in that order).

    Raises:
        labels.GS1SyntaxError: the GTIN, lot code or serial is not valid.
    """
    return DigitalLink(_GS1_RESOLVER, gtin, lot=lot, serial=serial).uri
