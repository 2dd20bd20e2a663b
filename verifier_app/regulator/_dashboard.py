"""The regulator's monitoring dashboard, ``/regulator/dashboard``.

Holds, failed tests, transport excursions and loss by route, recalls, overdue samples and
complaints (where this ledger keeps them), suspicious label scans; weekly pass rates and
volumes as server-rendered SVG charts beside their tables. Read from the projection caught
up to the ledger (:meth:`traceability.Projection.monitoring`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from verifier_app._auth import Caller
from verifier_app._monitoring import dashboard_context
from verifier_app._negotiate import page_language
from verifier_app._session import page_caller, signed_in_page
from verifier_app._signing import RecorderDep
from verifier_app.regulator._wording import REGULATOR_WORDING

__all__ = ["router"]

router = APIRouter(prefix="/regulator", tags=["pages"], include_in_schema=False)
Regulator = Annotated[Caller, Depends(page_caller("regulator"))]


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, caller: Regulator, holder: RecorderDep) -> HTMLResponse:
    """The regulator's dashboard: what needs attention across the cooperative's ledger."""
    projection = holder.projection
    projection.catch_up()
    context = dashboard_context(projection.monitoring(), page_language(request))
    return signed_in_page(request, caller, "regulator_dashboard.html", context, REGULATOR_WORDING)
