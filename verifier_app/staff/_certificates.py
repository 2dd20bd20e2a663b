"""Issuing a lot's 承诺达标合格证 from its page: recorded on the ledger, then the PDF.

``POST /staff/lots/{gtin}/{lot}/certificate`` (the lot page's certificate form: ``contact``,
one or more ``basis``, and the form's ``csrf``; a cooperative's key) records a
``trace.certificate`` entry through the one gate (as ``agritrace lot certificate`` does) and
answers with the certificate as a PDF. Its QR code is the lot's Digital Link carrying the
entry's number (``?cert=N``), so a scan checks this certificate against the ledger. A lot
the gate refuses gets its page back (409) saying which rule refuses it, in the reader's
language; nothing is recorded or rendered. The form carries an idempotency key: sent twice,
it records one certificate and both answers are that certificate.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from labels import COMMITMENT_BASES, Certificate, DigitalLink, render_certificate, sign_link
from traceability import CertificateIssued, LifecycleError
from verifier_app._auth import Caller
from verifier_app._deps import SettingsDep
from verifier_app._errors import BadRequestError
from verifier_app._idempotency import form_key
from verifier_app._session import check_form, page_caller
from verifier_app._signing import RecorderDep
from verifier_app.staff._events_api import record_once_for
from verifier_app.staff._labels import cooperative_line, fonts, found_lot, now_text, one_line
from verifier_app.staff._pages import show_lot

__all__ = ["router"]

router = APIRouter(prefix="/staff", tags=["pages"], include_in_schema=False)

Certifier = Annotated[Caller, Depends(page_caller("cooperative"))]
_PHONE = re.compile(r"[0-9+() -]{5,20}")


@router.post("/lots/{gtin}/{lot:path}/certificate")
async def issue_certificate(
    request: Request,
    gtin: str,
    lot: str,
    caller: Certifier,
    app: RecorderDep,
    settings: SettingsDep,
) -> Response:
    """Record the lot's certificate (gated), then send it as a PDF."""
    form = await request.form()
    check_form(request, form)
    contact = str(form.get("contact", "")).strip()
    if not _PHONE.fullmatch(contact):
        raise BadRequestError(
            f"contact: expected a telephone number (5 to 20 digits, spaces, +, -), got {contact!r}",
            "contact",
        )
    bases = [b for b in form.getlist("basis") if isinstance(b, str)]
    if not bases or any(b not in COMMITMENT_BASES for b in bases):
        raise BadRequestError(
            f"basis: expected one or more of {', '.join(COMMITMENT_BASES)}, got {bases!r}",
            "basis",
        )
    summary = found_lot(app, gtin, lot)
    event = CertificateIssued.from_body(
        {
            "lot": {"gtin": summary.gtin, "lot": summary.lot},
            "basis": list(dict.fromkeys(bases)),
            "quantity": summary.quantity,
            "time": now_text(),
        }
    )
    # Every value of a field (several bases), so the key's fingerprint covers them all.
    sent = {k: "\n".join(str(v) for v in form.getlist(k)) for k in form}
    try:
        seq = record_once_for(caller, app, event, form_key(caller, request, sent))
    except LifecycleError as e:
        return show_lot(request, caller, app, summary.gtin, summary.lot, refused=e, status=409)
    # The entry recorded (by this request, or by the first with the form's key).
    event = CertificateIssued.from_body(app.ledger.entry(seq).statement.body)
    # The code names the entry just recorded: a scan checks this very certificate.
    link = DigitalLink(settings.resolver, summary.gtin, lot=summary.lot, certificate=str(seq))
    if app.keys.exists("label"):
        link = sign_link(link, app.load_key("label"))
    farm = summary.origins[0] if summary.origins else None
    certificate = Certificate(
        producer=cooperative_line(app)[:40],
        contact=contact,
        product=one_line(summary.product)[:40],
        quantity=summary.quantity[:40],
        grown_in=one_line(f"{farm.county} {farm.village}" if farm else "-")[:40],
        issued=dt.date.fromisoformat(event.time.date().isoformat()),
        link=link,
        bases=tuple(event.basis),
        harvested=None if summary.harvested is None else dt.date.fromisoformat(summary.harvested),
        best_before=None
        if summary.best_before is None
        else dt.date.fromisoformat(summary.best_before),
    )
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", summary.lot)
    return Response(
        render_certificate(certificate, fonts()),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="certificate-{name}-{seq}.pdf"'},
    )
