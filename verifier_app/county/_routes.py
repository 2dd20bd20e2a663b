"""The county regulator's pages: members, lot search, trace across logs, dashboard, audit.

Every page reads :class:`traceability.Alliance` over the members the deployment hosts now
(``members()`` is called per request, so a member added to the deployment shows at once).
Pages are server-rendered in the reader's language, readable without script.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from traceability import (
    LOT_FILTERS,
    Alliance,
    AllianceMember,
    UnknownError,
    ValidationError,
    trace_across,
)
from verifier_app._errors import error_body
from verifier_app._negotiate import page_language, representation
from verifier_app._pages import render_page
from verifier_app._session import csrf_value, safe_next
from verifier_app._session_store import Session
from verifier_app.county._audit_file import CountyAudits
from verifier_app.county._gate import COOKIE, PRE_COOKIE, CountyGate, SignInRefusal, set_cookie
from verifier_app.county._views import counts_view, dashboard_view, trace_view
from verifier_app.county._wording import COUNTY_WORDING

__all__ = ["router_for"]

#: The most lots of each member the lot search lists.
LOTS_PER_MEMBER = 200


def router_for(
    members: Callable[[], Sequence[AllianceMember]],
    tokens: Path,
    *,
    sessions: Path | None = None,
) -> APIRouter:
    """The county regulator's pages over ``members()``, signed in with the ``tokens`` file.

    Args:
        members: returns the deployment's members now (called per request).
        tokens: the deployment's county/alliance regulator token file (TOML); a token must
            carry the ``regulator`` role. Members' token files are not consulted.
        sessions: the folder for session files (default: ``county-sessions`` beside
            ``tokens``).

    Returns:
        A router without a prefix: mount it with ``include_router(router, prefix="/county")``.
    """
    gate = CountyGate(tokens, sessions)
    router = APIRouter(include_in_schema=False)
    # The last audit of each member, in a file every worker reads (a redirect after the
    # audit may land on another worker).
    kept = CountyAudits(tokens.parent / "county-audits.json")

    def base(request: Request) -> str:
        path = request.url_for("county_home").path
        return path if path.endswith("/") else path + "/"

    def page(
        request: Request,
        template: str,
        context: Mapping[str, Any],
        session: Session | None = None,
        status: int = 200,
    ) -> HTMLResponse:
        language = page_language(request)
        values = {
            "here": request.url.path,
            "base": base(request),
            "csrf": csrf_value(session.id) if session is not None else "",
            "caller": None,
            **context,
        }
        text = render_page(f"county/{template}", language, values, wording=COUNTY_WORDING)
        headers = {"Content-Language": language, "Cache-Control": "no-store"}
        return HTMLResponse(text, status, headers=headers)

    def signed_in(request: Request) -> tuple[Session, Any] | Response:
        found = gate.caller(request)
        if found is not None:
            return found
        if "authorization" in request.headers or representation(request) != "html":
            # A script: a redirect to a form it cannot fill is no answer (as on the pages).
            message = (
                f"the county pages are for regulators signed in at {base(request)}sign-in; "
                "a bearer token works on each member's API under /c/<member>/api/v1"
            )
            headers = {"WWW-Authenticate": 'Bearer realm="agritrace"'}
            return JSONResponse(error_body("unauthenticated", message), 401, headers=headers)
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"{base(request)}sign-in?next={quote(path, safe='/')}", 303)

    def alliance() -> Alliance:
        return Alliance(list(members()))

    @router.get("/", name="county_home", response_class=HTMLResponse)
    def home(request: Request) -> Response:
        """The members: their lots by status, their last audit, broken links between logs."""
        found = signed_in(request)
        if isinstance(found, Response):
            return found
        session, caller = found
        together = alliance()
        audits = kept.last()
        rows, total = counts_view(together.counts())
        # Links between logs as the last audit found them: checking every link reads two
        # entries each (bench/county.py), too much for every view of this page.
        broken = {
            m.slug: sum(1 for link in audits[m.slug][1].links if link.verdict == "broken")
            for m in together.members
            if m.slug in audits
        }
        context: dict[str, Any] = {"rows": rows, "total": total, "broken": broken}
        context |= {"audits": audits, "caller": caller, "links_broken": sum(broken.values())}
        context["all_audited"] = len(broken) == len(together.members)
        return page(request, "home.html", context, session)

    @router.get("/lots", name="county_lots", response_class=HTMLResponse)
    def lots(request: Request, status: str = "", code: str = "") -> Response:
        """Lots across every member's log: by status, or by lot code."""
        found = signed_in(request)
        if isinstance(found, Response):
            return found
        session, caller = found
        together = alliance()
        chosen = status if status in LOT_FILTERS else None
        if code.strip():
            rows = together.find(code.strip())
            if chosen == "failed":
                rows = [r for r in rows if r.state.failed]
            elif chosen is not None:
                rows = [r for r in rows if r.state.status.value == chosen]
        else:
            rows = together.lots(chosen, limit=LOTS_PER_MEMBER)
        context: dict[str, Any] = {"rows": rows, "status": chosen or "", "code": code.strip()}
        context |= {"filters": LOT_FILTERS, "limit": LOTS_PER_MEMBER, "caller": caller}
        return page(request, "lots.html", context, session)

    @router.get("/trace", name="county_trace", response_class=HTMLResponse)
    def trace(request: Request, member: str = "", gtin: str = "", lot: str = "") -> Response:
        """A lot's lineage across logs, each step naming its member."""
        found = signed_in(request)
        if isinstance(found, Response):
            return found
        session, caller = found
        together = alliance()
        context: dict[str, Any] = {"caller": caller, "members": [m.slug for m in together.members]}
        context |= {"member": member, "gtin": gtin, "lot": lot, "traced": None, "unknown": False}
        if member and gtin and lot:
            try:
                context["traced"] = trace_view(trace_across(together, member, gtin, lot))
            except (UnknownError, ValidationError):
                context["unknown"] = True
                return page(request, "trace.html", context, session, 404)
        return page(request, "trace.html", context, session)

    @router.get("/dashboard", name="county_dashboard", response_class=HTMLResponse)
    def dashboard(request: Request) -> Response:
        """Each member's monitoring figures and their sum."""
        found = signed_in(request)
        if isinstance(found, Response):
            return found
        session, caller = found
        context = dashboard_view(alliance().monitoring()) | {"caller": caller}
        return page(request, "dashboard.html", context, session)

    @router.get("/audit", name="county_audit", response_class=HTMLResponse)
    def audit_page(request: Request) -> Response:
        """The last audit of each member, and the button that runs a new one."""
        found = signed_in(request)
        if isinstance(found, Response):
            return found
        session, caller = found
        slugs = [m.slug for m in members()]
        audits = kept.last()
        done = [(audits[s][0], audits[s][1]) for s in slugs if s in audits]
        return page(request, "audit.html", {"done": done, "caller": caller}, session)

    @router.post("/audit", name="county_run_audit")
    def run_audit(request: Request, csrf: Annotated[str, Form(max_length=64)] = "") -> Response:
        """Audit every member now (the whole of each log); then show the verdicts."""
        found = signed_in(request)
        if isinstance(found, Response):
            return found
        session, caller = found
        if csrf != csrf_value(session.id):
            context = {"caller": caller, "message": "cty_foreign_form"}
            return page(request, "refused.html", context, session, 403)
        kept.record(datetime.now(UTC), alliance().audit())
        return RedirectResponse(f"{base(request)}audit", 303)

    @router.get("/sign-in", name="county_sign_in", response_class=HTMLResponse)
    def sign_in_page(request: Request, next: str = "") -> Response:
        """The county sign-in form."""
        return _sign_in_form(request, next, None, 200)

    def _sign_in_form(request: Request, next: str, error: str | None, status: int) -> Response:
        pre = gate.pre_session(request)
        context = {"next": safe_next(next) or "", "error": error, "form_csrf": csrf_value(pre)}
        response = page(request, "sign_in.html", context, None, status)
        set_cookie(response, PRE_COOKIE, pre, _cookie_path(request), request.url.scheme == "https")
        return response

    def _cookie_path(request: Request) -> str:
        return base(request).rstrip("/") or "/"

    @router.post("/sign-in", name="county_sign_in_post")
    def sign_in(
        request: Request,
        token: Annotated[str, Form(max_length=512)],
        next: Annotated[str, Form(max_length=2048)] = "",
        csrf: Annotated[str, Form(max_length=64)] = "",
    ) -> Response:
        """Check the form's origin and the token; open a county session and go on."""
        if not gate.from_this_site(request, csrf):
            return _sign_in_form(request, next, "cty_foreign_form", 403)
        opened = gate.sign_in(request, token.strip())
        if isinstance(opened, SignInRefusal):
            return _sign_in_form(request, next, opened.key, opened.status)
        target = safe_next(next)
        if target is None or not target.startswith(base(request)):
            target = base(request)
        response = RedirectResponse(target, 303)
        secure = request.url.scheme == "https"
        set_cookie(response, COOKIE, opened.id, _cookie_path(request), secure)
        response.delete_cookie(PRE_COOKIE, path=_cookie_path(request))
        return response

    @router.post("/sign-out", name="county_sign_out")
    def sign_out(request: Request, csrf: Annotated[str, Form(max_length=64)] = "") -> Response:
        """End the county session (a form carrying the page's ``csrf`` value)."""
        if not gate.sign_out(request, csrf):
            context = {"caller": None, "message": "cty_foreign_form"}
            return page(request, "refused.html", context, None, 403)
        response = RedirectResponse(f"{base(request)}sign-in", 303)
        response.delete_cookie(COOKIE, path=_cookie_path(request))
        return response

    return router
