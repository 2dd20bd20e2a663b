"""The dependencies routes declare: the ledger, the settings, the audit jobs, the caller.

Everything is built once by :func:`verifier_app.create_app` and kept on ``app.state``;
these functions hand it to routes as ``Annotated`` types, so a test can override any of
them with ``app.dependency_overrides``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ledger import CosignatureVerifier, Ledger
from verifier_app._auth import Caller, require_role
from verifier_app._settings import Settings
from verifier_app.regulator._audits import AuditJobs

__all__ = [
    "APPEND_ROLES",
    "AppendCaller",
    "Audits",
    "LedgerDep",
    "RegulatorCaller",
    "SettingsDep",
    "Witnesses",
]


def get_ledger(request: Request) -> Ledger:
    """Return the app's ledger (one per process; its engine pools connections)."""
    ledger: Ledger = request.app.state.ledger
    return ledger


def get_settings(request: Request) -> Settings:
    """Return the settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


def get_audits(request: Request) -> AuditJobs:
    """Return the app's background audit jobs."""
    audits: AuditJobs = request.app.state.audits
    return audits


def get_witnesses(request: Request) -> dict[str, CosignatureVerifier]:
    """Return the trusted witness keys by cosigner name."""
    witnesses: dict[str, CosignatureVerifier] = request.app.state.witnesses
    return witnesses


LedgerDep = Annotated[Ledger, Depends(get_ledger)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
Audits = Annotated[AuditJobs, Depends(get_audits)]
Witnesses = Annotated[dict[str, CosignatureVerifier], Depends(get_witnesses)]

#: Roles whose tokens may append signed statements through the generic API. Regulators'
#: own actions (recalls) will get domain routes; consumers are anonymous.
APPEND_ROLES = ("cooperative", "lab", "logistics", "packing_station")

RegulatorCaller = Annotated[Caller, Depends(require_role("regulator"))]
AppendCaller = Annotated[Caller, Depends(require_role(*APPEND_ROLES))]
