"""Signing in to the staff and regulator pages: a server-side session, and form checks.

A person signs in once with the token their cooperative gave them (the same token the API
takes as ``Authorization: Bearer``). The app opens a server-side session
(:mod:`verifier_app._session_store`) and keeps only its random id in a cookie that scripts
cannot read (``HttpOnly``), that other sites' pages never send (``SameSite=Strict``) and,
over HTTPS, that travels only encrypted (``Secure``). The token is never in the cookie, so
a copied cookie dies with its session (idle or absolute expiry, or sign-out), and every
worker process sees every session (they share the session folder).

Every form that changes something carries a hidden field ``csrf`` derived from the session
id; :func:`check_form` refuses a form without the right value, so a page elsewhere cannot
make a signed-in browser submit a form even where ``SameSite`` is not honoured.

Pages declare who may open them with :func:`page_caller`; a visitor who is not signed in is
sent to the sign-in page and back afterwards.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Mapping
from typing import Final
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.responses import HTMLResponse

from verifier_app._auth import ROLES, Caller, Role, TokenTable
from verifier_app._errors import ApiError, UnauthenticatedError
from verifier_app._i18n import Language
from verifier_app._negotiate import page_language, representation
from verifier_app._pages import render_page
from verifier_app._session_store import ABSOLUTE, Session, SessionStore

__all__ = [
    "COOKIE",
    "SignInRequiredError",
    "WrongRoleError",
    "check_form",
    "csrf_value",
    "current_session",
    "end_session",
    "page_caller",
    "page_path",
    "read_form",
    "safe_next",
    "signed_in_page",
    "start_session",
]

#: The session cookie's name.
COOKIE: Final = "agritrace_session"
# The browser may drop the cookie when the server-side session ends at the latest.
_MAX_AGE = int(ABSOLUTE)


class SignInRequiredError(ApiError):
    """A page needs a signed-in person; browsers are sent to the sign-in page."""

    status = 303
    code = "sign_in_required"

    def __init__(self, next_path: str) -> None:
        super().__init__("sign in to open this page")
        self.next_path = next_path

    def headers(self) -> dict[str, str]:
        """Send the browser to the sign-in page, coming back here afterwards."""
        return {"Location": f"/sign-in?next={quote(self.next_path, safe='/')}"}


class WrongRoleError(ApiError):
    """The signed-in person's roles do not open this page."""

    status = 403
    code = "forbidden"


def csrf_value(session_id: str) -> str:
    """Return the hidden form value that proves a form came from one of our pages."""
    key = session_id.encode("utf-8")
    return hmac.new(key, b"agritrace form", hashlib.sha256).hexdigest()[:32]


def start_session(response: Response, session_id: str, *, secure: bool) -> None:
    """Set the session cookie holding ``session_id`` on ``response``."""
    response.set_cookie(
        COOKIE,
        session_id,
        max_age=_MAX_AGE,
        path="/",
        httponly=True,
        samesite="strict",
        secure=secure,
    )


def end_session(response: Response) -> None:
    """Remove the session cookie."""
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")


def safe_next(path: str | None) -> str | None:
    """Return ``path`` when it is a path on this site (never another host), else None."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return None
    return path


def page_path(request: Request) -> str:
    """Return the request's path escaped again, to link back to this very page.

    The router sees the path decoded; a lot code may hold ``%``, ``?`` or ``&`` (GS1 set
    82), so a link built from the decoded path would open another page or none.
    """
    path: str = request.scope["path"]
    return quote(path, safe="/")


def current_session(request: Request) -> tuple[Session, Caller] | None:
    """Return the request's live session and its caller, or None.

    None when there is no cookie, the session ended (expired or signed out), or its token
    is no longer in the token file. Looked up once per request (kept on the request).
    """
    if "agritrace.session" in request.scope:
        found: tuple[Session, Caller] | None = request.scope["agritrace.session"]
        return found
    session_id = request.cookies.get(COOKIE)
    store: SessionStore = request.app.state.sessions
    session = None if not session_id else store.get(session_id)
    tokens: TokenTable = request.app.state.tokens
    caller = None if session is None else tokens.by_hash.get(session.token_hash)
    found = None if session is None or caller is None else (session, caller)
    request.scope["agritrace.session"] = found
    return found


_FOR_SCRIPTS = (
    "this page is for people signed in at /sign-in; a bearer token works on the API under "
    "/api/v1 (the same actions and lists; described at /docs and /openapi.json)"
)


def page_caller(*roles: Role) -> Callable[[Request], Caller]:
    """Return a dependency admitting signed-in people holding one of ``roles``.

    Use as ``caller: Annotated[Caller, Depends(page_caller("packing_station"))]``. Not signed in
    (or a token no longer in the token file): :class:`SignInRequiredError` for a browser;
    a script (a bearer token sent, or JSON asked for) gets 401 saying where its token works
    instead of a redirect to a form it cannot fill. Signed in without one of the roles:
    :class:`WrongRoleError`.
    """
    if not roles or not set(roles) <= ROLES:
        raise ValueError(f"expected roles from {sorted(ROLES)}, got {roles!r}")
    allowed = frozenset(roles)

    def dependency(request: Request) -> Caller:
        found = current_session(request)
        if found is None:
            if "authorization" in request.headers or representation(request) != "html":
                raise UnauthenticatedError(_FOR_SCRIPTS)
            path = page_path(request)
            raise SignInRequiredError(f"{path}?{request.url.query}" if request.url.query else path)
        caller = found[1]
        if not caller.roles & allowed:
            raise WrongRoleError(
                f"this page is for {' or '.join(sorted(allowed))}; "
                f"{caller.actor} is signed in as {', '.join(sorted(caller.roles))}"
            )
        return caller

    return dependency


def check_form(request: Request, form: Mapping[str, object]) -> None:
    """Refuse a form that does not carry the signed-in person's ``csrf`` value.

    Raises:
        WrongRoleError: the hidden value is missing or wrong (a form from another site).
    """
    found = current_session(request)
    sent = form.get("csrf")
    if found is None or not isinstance(sent, str):
        raise WrongRoleError("this form did not come from this site's pages; reload and retry")
    # Bytes: compare_digest refuses non-ASCII str (a forged value must be a 403, not a 500).
    if not hmac.compare_digest(sent.encode("utf-8"), csrf_value(found[0].id).encode()):
        raise WrongRoleError("this form did not come from this site's pages; reload and retry")


async def read_form(request: Request, max_length: int) -> dict[str, str]:
    """Return a page's form after :func:`check_form`: its text fields, each cut at ``max_length``.

    Raises:
        WrongRoleError: the form did not come from one of our pages.
    """
    form = await request.form()
    check_form(request, form)
    return {k: v[:max_length] for k, v in form.items() if isinstance(v, str)}


def signed_in_page(
    request: Request,
    caller: Caller,
    template: str,
    context: Mapping[str, object],
    wording: Mapping[Language, Mapping[str, str]],
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """Render a page for a signed-in person: who they are, the forms' ``csrf``, their wording."""
    language = page_language(request)
    found = current_session(request)
    csrf = csrf_value(found[0].id) if found is not None else ""
    # A fresh key per render: the form, sent twice (a double click, a resend after a
    # dropped connection), records once (verifier_app._idempotency).
    values = {
        "here": page_path(request),
        "caller": caller,
        "csrf": csrf,
        "idempotency_key": secrets.token_urlsafe(16),
        **context,
    }
    page = render_page(template, language, values, wording=wording)
    return HTMLResponse(page, status, headers={"Content-Language": language, **(headers or {})})
