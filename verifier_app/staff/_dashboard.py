"""The cooperative's monitoring dashboard, ``/staff/dashboard``.

The same figures the regulator sees (:mod:`verifier_app._monitoring`), for the cooperative's
admin and staff: what is on hold and why, failed tests, excursions and loss by route, trends,
suspicious scans, and the quarterly reports the public can read.
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
from verifier_app.staff._wording import STAFF_WORDING

__all__ = ["router"]

router = APIRouter(prefix="/staff", tags=["pages"], include_in_schema=False)
#: The cooperative's people: its admin, and the packing shed and haulier who act on holds.
Cooperative = Annotated[Caller, Depends(page_caller("cooperative", "packing_station", "logistics"))]


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, caller: Cooperative, holder: RecorderDep) -> HTMLResponse:
    """The cooperative's dashboard."""
    projection = holder.projection
    projection.catch_up()
    context = dashboard_context(projection.monitoring(), page_language(request))
    return signed_in_page(request, caller, "staff_dashboard.html", context, STAFF_WORDING)
