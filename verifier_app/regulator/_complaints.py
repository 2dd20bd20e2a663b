"""The regulator's complaint queue: from a complaint to its lot and a decision entry.

``/regulator/complaints`` lists complaints (open ones first by default);
``/regulator/complaints/<entry>`` shows one with the lot's status, where it came from (farms,
growers), the inputs sprayed on those plots, the lots made from it, the contact left with it
(personal data, shown to regulators only) and the decision form. A decision is signed with
the regulator's server-held key; a hold or recall decision records the hold or recall and
the decision in one batch, so the decision follows its action on the log (the rule
``decision-follows-action``) and both or neither are appended.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from traceability import (
    ACTIONS,
    BatchError,
    ComplaintView,
    Decision,
    Hold,
    IdempotencyKey,
    IdempotencyKeyUsedError,
    LotRef,
    Model,
    Recall,
    TraceError,
)
from verifier_app._auth import Caller
from verifier_app._errors import ApiError
from verifier_app._idempotency import check_same, form_key, previous
from verifier_app._session import page_caller, read_form, signed_in_page
from verifier_app._signing import AppRecorder, RecorderDep
from verifier_app.regulator._wording import REGULATOR_WORDING

__all__ = ["decide", "router"]

router = APIRouter(prefix="/regulator", tags=["pages"], include_in_schema=False)
Regulator = Annotated[Caller, Depends(page_caller("regulator"))]
PAGE_SIZE = 50
_FORM_TEXT = 1200  # the domain refuses a reason over 1,000 characters itself


def _page(
    request: Request, caller: Caller, template: str, context: dict[str, Any], status: int = 200
) -> HTMLResponse:
    return signed_in_page(request, caller, template, context, REGULATOR_WORDING, status)


@router.get("/complaints", response_class=HTMLResponse)
def complaints_page(
    request: Request,
    caller: Regulator,
    holder: RecorderDep,
    show: Annotated[str, Query(pattern="^(open|all)$")] = "open",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    """The queue: complaints waiting for a decision (``show=all``: every one), newest first."""
    holder.projection.catch_up()
    found = holder.projection.complaints(
        open_only=show == "open", offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE + 1
    )
    counts = holder.projection.complaint_counts()
    context = {
        "complaints": found[:PAGE_SIZE],
        "more": len(found) > PAGE_SIZE,
        "show": show,
        "page": page,
        "counts": counts,
    }
    return _page(request, caller, "regulator_complaints.html", context)


def _inputs(holder: AppRecorder, seqs: tuple[int, ...]) -> list[dict[str, Any]]:
    """The farm input records (pesticides, fertilisers) on the plots the lot came from."""
    rows = []
    for seq in seqs[-200:]:
        body = holder.ledger.entry(seq).statement.body
        rows.append({"seq": seq, **{k: str(v) for k, v in body.items()}})
    return rows


def _detail(holder: AppRecorder, complaint: ComplaintView) -> dict[str, Any]:
    projection = holder.projection
    lot = projection.lot(complaint.gtin, complaint.lot)
    back = projection.trace_back(complaint.gtin, complaint.lot)
    forward = projection.trace_forward(complaint.gtin, complaint.lot)
    return {
        "complaint": complaint,
        "contact": projection.contact(complaint),
        "state": lot,
        "origins": back.origins,
        "inputs": _inputs(holder, back.inputs),
        "forward": len(forward.lots),
        "shipments": forward.shipments,
        "others": [
            c for c in projection.complaints(gtin=lot.gtin, lot=lot.lot) if c.seq != complaint.seq
        ],
        "actions": ACTIONS,
    }


@router.get("/complaints/{seq}", response_class=HTMLResponse)
def complaint_page(
    request: Request, caller: Regulator, holder: RecorderDep, seq: int
) -> HTMLResponse:
    """One complaint, its lot's lineage, growers and inputs, and its decision (or the form)."""
    holder.projection.catch_up()
    complaint = holder.projection.complaint(seq)
    values = {"action": "", "rule": "", "reason": ""}
    context = _detail(holder, complaint) | {"error": None, "values": values}
    return _page(request, caller, "regulator_complaint.html", context)


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def decide(
    holder: AppRecorder,
    caller: Caller,
    complaint: ComplaintView,
    action: str,
    rule: str,
    reason: str,
    once: IdempotencyKey | None = None,
) -> int:
    """Record the regulator's decision (with its hold or recall); return the decision's entry.

    Raises:
        traceability.TraceError: a field is bad or the domain refused (``decision-once``,
            ``hold-only-movable-lots``, ``recall-once`` ...); nothing appended.
        ForbiddenError: the server holds no key for ``caller``.
    """
    key = holder.key_for(caller)
    lot = LotRef(gtin=complaint.gtin, lot=complaint.lot)
    now = _now()
    decision = Decision.from_body(
        {
            "complaint": complaint.seq,
            "lot": lot.to_body(),
            "action": action,
            "rule": rule,
            "reason": reason,
            "time": now.isoformat(),
        }
    )
    cited = f"complaint {complaint.seq}: {decision.rule}"[:200]
    events: list[Model] = []
    if action == "hold":
        events.append(Hold(lot=lot, reason=cited, time=now))
    elif action == "recall":
        events.append(Recall(lot=lot, reason=cited, time=now))
    events.append(decision)
    try:
        receipts = holder.recorder.record_batch([(e, key) for e in events], once=once)
    except BatchError as e:
        raise e.error from None
    return receipts[-1].seq


@router.post("/complaints/{seq}/decide", response_model=None)
async def decide_page(
    request: Request, caller: Regulator, holder: RecorderDep, seq: int
) -> Response:
    """Record the decision and go back to the complaint; a refusal shows the form again."""
    form = await read_form(request, _FORM_TEXT)
    complaint = holder.projection.complaint(seq)
    values = {k: form.get(k, "").strip() for k in ("action", "rule", "reason")}
    once = form_key(caller, request, form)
    try:
        # A form sent twice (a double tap) records once: the second finds the first's key.
        if once is None or previous(holder, once) is None:
            action, rule, reason = values["action"], values["rule"], values["reason"]
            decide(holder, caller, complaint, action, rule, reason, once)
    except IdempotencyKeyUsedError as e:
        if once is not None:
            check_same(once, e.stored)
    except (TraceError, ApiError) as e:
        message = e.message if isinstance(e, ApiError) else str(e)
        context = _detail(holder, complaint) | {"error": message, "values": values}
        return _page(request, caller, "regulator_complaint.html", context, 422)
    return RedirectResponse(f"/regulator/complaints/{seq}", 303)
