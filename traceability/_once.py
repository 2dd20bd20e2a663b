"""Idempotency keys: a retried request appends nothing the first attempt already appended.

A client that sends a write, loses the connection and sends it again cannot know whether
the first attempt committed. It names the attempt with a key of its own (the HTTP
``Idempotency-Key`` header, a form's hidden field, ``--idempotency-key`` on the CLI); the
recorder stores the key, scoped to the caller, with a fingerprint of the request and the
receipts of what it appended, in the transaction of the append itself
(:mod:`traceability._batch`). So either both the entries and the key are committed, or
neither is: a retry finds the key and gets the first answer back, or finds nothing and
appends as if for the first time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from ledger import Receipt
from traceability._errors import TraceError, ValidationError

__all__ = ["KEY_RETENTION", "IdempotencyKey", "IdempotencyKeyUsedError", "StoredKey"]

#: How long a key is remembered after the append it named. A retry after a crash comes
#: within minutes; a week covers a packing shed whose connection is down over a weekend.
#: Later appends delete older keys; a key sent again after that is a new request.
KEY_RETENTION: Final = timedelta(days=7)

# The IETF httpapi idempotency-key draft: a string of printable ASCII; we bound it at 255.
_KEY = re.compile(r"^[\x20-\x7e]{1,255}$")
_FINGERPRINT = re.compile(r"^[0-9a-f]{64}$")
_SCOPE_MAX = 128


@dataclass(frozen=True)
class IdempotencyKey:
    """A caller's key for one write, and the fingerprint of the request it came with.

    Attributes:
        scope: who sent it (the caller's actor name): another caller's key never matches.
        key: the client's key, 1-255 printable ASCII characters.
        fingerprint: SHA-256 (hex) of the request: the same key with another request is
            refused rather than answered with the first request's result.

    Raises:
        ValidationError: a field is not of that form (the key's field is ``Idempotency-Key``).
    """

    scope: str
    key: str
    fingerprint: str

    def __post_init__(self) -> None:
        if not _KEY.fullmatch(self.key):
            raise ValidationError(
                "Idempotency-Key", "1 to 255 printable ASCII characters", self.key[:300]
            )
        if not 0 < len(self.scope) <= _SCOPE_MAX:
            expected = f"a caller's name of 1 to {_SCOPE_MAX} characters"
            raise ValidationError("scope", expected, self.scope)
        if not _FINGERPRINT.fullmatch(self.fingerprint):
            expected = "64 lowercase hex digits (SHA-256)"
            raise ValidationError("fingerprint", expected, self.fingerprint)


@dataclass(frozen=True)
class StoredKey:
    """A key as the ledger's database holds it.

    Attributes:
        fingerprint: the fingerprint of the request that used the key first.
        receipts: what that request appended (or found already there), in order.
        status: the HTTP status it was answered with, when stored (None if the server
            stopped between the commit and storing the answer).
        response: the answer's body, when stored.
    """

    fingerprint: str
    receipts: tuple[Receipt, ...]
    status: int | None
    response: str | None


class IdempotencyKeyUsedError(TraceError):
    """The key was stored (by another request) before this one reached the append lock.

    Nothing was appended by this request. Attributes: ``stored``, the key as stored.
    """

    def __init__(self, stored: StoredKey) -> None:
        super().__init__("Idempotency-Key: this key was already used")
        self.stored = stored
