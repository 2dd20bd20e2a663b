"""Apply one ledger entry to the projection: check every rule, then write its rows.

The same function serves three callers, so checking and replaying can never disagree: the
recorder's dry run before signing (rolled back), the live update after the append, and
``reindex``. It raises :class:`~traceability.TraceError` when the entry breaks a rule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Connection

from traceability._actors import check_role
from traceability._errors import ValidationError
from traceability._events import EVENT_TYPES
from traceability._model import Model
from traceability._movement import MOVEMENT_HANDLERS
from traceability._origin import ORIGIN_HANDLERS
from traceability._query import profile_for
from traceability._rules import MrlTable, Profile

__all__ = ["apply_entry", "parse_event", "profile_for"]


def parse_event(kind: str, body: Mapping[str, Any]) -> Model:
    """Return the typed model of a ``trace.*`` statement body."""
    rule_types: dict[str, type[Model]] = {Profile.KIND: Profile, MrlTable.KIND: MrlTable}
    model = EVENT_TYPES.get(kind) or rule_types.get(kind)
    if model is None:
        raise ValidationError("kind", f"one of {sorted(EVENT_TYPES)}", kind)
    return model.from_body(body)


def apply_entry(
    conn: Connection, seq: int, event: Model, actor: str, roles: tuple[str, ...]
) -> None:
    """Check ``event`` (entry ``seq``, signed by ``actor``) against the projection and apply it.

    Raises:
        RoleError: the signer's roles may not record this kind.
        ValidationError: the event names something unknown (GTIN, plot, lot).
        LifecycleError: the event breaks the lifecycle table or a quality rule.
    """
    check_role(event.KIND, actor, roles)
    _HANDLERS[type(event)](conn, seq, event)


_HANDLERS: dict[type[Model], Callable[[Connection, int, Any], None]] = {
    **ORIGIN_HANDLERS,
    **MOVEMENT_HANDLERS,
}
