"""Security headers on every response, as a pure ASGI middleware outermost in the stack.

Being outermost, :class:`SecurityHeaders` sees every kind of response the same way: pages,
JSON, error pages and bodies, 404s, redirects, the 413 of the body limit and the scan fast
path's replayed answers (which never reach the router). It adds:

- ``Content-Security-Policy``: nothing loads unless named. Scripts run only when their
  SHA-256 is listed (the consumer page's inline verifier, hashed from the very text the
  page inlines, so an edit to the script needs no edit here); no plugin, no base-URI
  change, forms post only here, and no other site may frame a page
  (``frame-ancestors 'none'``, and ``X-Frame-Options: DENY`` for older browsers).
  Inline ``<style>`` and ``style=`` stay allowed: CSS cannot run code, and the pages are
  small self-contained documents without external assets.
- ``X-Content-Type-Options: nosniff``; ``Referrer-Policy: same-origin``: a scanned lot's
  URL is nobody else's business, yet our own form posts keep their ``Origin`` (with
  ``no-referrer`` browsers send ``Origin: null``, which the sign-in check must refuse);
  ``Cross-Origin-Opener-Policy: same-origin``.
- ``Strict-Transport-Security`` only on a request that came over HTTPS. Behind a reverse
  proxy the scheme is the proxy's ``X-Forwarded-Proto``, trusted only from the addresses
  in ``AGRITRACE_FORWARDED_ALLOW_IPS`` (uvicorn's ``ProxyHeadersMiddleware``, wired by
  :func:`~verifier_app.create_app` outside this one; without addresses the forwarded
  headers are ignored, since any client could claim HTTPS or another address).
- ``Cache-Control: no-store`` on everything a signed-in person or an API caller gets (a
  request with a session cookie or an ``Authorization`` header), and on any response
  that chose no caching of its own; the consumer's scan answers keep theirs.

The interactive API docs (``/docs``, ``/redoc``) are FastAPI's pages built from a CDN with
an inline bootstrap script; they show no data, so they get a policy that allows exactly
that CDN and inline script, and still may not be framed.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["SecurityHeaders", "content_security_policy", "script_hash"]

HSTS = "max-age=63072000; includeSubDomains"  # two years: the HSTS preload list's minimum
_DOCS_PATHS = frozenset({"/docs", "/redoc", "/docs/oauth2-redirect"})
_DOCS_CSP = (
    "default-src 'none'; script-src 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "font-src https://fonts.gstatic.com; img-src 'self' data: https://fastapi.tiangolo.com "
    "https://cdn.redoc.ly; connect-src 'self'; worker-src blob:; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'none'"
)


def script_hash(text: str) -> str:
    """Return the CSP source (``'sha256-…'``) that allows an inline ``<script>`` of ``text``.

    ``text`` must be exactly what sits between ``<script>`` and ``</script>`` (CSP3
    §8.4: the hash is over the element's text, UTF-8 encoded).
    """
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def content_security_policy(inline_scripts: Iterable[str]) -> str:
    """Return the app's policy, allowing exactly the inline scripts given (by hash)."""
    hashes = " ".join(sorted({script_hash(s) for s in inline_scripts}))
    # 'self' as well: old phones without Ed25519 in WebCrypto import the vendored pure-JS
    # verifier from /static (verifier_app/consumer/_static.py, the only script file this
    # origin serves; every other answer is HTML or JSON sent with nosniff).
    script_src = f"{hashes} 'self'" if hashes else "'self'"
    return (
        f"default-src 'none'; script-src {script_src}; style-src 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    )


def _signed_in(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"authorization" or (name == b"cookie" and b"agritrace_session=" in value):
            return True
    return False


class SecurityHeaders:
    """ASGI middleware adding the security headers (module docstring) to every response.

    Args:
        app: The rest of the stack.
        policy: The ``Content-Security-Policy`` value (:func:`content_security_policy`).
    """

    def __init__(self, app: ASGIApp, policy: str) -> None:
        self.app = app
        self.policy = policy.encode("ascii")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = _DOCS_CSP.encode() if scope["path"] in _DOCS_PATHS else self.policy
        https = scope.get("scheme") == "https"
        private = _signed_in(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if not (private and k.lower() == b"cache-control")
                ]
                present = {k.lower() for k, _ in headers}
                added = [
                    (b"content-security-policy", policy),
                    (b"x-frame-options", b"DENY"),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                    (b"cross-origin-opener-policy", b"same-origin"),
                ]
                if https:
                    added.append((b"strict-transport-security", HSTS.encode()))
                if b"cache-control" not in present:
                    added.append((b"cache-control", b"no-store"))
                message = {
                    **message,
                    "headers": headers + [(k, v) for k, v in added if k not in present],
                }
            await send(message)

        await self.app(scope, receive, send_with_headers)
