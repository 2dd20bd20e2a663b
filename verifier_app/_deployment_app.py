"""``create_deployment_app(deployment)``: many cooperatives' apps behind one server.

Each member's full app (:func:`verifier_app.create_app` with the member's settings: its own
database, keys, tokens and sessions) is served under ``/c/<slug>/`` by a
:class:`~verifier_app._deployment_paths.MemberMount`. A GS1 Digital Link (``/01/<gtin>/...``:
pages, JSON, proofs, label checks) goes to the member whose ledger declares the longest
company prefix of the GTIN (:class:`~verifier_app._deployment_routing.PrefixTable`); a GTIN
of no member gets the consumer's "unknown code" page. ``/`` lists the members. The county
or alliance regulators' views across logs are mounted under ``/county/`` when that package is
installed (``verifier_app.county``).

Starlette runs the lifespan of the app it serves, not of apps inside it: the deployment's
lifespan enters every member's (checkpoint publisher, witness submissions, drift monitor,
mirror follower, webhook, dashboard warm-up) and leaves them in reverse order.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import importlib.util
import logging
import os
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from labels import GS1SyntaxError, normalize_gtin
from ledger import Ledger, LedgerError
from traceability import Projection
from verifier_app._app import create_app
from verifier_app._auth import TokenFileError
from verifier_app._catalogs import wording
from verifier_app._deployment import (
    Deployment,
    DeploymentError,
    load_deployment,
    with_run_files,
)
from verifier_app._deployment_paths import MemberMount
from verifier_app._deployment_routing import PrefixSource, PrefixTable
from verifier_app._errors import error_body
from verifier_app._headers import SecurityHeaders, content_security_policy
from verifier_app._i18n import LANGUAGES
from verifier_app._negotiate import page_language, representation
from verifier_app._pages import render_page
from verifier_app._signing import AppRecorder

__all__ = [
    "COUNTY_PREFIX",
    "DEPLOYMENT_ENV",
    "MEMBER_PREFIX",
    "PORT_ENV",
    "DeploymentApp",
    "MemberApp",
    "create_deployment_app",
    "create_deployment_app_from_env",
]

#: Where member ``<slug>``'s app is served: ``/c/<slug>/``.
MEMBER_PREFIX = "/c"
#: Where the county/alliance regulators' views across logs are mounted.
COUNTY_PREFIX = "/county"
#: The environment variable naming the deployment file (``agritrace serve --deployment``).
DEPLOYMENT_ENV = "AGRITRACE_DEPLOYMENT"
#: The port ``agritrace serve`` listens on: names the members' shared run files.
PORT_ENV = "AGRITRACE_DEPLOYMENT_PORT"

_log = logging.getLogger("verifier_app")
_WORDING = wording("deployment", LANGUAGES)
# Paths every member serves alike (the vendored verifier script, the resolver description):
# served by the first member, unprefixed, as a single cooperative's server serves them.
_SHARED = ("/static/", "/.well-known/")


@dataclass(frozen=True)
class MemberApp:
    """One member as served: its slug, names and app.

    Attributes:
        slug: Its path segment.
        name: The deployment file's name for it (until its ledger names the cooperative).
        app: Its app, as :func:`verifier_app.create_app` built it.
        mount: The app under ``/c/<slug>``.
    """

    slug: str
    name: str
    app: FastAPI
    mount: MemberMount

    @property
    def ledger(self) -> Ledger:
        """The member's open ledger."""
        ledger: Ledger = self.app.state.ledger
        return ledger

    @property
    def projection(self) -> Projection:
        """The member's projection (its domain's read API)."""
        recorder: AppRecorder = self.app.state.recorder
        return recorder.projection

    def display_name(self, language: str) -> str:
        """The cooperative's name in ``language`` from its ledger, else the file's name."""
        info = self.projection.cooperative()
        return self.name if info is None else info.name(language)

    def company_prefixes(self) -> tuple[str, ...]:
        """The prefixes its ledger declares, its projection caught up first."""
        if not self.app.state.settings.is_mirror():
            self.projection.catch_up()  # a mirror's follower replays it instead
        return self.projection.company_prefixes()


def create_deployment_app(deployment: Deployment) -> DeploymentApp:
    """Build one app serving every member of ``deployment`` (see the module's text).

    Raises:
        PrefixConflictError: two members' ledgers declare one company prefix.
        DeploymentError: a member's app cannot be built (no ledger in its database, an
            unreadable key or token file); the message names the member.
    """
    members: list[MemberApp] = []
    for member in deployment.members:
        try:
            app = create_app(member.settings)
        except (LedgerError, TokenFileError, OSError, ValueError) as e:
            _close(members)
            raise DeploymentError(deployment.file, f"members ({member.slug})", str(e)) from e
        prefix = f"{MEMBER_PREFIX}/{member.slug}"
        members.append(MemberApp(member.slug, member.name, app, MemberMount(app, prefix)))
    try:
        table = PrefixTable([PrefixSource(m.slug, m.ledger, m.company_prefixes) for m in members])
    except Exception:
        _close(members)
        raise

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            for m in members:
                await stack.enter_async_context(m.app.router.lifespan_context(m.app))
            routed = [f"{m.slug} ({', '.join(table.prefixes_of(m.slug)) or '-'})" for m in members]
            _log.info("serving %d cooperatives: %s", len(members), ", ".join(routed))
            refreshing = asyncio.create_task(_refresh(table))
            try:
                yield
            finally:
                refreshing.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await refreshing

    outer = FastAPI(
        title="agritrace deployment",
        summary="Several cooperatives' logs, one server.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    outer.state.deployment = deployment
    outer.state.members = members
    outer.state.prefixes = table
    _pages(outer, deployment, members, table)
    _mount_county(outer, deployment, members)
    outer.add_middleware(SecurityHeaders, policy=content_security_policy([]))
    return DeploymentApp(outer, _Dispatch(outer, members, table))


async def _refresh(table: PrefixTable) -> None:
    """Read the members' prefixes again as their logs grow (off the scans' path)."""
    while True:
        await asyncio.sleep(table.refresh_seconds)
        try:
            await asyncio.to_thread(table.refresh)
        except Exception:  # a database hiccup: the table keeps its last routes
            _log.exception("reading the members' company prefixes failed")


class DeploymentApp:
    """The deployment as served: the dispatcher in front of the deployment's own app.

    Attributes:
        state: The deployment's state: ``deployment``, ``members`` (:class:`MemberApp`),
            ``prefixes`` (the routing table), ``county_mounted``.
    """

    def __init__(self, inner: FastAPI, front: ASGIApp) -> None:
        self.state = inner.state
        self._inner = inner
        self._front = front

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve ``scope``: the lifespan by the deployment's app, requests by the dispatcher."""
        if scope["type"] == "lifespan":
            await self._inner(scope, receive, send)
            return
        await self._front(scope, receive, send)

    def close(self) -> None:
        """Close every member's ledger and audit jobs (an app built but never served)."""
        _close(self.state.members)


def _close(members: Sequence[MemberApp]) -> None:
    for built in members:
        built.app.state.audits.close()
        built.ledger.close()


class _Dispatch:
    """Send a request to the member it is for; pass the rest to the deployment's own app."""

    def __init__(self, app: ASGIApp, members: Sequence[MemberApp], table: PrefixTable) -> None:
        self.app = app
        self.members = {m.slug: m for m in members}
        self.first = members[0]
        self.table = table

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith(MEMBER_PREFIX + "/"):
            slug, _, rest = path[len(MEMBER_PREFIX) + 1 :].partition("/")
            member = self.members.get(slug)
            if member is not None and (rest or path.endswith("/")):
                await member.mount(scope, receive, send, "/" + rest)
                return
            if member is not None:  # /c/<slug> without its slash
                query = scope.get("query_string", b"").decode("latin-1")
                target = f"{path}/" + (f"?{query}" if query else "")
                await RedirectResponse(target, 308)(scope, receive, send)
                return
        elif path.startswith("/01/"):
            member = await self._by_gtin(path)
            if member is not None:
                await member.mount(scope, receive, send, path)
                return
        elif path.startswith(_SHARED):
            await self.first.mount(scope, receive, send, path)
            return
        await self.app(scope, receive, send)

    async def _by_gtin(self, path: str) -> MemberApp | None:
        segment = path.split("/", 3)[2]
        try:
            gtin = normalize_gtin(segment)
        except GS1SyntaxError:
            # Not a GTIN at all: any member's resolver says so in the consumer's words.
            return self.first
        slug = self.table.member_for(gtin)  # a lookup: the lifespan task refreshes the table
        return None if slug is None else self.members[slug]


def _pages(
    app: FastAPI, deployment: Deployment, members: Sequence[MemberApp], table: PrefixTable
) -> None:
    """The deployment's own pages: the member list, and an unknown GTIN's page."""

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def landing(request: Request) -> Response:
        language = page_language(request)

        def rows() -> list[dict[str, Any]]:
            return [
                {
                    "slug": m.slug,
                    "href": f"{MEMBER_PREFIX}/{m.slug}/?lang={language}",
                    "name": m.display_name(language),
                    "prefixes": table.prefixes_of(m.slug),
                }
                for m in members
            ]

        listed = await run_in_threadpool(rows)
        context = {
            "here": "/",
            "title": deployment.name,
            "members": listed,
            "county": COUNTY_PREFIX + "/" if app.state.county_mounted else None,
        }
        page = render_page("deployment_home.html", language, context, _WORDING)
        return HTMLResponse(page, headers={"Content-Language": language})

    @app.get("/01/{rest:path}", response_class=HTMLResponse, include_in_schema=False)
    async def unknown(request: Request, rest: str) -> Response:
        # No member declares a prefix of this GTIN: the consumer's counterfeit warning, in
        # the deployment's words (no cooperative's ledger was asked, so none is named).
        language = page_language(request)
        if representation(request) != "html":
            message = "no cooperative of this deployment declares a company prefix of this GTIN"
            return JSONResponse(error_body("unknown_gtin", message), 404)
        context = {"here": request.url.path}
        page = render_page("deployment_unknown.html", language, context, _WORDING)
        return HTMLResponse(page, 404, headers={"Content-Language": language})


def _mount_county(app: FastAPI, deployment: Deployment, members: Sequence[MemberApp]) -> None:
    """Mount the regulators' views across logs under ``/county/`` when they are installed.

    ``verifier_app.county.router_for(members, tokens)`` is the county helper's package; until
    it is installed (and without a regulator token file) nothing is mounted here.
    """
    app.state.county_mounted = False
    tokens = deployment.regulator_tokens
    if tokens is None or importlib.util.find_spec("verifier_app.county") is None:
        return
    county = importlib.import_module("verifier_app.county")
    alliance_member: Callable[..., Any] = importlib.import_module("traceability").AllianceMember

    def current() -> list[Any]:
        return [
            alliance_member(slug=m.slug, ledger=m.ledger, projection=m.projection) for m in members
        ]

    app.include_router(county.router_for(current, tokens), prefix=COUNTY_PREFIX)
    app.state.county_mounted = True


def create_deployment_app_from_env() -> DeploymentApp:
    """Build the deployment app from ``AGRITRACE_DEPLOYMENT`` (uvicorn's ``--factory``)."""
    demo = os.environ.get("AGRITRACE_DEMO", "") not in ("", "0", "false")
    deployment = load_deployment(Path(os.environ[DEPLOYMENT_ENV]), demo=demo)
    port = os.environ.get(PORT_ENV)
    if port is not None:
        deployment = with_run_files(deployment, int(port))
    return create_deployment_app(deployment)
