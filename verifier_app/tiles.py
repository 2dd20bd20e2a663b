"""The log served as C2SP ``tlog-tiles``: ``/checkpoint``, ``/tile/<L>/<N>``, ``/tile/entries/<N>``.

The same bytes as ``agritrace ledger tiles DIR`` writes, read from the store on request: a
CDN in front of the app can cache full tiles forever (they never change) and partial tiles
briefly; the checkpoint is the one mutable resource. Tiles are served up to the latest
published checkpoint, never beyond, so nothing is served that no signed checkpoint covers.

Mount with ``app.include_router(tiles.router)`` (optionally under a per-log prefix); the
routes read the ledger from the app's ``LedgerDep``.
"""

from __future__ import annotations

import gzip
from typing import Annotated

from fastapi import APIRouter, Header, Path
from fastapi.responses import Response

from ledger import TileNotFoundError, TileSource
from verifier_app._deps import LedgerDep
from verifier_app._errors import NotFoundError

__all__ = ["CHECKPOINT_CACHE", "FULL_TILE_CACHE", "PARTIAL_TILE_CACHE", "router"]

#: tlog-tiles: tiles are immutable, "caching headers SHOULD be long-lived".
FULL_TILE_CACHE = "public, max-age=31536000, immutable"
#: A partial tile's bytes are fixed by its width, but the log may delete it once the full
#: tile exists (tlog-tiles "Partial Tiles"), so caches keep it for a minute only.
PARTIAL_TILE_CACHE = "public, max-age=60"
#: tlog-tiles: the checkpoint's "headers SHOULD prevent caching beyond a few seconds".
CHECKPOINT_CACHE = "public, max-age=5"
_OCTETS = "application/octet-stream"
# Entry bundles are JSON records and compress well; tiles are hashes and do not.
_GZIP_LEVEL = 6

router = APIRouter(tags=["tiles"])


@router.get(
    "/checkpoint",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "C2SP signed checkpoint"}},
)
def get_checkpoint(ledger: LedgerDep) -> Response:
    """Return the latest signed checkpoint with every witness cosignature (tlog-checkpoint)."""
    note = ledger.cosigned_checkpoint()
    if note is None:
        raise NotFoundError("no checkpoint yet")
    return Response(
        note,
        media_type="text/plain; charset=utf-8",
        headers={"Cache-Control": CHECKPOINT_CACHE},
    )


@router.get(
    "/tile/{path:path}",
    response_class=Response,
    responses={200: {"content": {_OCTETS: {}}, "description": "hash tile or entry bundle"}},
)
def get_tile(
    ledger: LedgerDep,
    path: Annotated[str, Path(max_length=200)],
    accept_encoding: Annotated[str, Header()] = "",
) -> Response:
    """Return a hash tile ``tile/<L>/<N>[.p/<W>]`` or entry bundle ``tile/entries/<N>[.p/<W>]``."""
    try:
        tile, data = TileSource(ledger.store).read_path(f"tile/{path}")
    except TileNotFoundError as e:
        raise NotFoundError(str(e), "path") from e
    headers = {"Cache-Control": FULL_TILE_CACHE if tile.full else PARTIAL_TILE_CACHE}
    if tile.is_entries:
        # tlog-tiles: "Entry bundles SHOULD be compressed at the HTTP layer".
        headers["Vary"] = "Accept-Encoding"
        if "gzip" in accept_encoding.lower():
            headers["Content-Encoding"] = "gzip"
            data = gzip.compress(data, _GZIP_LEVEL, mtime=0)
    return Response(data, media_type=_OCTETS, headers=headers)
