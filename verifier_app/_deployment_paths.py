"""One member's app served under ``/c/<slug>/``: paths in, and links and cookies out.

A member's app (:func:`verifier_app.create_app`) is the very app a single cooperative's server
runs, and it writes its links, redirects and cookie paths from the root (``/staff/...``).
Rather than teach every page and middleware a path prefix (a middleware that matches
``/01/`` or ``/api/`` would silently stop matching), :class:`MemberMount` hands the app the
path it knows and puts the prefix on what comes back:

- the request's path loses ``/c/<slug>``; a scan dispatched by its GTIN keeps its ``/01/...``;
- ``Location`` headers and the ``href``, ``action``, ``src`` and ``formaction`` attributes of
  HTML pages that start with ``/`` get the prefix, so every link stays within the member;
- in JSON answers, the links the consumer API gives (``checkpoint``, ``inclusion_proof``,
  ``report``) get the prefix too; no other value is touched (a lot code may hold "/");
- every cookie's ``Path`` gets the prefix: signing in at one member does not sign anyone out
  of, or into, another (their sessions are their own too: each has its session folder and
  token file).

HTML is rewritten whole, so the member is asked for uncompressed answers (the deployment
compresses what it sends, ``GZipMiddleware``).
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["JSON_LINKS", "MemberMount", "prefix_cookie", "prefix_html", "prefix_json"]

#: The JSON fields that hold a link of the member's own (verifier_app/consumer/_routes.py).
JSON_LINKS = frozenset({"checkpoint", "inclusion_proof", "report"})

_ATTRIBUTE = re.compile(rb"""(\s(?:href|action|src|formaction)=["'])(/(?!/)[^"']*)""")
_COOKIE_PATH = re.compile(r"(;\s*[Pp]ath=)([^;]*)")


def prefix_html(body: bytes, prefix: str) -> bytes:
    """Return ``body`` with every root-relative link attribute under ``prefix``.

    A link already under the prefix, a scheme-relative ``//host`` link, an absolute URL and
    a relative link are left alone.
    """
    mark = prefix.encode("ascii")

    def one(match: re.Match[bytes]) -> bytes:
        link = match.group(2)
        if link == mark or link.startswith((mark + b"/", mark + b"?")):
            return match.group(0)
        return match.group(1) + mark + link

    return _ATTRIBUTE.sub(one, body)


def prefix_json(body: bytes, prefix: str) -> bytes:
    """Return the JSON ``body`` with its :data:`JSON_LINKS` fields' root paths under ``prefix``.

    A body that is not JSON is returned as it came.
    """
    try:
        data = json.loads(body)
    except ValueError:
        return body
    changed = False

    def walk(value: Any) -> Any:
        nonlocal changed
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                if key in JSON_LINKS and isinstance(item, str) and _rooted(item, prefix):
                    out[key] = prefix + item
                    changed = True
                else:
                    out[key] = walk(item)
            return out
        if isinstance(value, list):
            return [walk(item) for item in value]
        return value

    rewritten = walk(data)
    if not changed:
        return body
    return json.dumps(rewritten, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _rooted(link: str, prefix: str) -> bool:
    """Whether ``link`` is a root-relative path not already under ``prefix``."""
    inside = link == prefix or link.startswith((prefix + "/", prefix + "?"))
    return link.startswith("/") and not link.startswith("//") and not inside


def prefix_cookie(header: str, prefix: str) -> str:
    """Return a ``Set-Cookie`` value scoped to ``prefix`` (its ``Path`` put under it)."""
    if _COOKIE_PATH.search(header) is None:
        return f"{header}; Path={prefix}/"

    def one(match: re.Match[str]) -> str:
        path = match.group(2).strip() or "/"
        return match.group(1) + (prefix + path if path.startswith("/") else prefix + "/")

    return _COOKIE_PATH.sub(one, header, count=1)


class MemberMount:
    """Serve one member's app under ``prefix`` (``/c/<slug>``); see the module's text.

    Args:
        app: The member's ASGI app.
        prefix: Its path prefix, without a trailing slash.
    """

    def __init__(self, app: ASGIApp, prefix: str) -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send, path: str) -> None:
        """Serve the HTTP request ``scope`` as the member's request for ``path``."""
        inner = dict(scope)
        inner["path"] = path
        inner["raw_path"] = path.encode("utf-8")
        # Uncompressed, so its pages can be rewritten; the deployment compresses them.
        inner["headers"] = [(k, v) for k, v in scope["headers"] if k != b"accept-encoding"]
        prefix = self.prefix
        head = scope.get("method") == "HEAD"  # no body to rewrite: its length stays
        start: Message | None = None
        kind: str | None = None
        chunks: list[bytes] = []

        async def send_out(message: Message) -> None:
            nonlocal start, kind
            if message["type"] == "http.response.start":
                headers = []
                for key, value in message.get("headers", []):
                    if key == b"location":
                        value = _location(value, prefix)
                    elif key == b"set-cookie":
                        value = prefix_cookie(value.decode("latin-1"), prefix).encode("latin-1")
                    elif key == b"content-type":
                        kind = _kind(value)
                    headers.append((key, value))
                message = {**message, "headers": headers}
                if kind is None or head:
                    await send(message)
                    return
                start = message  # held until the whole body is in
                return
            if message["type"] == "http.response.body" and start is not None:
                chunks.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                body = b"".join(chunks)
                body = prefix_html(body, prefix) if kind == "html" else prefix_json(body, prefix)
                headers = [(k, v) for k, v in start["headers"] if k != b"content-length"]
                headers.append((b"content-length", str(len(body)).encode("ascii")))
                await send({**start, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
            await send(message)

        await self.app(inner, receive, send_out)


def _kind(content_type: bytes) -> str | None:
    """``html`` or ``json`` for a body whose links are rewritten, else None."""
    media = content_type.split(b";", 1)[0].strip().lower()
    if media == b"text/html":
        return "html"
    if media == b"application/json":
        return "json"
    return None


def _location(value: bytes, prefix: str) -> bytes:
    text = value.decode("latin-1")
    return (prefix + text if _rooted(text, prefix) else text).encode("latin-1")
