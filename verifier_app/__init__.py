"""The FastAPI application: consumer resolver pages, staff pages and API, regulator API.

``create_app(Settings())`` builds the app from ``AGRITRACE_*`` environment variables;
``agritrace serve`` runs it under uvicorn.
"""

from verifier_app._app import create_app, create_app_from_env
from verifier_app._auth import ROLES, Caller, TokenTable, hash_token, require_role
from verifier_app._lookup import LotLookup, LotView, no_lots
from verifier_app._settings import Settings

__all__ = [
    "ROLES",
    "Caller",
    "LotLookup",
    "LotView",
    "Settings",
    "TokenTable",
    "create_app",
    "create_app_from_env",
    "hash_token",
    "no_lots",
    "require_role",
]
