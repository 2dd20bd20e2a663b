"""The start page, signing in and signing out (for the staff and regulator pages).

``/`` tells a consumer to scan a label and a member of staff to sign in, and links a
signed-in person to the pages their roles open. Signing in checks the token against the
token file and opens a server-side session (:mod:`verifier_app._session`); a wrong token
is refused with a page that says so, and logged only as a fingerprint of its hash.

**Login CSRF.** A page on another site could post the attacker's own token to
``/sign-in`` and so sign a visitor in as the attacker (whatever the visitor then records
would be signed by the attacker's key). The sign-in form therefore carries a hidden value
bound to a pre-session cookie that only this site's sign-in page sets (``SameSite=Strict``,
so a foreign page's post arrives without it), and a browser's ``Sec-Fetch-Site`` or
``Origin`` naming another site is refused outright. A refused sign-in changes nothing:
an existing session stays as it was.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from typing import Annotated, Final

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from verifier_app._auth import Caller, TokenTable, hash_token
from verifier_app._i18n import LANGUAGES, MESSAGES, Language
from verifier_app._limits import AuthLimits, client_address, rate_limited
from verifier_app._negotiate import page_language
from verifier_app._pages import render_page
from verifier_app._session import (
    COOKIE,
    WrongRoleError,
    check_form,
    csrf_value,
    current_session,
    end_session,
    safe_next,
    start_session,
)
from verifier_app._session_store import SessionStore

__all__ = ["HOMES", "PRE_SESSION_COOKIE", "router"]

router = APIRouter(tags=["pages"], include_in_schema=False)
_log = logging.getLogger("verifier_app.auth")

#: The pre-session cookie the sign-in form's hidden value is bound to.
PRE_SESSION_COOKIE: Final = "agritrace_sign_in"
_FOREIGN = "this sign-in form did not come from this site; open the sign-in page and retry"

#: Role -> (path of its pages, wording key of their name), in the order the start page
#: lists them. Staff roles share the packing shed's pages.
HOMES: dict[str, tuple[str, str]] = {
    "packing_station": ("/staff", "staff_pages"),
    "cooperative": ("/staff", "staff_pages"),
    "logistics": ("/staff", "staff_pages"),
    "regulator": ("/regulator", "regulator_pages"),
    "lab": ("/staff/lab", "lab_pages"),
}


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
    found = current_session(request)
    places: list[tuple[str, str]] = []
    context: dict[str, object] = {"here": "/", "caller": None, "places": places}
    if found is not None:
        session, caller = found
        wording = MESSAGES[language]
        seen: set[str] = set()
        for role in sorted(caller.roles):
            if role in HOMES and HOMES[role][0] not in seen:
                seen.add(HOMES[role][0])
                places.append((HOMES[role][0], wording[HOMES[role][1]]))
        context |= {"caller": caller, "csrf": csrf_value(session.id)}
    return HTMLResponse(render_page("home.html", language, context))


def _sign_in_form(
    request: Request, language: Language, next: str | None, error: str | None, status: int
) -> HTMLResponse:
    # Reuse the browser's pre-session value while it has one: two tabs both work.
    pre = request.cookies.get(PRE_SESSION_COOKIE) or secrets.token_urlsafe(32)
    context = {"here": "/sign-in", "next": safe_next(next), "error": error}
    context["csrf"] = csrf_value(pre)
    response = HTMLResponse(render_page("sign_in.html", language, context), status)
    response.set_cookie(
        PRE_SESSION_COOKIE,
        pre,
        max_age=3600,
        path="/sign-in",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request, next: str | None = None) -> HTMLResponse:
    """The sign-in form; ``next`` is where to go afterwards (a path on this site)."""
    return _sign_in_form(request, _language(request), next, None, 200)


def _check_origin(request: Request, sent: str) -> None:
    """Refuse a sign-in posted from another site (module docstring: login CSRF)."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        raise WrongRoleError(_FOREIGN)
    origin = request.headers.get("origin")
    own = f"{request.url.scheme}://{request.url.netloc}"
    if origin is not None and origin != own:
        raise WrongRoleError(_FOREIGN)
    pre = request.cookies.get(PRE_SESSION_COOKIE)
    if not pre or not hmac.compare_digest(sent.encode("utf-8"), csrf_value(pre).encode()):
        raise WrongRoleError(_FOREIGN)


@router.post("/sign-in", dependencies=[Depends(rate_limited)])
def sign_in(
    request: Request,
    token: Annotated[str, Form(max_length=512)],
    next: Annotated[str, Form(max_length=2048)] = "",
    lang: Annotated[str, Form(max_length=8)] = "",
    csrf: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Check the form's origin and the token; on success open a session, go to ``next``."""
    language = _language(request, lang)
    _check_origin(request, csrf)
    limits: AuthLimits = request.app.state.auth_limits
    address = client_address(request.scope)
    limits.check_address(address)
    tokens: TokenTable = request.app.state.tokens
    caller = tokens.caller(token.strip())
    if caller is None:
        limits.failed(address)
        _log.warning("refused sign-in with unknown token %s", hash_token(token.strip())[:8])
        error = MESSAGES[language]["bad_token"]
        return _sign_in_form(request, language, next, error, 401)
    token_hash = hash_token(token.strip())
    limits.take(token_hash, address)
    store: SessionStore = request.app.state.sessions
    # A new id at every sign-in (no fixation); the browser's previous session ends.
    previous = request.cookies.get(COOKIE)
    if previous:
        store.close(previous)
    session = store.open(token_hash)
    target = safe_next(next) or _home_for(caller)
    response = RedirectResponse(target, 303)
    start_session(response, session.id, secure=request.url.scheme == "https")
    response.delete_cookie(PRE_SESSION_COOKIE, path="/sign-in")
    _log.info("%s signed in", caller.actor)
    return response


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    """End the session (a form with the page's ``csrf`` value) and go to the start page."""
    form = await request.form()
    check_form(request, form)
    session_id = request.cookies.get(COOKIE)
    if session_id:
        store: SessionStore = request.app.state.sessions
        store.close(session_id)
    response = RedirectResponse("/", 303)
    end_session(response)
    return response
