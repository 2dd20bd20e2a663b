"""Report a problem with a lot: the scan page's form and its JSON twin, no account needed.

``GET /report/01/<gtin>/10/<lot>`` shows the form in the page's language (``?serial=`` names
the scanned unit); ``POST`` to the same path sends it. ``GET /api/v1/complaints/form`` and
``POST /api/v1/complaints`` do the same for an app or a platform. Each send is checked, in
this order, so abuse costs the abuser and never the log:

1. the body is at most :data:`MAX_FORM_BYTES` and, from a browser, comes from this site
   (``Origin``);
2. the sender's address has a complaint left in its bucket (``complaint_burst``, refilled
   ``complaints_per_hour``; one budget for all workers when ``rate_file`` is set);
3. the honeypot field (``website``, hidden from people) is empty — a bot that fills it is
   told "received" and nothing is recorded;
4. the form token is this server's, for this lot, old enough and not expired
   (:mod:`verifier_app.consumer._form_token`), and spent once;
5. the complaint passes the domain's model (text policy, 1,000 characters, the category
   and language lists) and names a recorded lot.

The server signs the complaint with its intake key (role ``intake``: it can sign nothing
else). A contact is stored apart from the log; only its salted hash is signed
(docs/adr/0022-complaints-on-the-ledger.md).
"""

from __future__ import annotations

import hashlib
import json
import time
from datetime import UTC, datetime
from typing import Annotated, Any, Final
from urllib.parse import parse_qs, quote, urlsplit

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from traceability import (
    CATEGORIES,
    MAX_COMPLAINT,
    MAX_CONTACT,
    Complaint,
    IdempotencyKey,
    IdempotencyKeyUsedError,
    ValidationError,
    forget_contact,
    keep_contact,
)
from verifier_app._errors import ApiError, ForbiddenError, NotFoundError, RateLimitedError
from verifier_app._i18n import LANGUAGES, Language, choose_language
from verifier_app._limits import Buckets, client_address, rate_limited
from verifier_app._pages import render_page
from verifier_app._settings import Settings
from verifier_app._signing import AppRecorder
from verifier_app.consumer._form_token import TOKEN_LIFETIME, FormTokens

__all__ = ["MAX_FORM_BYTES", "ComplaintForm", "ComplaintIn", "ComplaintOut", "router"]

router = APIRouter(tags=["complaints"])

#: The largest form body read: 1,000 characters of text in 3-byte UTF-8, percent-encoded
#: (9 bytes each), is 9 KB; the rest of the form is small.
MAX_FORM_BYTES: Final = 16 * 1024
_SCOPE = "complaint-form"  # the idempotency scope of form tokens
#: Fields whose refusal the form explains in the reader's language (``report_bad_<field>``).
_EXPLAINED: Final = frozenset({"text", "category", "contact", "token"})


class ComplaintTooLargeError(ApiError):
    """The form's body is larger than any honest report."""

    status = 413
    code = "too_large"


class ComplaintsClosedError(ApiError):
    """This server holds no intake key: it takes no complaints (a setup choice).

    404, not 503: nothing is down and retrying will not help; there is no intake here.
    """

    status = 404
    code = "complaints_closed"


class ComplaintForm(BaseModel):
    """What a client needs to send a complaint about a lot."""

    model_config = ConfigDict(frozen=True)

    token: str
    categories: list[str]
    languages: list[str]
    max_text: int
    max_contact: int
    min_seconds: float
    lifetime_seconds: int


class ComplaintIn(BaseModel):
    """A complaint as an app sends it: the lot, what is wrong, the form's token."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    gtin: str = Field(max_length=14)
    lot: str = Field(max_length=20)
    serial: str | None = Field(default=None, max_length=20)
    category: str = Field(max_length=20)
    text: str = Field(max_length=4 * MAX_COMPLAINT)
    language: str = Field(max_length=2)
    contact: str | None = Field(default=None, max_length=4 * MAX_CONTACT)
    token: str = Field(max_length=200)
    #: The honeypot: people never fill it.
    website: str = Field(default="", max_length=200)


class ComplaintOut(BaseModel):
    """The answer to a complaint: its ledger entry (None when nothing was recorded)."""

    model_config = ConfigDict(frozen=True)

    complaint: int | None
    gtin: str
    lot: str
    status: str


def _holder(request: Request) -> AppRecorder:
    holder: AppRecorder = request.app.state.recorder
    return holder


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _tokens(request: Request) -> FormTokens:
    """The form tokens, keyed from the intake key; refuse when the server has none."""
    settings, holder = _settings(request), _holder(request)
    if not holder.keys.exists(settings.complaint_key):
        raise ComplaintsClosedError(
            "this server takes no complaints online (no intake key); contact the market regulator"
        )
    found: FormTokens | None = getattr(request.app.state, "form_tokens", None)
    if found is None:
        found = request.app.state.form_tokens = FormTokens(holder.load_key(settings.complaint_key))
    return found


def _limiter(request: Request) -> Buckets:
    limiter: Buckets = request.app.state.complaint_limiter
    return limiter


def _known_lot(holder: AppRecorder, gtin: str, lot: str) -> tuple[str, str]:
    """The lot as the projection spells it; 404 for an unknown one, 422 for a malformed one."""
    holder.projection.catch_up()
    found = holder.projection.find(gtin, lot)
    if found is None:
        raise NotFoundError(f"lot: no lot {lot!r} of {gtin} on this ledger", "lot")
    return found.gtin, found.lot


def _fingerprint(fields: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()


def _submit(request: Request, fields: ComplaintIn) -> int | None:
    """Check and record one complaint (module docstring, steps 2-5); return its entry.

    None when the honeypot was filled (nothing recorded). A token sent twice records
    once and returns the first complaint's entry.
    """
    wait = _limiter(request).wait_time(client_address(request.scope))
    if wait > 0:
        raise RateLimitedError(wait)
    if fields.website:
        return None
    settings, holder, tokens = _settings(request), _holder(request), _tokens(request)
    gtin, lot = _known_lot(holder, fields.gtin, fields.lot)
    nonce = tokens.check(fields.token, gtin, lot, time.time(), settings.complaint_min_seconds)
    body = {
        "lot": {"gtin": gtin, "lot": lot},
        "category": fields.category,
        "text": fields.text,
        "language": fields.language,
        "time": _now(),
    }
    if fields.serial:
        body["serial"] = fields.serial
    sent = fields.model_dump(exclude={"token", "website"})
    once = IdempotencyKey(_SCOPE, nonce, _fingerprint(sent))
    stored = holder.projection.idempotency(_SCOPE, nonce)
    if stored is not None:
        return stored.receipts[0].seq
    Complaint.from_body(body)  # refuse a bad field before a contact is stored
    digest = None
    if fields.contact and fields.contact.strip():
        digest = keep_contact(holder.ledger.engine, fields.contact)
        body["contact_sha256"] = digest
    try:
        event = Complaint.from_body(body)
        receipt = holder.recorder.record(event, holder.load_key(settings.complaint_key), once=once)
    except IdempotencyKeyUsedError as e:
        # Sent twice at once: the other send recorded it.
        if digest is not None:
            forget_contact(holder.ledger.engine, digest)
        return e.stored.receipts[0].seq
    except BaseException:
        if digest is not None:
            forget_contact(holder.ledger.engine, digest)  # a refused complaint keeps nothing
        raise
    return receipt.seq


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _check_origin(request: Request) -> None:
    """A browser's POST must come from a page of this site (CSRF: the form is public)."""
    origin = request.headers.get("origin")
    if origin not in (None, "null") and urlsplit(origin).netloc != request.headers.get("host"):
        raise ForbiddenError(f"Origin: expected this site, got {origin!r}")


async def _read_form(request: Request) -> dict[str, str]:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_FORM_BYTES:
        raise ComplaintTooLargeError(f"body: expected at most {MAX_FORM_BYTES} bytes")
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_FORM_BYTES:
            raise ComplaintTooLargeError(f"body: expected at most {MAX_FORM_BYTES} bytes")
    try:
        parsed = parse_qs(raw.decode("utf-8"), max_num_fields=20, strict_parsing=False)
    except (UnicodeDecodeError, ValueError) as e:
        raise ApiError(f"body: expected a UTF-8 form, got {e}") from None
    return {k: v[0] for k, v in parsed.items()}


# --- the page ---------------------------------------------------------------------------


def _page(
    request: Request,
    language: Language,
    gtin: str,
    lot: str,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    # Escaped whole: GS1 lot codes may hold "/", "?", "%", "&" (a link must name this lot).
    code = quote(lot, safe="")
    here = f"/report/01/{gtin}/10/{code}"
    scan = f"/01/{gtin}/10/{code}"
    values = {"category": "", "text": "", "contact": "", "serial": ""} | context.pop("values", {})
    page = render_page(
        "complaint_form.html",
        language,
        {
            "here": here,
            "gtin": gtin,
            "lot": lot,
            "scan": scan + (f"/21/{quote(values['serial'], safe='')}" if values["serial"] else ""),
            "categories": CATEGORIES,
            "max_text": MAX_COMPLAINT,
            "max_contact": MAX_CONTACT,
            "token": context.pop("token", ""),
            "values": values,
            "error": context.pop("error", None),
            "problem": context.pop("problem", "other"),
            "done": context.pop("done", None),
            "closed": context.pop("closed", False),
        },
    )
    return HTMLResponse(page, status, headers={"Content-Language": language})


def _language(request: Request, requested: str | None = None) -> Language:
    return choose_language(
        requested or request.query_params.get("lang"), request.headers.get("accept-language")
    )


# {lot:path}: a lot code may hold "/", which the scan page's link sends as %2F and the
# router sees decoded.
@router.get(
    "/report/01/{gtin}/10/{lot:path}",
    response_class=HTMLResponse,
    include_in_schema=False,
    dependencies=[Depends(rate_limited)],
)
def report_form(
    request: Request,
    gtin: str,
    lot: str,
    serial: Annotated[str, Query(max_length=20)] = "",
) -> HTMLResponse:
    """The form, in the page's language, for a recorded lot."""
    language = _language(request)
    gtin, lot = _known_lot(_holder(request), gtin, lot)
    values = {"serial": serial}
    try:
        token = _tokens(request).issue(gtin, lot, time.time())
    except ComplaintsClosedError:
        return _page(request, language, gtin, lot, 404, closed=True, values=values)
    return _page(request, language, gtin, lot, token=token, values=values)


@router.post(
    "/report/01/{gtin}/10/{lot:path}", response_class=HTMLResponse, include_in_schema=False
)
async def report_send(request: Request, gtin: str, lot: str) -> HTMLResponse:
    """Send the form: recorded, or the form again with what to fix."""
    _check_origin(request)
    form = await _read_form(request)
    language = _language(request, form.get("lang") if form.get("lang") in LANGUAGES else None)
    values = {k: form.get(k, "") for k in ("category", "text", "contact", "serial")}
    fields = ComplaintIn.model_construct(
        gtin=gtin,
        lot=lot,
        serial=values["serial"] or None,
        category=values["category"],
        text=values["text"],
        language=language,
        contact=values["contact"] or None,
        token=form.get("token", ""),
        website=form.get("website", ""),
    )
    try:
        seq = await run_in_threadpool(_submit, request, fields)
    except (ValidationError, ApiError) as e:
        if isinstance(e, RateLimitedError | NotFoundError | ComplaintsClosedError):
            raise
        message = e.message if isinstance(e, ApiError) else str(e)
        # What the reader is told in their language: by the field at fault.
        field = (e.field or "").split(".")[0].split("[")[0]
        problem = field if field in _EXPLAINED else "other"
        # A fresh token: the refused one may have been the problem (expired, too fresh).
        token = _tokens(request).issue(gtin, lot, time.time())
        return _page(
            request,
            language,
            gtin,
            lot,
            422,
            token=token,
            values=values,
            error=message,
            problem=problem,
        )
    return _page(request, language, gtin, lot, 201 if seq else 200, done=seq or 0, values=values)


# --- the JSON API -----------------------------------------------------------------------


@router.get("/api/v1/complaints/form", dependencies=[Depends(rate_limited)])
def complaint_form(
    request: Request,
    gtin: Annotated[str, Query(max_length=14)],
    lot: Annotated[str, Query(max_length=20)],
) -> ComplaintForm:
    """A token and the choices for a complaint about a lot (then ``POST /api/v1/complaints``)."""
    gtin, lot = _known_lot(_holder(request), gtin, lot)
    return ComplaintForm(
        token=_tokens(request).issue(gtin, lot, time.time()),
        categories=list(CATEGORIES),
        languages=list(LANGUAGES),
        max_text=MAX_COMPLAINT,
        max_contact=MAX_CONTACT,
        min_seconds=_settings(request).complaint_min_seconds,
        lifetime_seconds=TOKEN_LIFETIME,
    )


@router.post("/api/v1/complaints", status_code=201)
async def send_complaint(
    request: Request, complaint: ComplaintIn, response: Response
) -> ComplaintOut:
    """Report a problem with a lot: recorded on the ledger, signed by the intake key.

    Rate limited per address; the token from ``GET /api/v1/complaints/form`` is spent once
    (a repeat answers with the first complaint's entry).
    """
    seq = await run_in_threadpool(_submit, request, complaint)
    if seq is None:
        response.status_code = 202
    return ComplaintOut(complaint=seq, gtin=complaint.gtin, lot=complaint.lot, status="received")
