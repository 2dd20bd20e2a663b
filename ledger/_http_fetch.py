"""Fetching a tiled log's files over HTTP with the standard library, for the mirror.

Every network failure becomes :class:`~ledger._mirror.MirrorNetworkError`: refused or reset
connections, timeouts, and a body cut short (``IncompleteRead``: the connection died
mid-transfer). The mirror then simply syncs again later; nothing half-read is stored.
"""

from __future__ import annotations

import http.client
import urllib.error
import urllib.request

from ledger._mirror import MirrorError, MirrorNetworkError
from ledger._tile_reader import Fetch

__all__ = ["http_fetch"]

#: A tile is 8 KiB and an entry bundle at most 256 x 64 KiB; one request should not hang.
TIMEOUT = 30.0
#: Refuse absurd bodies: 256 entries of at most 65,535 bytes each, with their prefixes.
MAX_BODY = 256 * (65535 + 2)


def http_fetch(prefix: str, timeout: float = TIMEOUT) -> Fetch:
    """Return a fetch function for the tiled log at URL ``prefix``.

    The function takes a path under the prefix (``checkpoint``, ``tile/0/000``, ...).
    """
    base = prefix.rstrip("/") + "/"
    if not base.startswith(("http://", "https://")):
        raise MirrorError(f"source URL: expected http:// or https://, got {prefix!r}")

    def fetch(path: str) -> bytes:
        url = base + path
        # Tiles are immutable, but the checkpoint must be current: ask caches to revalidate.
        headers = {"Cache-Control": "no-cache"} if path == "checkpoint" else {}
        request = urllib.request.Request(url, headers=headers)  # noqa: S310 - http(s) only
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                length = int(response.headers.get("Content-Length") or 0)
                if length > MAX_BODY:
                    raise MirrorError(f"{url}: {length} bytes, larger than any tile or bundle")
                # read() without a size raises IncompleteRead when the body is cut short;
                # read(n) would quietly return fewer bytes.
                body: bytes = response.read()
        except urllib.error.HTTPError as e:
            if e.code >= 500 or e.code == 429:
                raise MirrorNetworkError(f"{url}: {e.code} {e.reason}") from e
            raise MirrorError(f"{url}: {e.code} {e.reason}") from e
        except (OSError, http.client.HTTPException) as e:
            raise MirrorNetworkError(f"{url}: {e}") from e
        if len(body) > MAX_BODY:
            raise MirrorError(f"{url}: larger than any tile or bundle ({MAX_BODY} bytes)")
        return body

    return fetch
