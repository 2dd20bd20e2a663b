"""Who may open the county pages: people signed in with a token of the deployment's own file.

The county (or alliance) regulator's token file is the deployment's, not any member's: a
cooperative's staff or regulator token is not in it, so it opens nothing here. Signing in
works as on the members' pages (:mod:`verifier_app._sign_in`): the token is checked against
the file's SHA-256 hashes, a server-side session is opened (:class:`SessionStore`, files in
a folder of their own) and only its random id travels, in a cookie of its own
(``agritrace_county``, ``HttpOnly``, ``SameSite=Strict``, limited to the county pages'
path) so the members' sessions and this one never stand in for each other. The sign-in form
carries a value bound to a pre-session cookie (login CSRF), refused sign-ins are rate
limited per address, and the sign-out form carries the session's ``csrf`` value.

The file is read again when it changes, so removing a token ends its sessions.
"""

from __future__ import annotations

import hmac
import logging
import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from fastapi import Request, Response

from verifier_app._auth import Caller, TokenTable, hash_token
from verifier_app._errors import RateLimitedError
from verifier_app._limits import AuthLimits, client_address
from verifier_app._session import csrf_value
from verifier_app._session_store import ABSOLUTE, Session, SessionStore

__all__ = ["COOKIE", "PRE_COOKIE", "CountyGate", "SignInRefusal"]

#: The county session's cookie (not the members' ``agritrace_session``).
COOKIE: Final = "agritrace_county"
#: The pre-session cookie the county sign-in form's hidden value is bound to.
PRE_COOKIE: Final = "agritrace_county_sign_in"
#: The role a county token must carry: the domain's regulator.
ROLE: Final = "regulator"
_log = logging.getLogger("verifier_app.county")


@dataclass(frozen=True)
class SignInRefusal:
    """Why a sign-in was refused: a wording key and the HTTP status."""

    key: str
    status: int


class CountyGate:
    """The county pages' tokens, sessions and limits.

    Args:
        tokens: the deployment's county/alliance regulator token file (TOML, as
            :class:`~verifier_app._auth.TokenTable` reads it).
        sessions: the folder for session files (default: ``county-sessions`` beside the
            token file).
    """

    def __init__(self, tokens: Path, sessions: Path | None = None) -> None:
        self._path = tokens
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._table = TokenTable({})
        self._reload()
        self.sessions = SessionStore(sessions or tokens.parent / "county-sessions")
        # The members' defaults (verifier_app/_settings.py): 10 refusals, then 10 a minute;
        # in files beside the token file, one budget for all of the server's workers.
        self.limits = AuthLimits(10, 10 / 60, 20.0, 40, shared=tokens.parent / "county-limits")

    def _reload(self) -> TokenTable:
        stat = os.stat(self._path)  # a missing file is an error at start, as for members
        stamp = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            if stamp != self._stamp:
                self._table = TokenTable.load(self._path)
                self._stamp = stamp
            return self._table

    def caller(self, request: Request) -> tuple[Session, Caller] | None:
        """The signed-in county regulator of this request, or None."""
        session_id = request.cookies.get(COOKIE)
        session = None if not session_id else self.sessions.get(session_id)
        if session is None:
            return None
        caller = self._reload().by_hash.get(session.token_hash)
        if caller is None or ROLE not in caller.roles:
            return None
        return session, caller

    def pre_session(self, request: Request) -> str:
        """The browser's pre-session value (new when it has none)."""
        return request.cookies.get(PRE_COOKIE) or secrets.token_urlsafe(32)

    def from_this_site(self, request: Request, sent: str) -> bool:
        """Whether a sign-in form came from this site's county sign-in page (login CSRF)."""
        fetch_site = request.headers.get("sec-fetch-site")
        if fetch_site is not None and fetch_site not in ("same-origin", "none"):
            return False
        origin = request.headers.get("origin")
        if origin is not None and origin != f"{request.url.scheme}://{request.url.netloc}":
            return False
        pre = request.cookies.get(PRE_COOKIE)
        return bool(pre) and hmac.compare_digest(
            sent.encode("utf-8"), csrf_value(pre or "").encode()
        )

    def sign_in(self, request: Request, token: str) -> Session | SignInRefusal:
        """Check ``token`` against the county file; open a session, or say why not."""
        address = client_address(request.scope)
        try:
            self.limits.check_address(address)
        except RateLimitedError:
            return SignInRefusal("cty_too_many", 429)
        caller = self._reload().caller(token)
        if caller is None:
            self.limits.failed(address)
            _log.warning("refused county sign-in with token %s", hash_token(token)[:8])
            return SignInRefusal("cty_bad_token", 401)
        if ROLE not in caller.roles:
            self.limits.failed(address)
            return SignInRefusal("cty_not_regulator", 403)
        previous = request.cookies.get(COOKIE)
        if previous:
            self.sessions.close(previous)  # a new id at every sign-in (no fixation)
        _log.info("%s signed in to the county pages", caller.actor)
        return self.sessions.open(hash_token(token))

    def sign_out(self, request: Request, sent: str) -> bool:
        """End the session when the form carries its ``csrf`` value; say whether it did."""
        found = self.caller(request)
        if found is None or not hmac.compare_digest(
            sent.encode("utf-8"), csrf_value(found[0].id).encode()
        ):
            return False
        self.sessions.close(found[0].id)
        return True


def set_cookie(response: Response, name: str, value: str, path: str, secure: bool) -> None:
    """Set one of the county cookies: script-proof, same-site only, on the county path."""
    response.set_cookie(
        name,
        value,
        max_age=int(ABSOLUTE) if name == COOKIE else 3600,
        path=path,
        httponly=True,
        samesite="strict",
        secure=secure,
    )
