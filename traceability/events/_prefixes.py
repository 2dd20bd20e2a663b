"""GS1 company prefixes: the master data that says which GTINs a cooperative's log issues.

A GS1 company prefix (GCP) is 6 to 12 digits as GS1 assigned it; a GTIN belongs to it when
its GTIN-13 form starts with the prefix. In the GTIN-14 every event stores, that form follows
the indicator digit (GS1 General Specifications 3.3.2: a GTIN-12's prefix is written with a
leading zero, so ``00`` + UPC keeps this rule too). So the demo's GTIN ``06912345670012``
(indicator ``0``) belongs to the company prefix ``691234567``, and a case-level GTIN with
indicator ``1`` to the same prefix.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Annotated

from pydantic import BeforeValidator, ValidationInfo

from traceability._errors import ValidationError

__all__ = [
    "MAX_PREFIXES",
    "CompanyPrefix",
    "check_prefix_set",
    "matching_prefix",
    "parse_company_prefix",
]

#: A cooperative holds one prefix, rarely a few (one per brand or licence); more is a typo.
MAX_PREFIXES = 8

_PREFIX = re.compile(r"^\d{6,12}$")


def parse_company_prefix(value: object, field: str) -> str:
    """Return ``value`` as a GS1 company prefix (6-12 digits) or raise naming ``field``."""
    if not isinstance(value, str) or not _PREFIX.fullmatch(value):
        raise ValidationError(
            field,
            "a GS1 company prefix of 6 to 12 digits as GS1 assigned it "
            "(without the GTIN-14 indicator digit)",
            value,
        )
    return value


def _field_prefix(value: object, info: ValidationInfo) -> str:
    return parse_company_prefix(value, info.field_name or "company_prefixes")


#: One GS1 company prefix in an event model (6-12 digits).
CompanyPrefix = Annotated[str, BeforeValidator(_field_prefix)]


def check_prefix_set(prefixes: tuple[str, ...], field: str) -> tuple[str, ...]:
    """Refuse duplicates and a prefix inside another of the same set (one would be unused)."""
    for i, prefix in enumerate(prefixes):
        for j, other in enumerate(prefixes):
            if i != j and other.startswith(prefix):
                raise ValidationError(
                    f"{field}[{j}]",
                    f"a prefix not already covered by {prefix!r} ({field}[{i}])",
                    other,
                )
    return prefixes


def matching_prefix(gtin: str, prefixes: Iterable[str]) -> str | None:
    """Return the longest of ``prefixes`` the GTIN-14 ``gtin`` belongs to, or None.

    Requires ``gtin`` to be a validated GTIN-14; its first digit (the indicator) is skipped.
    """
    body = gtin[1:]
    best: str | None = None
    for prefix in prefixes:
        if body.startswith(prefix) and (best is None or len(prefix) > len(best)):
            best = prefix
    return best
