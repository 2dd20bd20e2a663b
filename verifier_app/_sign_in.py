"""The start page, signing in and signing out (for the staff and regulator pages).

``/`` tells a consumer to scan a label and a member of staff to sign in, and links a
signed-in person to the pages their roles open. Signing in checks the token against the
token file and keeps it in the session cookie (:mod:`verifier_app._session`); a wrong token
is refused with a page that says so, and logged only as a fingerprint of its hash.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from verifier_app._auth import Caller, TokenTable, hash_token
from verifier_app._i18n import LANGUAGES, MESSAGES, Language
from verifier_app._limits import rate_limited
from verifier_app._negotiate import page_language
from verifier_app._pages import render_page
from verifier_app._session import (
    check_form,
    csrf_value,
    end_session,
    safe_next,
    session_token,
    start_session,
)

__all__ = ["HOMES", "router"]

router = APIRouter(tags=["pages"], include_in_schema=False)
_log = logging.getLogger("verifier_app.auth")

#: Role -> (path of its pages, wording key of their name), in the order the start page
#: lists them. Staff roles share the packing shed's pages.
HOMES: dict[str, tuple[str, str]] = {
    "packing_station": ("/staff", "staff_pages"),
    "cooperative": ("/staff", "staff_pages"),
    "logistics": ("/staff", "staff_pages"),
    "regulator": ("/regulator", "regulator_pages"),
}


def signed_in(request: Request) -> tuple[Caller, str] | None:
    """Return the signed-in caller and their token, or None (pages that anyone may open)."""
    token = session_token(request)
    tokens: TokenTable = request.app.state.tokens
    caller = None if token is None else tokens.caller(token)
    return None if caller is None or token is None else (caller, token)


def _home_for(caller: Caller) -> str:
    paths = [HOMES[role][0] for role in sorted(caller.roles) if role in HOMES]
    return paths[0] if paths else "/"


def _language(request: Request, form_lang: str | None = None) -> Language:
    if form_lang in LANGUAGES:
        return form_lang
    return page_language(request)


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    """The start page: scan a label, or sign in; links to the pages a person may open."""
    language = _language(request)
    session = signed_in(request)
    places: list[tuple[str, str]] = []
    context: dict[str, object] = {"here": "/", "caller": None, "places": places}
    if session is not None:
        caller, token = session
        wording = MESSAGES[language]
        seen: set[str] = set()
        for role in sorted(caller.roles):
            if role in HOMES and HOMES[role][0] not in seen:
                seen.add(HOMES[role][0])
                places.append((HOMES[role][0], wording[HOMES[role][1]]))
        context |= {"caller": caller, "csrf": csrf_value(token)}
    return HTMLResponse(render_page("home.html", language, context))


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request, next: str | None = None) -> HTMLResponse:
    """The sign-in form; ``next`` is where to go afterwards (a path on this site)."""
    language = _language(request)
    context = {"here": "/sign-in", "next": safe_next(next), "error": None}
    return HTMLResponse(render_page("sign_in.html", language, context))


@router.post("/sign-in", dependencies=[Depends(rate_limited)])
def sign_in(
    request: Request,
    token: Annotated[str, Form(max_length=512)],
    next: Annotated[str, Form(max_length=2048)] = "",
    lang: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Check the token; on success keep it in the session cookie and go on to ``next``."""
    language = _language(request, lang)
    tokens: TokenTable = request.app.state.tokens
    caller = tokens.caller(token.strip())
    if caller is None:
        _log.warning("refused sign-in with unknown token %s", hash_token(token.strip())[:8])
        error = MESSAGES[language]["bad_token"]
        context = {"here": "/sign-in", "next": safe_next(next), "error": error}
        return HTMLResponse(render_page("sign_in.html", language, context), 401)
    target = safe_next(next) or _home_for(caller)
    response = RedirectResponse(target, 303)
    start_session(response, token.strip(), secure=request.url.scheme == "https")
    _log.info("%s signed in", caller.actor)
    return response


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    """End the session (a form with the page's ``csrf`` value) and go to the start page."""
    form = await request.form()
    check_form(request, form)
    response = RedirectResponse("/", 303)
    end_session(response)
    return response
