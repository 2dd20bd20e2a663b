"""The one place where errors become HTTP responses.

Routes and dependencies raise: the app's own :class:`ApiError` subclasses, the ledger's
:class:`~ledger.LedgerError` family, the domain's :class:`~traceability.TraceError` family,
or :class:`~labels.GS1SyntaxError`. The handlers here turn each into a status and a small
JSON body ``{"error": {"code", "message", "field"?}}`` (a page, for a person's browser on
the staff and regulator pages); nothing else in the app chooses a status for an error, and
no stack trace reaches a client.
"""

from __future__ import annotations

import logging
import math
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from labels import GS1SyntaxError
from ledger import (
    EncodingError,
    KeyStateError,
    LedgerError,
    NoteError,
    ProofError,
    SignatureError,
    StatementError,
)
from traceability import BatchError, LifecycleError, RoleError, TraceError, ValidationError
from verifier_app._negotiate import page_language, representation
from verifier_app._pages import render_page

__all__ = [
    "ApiError",
    "BadRequestError",
    "ForbiddenError",
    "NotFoundError",
    "RateLimitedError",
    "SigningKeyUnavailableError",
    "UnauthenticatedError",
    "domain_status",
    "error_body",
    "install_error_handlers",
]

_log = logging.getLogger("verifier_app")


class ApiError(Exception):
    """An error the app raises itself; subclasses fix the status and code.

    Attributes:
        message: What was expected and what came, for the client.
        field: The request field at fault, when one is.
    """

    status = 400
    code = "bad_request"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def headers(self) -> dict[str, str]:
        """Extra response headers (e.g. ``WWW-Authenticate``)."""
        return {}


class BadRequestError(ApiError):
    """The request is well-formed but asks for something impossible (e.g. a size beyond the log)."""


class NotFoundError(ApiError):
    """The entry, checkpoint or audit asked for does not exist."""

    status = 404
    code = "not_found"


class UnauthenticatedError(ApiError):
    """No bearer token, or one the app does not know."""

    status = 401
    code = "unauthenticated"

    def headers(self) -> dict[str, str]:
        """RFC 6750 §3: a 401 names the scheme the client must use."""
        return {"WWW-Authenticate": 'Bearer realm="agritrace"'}


class ForbiddenError(ApiError):
    """The caller is known but none of its roles may do this."""

    status = 403
    code = "forbidden"


class SigningKeyUnavailableError(ApiError):
    """The server holds no usable key for the caller it should sign for (a setup mistake)."""

    status = 503
    code = "signing_key_unavailable"


class RateLimitedError(ApiError):
    """The client sent more requests than its bucket holds; retry after ``retry_after`` s."""

    status = 429
    code = "rate_limited"

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"too many requests: retry after {math.ceil(retry_after)} s")
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        """RFC 9110 §10.2.3: whole seconds, at least 1."""
        return {"Retry-After": str(max(1, math.ceil(self.retry_after)))}


# Ledger errors are bad input unless they say the store itself is broken. Order matters:
# the first class the error is an instance of decides.
_LEDGER_STATUS: tuple[tuple[type[LedgerError], int, str], ...] = (
    (StatementError, 422, "invalid_statement"),
    (EncodingError, 422, "invalid_statement"),
    (SignatureError, 422, "bad_signature"),
    (KeyStateError, 403, "key_not_allowed"),
    (NoteError, 422, "invalid_note"),
    (ProofError, 400, "bad_proof_request"),
)
_UNION_TAG = re.compile(r"[A-Z\[]")


def error_body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    """Return the JSON error body every error response carries."""
    error: dict[str, Any] = {"code": code, "message": message}
    if field is not None:
        error["field"] = field
    return {"error": error}


def _ledger_field(exc: LedgerError) -> str | None:
    # The ledger names the field and the batch position itself; nothing is parsed from text.
    if exc.field is None:
        return None
    return f"{exc.index}.{exc.field}" if exc.index is not None else exc.field


def _clean_loc(loc: Any) -> tuple[Any, ...]:
    # Pydantic names the union branch in the location ("SignedStatementIn", "list[...]");
    # clients know fields, not branches.
    return tuple(p for p in loc if not (isinstance(p, str) and _UNION_TAG.search(p)))


def domain_status(exc: TraceError) -> tuple[int, str, str | None]:
    """Return the status, error code and field for a domain refusal (nothing was appended).

    A malformed event is 422 naming its field; a signer whose roles may not record it is 403;
    an event the lifecycle or a quality rule forbids is 409 (the state of the lot is the
    conflict), its code the rule's name; a batch names the refused event's index.
    """
    prefix = ""
    if isinstance(exc, BatchError):
        prefix = f"{exc.index}."
        exc = exc.error
    if isinstance(exc, ValidationError):
        return 422, "invalid_event", prefix + exc.field
    if isinstance(exc, RoleError):
        return 403, "role_not_allowed", None
    if isinstance(exc, LifecycleError):
        return 409, exc.rule, None
    return 422, "invalid_event", None


def _wants_page(request: Request) -> bool:
    # The API always answers JSON; the pages (staff, regulator, sign-in) answer people.
    path = request.url.path
    return not path.startswith("/api/") and representation(request) == "html"


def _error_page(request: Request, status: int, message: str, headers: dict[str, str]) -> Response:
    if status in (301, 302, 303, 307, 308):
        return Response(status_code=status, headers=headers)
    language = page_language(request)
    context = {"here": request.url.path, "status": status, "message": message}
    page = render_page("error.html", language, context)
    return HTMLResponse(page, status, headers={**headers, "Content-Language": language})


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that map every error the app knows to a response."""

    async def api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        if _wants_page(request):
            return _error_page(request, exc.status, exc.message, exc.headers())
        return JSONResponse(
            error_body(exc.code, exc.message, exc.field), exc.status, headers=exc.headers()
        )

    async def trace_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, TraceError)
        status, code, field = domain_status(exc)
        if _wants_page(request):
            return _error_page(request, status, str(exc), {})
        return JSONResponse(error_body(code, str(exc), field), status)

    async def ledger_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, LedgerError)
        for kind, status, code in _LEDGER_STATUS:
            if isinstance(exc, kind):
                message = str(exc)
                return JSONResponse(error_body(code, message, _ledger_field(exc)), status)
        # StoreError, CheckpointConflictError, anything new: the server's fault. The detail
        # (which may name the database) goes to the log, not to the client.
        _log.error("ledger failure on %s %s: %s", request.method, request.url.path, exc)
        return JSONResponse(error_body("ledger_unavailable", "the ledger failed; see logs"), 503)

    async def gs1_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, GS1SyntaxError)
        if representation(request) == "html":
            # A phone that scanned a damaged or forged code gets a page, not JSON.
            language = page_language(request)
            context = {"here": request.url.path, "reason": str(exc)}
            page = render_page("bad_code.html", language, context)
            return HTMLResponse(page, 400, headers={"Content-Language": language})
        return JSONResponse(error_body("bad_gs1_syntax", str(exc), exc.field), 400)

    async def validation_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [{**e, "loc": _clean_loc(e.get("loc", ()))} for e in exc.errors()]
        # With a union (one statement or a list), each branch reports; the deepest error is
        # the one about what the client actually sent.
        first = max(errors, key=lambda e: len(e["loc"]), default={"loc": (), "msg": "invalid"})
        field = ".".join(str(part) for part in first["loc"])
        message = f"{field or 'request'}: {first.get('msg', 'invalid')}"
        context = first.get("ctx")
        cause = context.get("error") if isinstance(context, dict) else None
        if isinstance(cause, ValidationError):
            # An event model's own check (the domain's error, raised inside validation):
            # name its field under where the model sits, as the domain words it.
            field = ".".join(p for p in (field, cause.field) if p)
            message = f"{field}: expected {cause.expected}, got {cause.got!r}"
        if first.get("type") == "json_invalid":
            message = "body: expected valid JSON"
        return JSONResponse(error_body("invalid_request", message, field or None), 422)

    async def http_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(error_body(code, str(exc.detail)), exc.status_code, headers=exc.headers)

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(TraceError, trace_error)
    app.add_exception_handler(LedgerError, ledger_error)
    app.add_exception_handler(GS1SyntaxError, gs1_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
