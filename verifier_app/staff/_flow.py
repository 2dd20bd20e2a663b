"""The packer's path: harvest, then cooling, then grading and labels, one screen each.

A saved harvest goes straight to the cooling form for that lot; a saved cooling to the
grading screen for it, which shows the harvested weight to account for and the profile's
size bands; a saved grading comes back to that screen, which now lists the graded lots with
a "print labels" button for each (or, in the reader's language, the rule that still refuses
it: most often that the cooperative has not released it yet). Other forms go to the lot's
page as before. The packing site typed last is remembered per device (a cookie, like the
clock in ``staff/_zones.py``): a shed's laptop is in one shed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import Response
from markupsafe import Markup

from traceability import TABLE, Action, LifecycleError, LotState
from verifier_app._negotiate import page_language
from verifier_app._signing import AppRecorder
from verifier_app.staff._refusals import refusal_text
from verifier_app.staff._weights import Weighed

__all__ = [
    "SITE_COOKIE",
    "GradedLot",
    "graded_lots",
    "next_screen",
    "remember_site",
    "remembered_site",
]

#: The cookie holding the site this device last recorded at (a cooperative id, not a secret).
SITE_COOKIE: Final = "agritrace_site"
# The shape of a cooperative id (traceability's LocalId): anything else in the cookie is ignored.
_SITE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")
#: Where a saved form of each kind leads next on the packer's path (others: the lot page).
_NEXT: Final = {"harvest": "cooling", "cooling": "grading", "grading": "grading"}


def remembered_site(request: Request) -> str:
    """The site this device recorded at last, or "" (a malformed cookie counts as none)."""
    site = request.cookies.get(SITE_COOKIE, "")
    return site if _SITE.fullmatch(site) else ""


def remember_site(response: Response, values: dict[str, str]) -> None:
    """Keep the site a saved form named for the device's next forms (a year: a season)."""
    site = values.get("site", "").strip()
    if _SITE.fullmatch(site):
        response.set_cookie(
            SITE_COOKIE, site, max_age=365 * 24 * 3600, samesite="lax", httponly=True
        )


def _query(request: Request, *pairs: tuple[str, str]) -> str:
    lang = request.query_params.get("lang")
    query = [f"lang={quote(lang)}"] if lang else []
    query += [f"{name}={quote(value, safe='')}" for name, value in pairs]
    return "?" + "&".join(query) if query else ""


def next_screen(
    kind: str,
    body: dict[str, Any],
    request: Request,
    app: AppRecorder,
    weighed: Sequence[Weighed],
) -> str | None:
    """The packer's next screen after a saved ``kind`` form, or None for the lot's page.

    The lot is named as the dropdowns name it (GTIN-14 then lot code). A lot the save left
    where the next step is refused (a cooling that put it on hold) goes to its page instead,
    which says why.
    """
    step = _NEXT.get(kind)
    if step is None:
        return None
    lot = body["input"] if kind == "grading" else body["lot"]
    gtin, code = str(lot["gtin"]), str(lot["lot"])
    if kind != "grading":
        state = app.projection.find(gtin, code)
        if state is None or state.status not in TABLE[Action.GRADE].allowed:
            return None
    pairs = [("lot", f"{gtin}{code}"), ("done", kind)]
    pairs += [("weighed", f"{w.typed} {w.unit}") for w in weighed]
    return f"/staff/record/{step}" + _query(request, *pairs)


@dataclass(frozen=True)
class GradedLot:
    """A lot a grading made, and whether its labels may be printed now (else why not)."""

    state: LotState
    refusal: Markup | None


def graded_lots(request: Request, app: AppRecorder, source: LotState) -> list[GradedLot]:
    """The lots graded from ``source``, each with the label gate's answer in the reader's words."""
    projection = app.projection
    language = page_language(request)
    out = []
    for state in projection.neighbours(source)[1]:
        try:
            projection.check_label(state.gtin, state.lot)
            refusal = None
        except LifecycleError as e:
            refusal = refusal_text(e, language)
        out.append(GradedLot(state, refusal))
    return out
