"""The ledger's one error hierarchy.

Every failure the ledger reports is a :class:`LedgerError`. Messages say what was expected
and what came, so that an operator reading a log line can act on it; the same facts are on
the error as fields (``field``, ``expected``, ``got``, and ``index`` for the statement of a
batch), so a caller maps an error without parsing its message. Mapping to HTTP status codes
happens once, in the app, never here.

The tree::

    LedgerError
    ├── EncodingError            a value has no canonical encoding
    ├── StatementError           a statement is malformed (a field, the size, the JSON)
    ├── SignatureError           a signature does not verify with the key it names
    ├── KeyStateError            a key is unknown, revoked, or may not do what was asked
    ├── ProofError               a Merkle proof is malformed or leads to another root
    ├── NoteError                a signed note / checkpoint / cosignature does not verify
    ├── StoreError               the database holds what the ledger did not write, or fails
    ├── AppendConflictError      a conditional append found the log at another size
    ├── CheckpointConflictError  a checkpoint would contradict what is published
    ├── MirrorError              a followed log could not be fetched, or forked (_mirror)
    ├── WitnessError             a tlog-witness request is refused (_witness_protocol)
    └── WitnessClientError       a witness did not cosign our checkpoint (_witness_client)

``TileNotFoundError`` (a tile beyond the published checkpoint) is a ``StoreError``.
"""

from __future__ import annotations

from typing import Any, Self

__all__ = [
    "AppendConflictError",
    "CheckpointConflictError",
    "EncodingError",
    "KeyStateError",
    "LedgerError",
    "NoteError",
    "ProofError",
    "SignatureError",
    "StatementError",
    "StoreError",
]


class LedgerError(Exception):
    """Base class of every error raised by the ledger.

    Attributes:
        field: the input or stored field at fault, as a dotted path (``body.roles``,
            ``ledger_head.last_log_time``), or None when no single field is.
        expected: what the ledger expected there, when one value or shape was.
        got: what it found instead.
        index: the position of the failing statement in a batch, or None.
    """

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        expected: Any = None,
        got: Any = None,
        index: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.expected = expected
        self.got = got
        self.index = index

    def in_batch(self, index: int) -> Self:
        """Return the same error for statement ``index`` of a batch (message prefixed)."""
        error = type(self)(
            f"statement {index}: {self.message}",
            field=self.field,
            expected=self.expected,
            got=self.got,
            index=index,
        )
        error.__cause__ = self
        return error


class EncodingError(LedgerError):
    """A value cannot be encoded canonically (not JSON, or outside I-JSON limits)."""


class StatementError(LedgerError):
    """A statement is malformed: a missing or mistyped field, an oversize body, bad JSON."""


class SignatureError(LedgerError):
    """A signature does not verify against the key it names."""


class KeyStateError(LedgerError):
    """A key is unknown, revoked, or not allowed to do what was asked at this position."""


class ProofError(LedgerError):
    """A Merkle proof is malformed, or does not lead to the expected root."""


class NoteError(LedgerError):
    """A signed note or checkpoint is malformed, or no trusted signature on it verifies."""


class StoreError(LedgerError):
    """The database holds something the ledger did not write, or cannot be reached."""


class AppendConflictError(LedgerError):
    """A conditional append found the log at another size than the caller checked against."""


class CheckpointConflictError(LedgerError):
    """A checkpoint would contradict the stored head (compare-and-swap lost, or rollback)."""
