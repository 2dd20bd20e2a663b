"""The event API: one route per event kind, signed by the server with the caller's key.

``POST /api/v1/events/<kind>`` takes the event's JSON (the traceability model's fields, so
the OpenAPI schema shows each body), checks the token's role, signs the event with the key
the token file names for the caller (:class:`~verifier_app._signing.AppRecorder`) and
records it through :meth:`traceability.Recorder.record`: the domain then checks that key's
registered roles and every rule, and a refused event appends nothing. The answer is the
ledger receipt and the status of every lot the event touched. The staff pages record
through the same function.

Every route takes an ``Idempotency-Key`` header: a retry with the same key appends nothing
and gets the first answer back (:mod:`verifier_app._idempotency`).

Who may call which route (token roles; the domain's table of key roles applies on top):
:data:`EVENT_ROLES`. A lab token may submit only residue results and packing staff never
may; a regulator's holds and recalls have their own routes (``/api/v1/recalls``).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Annotated, Final, cast

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict

from traceability import (
    EVENT_TYPES,
    PERMITTED,
    Assessment,
    CertificateIssued,
    Complaint,
    Cooling,
    Cooperative,
    Decision,
    Farm,
    Grading,
    Harvest,
    Hold,
    IdempotencyKey,
    IdempotencyKeyUsedError,
    InputApplication,
    Intake,
    LabApproval,
    LabelRun,
    LabEnrolment,
    LotState,
    Model,
    Packing,
    Processing,
    Product,
    Recall,
    Receiving,
    Release,
    ResidueTest,
    Role,
    Sample,
    SamplingPlan,
    Shipping,
    Site,
    StatusMap,
    StoredKey,
    Training,
)
from verifier_app._auth import Caller, authenticated_caller, require_role
from verifier_app._auth import Role as TokenRole
from verifier_app._idempotency import IdempotencyDep, Sent, check_same, previous, run_once
from verifier_app._signing import AppRecorder, RecorderDep

__all__ = ["EVENT_ROLES", "EventOut", "LotStatusOut", "record_for", "record_once_for", "router"]

router = APIRouter(prefix="/api/v1/events", tags=["events"])

#: Route name -> the token roles that may call it: the domain's permission table
#: (:data:`traceability.PERMITTED`), so residue results stay the lab's and releases the
#: cooperative's. A regulator's holds and recalls have their own routes (``/api/v1/recalls``);
#: a decision, which only a regulator signs, is this API's one regulator route.
EVENT_ROLES: Final[Mapping[str, tuple[TokenRole, ...]]] = {
    kind.removeprefix("trace."): cast(
        "tuple[TokenRole, ...]",
        # A kind only a regulator records (a lab approval, a decision) keeps the regulator's.
        tuple(sorted(r.value for r in (PERMITTED[kind] - {Role.REGULATOR} or PERMITTED[kind]))),
    )
    for kind in EVENT_TYPES
}


_CHECKS = {kind: require_role(*roles) for kind, roles in EVENT_ROLES.items()}


def _event_caller(
    request: Request, caller: Annotated[Caller, Depends(authenticated_caller)]
) -> Caller:
    """Admit callers whose token roles may record this route's kind (:data:`EVENT_ROLES`)."""
    return _CHECKS[request.url.path.rsplit("/", 1)[-1]](caller)


EventCaller = Annotated[Caller, Depends(_event_caller)]


class LotStatusOut(BaseModel):
    """A lot the event touched, and where it stands now."""

    model_config = ConfigDict(frozen=True)

    gtin: str
    lot: str
    status: str
    reason: str | None

    @classmethod
    def of(cls, state: LotState) -> LotStatusOut:
        """Build from the domain's view of the lot."""
        return cls(gtin=state.gtin, lot=state.lot, status=state.status, reason=state.status_reason)


class EventOut(BaseModel):
    """The ledger's receipt for the event and the status of every lot it touched."""

    model_config = ConfigDict(frozen=True)

    kind: str
    seq: int
    leaf_hash: str
    log_time: str
    lots: list[LotStatusOut]


def record_for(
    caller: Caller, holder: AppRecorder, event: Model, once: IdempotencyKey | None = None
) -> EventOut:
    """Sign ``event`` with ``caller``'s server-held key and record it; refusals append nothing.

    ``once``: the request's idempotency key, stored with the entry.

    Raises:
        ForbiddenError: the token file names no key for the caller.
        traceability.TraceError: the domain refused the event (field, role or rule).
        traceability.IdempotencyKeyUsedError: ``once``'s key was stored meanwhile.
    """
    key = holder.key_for(caller)
    receipt = holder.recorder.record(event, key, once=once)
    return _answer(holder, event.KIND, receipt.seq, receipt.leaf_hash, receipt.log_time)


def record_once_for(
    caller: Caller, holder: AppRecorder, event: Model, once: IdempotencyKey | None
) -> int:
    """Record a form's event once per key; return its entry (new, or the key's earlier one).

    For the pages' forms, whose answer (a redirect, a document) is made from the entry:
    a form sent twice records once, and both answers are made from the same entry.

    Raises:
        KeyMismatchError: the key came with other values (the form, edited and resent).
        KeyInUseError: a request with the key is running in this process.
        traceability.TraceError: the domain refused the event; nothing appended.
    """
    if once is None:
        return record_for(caller, holder, event).seq
    with holder.in_flight.running(once):
        stored = previous(holder, once)
        if stored is None:
            try:
                return record_for(caller, holder, event, once).seq
            except IdempotencyKeyUsedError as e:
                # Sent twice, the second reached the log's lock after the first committed.
                check_same(once, e.stored)
                stored = e.stored
    return stored.receipts[0].seq


def _answer(holder: AppRecorder, kind: str, seq: int, leaf_hash: bytes, log_time: str) -> EventOut:
    touched = holder.projection.entry_lots(seq)
    return EventOut(
        kind=kind,
        seq=seq,
        leaf_hash=base64.b64encode(leaf_hash).decode("ascii"),
        log_time=log_time,
        lots=[LotStatusOut.of(row) for row in touched],
    )


def _rebuilt(holder: AppRecorder, stored: StoredKey) -> tuple[EventOut, int]:
    # The answer was not stored (the server stopped just after the commit): the receipt
    # is, and the lots' status is read as it is now.
    (receipt,) = stored.receipts
    kind = holder.ledger.entry(receipt.seq).statement.kind
    return _answer(holder, kind, receipt.seq, receipt.leaf_hash, receipt.log_time), 201


def _record(
    caller: Caller, holder: AppRecorder, event: Model, sent: Sent | None, response: Response
) -> EventOut:
    return run_once(
        holder,
        caller,
        sent,
        response,
        EventOut,
        lambda once: record_for(caller, holder, event, once),
        lambda stored: _rebuilt(holder, stored),
    )


@router.post("/cooperative", status_code=status.HTTP_201_CREATED)
def record_cooperative(
    event: Cooperative,
    caller: EventCaller,
    app: RecorderDep,
    sent: IdempotencyDep,
    response: Response,
) -> EventOut:
    """Name the cooperative that keeps the ledger (zh/ug/en), its address and county."""
    return _record(caller, app, event, sent, response)


@router.post("/product", status_code=status.HTTP_201_CREATED)
def record_product(
    event: Product, caller: EventCaller, app: RecorderDep, sent: IdempotencyDep, response: Response
) -> EventOut:
    """Add a trade item (GTIN) and the commodity whose profile governs it."""
    return _record(caller, app, event, sent, response)


@router.post("/farm", status_code=status.HTTP_201_CREATED)
def record_farm(
    event: Farm, caller: EventCaller, app: RecorderDep, sent: IdempotencyDep, response: Response
) -> EventOut:
    """Add a member's farm: grower, village, county and plots."""
    return _record(caller, app, event, sent, response)


@router.post("/site", status_code=status.HTTP_201_CREATED)
def record_site(
    event: Site, caller: EventCaller, app: RecorderDep, sent: IdempotencyDep, response: Response
) -> EventOut:
    """Describe a site (business name, address, phone): FSMA 204 location descriptions."""
    return _record(caller, app, event, sent, response)


@router.post("/certificate", status_code=status.HTTP_201_CREATED)
def record_certificate(
    event: CertificateIssued,
    caller: EventCaller,
    app: RecorderDep,
    sent: IdempotencyDep,
    response: Response,
) -> EventOut:
    """Record a 承诺达标合格证 issued for a lot: refused unless the lot passes the sale gate."""
    return _record(caller, app, event, sent, response)


@router.post("/labels", status_code=status.HTTP_201_CREATED)
def record_labels(
    event: LabelRun, caller: EventCaller, app: RecorderDep, sent: IdempotencyDep, response: Response
) -> EventOut:
    """Record a run of sale labels printed for a lot: refused unless it passes the sale gate."""
    return _record(caller, app, event, sent, response)


@router.post("/input", status_code=status.HTTP_201_CREATED)
def record_input(
    event: InputApplication,
    caller: EventCaller,
    app: RecorderDep,
    sent: IdempotencyDep,
    response: Response,
) -> EventOut:
    """Record a pesticide or fertiliser applied to a plot (pre-harvest intervals use it)."""
    return _record(caller, app, event, sent, response)


@router.post("/training", status_code=status.HTTP_201_CREATED)
def record_training(
    event: Training, caller: EventCaller, app: RecorderDep, sent: IdempotencyDep, response: Response
) -> EventOut:
    """Record a training a farm's grower attended."""
    return _record(caller, app, event, sent, response)


@router.post("/assessment", status_code=status.HTTP_201_CREATED)
def record_assessment(
    event: Assessment,
    caller: EventCaller,
    app: RecorderDep,
    sent: IdempotencyDep,
    response: Response,
) -> EventOut:
    """Record a grower's assessment: a pass qualifies harvests until it expires."""
    return _record(caller, app, event, sent, response)


@router.post("/harvest", status_code=status.HTTP_201_CREATED)
def record_harvest(
    event: Harvest, caller: EventCaller, app: RecorderDep, sent: IdempotencyDep, response: Response
) -> EventOut:
    """Create a harvest lot picked from one plot."""
    return _record(caller, app, event, sent, response)


@router.post("/cooling", status_code=status.HTTP_201_CREATED)
def record_cooling(
    event: Cooling, caller: EventCaller, app: RecorderDep, sent: IdempotencyDep, response: Response
) -> EventOut:
    """Record pre-cooling readings; a lot not cooled in time is held."""
    return _record(caller, app, event, sent, response)


@router.post("/grading", status_code=status.HTTP_201_CREATED)
def record_grading(
    event: Grading, caller: EventCaller, app: RecorderDep, sent: IdempotencyDep, response: Response
) -> EventOut:
    """Split a lot into graded lots (the input is used up)."""
    return _record(caller, app, event, sent, response)


@router.post("/residue", status_code=status.HTTP_201_CREATED)
def record_residue(
    event: ResidueTest,
    caller: EventCaller,
    app: RecorderDep,
    sent: IdempotencyDep,
    response: Response,
) -> EventOut:
    """Record a lab's residue results for a lot (a lab token only); a failure holds the lot."""
    return _record(caller, app, event, sent, response)


@router.post("/packing", status_code=status.HTTP_201_CREATED)
def record_packing(
    event: Packing, caller: EventCaller, app: RecorderDep, sent: IdempotencyDep, response: Response
) -> EventOut:
    """Pack lots into one logistic unit."""
    return _record(caller, app, event, sent, response)


@router.post("/shipping", status_code=status.HTTP_201_CREATED)
def record_shipping(
    event: Shipping, caller: EventCaller, app: RecorderDep, sent: IdempotencyDep, response: Response
) -> EventOut:
    """Ship released lots to a receiver."""
    return _record(caller, app, event, sent, response)


@router.post("/receiving", status_code=status.HTTP_201_CREATED)
def record_receiving(
    event: Receiving,
    caller: EventCaller,
    app: RecorderDep,
    sent: IdempotencyDep,
    response: Response,
) -> EventOut:
    """Record a shipment's arrival with the transport logger's readings."""
    return _record(caller, app, event, sent, response)


@router.post("/intake", status_code=status.HTTP_201_CREATED)
def record_intake(
    event: Intake,
    caller: EventCaller,
    app: RecorderDep,
    sent: IdempotencyDep,
    response: Response,
) -> EventOut:
    """Take in a lot another member's log shipped here, naming that shipping entry."""
    return _record(caller, app, event, sent, response)


@router.post("/processing", status_code=status.HTTP_201_CREATED)
def record_processing(
    event: Processing,
    caller: EventCaller,
    app: RecorderDep,
    sent: IdempotencyDep,
    response: Response,
) -> EventOut:
    """Turn lots into a processed product lot (e.g. jam)."""
    return _record(caller, app, event, sent, response)


@router.post("/hold", status_code=status.HTTP_201_CREATED)
def record_hold(
    event: Hold, caller: EventCaller, app: RecorderDep, sent: IdempotencyDep, response: Response
) -> EventOut:
    """Hold a lot and everything made from it."""
    return _record(caller, app, event, sent, response)


@router.post("/release", status_code=status.HTTP_201_CREATED)
def record_release(
    event: Release, caller: EventCaller, app: RecorderDep, sent: IdempotencyDep, response: Response
) -> EventOut:
    """Release a lot for sale (its required tests must have passed)."""
    return _record(caller, app, event, sent, response)


@router.post("/recall", status_code=status.HTTP_201_CREATED)
def record_recall(
    event: Recall, caller: EventCaller, app: RecorderDep, sent: IdempotencyDep, response: Response
) -> EventOut:
    """Recall a lot, every lot made from it and every shipment carrying them."""
    return _record(caller, app, event, sent, response)


@router.post("/status_map", status_code=status.HTTP_201_CREATED)
def record_status_map(event: StatusMap, caller: EventCaller, app: RecorderDep) -> EventOut:
    """Commit to every lot's status: refused unless ``root`` is the map of the log so far.

    The server appends one itself before each checkpoint (docs/adr/0017-lot-status-map.md).
    """
    return record_for(caller, app, event)


@router.post("/complaint", status_code=status.HTTP_201_CREATED)
def record_complaint(
    event: Complaint,
    caller: EventCaller,
    app: RecorderDep,
    sent: IdempotencyDep,
    response: Response,
) -> EventOut:
    """Record a complaint about a lot taken by the cooperative (by phone, at a market stall).

    The public scan page has its own form and JSON route (``POST /api/v1/complaints``).
    """
    return _record(caller, app, event, sent, response)


@router.post("/decision", status_code=status.HTTP_201_CREATED)
def record_decision(
    event: Decision, caller: EventCaller, app: RecorderDep, sent: IdempotencyDep, response: Response
) -> EventOut:
    """Record a regulator's warning or dismissal of a complaint.

    A hold or recall decision must follow its hold or recall in one batch: the regulator's
    complaint page records both (``POST /regulator/complaints/<entry>/decide``).
    """
    return _record(caller, app, event, sent, response)


@router.post("/sampling_plan", status_code=status.HTTP_201_CREATED)
def record_sampling_plan(
    event: SamplingPlan,
    caller: EventCaller,
    app: RecorderDep,
    sent: IdempotencyDep,
    response: Response,
) -> EventOut:
    """State how often a third-party sample of a product (farm, plot) must be taken."""
    return _record(caller, app, event, sent, response)


@router.post("/lab", status_code=status.HTTP_201_CREATED)
def record_lab(
    event: LabEnrolment,
    caller: EventCaller,
    app: RecorderDep,
    sent: IdempotencyDep,
    response: Response,
) -> EventOut:
    """Enrol a lab's key (name, CMA number), signed by that key: it counts once approved.

    The server holds no lab key, so a lab posts its enrolment signed to
    ``/api/v1/statements``; this route serves a server that signs for the caller.
    """
    return _record(caller, app, event, sent, response)


@router.post("/lab_approval", status_code=status.HTTP_201_CREATED)
def record_lab_approval(
    event: LabApproval,
    caller: EventCaller,
    app: RecorderDep,
    sent: IdempotencyDep,
    response: Response,
) -> EventOut:
    """Approve a lab's enrolment (a regulator only): the key may then sign results."""
    return _record(caller, app, event, sent, response)


@router.post("/sample", status_code=status.HTTP_201_CREATED)
def record_sample(
    event: Sample, caller: EventCaller, app: RecorderDep, sent: IdempotencyDep, response: Response
) -> EventOut:
    """Record a sample taken of a lot by an approved lab (signed by its key)."""
    return _record(caller, app, event, sent, response)


# Each route's OpenAPI description says who may call it, from the one table.
for _route in router.routes:
    if isinstance(_route, APIRoute):
        _kind = _route.path.rsplit("/", 1)[-1]
        _route.description += f"\n\nToken roles: {', '.join(EVENT_ROLES[_kind])}."
