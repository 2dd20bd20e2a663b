"""The packing shed's pages: big buttons, one form per event, a lot's page, label printing.

Every page is rendered on the server and works without JavaScript. A form that is refused
comes back with what was typed and the message next to the field at fault (status 422, or
409 when a rule refused it); nothing is appended. A saved form goes to the lot's page.
Events are recorded as the event API records them (:func:`~verifier_app.staff._events_api.
record_for`): signed with the signed-in person's server-held key, checked by the domain.
Each rendered form carries a fresh idempotency key: the same form sent twice records once,
and the second answer is the first one's (the lot's page).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from labels import COMMITMENT_BASES
from traceability import (
    PERMITTED,
    CertificateIssued,
    LabelRun,
    LifecycleError,
    LotState,
    RoleError,
    TraceError,
    ValidationError,
)
from verifier_app._auth import Caller
from verifier_app._bidi import isolated_wording
from verifier_app._errors import NotFoundError
from verifier_app._idempotency import KeyMismatchError, form_key
from verifier_app._negotiate import page_language
from verifier_app._session import WrongRoleError, page_caller, read_form, signed_in_page
from verifier_app._signing import AppRecorder, RecorderDep
from verifier_app.staff._events_api import record_once_for
from verifier_app.staff._field_errors import field_error_text
from verifier_app.staff._flow import graded_lots, next_screen, remember_site, remembered_site
from verifier_app.staff._forms import (
    FORMS,
    GRADE_ROWS,
    GRADING_ROWS,
    Form,
    FormError,
    lot_value,
    split_lot,
    with_kg,
    with_zone,
)
from verifier_app.staff._refusals import refusal_text
from verifier_app.staff._weights import Weighed, read_weight
from verifier_app.staff._wording import STAFF_WORDING
from verifier_app.staff._zones import COOKIE, ZONES, device_zone, local_now

__all__ = ["router", "show_lot"]

router = APIRouter(prefix="/staff", tags=["pages"], include_in_schema=False)

StaffCaller = Annotated[Caller, Depends(page_caller("packing_station", "cooperative", "logistics"))]
_MAX_VALUE = 500  # longer than any field the events take; the model says what is allowed


def _page(
    request: Request, template: str, caller: Caller, status: int = 200, **ctx: Any
) -> HTMLResponse:
    # Every staff page says which clock its times are in, and the home page lets it change.
    language = page_language(request)
    zone = {"zone": device_zone(request), "zones": ZONES}
    wording = isolated_wording(STAFF_WORDING, language)
    return signed_in_page(request, caller, template, zone | ctx, wording, status)


def _may(caller: Caller, form: Form) -> bool:
    return bool(caller.roles.intersection(form.roles))


@router.get("", response_class=HTMLResponse)
def staff_home(request: Request, caller: StaffCaller, app: RecorderDep, q: str = "") -> Response:
    """The shed's start page: lots needing attention, a button per event, finding a lot.

    Every held lot (and recalled lot still in stock) is listed first, however many newer
    lots push it out of the 20 recent ones.
    """
    projection = app.projection
    projection.catch_up()
    forms = [f for f in FORMS.values() if _may(caller, f)]
    attention = projection.lots_needing_attention()
    recent = projection.lots(limit=20)
    found: list[LotState] | None = None
    if q.strip():
        found = projection.lots(code=q.strip())
        if len(found) == 1:
            return RedirectResponse(_lot_path(found[0].gtin, found[0].lot, request), 303)
    return _page(
        request,
        "staff_home.html",
        caller,
        forms=forms,
        attention=attention,
        # The alert rows: sampling plans overdue now block the release of their lots.
        overdue=projection.overdue_samples(),
        recent=recent,
        q=q,
        found=found,
    )


@router.post("/time-zone")
async def choose_zone(request: Request, caller: StaffCaller) -> Response:
    """Remember this device's clock for the forms' times (a cookie), then go back home."""
    sent = await read_form(request, _MAX_VALUE)
    name = sent.get("zone", "")
    if name not in ZONES:
        raise NotFoundError(f"zone: expected one of {', '.join(ZONES)}, got {name!r}", "zone")
    lang = request.query_params.get("lang")
    response = RedirectResponse("/staff" + (f"?lang={quote(lang)}" if lang else ""), 303)
    # A device setting, not a secret; a year, so a shed laptop keeps it through the season.
    response.set_cookie(COOKIE, name, max_age=365 * 24 * 3600, samesite="lax", httponly=True)
    return response


def _lot_path(
    gtin: str,
    lot: str,
    request: Request,
    done: str | None = None,
    weighed: Sequence[Weighed] = (),
) -> str:
    query = [f"lang={request.query_params['lang']}"] if "lang" in request.query_params else []
    if done:
        query.append(f"done={done}")
    # The lot page re-reads each with the same parser, so a link shows only true conversions.
    query.extend(f"weighed={quote(f'{w.typed} {w.unit}')}" for w in weighed)
    # A lot code may hold any GS1 AI 10 character ("/", "?", "%", "&", ...): escape all but "/".
    return f"/staff/lots/{gtin}/{quote(lot, safe='/')}" + (f"?{'&'.join(query)}" if query else "")


def _defaults(form: Form, request: Request, app: AppRecorder) -> dict[str, str]:
    values = {f.name: "" for f in form.fields}
    values["time"] = local_now(device_zone(request))
    chosen = request.query_params.get("lot", "")
    values["lot"] = chosen
    if "site" in values:
        values["site"] = remembered_site(request)
    known = app.projection.products()
    if known:
        values["product"] = known[0].gtin
    if form.kind == "grading" and chosen:
        try:
            code = split_lot(chosen)["lot"]
        except FormError:
            # A hand-edited or stale link: show the form without the preselection.
            values["lot"] = ""
            return values
        for i, (grade, suffix) in enumerate(GRADE_ROWS):
            values[f"out{i}_grade"] = grade
            values[f"out{i}_lot"] = f"{code}-{suffix}"[:20]
    return values


def _show_form(
    request: Request,
    caller: Caller,
    app: AppRecorder,
    form: Form,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    refusal: str | Markup | None = None,
    status: int = 200,
) -> HTMLResponse:
    projection = app.projection
    statuses = form.lot_statuses
    lot_choices = projection.lots(statuses=statuses) if statuses else []
    chosen = values.get("lot", "")
    if chosen and all(lot_value(r.gtin, r.lot) != chosen for r in lot_choices):
        # The lot they came from, even if its state no longer fits: they see it, and why
        # the form was refused, rather than a silently different lot.
        chosen_rows = [r for r in projection.lots(code=chosen[14:]) if r.gtin == chosen[:14]]
        lot_choices = chosen_rows + lot_choices
    # Grading: the weight to account for and the bands the sizes are checked against, so the
    # person sees what the domain will check before it refuses.
    source = next((r for r in lot_choices if lot_value(r.gtin, r.lot) == chosen), None)
    source = source if form.kind == "grading" else None
    bands = projection.grade_bands(source.commodity) if source is not None else ()
    # Graded already: the same screen lists what it was graded into, with the print buttons.
    graded = graded_lots(request, app, source) if source is not None else []
    typed = (read_weight(text) for text in request.query_params.getlist("weighed"))
    done = request.query_params.get("done", "")
    return _page(
        request,
        "staff_form.html",
        caller,
        status,
        form=form,
        values=values,
        errors=errors or {},
        refusal=refusal,
        products=projection.products(),
        plots=projection.plots(),
        lots=lot_choices,
        lot_value=lot_value,
        grades=[g for g, _ in GRADE_ROWS] + ["processing"],
        rows=range(GRADING_ROWS),
        source=source,
        bands=bands,
        graded=graded,
        may_label=bool(caller.roles & set(PERMITTED[LabelRun.KIND])),
        done=done if done in FORMS and status == 200 else "",
        weighed=[w for w in typed if w is not None and w.converted] if status == 200 else [],
    )


def _form_for(kind: str, caller: Caller) -> Form:
    form = FORMS.get(kind)
    if form is None:
        raise NotFoundError(f"kind: expected one of {', '.join(FORMS)}, got {kind!r}", "kind")
    if not _may(caller, form):
        raise WrongRoleError(
            f"this page is for {' or '.join(form.roles)}; "
            f"{caller.actor} is signed in as {', '.join(sorted(caller.roles))}"
        )
    return form


@router.get("/record/{kind}", response_class=HTMLResponse)
def record_page(request: Request, kind: str, caller: StaffCaller, app: RecorderDep) -> HTMLResponse:
    """An event's form, with sensible defaults: now, and the lot the person came from."""
    form = _form_for(kind, caller)
    app.recorder.catch_up()
    return _show_form(request, caller, app, form, _defaults(form, request, app))


def _target(kind: str, body: dict[str, Any]) -> dict[str, str]:
    if kind == "grading":
        return dict(body["outputs"][0]["lot"])
    if kind in ("packing", "shipping"):
        return dict(body["lots"][0])
    return dict(body["lot"])


@router.post("/record/{kind}", response_class=HTMLResponse)
async def record_submit(
    request: Request, kind: str, caller: StaffCaller, app: RecorderDep
) -> Response:
    """Record the form's event; re-show the form with the message when it is refused."""
    form = _form_for(kind, caller)
    sent = await read_form(request, _MAX_VALUE)
    values = {f.name: sent.get(f.name, "") for f in form.fields}
    missing = {f.name: "" for f in form.fields if f.required and not values[f.name].strip()}
    if missing:
        return _show_form(request, caller, app, form, values, missing, status=422)
    try:
        in_kg, weighed = with_kg(form, with_zone(form, values, device_zone(request)))
        body = form.build(in_kg)
        event = form.model.from_body(body)
        record_once_for(caller, app, event, form_key(caller, request, sent))
    except KeyMismatchError as e:
        return _show_form(request, caller, app, form, values, refusal=e.message, status=422)
    except (FormError, ValidationError) as e:
        # In the reader's language, saying what to type (staff/_field_errors.py).
        said = field_error_text(e, page_language(request))
        where = e.field if isinstance(e, FormError) else form.field_for(e.field)
        if where is None:
            return _show_form(request, caller, app, form, values, refusal=said, status=422)
        return _show_form(request, caller, app, form, values, {where: said}, status=422)
    except LifecycleError as e:
        said = refusal_text(e, page_language(request))
        return _show_form(request, caller, app, form, values, refusal=said, status=409)
    except RoleError as e:
        return _show_form(request, caller, app, form, values, refusal=str(e), status=403)
    except TraceError as e:
        return _show_form(request, caller, app, form, values, refusal=str(e), status=422)
    target = _target(kind, body)
    path = next_screen(kind, body, request, app, weighed) or _lot_path(
        target["gtin"], target["lot"], request, kind, weighed
    )
    response = RedirectResponse(path, 303)
    remember_site(response, values)
    return response


@router.get("/lots/{gtin}/{lot:path}", response_class=HTMLResponse)
def lot_page(
    request: Request, gtin: str, lot: str, caller: StaffCaller, app: RecorderDep, done: str = ""
) -> HTMLResponse:
    """A lot: status in words and why, residue verdicts, lineage, next steps, labels."""
    typed = (read_weight(text) for text in request.query_params.getlist("weighed"))
    weighed = [w for w in typed if w is not None and w.converted]
    return show_lot(request, caller, app, gtin, lot, done=done, weighed=weighed)


def show_lot(
    request: Request,
    caller: Caller,
    app: AppRecorder,
    gtin: str,
    lot: str,
    *,
    done: str = "",
    weighed: Sequence[Weighed] = (),
    refused: LifecycleError | None = None,
    status: int = 200,
) -> HTMLResponse:
    """Render a lot's page; ``refused``: a print or certificate the gate just refused.

    The print and certificate forms are offered only when the one gate
    (:meth:`traceability.Projection.check_label`) allows the lot now and the signed-in
    person's role may record the entry; otherwise the page says which rule refuses it, in
    the reader's language.

    Raises:
        NotFoundError: no such lot on this ledger.
    """
    projection = app.projection
    projection.catch_up()
    summary = projection.summary(gtin, lot)
    state = None if summary is None else projection.find(summary.gtin, summary.lot)
    if summary is None or state is None:
        raise NotFoundError(f"lot: no lot {lot!r} of product {gtin} on this ledger", "lot")
    made_from, made_into = projection.neighbours(state)
    language = page_language(request)
    label_refusal = None if refused is None else refusal_text(refused, language)
    if label_refusal is None:
        try:
            projection.check_label(state.gtin, state.lot)
        except LifecycleError as e:
            label_refusal = refusal_text(e, language)
    # Next steps: every form the lifecycle allows from the lot's status (and the caller's role).
    steps = [f for f in FORMS.values() if f.offered_for(summary.status) and _may(caller, f)]
    return _page(
        request,
        "staff_lot.html",
        caller,
        status,
        lot=summary,
        commodity=state.commodity,
        quality=projection.quality(state.gtin, state.lot),
        made_from=made_from,
        made_into=made_into,
        samples=projection.samples(state.gtin, state.lot),
        steps=steps,
        chosen=lot_value(summary.gtin, summary.lot),
        label_refusal=label_refusal,
        refused_now=refused is not None,
        may_label=bool(caller.roles & set(PERMITTED[LabelRun.KIND])),
        may_certify=bool(caller.roles & set(PERMITTED[CertificateIssued.KIND])),
        bases=COMMITMENT_BASES,
        done=done if done in FORMS else "",
        weighed=weighed,
        # The regulator's decisions on complaints that apply to the lot (templates/lot_report).
        decisions=projection.decisions(state.gtin, state.lot),
        complaint_counts=projection.complaint_counts(state.gtin, state.lot),
        report_url=None,
    )
