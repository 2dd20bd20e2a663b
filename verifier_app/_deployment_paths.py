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

HTML and JSON are rewritten whole (a gzip body is unpacked, rewritten and packed again);
answers with a strong ETag are rewritten once and kept (:class:`MemberMount`).
"""

from __future__ import annotations

import gzip
import json
import re
from collections import OrderedDict
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

    Rewritten answers that carry a strong ETag (the resolver's scan answers do: a hash of
    their bytes) are kept, by that tag, in a small cache of the rewritten bytes, so a scan
    served from the member's answer cache costs no rewrite, and no recompression, again. The
    ETag sent out is the member's with the slug added (the bytes differ from the member's);
    a client's ``If-None-Match`` is handed back to the member in the member's own form, so
    304s work as they do for a single cooperative.

    Args:
        app: The member's ASGI app.
        prefix: Its path prefix, without a trailing slash.
        cache_bytes: The most bytes of rewritten answers kept.
    """

    def __init__(self, app: ASGIApp, prefix: str, cache_bytes: int = 16 * 1024 * 1024) -> None:
        self.app = app
        self.prefix = prefix
        self._suffix = "-" + prefix.rsplit("/", 1)[-1]
        self._cache: OrderedDict[bytes, bytes] = OrderedDict()
        self._cache_bytes = cache_bytes
        self._held = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send, path: str) -> None:
        """Serve the HTTP request ``scope`` as the member's request for ``path``."""
        inner = dict(scope)
        inner["path"] = path
        # The raw path keeps percent-escapes (a lot code may hold "/" as %2F): the resolver
        # reads the code from it, so only the member's prefix is taken off.
        raw = scope.get("raw_path")
        mark = self.prefix.encode("ascii") + b"/"
        if raw is None:
            raw = path.encode("utf-8")
        elif raw.startswith(mark):
            raw = raw[len(mark) - 1 :]
        inner["raw_path"] = raw
        inner["headers"] = [
            (k, self._member_tags(v) if k == b"if-none-match" else v) for k, v in scope["headers"]
        ]
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
                    elif key == b"etag":
                        value = self._own_tag(value)
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
                given: dict[bytes, bytes] = dict(start["headers"])
                body = self._rewrite(
                    b"".join(chunks),
                    kind or "",
                    given.get(b"content-encoding") == b"gzip",
                    given.get(b"etag"),
                )
                out = [(k, v) for k, v in start["headers"] if k != b"content-length"]
                out.append((b"content-length", str(len(body)).encode("ascii")))
                await send({**start, "headers": out})
                await send({"type": "http.response.body", "body": body})
                return
            await send(message)

        await self.app(inner, receive, send_out)

    def _rewrite(self, body: bytes, kind: str, gzipped: bool, etag: bytes | None) -> bytes:
        key = None if etag is None or etag.startswith(b"W/") else etag
        if key is not None:
            kept = self._cache.get(key)
            if kept is not None:
                self._cache.move_to_end(key)
                return kept
        plain = gzip.decompress(body) if gzipped else body
        plain = (
            prefix_html(plain, self.prefix) if kind == "html" else prefix_json(plain, self.prefix)
        )
        # Level 6: a tenth of level 9's time for a few per cent more bytes; done once per
        # answer, as the member's own cache does.
        out = gzip.compress(plain, compresslevel=6, mtime=0) if gzipped else plain
        if key is not None and len(out) <= self._cache_bytes // 8:
            self._cache[key] = out
            self._held += len(out)
            while self._held > self._cache_bytes:
                _, dropped = self._cache.popitem(last=False)
                self._held -= len(dropped)
        return out

    def _own_tag(self, etag: bytes) -> bytes:
        # '"abc"' -> '"abc-kashgar"', '"abc-gz"' -> '"abc-gz-kashgar"': other bytes, other tag.
        text = etag.decode("latin-1")
        if not text.endswith('"'):
            return etag
        return (text[:-1] + self._suffix + '"').encode("latin-1")

    def _member_tags(self, value: bytes) -> bytes:
        return value.decode("latin-1").replace(self._suffix + '"', '"').encode("latin-1")


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
