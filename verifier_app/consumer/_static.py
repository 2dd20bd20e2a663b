"""The page's static files, served from our own origin: no external assets on a scan page.

Only the vendored Ed25519 fallback is served (``static/vendor/README.md``): the page loads
it when the browser's WebCrypto lacks Ed25519. Its file name carries its version, so it can
be cached for a year without ever going stale.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from fastapi import APIRouter, Response

from verifier_app._errors import NotFoundError

__all__ = ["ED25519_FALLBACK", "router"]

#: The fallback's path on our origin (verify.js names the same).
ED25519_FALLBACK = "/static/noble-ed25519-2.3.0.js"

router = APIRouter(tags=["consumer"])

_FILES = {"noble-ed25519-2.3.0.js": ("vendor/noble-ed25519-2.3.0.js", "text/javascript")}


@cache
def _read(path: str) -> bytes:
    return (files("verifier_app") / "static" / path).read_bytes()


@router.get("/static/{name}", include_in_schema=False)
def static_file(name: str) -> Response:
    """Serve one of the page's static files by name; anything else is 404."""
    if name not in _FILES:
        raise NotFoundError(f"no static file {name!r}")
    path, media_type = _FILES[name]
    return Response(
        _read(path),
        media_type=media_type,
        headers={
            "Cache-Control": "public, max-age=31536000, immutable",
            "X-Content-Type-Options": "nosniff",
        },
    )
