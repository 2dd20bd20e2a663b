"""The regulator's pages under ``/regulator``: audit, trace, lot lists, recall, exports.

Big, plain pages rendered on the server, no script: the audit's progress page refreshes
itself (``<meta http-equiv="refresh">`` and a ``Refresh`` header). Every form that changes
something (start an audit, recall) carries the hidden ``csrf`` value and is checked; a
recall is shown first with everything it will reach, and recorded only when confirmed.
Free text (grower names, reasons, lot codes) reaches the page through the autoescaping
templates, and the lineage picture escapes its own text
(:mod:`verifier_app.regulator._lineage_svg`).
"""

from __future__ import annotations

import functools
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ledger import Ledger
from traceability import (
    DecisionView,
    IdempotencyKey,
    IdempotencyKeyUsedError,
    LineageGraph,
    LineageNode,
)
from verifier_app._auth import Caller
from verifier_app._bidi import isolated_wording
from verifier_app._drift import drift_state
from verifier_app._errors import ApiError, NotFoundError
from verifier_app._i18n import DIRECTION, Language
from verifier_app._idempotency import check_same, form_key, previous
from verifier_app._negotiate import page_language
from verifier_app._session import page_caller, read_form, signed_in_page
from verifier_app._signing import AppRecorder, RecorderDep
from verifier_app._values import lineage_detail, value_word
from verifier_app.regulator._audits import AuditJobs
from verifier_app.regulator._lineage_svg import lineage_svg
from verifier_app.regulator._views import (
    InvalidInputError,
    RecallOutcome,
    StatusFilter,
    export_file,
    find_lot,
    lot_graph,
    recall_lot,
    recall_outcome,
    shipment_back,
    shipment_graph,
    split_key,
    status_page,
)
from verifier_app.regulator._wording import REGULATOR_WORDING

__all__ = ["router"]

router = APIRouter(prefix="/regulator", tags=["pages"], include_in_schema=False)
Regulator = Annotated[Caller, Depends(page_caller("regulator"))]
#: Rows a table shows before saying how many more there are (a lot may have 10,000
#: descendants; the picture and the exports carry them all).
TABLE_ROWS = 200
PAGE_SIZE = 50
_FORM_TEXT = 400  # longest form value read; the domain refuses reasons over 200 chars


def _page(
    request: Request,
    caller: Caller,
    template: str,
    context: dict[str, Any],
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    wording = isolated_wording(REGULATOR_WORDING, page_language(request))
    return signed_in_page(request, caller, template, context, wording, status, headers)


def _svg(request: Request, graph: LineageGraph) -> str:
    language = page_language(request)
    t = REGULATOR_WORDING[language]
    words = {k.removeprefix("st_"): v for k, v in t.items() if k.startswith("st_")}
    legend = (t["legend_recalled"], t["legend_held"], t["legend_ok"])
    return lineage_svg(
        graph,
        legend=legend,
        words=words,
        rtl=DIRECTION[language] == "rtl",
        describe=functools.partial(_lot_line, language=language),
        title=value_word(language, "v_lineage_title"),
    )


def _lot_line(node: LineageNode, language: Language) -> str:
    """A box's second line in ``language``: a lot's grade or making, quantity, packed."""
    if node.kind != "lot":
        return node.detail  # a plot's grower and village, a shipment's route: names
    return lineage_detail(node.grade, node.made_by, node.quantity, node.unit, node.packed, language)


async def _form(request: Request) -> dict[str, str]:
    return await read_form(request, _FORM_TEXT)


@router.get("", response_class=HTMLResponse)
def home(request: Request, caller: Regulator, holder: RecorderDep) -> HTMLResponse:
    """The regulator's start page: the log's size, overdue sampling plans, labs, checkpoint."""
    ledger: Ledger = request.app.state.ledger
    holder.projection.catch_up()
    context = {
        "size": ledger.size(),
        "checkpoint": ledger.latest_checkpoint(),
        "drift": drift_state(request.app),
        # The alert rows (Projection.overdue_samples) and who may sign lab results.
        "overdue": holder.projection.overdue_samples(),
        "labs": holder.projection.labs(),
    }
    return _page(request, caller, "regulator_home.html", context)


@router.get("/audit", response_class=HTMLResponse)
def audit_form(request: Request, caller: Regulator) -> HTMLResponse:
    """The page that starts an audit."""
    return _page(request, caller, "regulator_audit.html", {"job": None})


@router.post("/audits")
async def start_audit(request: Request, caller: Regulator) -> Response:
    """Start an audit (a form with ``csrf``) and go to its progress page."""
    await _form(request)
    audits: AuditJobs = request.app.state.audits
    job = audits.start(caller.actor)
    return RedirectResponse(f"/regulator/audits/{job.id}", 303)


@router.get("/audits/{audit_id}", response_class=HTMLResponse)
def audit_progress(request: Request, caller: Regulator, audit_id: str) -> HTMLResponse:
    """An audit's progress; the page refreshes itself until there is a verdict."""
    audits: AuditJobs = request.app.state.audits
    job = audits.get(audit_id)
    if job is None:
        raise NotFoundError(f"no audit {audit_id!r} (the last 100 of each worker are kept)")
    running = job.status in ("queued", "running")
    headers = {"Refresh": "2"} if running else {}
    context = {"job": job, "running": running}
    return _page(request, caller, "regulator_audit.html", context, headers=headers)


def _trace_context(
    holder: RecorderDep, request: Request, gtin: str, lot: str, shipment: str
) -> dict[str, Any]:
    if shipment:
        back = shipment_back(holder, shipment)
        graph = shipment_graph(holder, shipment)
        forward_lots: tuple[str, ...] = ()
        shipments = [n for n in graph.nodes if n.kind == "shipment"]
        missing: tuple[str, ...] = ()
        decisions: list[DecisionView] = []
        counts = None
        quality = None
        samples = None
    else:
        state = find_lot(holder, gtin, lot)
        summary = holder.projection.summary(state.gtin, state.lot)
        missing = () if summary is None else summary.missing_stages
        back = holder.projection.trace_back(state.gtin, state.lot)
        forward = holder.projection.trace_forward(state.gtin, state.lot)
        graph = lot_graph(holder, state)
        forward_lots = forward.lots
        quality = holder.projection.quality(state.gtin, state.lot)
        shipments = [n for n in graph.nodes if n.kind == "shipment"]
        decisions = holder.projection.decisions(state.gtin, state.lot)
        counts = holder.projection.complaint_counts(state.gtin, state.lot)
        samples = holder.projection.samples(state.gtin, state.lot)
    status = {n.id.removeprefix("lot:"): n.status for n in graph.nodes if n.kind == "lot"}

    def rows(keys: tuple[str, ...]) -> list[tuple[str, str, str | None]]:
        return [(*split_key(k), status.get(k)) for k in keys[:TABLE_ROWS]]

    return {
        "svg": _svg(request, graph),
        "back_lots": rows(back.lots),
        "back_more": max(0, len(back.lots) - TABLE_ROWS),
        "origins": back.origins[:TABLE_ROWS],
        "forward_lots": rows(forward_lots),
        "forward_more": max(0, len(forward_lots) - TABLE_ROWS),
        "shipments": shipments[:TABLE_ROWS],
        "missing": missing,
        "decisions": decisions,
        "complaint_counts": counts,
        "quality": quality,
        "samples": samples,
    }


@router.get("/trace", response_class=HTMLResponse)
def trace_page(
    request: Request,
    caller: Regulator,
    holder: RecorderDep,
    gtin: Annotated[str, Query(max_length=40)] = "",
    lot: Annotated[str, Query(max_length=40)] = "",
    shipment: Annotated[str, Query(max_length=60)] = "",
) -> HTMLResponse:
    """Enter a lot or a shipment; see its lineage drawn, and tables back and forward."""
    context: dict[str, Any] = {"gtin": gtin, "lot": lot, "shipment": shipment, "error": None}
    context["result"] = None
    status = 200
    if shipment or lot or gtin:
        try:
            context["result"] = _trace_context(holder, request, gtin, lot, shipment)
        except ApiError as e:
            context["error"], status = e.message, e.status
    return _page(request, caller, "regulator_trace.html", context, status)


@router.get("/lots", response_class=HTMLResponse)
def lots_page(
    request: Request,
    caller: Regulator,
    holder: RecorderDep,
    status: StatusFilter = "held",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    """Held, recalled or non-compliant lots, with why and the rule entries, a page at a time."""
    found = status_page(holder, status, (page - 1) * PAGE_SIZE, PAGE_SIZE)
    last = max(1, -(-found.total // PAGE_SIZE))
    context = {"status": status, "found": found, "page": page, "last": last}
    return _page(request, caller, "regulator_lots.html", context)


@router.get("/recall", response_class=HTMLResponse)
def recall_form(
    request: Request,
    caller: Regulator,
    gtin: Annotated[str, Query(max_length=40)] = "",
    lot: Annotated[str, Query(max_length=40)] = "",
) -> HTMLResponse:
    """The recall form: a lot and a reason."""
    context = {"step": "form", "gtin": gtin, "lot": lot, "reason": "", "error": None}
    return _page(request, caller, "regulator_recall.html", context)


@router.post("/recall/confirm", response_class=HTMLResponse)
async def recall_confirm(request: Request, caller: Regulator, holder: RecorderDep) -> HTMLResponse:
    """Show everything the recall will reach; nothing is recorded yet."""
    form = await _form(request)
    gtin, lot, reason = form.get("gtin", ""), form.get("lot", ""), form.get("reason", "").strip()
    context: dict[str, Any] = {"gtin": gtin, "lot": lot, "reason": reason, "error": None}
    try:
        if not reason:
            raise InvalidInputError("reason: expected a reason for the recall", "reason")
        state = find_lot(holder, gtin, lot)
        reach = holder.projection.trace_forward(state.gtin, state.lot)
    except ApiError as e:
        context |= {"step": "form", "error": e.message}
        return _page(request, caller, "regulator_recall.html", context, e.status)
    lots = [split_key(k) for k in reach.lots]
    context |= {"step": "confirm", "lots": lots, "shipments": reach.shipments}
    return _page(request, caller, "regulator_recall.html", context)


def _recall_once(
    holder: AppRecorder,
    caller: Caller,
    gtin: str,
    lot: str,
    reason: str,
    once: IdempotencyKey | None,
) -> RecallOutcome:
    """Record the recall, or, when the form's key committed before, show that recall again."""
    if once is None:
        return recall_lot(holder, caller, gtin, lot, reason)
    with holder.in_flight.running(once):
        stored = previous(holder, once)
        if stored is None:
            try:
                return recall_lot(holder, caller, gtin, lot, reason, once)
            except IdempotencyKeyUsedError as e:
                check_same(once, e.stored)
                stored = e.stored
    state = find_lot(holder, gtin, lot)
    return recall_outcome(holder, stored.receipts[0].seq, state.gtin, state.lot)


@router.post("/recall", response_class=HTMLResponse)
async def recall(request: Request, caller: Regulator, holder: RecorderDep) -> HTMLResponse:
    """Record the confirmed recall, signed with the regulator's server-held key."""
    form = await _form(request)
    gtin, lot, reason = form.get("gtin", ""), form.get("lot", ""), form.get("reason", "")
    outcome = _recall_once(holder, caller, gtin, lot, reason, form_key(caller, request, form))
    lots = [split_key(k) for k in outcome.reached.lots]
    context = {
        "step": "done",
        "gtin": outcome.lot.gtin,
        "lot": outcome.lot.lot,
        "reason": reason,
        "error": None,
        "seq": outcome.seq,
        "lots": lots,
        "shipments": outcome.reached.shipments,
    }
    return _page(request, caller, "regulator_recall.html", context, 201)


@router.get("/exports", response_class=HTMLResponse)
def exports_page(request: Request, caller: Regulator) -> HTMLResponse:
    """Download EPCIS or FSMA 204 by lot or by date range."""
    return _page(request, caller, "regulator_exports.html", {})


def _download(holder: RecorderDep, kind: str, params: dict[str, str]) -> Response:
    file = export_file(
        holder,
        "epcis" if kind == "epcis" else "fsma204",
        gtin=params.get("gtin"),
        lot=params.get("lot"),
        start=params.get("from"),
        end=params.get("to"),
    )
    disposition = f'attachment; filename="{file.filename}"'
    return Response(
        file.body, media_type=file.media_type, headers={"Content-Disposition": disposition}
    )


@router.get("/exports/{kind}")
def export_download(request: Request, _: Regulator, holder: RecorderDep, kind: str) -> Response:
    """The download itself (``epcis`` or ``fsma204``); bad input gets an error page."""
    if kind not in ("epcis", "fsma204"):
        raise NotFoundError(f"no export {kind!r}: expected epcis or fsma204")
    params = {k: v[:_FORM_TEXT] for k, v in request.query_params.items()}
    return _download(holder, kind, params)
