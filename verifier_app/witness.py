"""The C2SP ``tlog-witness`` endpoint: ``POST /add-checkpoint`` for the logs this witness follows.

The witness (a regulator's hub) cosigns a log's checkpoint once it is consistent with the
last one it cosigned; the logic is :class:`ledger.LogWitness`. The protocol fixes each
refusal's status code and body (409 carries the witness's size as ``text/x.tlog.size``), so
this router answers in the protocol's plain-text form rather than the app's JSON errors.

Mount with ``app.include_router(witness_router(log_witness))``, optionally under a prefix
(the witness's *submission prefix*).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from ledger import (
    LogWitness,
    UnknownLogError,
    UntrustedLogError,
    WitnessCheckError,
    WitnessConflictError,
    WitnessError,
    WitnessProofError,
    WitnessRequestError,
    WitnessUnavailableError,
)

__all__ = ["MAX_REQUEST_BYTES", "witness_router"]

#: A request is one size line, at most 63 proof lines and one checkpoint with its signatures.
MAX_REQUEST_BYTES = 64 * 1024
_TEXT = "text/plain; charset=utf-8"
_STATUS: tuple[tuple[type[WitnessError], int], ...] = (
    (WitnessRequestError, 400),
    (UntrustedLogError, 403),
    (UnknownLogError, 404),
    (WitnessConflictError, 409),
    (WitnessProofError, 422),
    (WitnessCheckError, 422),
    (WitnessUnavailableError, 503),
)


def witness_router(witness: LogWitness) -> APIRouter:
    """Return a router serving ``POST /add-checkpoint`` for ``witness``."""
    router = APIRouter(tags=["witness"])

    @router.post(
        "/add-checkpoint",
        response_class=Response,
        responses={
            200: {"content": {_TEXT: {}}, "description": "cosignature lines"},
            409: {"content": {"text/x.tlog.size": {}}, "description": "the witness's size"},
        },
    )
    async def add_checkpoint(request: Request) -> Response:
        """Cosign a checkpoint consistent with the last one cosigned for its log."""
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_REQUEST_BYTES:
                return Response(f"request over {MAX_REQUEST_BYTES} bytes\n", 413, media_type=_TEXT)
        try:
            line = await run_in_threadpool(witness.add_checkpoint, bytes(body))
        except WitnessError as e:
            return _refusal(e)
        return Response(line, media_type=_TEXT, headers={"Cache-Control": "no-store"})

    return router


def _refusal(error: WitnessError) -> Response:
    if isinstance(error, WitnessConflictError):
        # tlog-witness: the body is the latest cosigned size and a newline, this media type.
        # Set as a header: Starlette would append "; charset=utf-8" to a text/* media type.
        return Response(f"{error.known_size}\n", 409, {"Content-Type": "text/x.tlog.size"})
    if isinstance(error, WitnessUnavailableError):
        headers = {"Retry-After": str(error.retry_after)}
        return Response(f"{error}\n", 503, headers=headers, media_type=_TEXT)
    status = next((code for kind, code in _STATUS if isinstance(error, kind)), 400)
    return Response(f"{error}\n", status, media_type=_TEXT)
