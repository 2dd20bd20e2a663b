"""The one function that produces the bytes the ledger hashes or signs.

RFC 8785 (JSON Canonicalization Scheme) gives every JSON value exactly one byte form, so a
record's hash and a statement's signature can be recomputed by anyone from the parsed value.
Nothing else in the ledger serialises for hashing or signing (docs/adr/0001-rfc8785.md).
"""

from __future__ import annotations

from typing import Any

import rfc8785

from ledger._errors import EncodingError

__all__ = ["canonical_bytes"]


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
