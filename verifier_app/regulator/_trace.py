"""The regulator's domain API: trace, lineage pictures, status lists, recall, hold, exports.

Who may call: regulators, and the cooperative (it runs its own recalls and answers its
buyers' questions, and the domain lets it record holds and recalls). Labs, packers and
logistics may not: they record, they do not investigate. Recalls and holds are signed by
the server with the key the token file names for the caller (``key = "..."``); the domain
checks that key's registered roles like any other signer's.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

from traceability import STATUS_FILTERS, FlaggedLot, IdempotencyKey, StoredKey
from verifier_app._auth import Caller, require_role
from verifier_app._idempotency import IdempotencyDep, run_once
from verifier_app._signing import RecorderDep
from verifier_app.regulator._lineage_svg import SVG_MEDIA_TYPE, lineage_svg
from verifier_app.regulator._views import (
    RecallOutcome,
    StatusFilter,
    export_file,
    find_lot,
    hold_lot,
    lot_graph,
    recall_lot,
    recall_outcome,
    shipment_back,
    shipment_graph,
    split_key,
    status_page,
)

__all__ = ["INVESTIGATOR_ROLES", "router"]

#: Roles that may trace, list, export, hold and recall through this API.
INVESTIGATOR_ROLES = ("regulator", "cooperative")

router = APIRouter(prefix="/api/v1", tags=["regulator"])
Investigator = Annotated[Caller, Depends(require_role(*INVESTIGATOR_ROLES))]

Gtin = Annotated[str, Path(min_length=1, max_length=14, description="GTIN-8/12/13/14")]
# {lot:path}: GS1 set 82 admits "/" in a lot code, which a client sends as %2F.
Lot = Annotated[str, Path(min_length=1, max_length=60, description="lot code (AI 10)")]
ShipmentId = Annotated[str, Path(min_length=1, max_length=40)]


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class LotOut(_Out):
    """A lot named by GTIN and lot code, and where it stands."""

    gtin: str
    lot: str
    status: str


class TraceOut(_Out):
    """A trace from one lot or shipment, as ``agritrace trace ... --json`` prints it."""

    gtin: str | None = None
    lot: str | None = None
    shipment: str | None = None
    direction: str
    trace: dict[str, Any]


class FindingOut(_Out):
    """A failing check: the rule, its rule entry, the judged entry and lot, what was found."""

    rule: str
    rule_seq: int
    seq: int
    lot: str
    detail: str


class StatusLotOut(_Out):
    """A lot in a status list, with why and the entries behind it.

    ``missing_stages``: cold-chain stages its profile requires that it has no record of
    (``precool``: "no pre-cooling record"); such a lot is on the non-compliant list.
    """

    gtin: str
    lot: str
    commodity: str
    status: str
    status_seq: int
    reason: str | None
    failed: bool
    findings: list[FindingOut]
    missing_stages: list[str] = []

    @classmethod
    def of(cls, flagged: FlaggedLot) -> StatusLotOut:
        """Build from the domain's view of a flagged lot."""
        lot = flagged.lot
        return cls(
            gtin=lot.gtin,
            lot=lot.lot,
            commodity=lot.commodity,
            status=lot.status,
            status_seq=lot.status_seq,
            reason=lot.status_reason,
            failed=lot.failed,
            findings=[FindingOut(**dataclasses.asdict(f)) for f in flagged.findings],
            missing_stages=list(flagged.missing_stages),
        )


class StatusListOut(_Out):
    """One page of a status list."""

    status: str
    total: int
    offset: int
    limit: int
    lots: list[StatusLotOut]


class LotActionIn(BaseModel):
    """A lot and a reason: the body of a recall or a hold."""

    model_config = ConfigDict(extra="forbid", strict=True)

    gtin: Annotated[str, Field(min_length=1, max_length=14)]
    lot: Annotated[str, Field(min_length=1, max_length=20)]
    #: Bounded by the domain: 200 code points once normalised (NFC), as every free text.
    #: This only caps what is read: a reason typed with combining accents is longer as sent
    #: (``e`` + U+0301 is two code points, ``é`` one) and was refused here before.
    reason: Annotated[str, Field(min_length=1, max_length=800)]


class ShipmentOut(_Out):
    """A shipment a recall reached."""

    shipment: str
    destination: str
    receiver: str | None
    status: str


class RecallOut(_Out):
    """A recorded recall: its ledger entry and every lot and shipment it reached."""

    seq: int
    gtin: str
    lot: str
    reason: str
    lots: list[LotOut]
    shipments: list[ShipmentOut]


class HoldOut(_Out):
    """A recorded hold: its ledger entry and the lot's status now."""

    seq: int
    lot: LotOut


@router.get("/lots/{gtin}/{lot:path}/trace/back")
def trace_back(gtin: Gtin, lot: Lot, holder: RecorderDep, _: Investigator) -> TraceOut:
    """Trace a lot back to its harvest lots, plots, farms, growers and farm inputs."""
    state = find_lot(holder, gtin, lot)
    trace = holder.projection.trace_back(state.gtin, state.lot)
    return TraceOut(
        gtin=state.gtin, lot=state.lot, direction="back", trace=dataclasses.asdict(trace)
    )


@router.get("/lots/{gtin}/{lot:path}/trace/forward")
def trace_forward(gtin: Gtin, lot: Lot, holder: RecorderDep, _: Investigator) -> TraceOut:
    """Trace a lot forward to every lot made from it, every shipment and receiver."""
    state = find_lot(holder, gtin, lot)
    trace = holder.projection.trace_forward(state.gtin, state.lot)
    return TraceOut(
        gtin=state.gtin, lot=state.lot, direction="forward", trace=dataclasses.asdict(trace)
    )


_SVG: dict[int | str, dict[str, Any]] = {
    200: {"content": {SVG_MEDIA_TYPE: {}}, "description": "the lineage drawn as SVG"}
}


@router.get("/lots/{gtin}/{lot:path}/lineage.svg", response_class=Response, responses=_SVG)
def lot_lineage(gtin: Gtin, lot: Lot, holder: RecorderDep, _: Investigator) -> Response:
    """Draw the lot's lineage: plots and growers, lots, shipments, receivers (SVG)."""
    state = find_lot(holder, gtin, lot)
    return Response(lineage_svg(lot_graph(holder, state)), media_type=SVG_MEDIA_TYPE)


@router.get("/shipments/{shipment}/trace/back")
def trace_shipment_back(shipment: ShipmentId, holder: RecorderDep, _: Investigator) -> TraceOut:
    """Trace every lot of a shipment back to its farms and growers."""
    trace = shipment_back(holder, shipment)
    return TraceOut(shipment=shipment, direction="back", trace=dataclasses.asdict(trace))


@router.get("/shipments/{shipment}/lineage.svg", response_class=Response, responses=_SVG)
def shipment_lineage(shipment: ShipmentId, holder: RecorderDep, _: Investigator) -> Response:
    """Draw the lineage of a shipment's lots, the shipment marked (SVG)."""
    shipment_back(holder, shipment)  # 422 or 404 before drawing
    return Response(lineage_svg(shipment_graph(holder, shipment)), media_type=SVG_MEDIA_TYPE)


@router.get("/lots")
def list_lots(
    holder: RecorderDep,
    _: Investigator,
    status: Annotated[StatusFilter, Query(description=f"one of {', '.join(STATUS_FILTERS)}")],
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> StatusListOut:
    """List held, recalled or non-compliant lots, each with its reason and rule entries.

    Non-compliant: a failing residue verdict on the lot or a lot it was made from, or held
    now for a cold-chain excursion.
    """
    page = status_page(holder, status, offset, limit)
    return StatusListOut(
        status=status,
        total=page.total,
        offset=offset,
        limit=limit,
        lots=[StatusLotOut.of(line) for line in page.lots],
    )


@router.post("/recalls", status_code=status.HTTP_201_CREATED)
def post_recall(
    body: LotActionIn,
    holder: RecorderDep,
    caller: Investigator,
    sent: IdempotencyDep,
    response: Response,
) -> RecallOut:
    """Recall a lot; the domain recalls every lot made from it and every shipment carrying one."""

    def write(once: IdempotencyKey | None) -> RecallOut:
        outcome = recall_lot(holder, caller, body.gtin, body.lot, body.reason, once)
        return _recall_out(outcome, body.reason)

    def rebuilt(stored: StoredKey) -> tuple[RecallOut, int]:
        state = find_lot(holder, body.gtin, body.lot)
        outcome = recall_outcome(holder, stored.receipts[0].seq, state.gtin, state.lot)
        return _recall_out(outcome, body.reason), status.HTTP_201_CREATED

    return run_once(holder, caller, sent, response, RecallOut, write, rebuilt)


def _recall_out(outcome: RecallOutcome, reason: str) -> RecallOut:
    lots = [
        LotOut(gtin=g, lot=c, status="recalled") for g, c in map(split_key, outcome.reached.lots)
    ]
    shipments = [
        ShipmentOut(
            shipment=s.shipment, destination=s.destination, receiver=s.receiver, status=s.status
        )
        for s in outcome.reached.shipments
    ]
    return RecallOut(
        seq=outcome.seq,
        gtin=outcome.lot.gtin,
        lot=outcome.lot.lot,
        reason=reason,
        lots=lots,
        shipments=shipments,
    )


@router.post("/holds", status_code=status.HTTP_201_CREATED)
def post_hold(
    body: LotActionIn,
    holder: RecorderDep,
    caller: Investigator,
    sent: IdempotencyDep,
    response: Response,
) -> HoldOut:
    """Put a lot on hold (it may not move on until the cooperative releases it)."""

    def answer(seq: int) -> HoldOut:
        state = find_lot(holder, body.gtin, body.lot)
        return HoldOut(seq=seq, lot=LotOut(gtin=state.gtin, lot=state.lot, status=state.status))

    def write(once: IdempotencyKey | None) -> HoldOut:
        return answer(hold_lot(holder, caller, body.gtin, body.lot, body.reason, once))

    def rebuilt(stored: StoredKey) -> tuple[HoldOut, int]:
        return answer(stored.receipts[0].seq), status.HTTP_201_CREATED

    return run_once(holder, caller, sent, response, HoldOut, write, rebuilt)


ExportGtin = Annotated[str | None, Query(max_length=14, description="with lot: this lot's chain")]
ExportLot = Annotated[str | None, Query(max_length=20, description="the lot code (AI 10)")]
From = Annotated[
    str | None, Query(alias="from", max_length=40, description="events at or after (date/time)")
]
To = Annotated[str | None, Query(alias="to", max_length=40, description="events before")]


def _download(body: bytes, media_type: str, filename: str) -> Response:
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


_EXPORTS: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"application/ld+json": {}, "text/csv": {}},
        "description": "EPCIS 2.0 JSON-LD (epcis) or the FSMA 204 spreadsheet (fsma204)",
    }
}


@router.get("/exports/{kind}", response_class=Response, responses=_EXPORTS)
def export(
    kind: Literal["epcis", "fsma204"],
    holder: RecorderDep,
    _: Investigator,
    gtin: ExportGtin = None,
    lot: ExportLot = None,
    start: From = None,
    end: To = None,
) -> Response:
    """Download EPCIS 2.0 JSON-LD or the FSMA 204 CSV: a lot's chain, a range, or all."""
    file = export_file(holder, kind, gtin=gtin, lot=lot, start=start, end=end)
    return _download(file.body, file.media_type, file.filename)
