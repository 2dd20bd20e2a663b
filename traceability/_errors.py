"""One error hierarchy for the domain: every refusal says what was expected and what came."""

from __future__ import annotations

from decimal import Decimal

__all__ = [
    "BatchError",
    "LifecycleError",
    "RoleError",
    "TraceError",
    "UnknownError",
    "ValidationError",
]


class TraceError(Exception):
    """Base class of every error raised by :mod:`traceability`. Nothing was appended."""


class ValidationError(TraceError, ValueError):
    """An event, rule table or identifier is malformed.

    Attributes:
        field: the offending field, dotted (e.g. ``"outputs[1].quantity"``).
        expected: what the field should hold.
        got: what it held.
    """

    def __init__(self, field: str, expected: str, got: object) -> None:
        # A Decimal is shown as the user wrote it ('0.001'), never as Decimal('0.001').
        shown = format(got, "f") if isinstance(got, Decimal) else got
        super().__init__(f"{field}: expected {expected}, got {shown!r}")
        self.field = field
        self.expected = expected
        self.got = got
        # Set when raised by a model's constructor, so an enclosing model prefixes its path.
        self.nested = False


class UnknownError(ValidationError):
    """A well-formed identifier names nothing recorded on this ledger (a lot, a shipment).

    A :class:`ValidationError` with the same fields, told apart so a caller can answer
    "not found" (the app's 404) without reading the message.
    """


class LifecycleError(TraceError):
    """An event breaks a lifecycle or quality rule; the rule is named.

    Attributes:
        rule: the rule's short name from the state table or the rule entry
            (e.g. ``"ship-requires-released"``).
    """

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(f"{rule}: {message}")
        self.rule = rule


class RoleError(TraceError, PermissionError):
    """The signing key lacks a role that may record this kind of event.

    Attributes:
        kind: the event kind that was refused.
        roles: the roles the key holds.
    """

    def __init__(self, kind: str, roles: tuple[str, ...], message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.roles = roles


class BatchError(TraceError):
    """One event of a batch was refused; nothing of the batch was appended.

    Attributes:
        index: the refused event's position in the batch (0-based).
        error: the refusal (:class:`~traceability.ValidationError`,
            :class:`~traceability.RoleError` or :class:`~traceability.LifecycleError`).
    """

    def __init__(self, index: int, error: TraceError) -> None:
        super().__init__(f"event {index}: {error}")
        self.index = index
        self.error = error
