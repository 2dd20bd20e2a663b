"""The warm scan's short way: replay an answer the resolver already built, before routing.

A warm scan's answer is finished bytes in :class:`~verifier_app.consumer._scan_cache.AnswerCache`,
yet through FastAPI it still pays for matching the path among the app's routes and solving
the router's rate-limit dependency: about half of its cost in process (docs/performance.md,
"Consumer scan"). :class:`ScanFastPath` sits in front of the routing (inside the CORS
middleware, which therefore still adds its headers) and, for ``GET``/``HEAD`` on a lot's or
a unit's Digital Link, does what the router would do on a hit, through the same functions:

1. take the client's rate-limit token (:func:`~verifier_app._limits.take_token`); an
   address over its limit is answered 429 right here, from bytes made once, with
   ``Retry-After``: a flood costs neither routing, nor a template, nor the database;
2. compute the answer key (:func:`~verifier_app.consumer._scan_cache.answer_key`) at the log
   version read less than the freshness ago (:meth:`LogVersion.cached`);
3. send the cached answer (:func:`~verifier_app.consumer._scan_cache.respond`: gzip, ETag, 304).

A lot code the router answered "unknown" (404) costs the address :data:`UNKNOWN_LOT_COST`
tokens instead of one: each such answer took a database lookup, and one address guessing
codes is the pattern to slow down. The 404 is kept like any answer, so a crowd scanning
the same unknown (e.g. counterfeit) code pays the surcharge once, then gets the replay.

Anything else falls through to FastAPI untouched: another method or path, a version that
needs reading, a key nobody built (the router builds it and keeps it; the token stays
taken). The router stays the only source of answers; this only replays what it kept.
"""

from __future__ import annotations

import json
import math
import re

from starlette.datastructures import State
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from verifier_app._errors import RateLimitedError, error_body
from verifier_app._limits import Buckets, client_address, take_token
from verifier_app.consumer._scan_cache import BUILT, AnswerCache, LogVersion, answer_key, respond

__all__ = ["UNKNOWN_LOT_COST", "ScanFastPath", "is_scan_path"]

# The two routes the labels print (consumer.resolve_lot, consumer.resolve_serial); the
# other /01/ forms are rare enough to go the long way. Matched on the decoded path, as
# the router matches.
_SCAN_PATH = re.compile(r"/01/[^/]+/10/[^/]+(?:/21/[^/]+)?")
_METHODS = frozenset({"GET", "HEAD"})
_LOT_PATH = re.compile(r"/01/[^/]+/10/[^/]+")
#: Tokens a routed "no such lot" costs its address: with the default burst of 3,000 and
#: 50/s, an address may try 300 unknown codes at once, then 5 a second; known codes and
#: replayed answers cost one token as before.
UNKNOWN_LOT_COST = 10
# The 429 a flood gets: made once. A person's browser gets a line of text, anything else
# the JSON error every API answer uses (verifier_app._errors.error_body).
_BUSY_PAGE = (
    "<!doctype html><meta charset=utf-8><title>429</title>"
    "<p>Too many scans from your network right now: try again in a few seconds."
    "<p>扫码人数过多，请稍后再试。"
).encode()


def is_scan_path(path: str) -> bool:
    """Whether ``path`` (decoded) is a lot's or a unit's Digital Link the fast path serves."""
    return _SCAN_PATH.fullmatch(path) is not None


class ScanFastPath:
    """ASGI middleware: answer warm scans from the answer cache, else pass the request on.

    Args:
        app: The rest of the stack (FastAPI's routing).
        state: The app's state, holding ``rate_limiter``, ``log_version`` and
            ``scan_answers`` as :func:`~verifier_app.create_app` builds them.
    """

    def __init__(self, app: ASGIApp, state: State) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in _METHODS
            or not is_scan_path(scope["path"])
        ):
            await self.app(scope, receive, send)
            return
        limiter: Buckets = self.state.rate_limiter
        try:
            take_token(limiter, scope)
        except RateLimitedError as e:
            await _busy(scope, send, e.retry_after)
            return
        log: LogVersion = self.state.log_version
        version = log.cached()
        if version is None:
            # The head needs reading: the router does it once for all waiting scans (the
            # token stays taken, marked in the scope: the router does not charge again).
            await self._route(scope, receive, send, limiter)
            return
        request = Request(scope, receive)
        cache: AnswerCache = self.state.scan_answers
        answer = cache.get(answer_key(request, version))
        if answer is None:
            await self._route(scope, receive, send, limiter)
            return
        await respond(answer, request)(scope, receive, send)

    async def _route(self, scope: Scope, receive: Receive, send: Send, limiter: Buckets) -> None:
        """Let the router answer; charge the surcharge if it looked up a lot and found none."""
        if _LOT_PATH.fullmatch(scope["path"]) is None:
            await self.app(scope, receive, send)
            return

        async def watch(message: Message) -> None:
            # Only a 404 built for this request: a replay the router found kept (after it
            # read a new version of the log) costs one token, as on the short way.
            if (
                message["type"] == "http.response.start"
                and message["status"] == 404
                and scope.get(BUILT)
            ):
                address = client_address(scope)
                for _ in range(UNKNOWN_LOT_COST - 1):
                    limiter.wait_time(address)
            await send(message)

        await self.app(scope, receive, watch)


async def _busy(scope: Scope, send: Send, retry_after: float) -> None:
    """Answer 429 with ``Retry-After`` (whole seconds, at least 1) from ready-made bytes."""
    accept = b""
    for name, value in scope["headers"]:
        if name == b"accept":
            accept = value
            break
    page = b"text/html" in accept
    seconds = max(1, math.ceil(retry_after))
    # As RateLimitedError's answer through the error handlers, without them.
    message = f"too many requests: retry after {seconds} s"
    body = _BUSY_PAGE if page else json.dumps(error_body("rate_limited", message)).encode()
    kind = b"text/html; charset=utf-8" if page else b"application/json"
    headers = [
        (b"content-type", kind),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(seconds).encode()),
        (b"cache-control", b"no-store"),
    ]
    await send({"type": "http.response.start", "status": 429, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})
