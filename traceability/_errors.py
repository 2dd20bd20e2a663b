"""One error hierarchy for the domain: every refusal says what was expected and what came."""

from __future__ import annotations

from collections.abc import Mapping
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

    The message (``str(error)``) is English, for the command line and the API's ``detail``;
    ``params`` carry the same facts as values, so a page can say the refusal in its reader's
    language (its wording is looked up under :attr:`key`; ``traceability.rules._refusals``
    lists every key and its parameters).

    Attributes:
        rule: the rule's short name from the state table or the rule entry
            (e.g. ``"ship-requires-released"``, ``"grade-band (profile entry 7)"``).
        params: the refusal's parameters (lot code, input, share, hold entry ...) as text.
        case: which sentence of the rule, when a rule is refused in more than one form.
    """

    def __init__(
        self,
        rule: str,
        message: str,
        params: Mapping[str, object] | None = None,
        case: str | None = None,
    ) -> None:
        super().__init__(f"{rule}: {message}")
        self.rule = rule
        self.params: dict[str, str] = {k: str(v) for k, v in (params or {}).items()}
        self.case = case

    @property
    def key(self) -> str:
        """The refusal's wording key: the rule's name without its entry, ``/case`` if any."""
        name = self.rule.split(" (", 1)[0]
        return f"{name}/{self.case}" if self.case else name


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
