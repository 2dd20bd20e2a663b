"""Actors' roles and which role may record which kind of event.

Roles travel on the ledger's key registrations (``ledger.key.register`` ``roles``); the
ledger itself only enforces that ``ledger.*`` entries are signed by the root key, so the
domain enforces this table before anything is signed.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from traceability._errors import RoleError

__all__ = ["PERMITTED", "Role", "check_role"]


class Role(StrEnum):
    """The roles a key can be registered with."""

    COOPERATIVE = "cooperative"
    GROWER = "grower"
    PACKING_STATION = "packing_station"
    LAB = "lab"
    LOGISTICS = "logistics"
    REGULATOR = "regulator"
    #: The server's complaint intake: signs the complaints the public scan page receives,
    #: and nothing else (docs/adr/0022-complaints-on-the-ledger.md).
    INTAKE = "intake"


_C, _G, _P, _L, _T, _R = (
    Role.COOPERATIVE,
    Role.GROWER,
    Role.PACKING_STATION,
    Role.LAB,
    Role.LOGISTICS,
    Role.REGULATOR,
)

#: Event kind -> roles that may sign it. Only a lab signs residue results (the lab vouches
#: for its own measurement); only the cooperative releases a lot (it carries the
#: 承诺达标合格证 compliance promise); a regulator may hold or recall, and its release is a
#: decision that lifts holds without releasing for sale (traceability.rules._holds).
PERMITTED: Mapping[str, frozenset[Role]] = {
    "trace.cooperative": frozenset({_C}),
    "trace.product": frozenset({_C}),
    "trace.farm": frozenset({_C}),
    "trace.site": frozenset({_C}),
    "trace.profile": frozenset({_C}),
    "trace.mrl": frozenset({_C}),
    "trace.input": frozenset({_G, _C}),
    # The cooperative runs the growers' qualification scheme (issue 14): a grower may not
    # vouch for its own training or assessment.
    "trace.training": frozenset({_C}),
    "trace.assessment": frozenset({_C}),
    "trace.harvest": frozenset({_G, _P, _C}),
    "trace.cooling": frozenset({_P}),
    "trace.grading": frozenset({_P}),
    "trace.residue": frozenset({_L}),
    "trace.packing": frozenset({_P}),
    "trace.shipping": frozenset({_P, _T}),
    "trace.receiving": frozenset({_T}),
    "trace.processing": frozenset({_P}),
    # A lot taken in from another member's log (the alliance's packing centre receiving a
    # cooperative's shipment): whoever receives at the site, as for trace.receiving.
    "trace.intake": frozenset({_P, _T}),
    "trace.hold": frozenset({_C, _R}),
    "trace.release": frozenset({_C, _R}),
    "trace.recall": frozenset({_C, _R}),
    # The certificate carries the cooperative's compliance promise; a packing station
    # prints the labels.
    "trace.certificate": frozenset({_C}),
    "trace.labels": frozenset({_C, _P}),
    # The server's commitment to every lot's status, signed with a cooperative key; the
    # projection accepts only the root its own map gives.
    "trace.status_map": frozenset({_C}),
    # A complaint from the public page is signed by the intake key; the cooperative may
    # record one taken by phone. Only a regulator decides on it.
    "trace.complaint": frozenset({Role.INTAKE, _C}),
    "trace.decision": frozenset({_R}),
    # Sampling (issue 14, docs/adr/0020): the cooperative or the regulator states a plan;
    # a lab enrols its own key and the regulator approves it; a sample is taken by an
    # approved lab or by the regulator (pre-sampling), never by the cooperative.
    "trace.sampling_plan": frozenset({_C, _R}),
    "trace.lab": frozenset({_L}),
    "trace.lab_approval": frozenset({_R}),
    "trace.sample": frozenset({_L, _R}),
}


def check_role(kind: str, actor: str, roles: tuple[str, ...]) -> None:
    """Raise :class:`RoleError` unless one of ``roles`` may record ``kind``."""
    allowed = PERMITTED.get(kind)
    if allowed is None:
        raise RoleError(kind, roles, f"kind: no event kind {kind!r} in the permission table")
    if not allowed.intersection(roles):
        wanted = ", ".join(sorted(allowed))
        raise RoleError(
            kind,
            roles,
            f"{kind} must be signed by a key with role {wanted}; "
            f"{actor}'s key has {', '.join(roles) or 'no roles'}",
        )
