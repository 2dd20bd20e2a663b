"""The one function that produces the bytes the ledger hashes or signs.

RFC 8785 (JSON Canonicalization Scheme) gives every JSON value exactly one byte form, so a
record's hash and a statement's signature can be recomputed by anyone from the parsed value.
Nothing else in the ledger serialises for hashing or signing (docs/adr/0001-rfc8785.md).
"""

from __future__ import annotations

from typing import Any

import orjson
import rfc8785

from ledger._errors import EncodingError

__all__ = ["canonical_bytes", "is_canonical", "plain_bytes"]

# I-JSON's largest exactly representable integer: beyond it RFC 8785 refuses.
_SAFE = 2**53 - 1


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
    encoded = plain_bytes(value)
    if encoded is not None:
        return encoded
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


def plain_bytes(value: Any) -> bytes | None:
    """:func:`canonical_bytes` of a plain value (see ``_plain``), made in C; else None.

    None means "ask :func:`canonical_bytes`": the value has a float, a non-ASCII member
    name, an integer beyond the safe range, a type that is not exactly a JSON one, a lone
    surrogate or nesting past orjson's limit. Bytes returned hold no float and no integer
    beyond ±(2**53 - 1), so ``orjson.loads`` reads them back to an equal plain value.
    """
    if not _plain(value):
        return None
    # For such a value orjson's sorted-key form is RFC 8785's bytes (see _plain), made in
    # C: the pure-Python encoder cost a fifth of recording an event.
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        return None  # a lone surrogate or nesting past orjson's limit: the encoder says which


def is_canonical(value: Any, data: bytes) -> bool:
    """Whether ``data`` is exactly :func:`canonical_bytes` of ``value``.

    Reading a log back checks every leaf this way; for the values a log holds (no float,
    ASCII member names) :func:`canonical_bytes` encodes in C, so the check costs little.
    """
    try:
        return canonical_bytes(value) == data
    except EncodingError:
        return False


def _plain(value: Any) -> bool:
    """Whether orjson's sorted-key encoding of ``value`` is its RFC 8785 encoding.

    True for values built only of ``dict`` with ASCII ``str`` member names, ``list``,
    ``str``, ``bool``, ``None`` and ``int`` within I-JSON's safe range (exact types, not
    subclasses, which orjson and rfc8785 may treat differently). For those the two encoders
    write the same bytes: strings are escaped alike (every code point checked,
    tests/ledger/test_canonical_check.py), integers are plain decimals in both, and ASCII
    names sort alike by UTF-16 code unit and by code point. Floats (ECMAScript's number
    form) and non-ASCII names (UTF-16 order) are left to the RFC 8785 encoder.
    """
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is str or kind is bool or item is None:
            continue
        if kind is int:
            if -_SAFE <= item <= _SAFE:
                continue
            return False
        if kind is dict:
            for name, member in item.items():
                if type(name) is not str or not name.isascii():
                    return False
                stack.append(member)
        elif kind is list:
            stack.extend(item)
        else:
            return False
    return True
