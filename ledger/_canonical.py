"""The one function that produces the bytes the ledger hashes or signs.

RFC 8785 (JSON Canonicalization Scheme) gives every JSON value exactly one byte form, so a
record's hash and a statement's signature can be recomputed by anyone from the parsed value.
Nothing else in the ledger serialises for hashing or signing (docs/adr/0001-rfc8785.md).
"""

from __future__ import annotations

import re
from typing import Any

import orjson
import rfc8785

from ledger._errors import EncodingError

__all__ = ["canonical_bytes", "is_canonical"]

# Integers beyond I-JSON's safe range (2**53 - 1, 16 digits) need 16 digits or more.
_LONG_DIGITS = re.compile(rb"\d{16}")


def canonical_bytes(value: Any) -> bytes:
    """Return the RFC 8785 canonical UTF-8 bytes of a JSON value.

    Args:
        value: ``dict`` (string keys), ``list``, ``str``, ``int`` within I-JSON's safe range
            (±(2**53 - 1)), finite ``float``, ``bool`` or ``None``, nested.

    Returns:
        The canonical encoding.

    Raises:
        EncodingError: the value is not JSON, an integer is outside the safe range (other
            implementations would read it differently), a float is NaN or infinite, or a
            string holds an unpaired surrogate.
    """
    try:
        return rfc8785.dumps(value)
    except rfc8785.CanonicalizationError as e:
        raise EncodingError(f"cannot encode canonically (RFC 8785): {e}") from e
    except UnicodeEncodeError as e:
        # rfc8785 sorts object keys by their UTF-16 form before it checks them, so an
        # unpaired surrogate in a key surfaces here rather than as CanonicalizationError.
        raise EncodingError(
            f"cannot encode canonically (RFC 8785): a string holds an unpaired surrogate ({e})"
        ) from e


def is_canonical(value: Any, data: bytes) -> bool:
    """Whether ``data`` is exactly :func:`canonical_bytes` of ``value``.

    Reading a log back checks every leaf this way, and the RFC 8785 encoder (pure Python)
    costs more than the rest of the read. For values with no float, only ASCII member names
    and no integer of 16 digits or more, RFC 8785 and orjson's sorted-key form are the same
    bytes: strings are escaped alike (every code point checked, tests/ledger/test_canonical.py),
    integers are plain decimals in both, and ASCII names sort alike by UTF-16 code unit and
    by code point. Such a value is compared with orjson's encoding (in C); any other, or a
    mismatch, goes to the RFC 8785 encoder.
    """
    if _LONG_DIGITS.search(data) is None and _plain(value):
        try:
            if orjson.dumps(value, option=orjson.OPT_SORT_KEYS) == data:
                return True
        except orjson.JSONEncodeError:
            pass
    try:
        return canonical_bytes(value) == data
    except EncodingError:
        return False


def _plain(value: Any) -> bool:
    """Whether ``value`` holds no float and no member name outside ASCII, at any depth."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for name, member in item.items():
                if not isinstance(name, str) or not name.isascii():
                    return False
                stack.append(member)
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, float):
            return False
    return True
