"""The FastAPI application: consumer resolver pages, staff pages and API, regulator API.

``create_app(Settings())`` builds the app from ``AGRITRACE_*`` environment variables;
``agritrace serve`` runs it under uvicorn. Names are imported on first use, so that the
``agritrace`` command (which mounts ``serve``) does not load the web stack for every command.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from verifier_app._app import create_app, create_app_from_env
    from verifier_app._auth import ROLES, Caller, TokenTable, hash_token, require_role
    from verifier_app._deployment import Deployment, DeploymentError, load_deployment
    from verifier_app._deployment_app import create_deployment_app
    from verifier_app._deployment_migrate import migrate_folder
    from verifier_app._settings import Settings
    from verifier_app.consumer._lookup import LotLookup, LotView
    from verifier_app.regulator._reports import quarterly_report_pdf

__all__ = [
    "ROLES",
    "Caller",
    "Deployment",
    "DeploymentError",
    "LotLookup",
    "LotView",
    "Settings",
    "TokenTable",
    "create_app",
    "create_app_from_env",
    "create_deployment_app",
    "hash_token",
    "load_deployment",
    "migrate_folder",
    "quarterly_report_pdf",
    "require_role",
]

_HOMES = {
    "create_app": "_app",
    "create_app_from_env": "_app",
    "ROLES": "_auth",
    "Caller": "_auth",
    "TokenTable": "_auth",
    "hash_token": "_auth",
    "require_role": "_auth",
    "LotLookup": "consumer._lookup",
    "LotView": "consumer._lookup",
    "Settings": "_settings",
    "Deployment": "_deployment",
    "DeploymentError": "_deployment",
    "load_deployment": "_deployment",
    "create_deployment_app": "_deployment_app",
    "migrate_folder": "_deployment_migrate",
    "quarterly_report_pdf": "regulator._reports",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'verifier_app' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"verifier_app.{home}"), name)
    globals()[name] = value
    return value
