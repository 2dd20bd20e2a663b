"""The ledger's one error hierarchy.

Every failure the ledger reports is a :class:`LedgerError`. Messages say what was expected
and what came, so that an operator reading a log line can act on it. Mapping to HTTP status
codes happens once, in the app, never here.
"""

from __future__ import annotations

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
    """Base class of every error raised by the ledger."""


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
