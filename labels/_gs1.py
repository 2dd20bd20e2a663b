"""GS1 primitives: check digits, GTIN normalisation, character set 82, AI value syntax.

The rules come from the GS1 General Specifications and the GS1 Barcode Syntax Dictionary
(``_ai_data.py``); the linters implemented here are the ones an AI used in a GTIN-keyed
Digital Link needs. Other linters are not checked (see ``_LINTERS``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from labels._ai_data import ROWS
from labels._errors import GS1SyntaxError

__all__ = [
    "CSET82",
    "AIRule",
    "ai_rule",
    "gs1_check_digit",
    "normalize_gtin",
    "validate_ai_value",
    "validate_lot",
    "validate_serial",
]

# GS1 character set 82 (GS1 General Specifications, figure 7.11-1): no space, no non-ASCII.
CSET82 = frozenset(
    "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
)
_CSET39 = frozenset("#-/0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_CSET64 = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=")
_DIGITS = frozenset("0123456789")
_CHARSETS = {"N": _DIGITS, "X": CSET82, "Y": _CSET39, "Z": _CSET64}
_CHARSET_NAMES = {
    "N": "digits",
    "X": "GS1 character set 82",
    "Y": "GS1 character set 39",
    "Z": "base64url",
}
_GTIN_LENGTHS = (8, 12, 13, 14)


def gs1_check_digit(digits: str) -> str:
    """Compute the GS1 mod-10 check digit for ``digits`` (the data without its check digit).

    Weights 3, 1, 3, 1, ... run from the rightmost digit leftwards, so one function serves
    GTIN-8/12/13/14, GLN and SSCC alike.

    Args:
        digits: One or more ASCII digits.

    Returns:
        The check digit as a one-character string.

    Raises:
        GS1SyntaxError: ``digits`` is empty or holds a non-digit.
    """
    if not digits:
        raise GS1SyntaxError("digits", "expected at least one digit, got an empty string")
    _require_digits("digits", digits)
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str((10 - total % 10) % 10)


def normalize_gtin(gtin: str) -> str:
    """Validate a GTIN-8, -12, -13 or -14 and return it as 14 digits (left-padded with zeros).

    Args:
        gtin: The GTIN as printed, digits only.

    Returns:
        The GTIN-14 form used in element strings and Digital Link URIs.

    Raises:
        GS1SyntaxError: Wrong length, a non-digit, or a wrong check digit.
    """
    if len(gtin) not in _GTIN_LENGTHS:
        raise GS1SyntaxError(
            "gtin", f"expected 8, 12, 13 or 14 digits, got {len(gtin)} characters {gtin!r}"
        )
    _require_digits("gtin", gtin)
    _require_check_digit("gtin", gtin)
    return gtin.zfill(14)


def validate_lot(lot: str) -> str:
    """Validate a batch/lot number (AI 10: 1 to 20 characters of GS1 character set 82).

    Args:
        lot: The lot code.

    Returns:
        ``lot`` unchanged.

    Raises:
        GS1SyntaxError: Empty, longer than 20, or a character outside set 82.
    """
    return validate_ai_value("10", lot, field="lot")


def validate_serial(serial: str) -> str:
    """Validate a serial number (AI 21: 1 to 20 characters of GS1 character set 82).

    Args:
        serial: The serial number.

    Returns:
        ``serial`` unchanged.

    Raises:
        GS1SyntaxError: Empty, longer than 20, or a character outside set 82.
    """
    return validate_ai_value("21", serial, field="serial")


@dataclass(frozen=True)
class AIRule:
    """The syntax of one Application Identifier, from the GS1 Barcode Syntax Dictionary.

    Attributes:
        ai: The Application Identifier.
        fnc1_required: A variable-length AI: FNC1 must follow its value unless it is last.
        dl_data_attribute: The AI may appear as a Digital Link query parameter.
        dl_qualifier_paths: For a Digital Link primary key, the allowed qualifier sequences.
        components: ``(charset, min, max, optional, linters)`` for each component.
    """

    ai: str
    fnc1_required: bool
    dl_data_attribute: bool
    dl_qualifier_paths: tuple[tuple[str, ...], ...] | None
    components: tuple[tuple[str, int, int, bool, tuple[str, ...]], ...]


@cache
def _rules() -> dict[str, AIRule]:
    rules: dict[str, AIRule] = {}
    for first, last, fnc1, dl_attr, dlpkey, components in ROWS:
        paths = None if dlpkey is None else tuple(tuple(p.split(",")) for p in dlpkey.split("|"))
        for number in range(int(first), int(last) + 1):
            ai = str(number).zfill(len(first))
            rules[ai] = AIRule(ai, fnc1, dl_attr, paths, components)
    return rules


def ai_rule(ai: str) -> AIRule:
    """Return the syntax rule of ``ai``.

    Raises:
        GS1SyntaxError: ``ai`` is not an Application Identifier in the dictionary.
    """
    rule = _rules().get(ai)
    if rule is None:
        raise GS1SyntaxError("ai", f"expected a known GS1 Application Identifier, got {ai!r}")
    return rule


def validate_ai_value(ai: str, value: str, *, field: str | None = None) -> str:
    """Check ``value`` against the syntax of ``ai`` (charset, lengths, implemented linters).

    Args:
        ai: The Application Identifier, e.g. ``"10"``.
        value: The value as it would appear in the element string.
        field: Name used in error messages (defaults to ``"AI (<ai>)"``).

    Returns:
        ``value`` unchanged.

    Raises:
        GS1SyntaxError: The value breaks the AI's syntax.
    """
    name = field or f"AI ({ai})"
    rule = ai_rule(ai)
    pos = 0
    for charset, low, high, optional, linters in rule.components:
        if pos == len(value) and optional:
            break
        part = value[pos : pos + high]
        if len(part) < low:
            raise GS1SyntaxError(
                name, f"expected at least {pos + low} characters, got {len(value)} in {value!r}"
            )
        allowed = _CHARSETS[charset]
        for i, char in enumerate(part):
            if char not in allowed:
                raise GS1SyntaxError(
                    name,
                    f"expected only {_CHARSET_NAMES[charset]}, got {char!r} at position "
                    f"{pos + i + 1} of {value!r}",
                )
        for linter in linters:
            check = _LINTERS.get(linter)
            if check is not None:
                check(name, part)
        pos += len(part)
    if pos != len(value):
        raise GS1SyntaxError(
            name, f"expected at most {pos} characters, got {len(value)} in {value!r}"
        )
    return value


def _require_digits(field: str, value: str) -> None:
    for i, char in enumerate(value):
        if char not in _DIGITS:
            raise GS1SyntaxError(
                field, f"expected only digits, got {char!r} at position {i + 1} of {value!r}"
            )


def _require_check_digit(field: str, value: str) -> None:
    if len(value) < 2:
        raise GS1SyntaxError(field, f"expected data and a check digit, got {value!r}")
    want = gs1_check_digit(value[:-1])
    if value[-1] != want:
        raise GS1SyntaxError(field, f"expected check digit {want}, got {value[-1]} in {value!r}")


def _require_date(field: str, value: str, *, day_zero: bool) -> None:
    # yymmdd: the year is within -49..+50 of this year (GS1 General Specifications 7.12);
    # day 00 means the last day of the month where the AI allows it (yymmd0).
    year, month, day = 2000 + int(value[0:2]), int(value[2:4]), int(value[4:6])
    if day == 0 and day_zero and 1 <= month <= 12:
        return
    try:
        dt.date(year, month, day)
    except ValueError:
        raise GS1SyntaxError(field, f"expected a date YYMMDD, got {value!r}") from None


_LINTERS: dict[str, Callable[[str, str], None]] = {
    "csum": _require_check_digit,
    "yymmdd": lambda f, v: _require_date(f, v, day_zero=False),
    "yymmd0": lambda f, v: _require_date(f, v, day_zero=True),
}
