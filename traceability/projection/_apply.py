"""Apply one ledger entry to the projection: check every rule, then write its rows.

The same function serves both callers, so checking and replaying can never disagree: the
recorder, which applies each event in the transaction that appends it (a refusal rolls the
whole batch back), and the catch-up that ``reindex`` runs. It raises
:class:`~traceability.TraceError` when the entry breaks a rule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Connection, select

from traceability._errors import RoleError, ValidationError
from traceability.events._events import (
    EVENT_TYPES,
    Harvest,
    InputApplication,
    Product,
    ResidueTest,
)
from traceability.events._model import Model
from traceability.projection import _schema as t
from traceability.projection._cache import active
from traceability.projection._complaints import COMPLAINT_HANDLERS
from traceability.projection._intake import INTAKE_HANDLERS
from traceability.projection._issue import ISSUE_HANDLERS
from traceability.projection._making import MAKING_HANDLERS
from traceability.projection._movement import MOVEMENT_HANDLERS, SIGNER_HANDLERS
from traceability.projection._query import profile_for
from traceability.projection._sampling import (
    KEY_HANDLERS,
    SAMPLING_HANDLERS,
    Signer,
    check_residue_signer,
    record_result_source,
)
from traceability.projection._status_map import STATUS_MAP_HANDLERS
from traceability.rules._actors import Role, check_role
from traceability.rules._tables import MrlTable, Profile

__all__ = ["apply_entry", "parse_event", "profile_for"]


def parse_event(kind: str, body: Mapping[str, Any]) -> Model:
    """Return the typed model of a ``trace.*`` statement body."""
    rule_types: dict[str, type[Model]] = {Profile.KIND: Profile, MrlTable.KIND: MrlTable}
    model = EVENT_TYPES.get(kind) or rule_types.get(kind)
    if model is None:
        raise ValidationError("kind", f"one of {sorted(EVENT_TYPES)}", kind)
    return model.from_body(body)


def apply_entry(
    conn: Connection,
    seq: int,
    event: Model,
    actor: str,
    roles: tuple[str, ...],
    *,
    key_id: str,
) -> None:
    """Check ``event`` (entry ``seq``, signed by ``actor``) against the projection and apply it.

    ``key_id`` is the signing key's: a lab is known by its approved key
    (:mod:`traceability.projection._sampling`), not by a name any key could claim.

    Raises:
        RoleError: the signer's roles may not record this kind.
        ValidationError: the event names something unknown (GTIN, plot, lot).
        LifecycleError: the event breaks the lifecycle table or a quality rule.
    """
    check_role(event.KIND, actor, roles)
    if isinstance(event, InputApplication | Harvest):
        _check_own_plot(conn, event.KIND, event.plot, actor, roles)
    key_handler = KEY_HANDLERS.get(type(event))
    signer_handler = SIGNER_HANDLERS.get(type(event)) or COMPLAINT_HANDLERS.get(type(event))
    if key_handler is not None:
        key_handler(conn, seq, event, Signer(key_id, actor, roles))
    elif signer_handler is not None:
        signer_handler(conn, seq, event, actor, roles)
    elif isinstance(event, ResidueTest):
        # Only an approved lab's key vouches for a measurement (docs/adr/0020).
        lab, sample = check_residue_signer(conn, seq, event, Signer(key_id, actor, roles))
        _HANDLERS[ResidueTest](conn, seq, event)
        record_result_source(conn, seq, lab, sample, key_id)
    else:
        _HANDLERS[type(event)](conn, seq, event)
    if isinstance(event, Profile | MrlTable | Product):
        cache = active(conn)
        if cache is not None:
            cache.rules_changed()  # later events in the batch must see the new entry


def _check_own_plot(
    conn: Connection, kind: str, plot: str, actor: str, roles: tuple[str, ...]
) -> None:
    """A key that records farm events only as a grower may do so for its own farm's plots."""
    if {Role.COOPERATIVE, Role.PACKING_STATION}.intersection(roles):
        return
    row = conn.execute(
        select(t.farms.c.farm, t.farms.c.grower_actor)
        .join(t.plots, t.plots.c.farm == t.farms.c.farm)
        .where(t.plots.c.plot == plot)
    ).first()
    if row is not None and row.grower_actor != actor:
        raise RoleError(
            kind,
            roles,
            f"plot {plot} belongs to farm {row.farm}, whose grower key is "
            f"{row.grower_actor or '(none registered)'}; {actor} may not record {kind} there",
        )


_HANDLERS: dict[type[Model], Callable[[Connection, int, Any], None]] = {
    **MAKING_HANDLERS,
    **MOVEMENT_HANDLERS,
    **ISSUE_HANDLERS,
    **STATUS_MAP_HANDLERS,
    **SAMPLING_HANDLERS,
    **INTAKE_HANDLERS,
}
