"""Request limits: caps on path length (414) and body size (413), and token buckets (429).

The caps answer before routing or parsing.

- The public resolver: a bucket per client address (:func:`rate_limited`).
- Credentials (:class:`AuthLimits`): a refused token or sign-in empties a per-address
  bucket of failures, so guessing tokens stops after a few tries whatever the token; an
  accepted token takes from its own bucket and from its address's, so neither a leaked
  token nor one address can flood the write API.

The resolver's buckets are shared by every worker on the machine when the settings name a
file for them (``AGRITRACE_RATE_FILE``; ``agritrace serve`` always does:
:class:`~verifier_app._shared_buckets.SharedRateLimiter`); otherwise, and for the
credential limits, they live in this process's memory (:class:`RateLimiter`), so with
``--workers N`` a client may get up to N times those rates. Several machines behind one
balancer need a limit in the balancer or reverse proxy.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from verifier_app._errors import RateLimitedError, error_body
from verifier_app._shared_buckets import SharedRateLimiter

__all__ = [
    "MAX_PATH_BYTES",
    "AuthLimits",
    "BodySizeLimit",
    "Buckets",
    "PathLengthLimit",
    "RateLimiter",
    "client_address",
    "rate_limited",
    "take_token",
]

_METHODS_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})

# Marks a request whose token is taken (by the scan fast path), so that falling through to
# the router's dependency does not charge the same request twice.
_CHARGED = "agritrace.rate_limit_charged"


#: The longest request path (without the query) the app routes. A Digital Link with a lot
#: and a serial is under 100 bytes and every page's path is shorter still; a longer one is
#: garbage or a probe, answered before routing, matching or any template.
MAX_PATH_BYTES = 1024


class PathLengthLimit:
    """ASGI middleware: refuse a path over :data:`MAX_PATH_BYTES` with 414, unrouted."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("raw_path") or scope.get("path", "").encode()
        if scope["type"] != "http" or len(path) <= MAX_PATH_BYTES:
            await self.app(scope, receive, send)
            return
        message = f"path: expected at most {MAX_PATH_BYTES} bytes, got {len(path)}"
        payload = json.dumps(error_body("path_too_long", message, "path")).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(payload)).encode()),
        ]
        await send({"type": "http.response.start", "status": 414, "headers": headers})
        await send({"type": "http.response.body", "body": payload})


class BodySizeLimit:
    """ASGI middleware: refuse a request body over ``max_bytes`` with 413, unparsed.

    A declared ``Content-Length`` over the limit is refused without reading the body; a
    chunked body is read up to the limit and refused as soon as it passes it. An accepted
    body is replayed to the app, which therefore never sees an oversize one.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _METHODS_WITH_BODY:
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        # A malformed Content-Length never gets here: the HTTP server refuses it.
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send, declared.decode("latin-1"))
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(send, f"more than {size}")
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send, got: str) -> None:
        payload = json.dumps(
            error_body(
                "body_too_large",
                f"body: expected at most {self.max_bytes} bytes, got {got}",
                "body",
            )
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})


class Buckets(Protocol):
    """Token buckets per client key (in this process, or shared through a file)."""

    def wait_time(self, key: str, *, take: bool = True) -> float:
        """Take one token for ``key``; 0 if granted, else seconds until one is due."""
        ...


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Token buckets per client key: ``burst`` requests at once, refilled at ``rate``/s.

    Holds at most ``max_clients`` buckets; the least recently used is dropped first (a
    dropped client starts again with a full bucket, which errs on the side of serving).
    """

    def __init__(
        self,
        rate: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = 10_000,
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self.max_clients = max_clients
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def wait_time(self, key: str, *, take: bool = True) -> float:
        """Take one token for ``key``; return 0 if granted, else seconds until one is due.

        With ``take=False`` only look: 0 if a token is there, and nothing is taken.
        """
        with self._lock:
            now = self.clock()
            bucket = self._buckets.pop(key, None) or _Bucket(float(self.burst), now)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
            self._buckets[key] = bucket
            if len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)
            if bucket.tokens >= 1:
                if take:
                    bucket.tokens -= 1
                return 0.0
            return (1 - bucket.tokens) / self.rate


def client_address(scope: Scope) -> str:
    """Return the request's client address: the proxy's view when the proxy is trusted."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class AuthLimits:
    """Limits on credentials: failures per address, use per token and per address.

    Args:
        failure_burst: Refused tokens an address may send before it must wait.
        failures_per_second: How fast an address earns another try.
        rate: Requests per second an accepted token (and separately its address) may make.
        burst: Requests a token (and its address) may make at once.
        clock: Monotonic clock, for tests.
        shared: Keep the buckets in ``<shared>.auth-failures`` and ``<shared>.api``, files
            every worker of the server maps (:mod:`verifier_app._shared_buckets`), so that
            N workers do not give an address N times the guesses or a token N times the
            rate; None: in this process's memory.
    """

    def __init__(
        self,
        failure_burst: int,
        failures_per_second: float,
        rate: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        shared: Path | None = None,
    ) -> None:
        self.failures: Buckets
        self.use: Buckets
        if shared is None:
            self.failures = RateLimiter(failures_per_second, failure_burst, clock)
            self.use = RateLimiter(rate, burst, clock)
        else:
            failures = shared.with_name(f"{shared.name}.auth-failures")
            self.failures = SharedRateLimiter(failures, failures_per_second, failure_burst, clock)
            use = shared.with_name(f"{shared.name}.api")
            self.use = SharedRateLimiter(use, rate, burst, clock)

    def check_address(self, address: str) -> None:
        """Refuse an address that spent its failures, before its token is even looked at.

        Raises:
            RateLimitedError: too many refused tokens from this address lately.
        """
        wait = self.failures.wait_time(address, take=False)
        if wait > 0:
            raise RateLimitedError(wait)

    def failed(self, address: str) -> None:
        """Count a refused token or sign-in against ``address``."""
        self.failures.wait_time(address)

    def take(self, token_hash: str, address: str) -> None:
        """Take one request from the token's bucket and from its address's.

        Raises:
            RateLimitedError: either bucket is empty.
        """
        wait = max(self.use.wait_time(f"token:{token_hash}"), self.use.wait_time(address))
        if wait > 0:
            raise RateLimitedError(wait)


def take_token(limiter: Buckets, scope: Scope) -> None:
    """Take one token for the request's client IP, once per request, or raise 429.

    The client is the ASGI scope's (``request.client``): behind a reverse proxy run uvicorn
    with ``--proxy-headers`` and ``--forwarded-allow-ips`` so it is the real one, not the
    proxy's. A request whose token was already taken is not charged again.

    Raises:
        RateLimitedError: the bucket is empty.
    """
    if scope.get(_CHARGED):
        return
    wait = limiter.wait_time(client_address(scope))
    if wait > 0:
        raise RateLimitedError(wait)
    scope[_CHARGED] = True


async def rate_limited(request: Request) -> None:
    """Dependency: take a token from the client IP's bucket (:func:`take_token`) or raise 429.

    Async because it only takes a short in-memory lock: a sync dependency would cost every
    resolver request a trip through the thread pool.

    Raises:
        RateLimitedError: the bucket is empty.
    """
    take_token(request.app.state.rate_limiter, request.scope)
