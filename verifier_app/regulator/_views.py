"""What the regulator's API and pages ask the domain, with the app's refusals.

Both the JSON API (:mod:`verifier_app.regulator._trace`) and the pages
(:mod:`verifier_app.regulator._pages`) go through these functions, so a lot is found,
refused and recalled the same way in both. Every read first brings the projection up to the
ledger's head: statements appended through ``POST /api/v1/statements`` reach the ledger
without passing through the app's recorder.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from labels import GS1SyntaxError, normalize_gtin, validate_lot
from ledger import Receipt
from traceability import (
    BackTrace,
    ForwardTrace,
    Hold,
    IdempotencyKey,
    LineageGraph,
    LotPage,
    LotRef,
    LotState,
    Recall,
    SelectionFields,
    UnknownError,
    ValidationError,
    export_epcis,
    export_fsma204,
    parse_selection,
)
from verifier_app._auth import Caller
from verifier_app._errors import ApiError, NotFoundError
from verifier_app._signing import AppRecorder

__all__ = [
    "EXPORT_FIELDS",
    "ExportFile",
    "InvalidInputError",
    "RecallOutcome",
    "StatusFilter",
    "export_file",
    "find_lot",
    "hold_lot",
    "lot_graph",
    "parse_shipment",
    "recall_lot",
    "recall_outcome",
    "shipment_back",
    "shipment_graph",
    "split_key",
    "status_page",
]

# As traceability's local ids (farms, plots, sites, shipments).
_LOCAL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
_FILENAME_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


#: The status lists a regulator can ask for (as :meth:`traceability.Projection.flagged`).
StatusFilter = Literal["held", "recalled", "non_compliant"]


class InvalidInputError(ApiError):
    """A query or body value the app refuses before asking the domain (422, names the field)."""

    status = 422
    code = "invalid_request"


def split_key(key: str) -> tuple[str, str]:
    """Return ``(gtin, lot)`` of a projection lot key ``(01)<gtin-14>(10)<lot>``."""
    return key[4:18], key[22:]


def _lot_ref(gtin: str, lot: str) -> LotRef:
    try:
        gtin14 = normalize_gtin(gtin)
    except GS1SyntaxError as e:
        raise InvalidInputError(
            f"gtin: expected a GTIN with a valid check digit: {e}", "gtin"
        ) from e
    try:
        code = validate_lot(lot)
    except GS1SyntaxError as e:
        raise InvalidInputError(f"lot: expected 1-20 characters of GS1 set 82: {e}", "lot") from e
    return LotRef(gtin=gtin14, lot=code)


def find_lot(holder: AppRecorder, gtin: str, lot: str) -> LotState:
    """Return the lot's state, the projection caught up first.

    Raises:
        InvalidInputError: the GTIN or lot code is malformed (422, ``gtin`` or ``lot``).
        NotFoundError: no such lot on this ledger (404, ``lot``).
    """
    ref = _lot_ref(gtin, lot)
    projection = holder.projection
    projection.catch_up()
    try:
        return projection.lot(ref.gtin, ref.lot)
    except ValidationError as e:
        raise NotFoundError(f"no lot {ref.lot!r} of GTIN {ref.gtin} on this ledger", "lot") from e


def parse_shipment(shipment: str) -> str:
    """Return the shipment id, or refuse it (422, ``shipment``)."""
    if not _LOCAL_ID.match(shipment):
        raise InvalidInputError(
            "shipment: expected 1-40 characters of A-Z a-z 0-9 . _ - (letter/digit first)",
            "shipment",
        )
    return shipment


def shipment_back(holder: AppRecorder, shipment: str) -> BackTrace:
    """Trace every lot of a shipment back to its farms and growers (404 when unknown)."""
    projection = holder.projection
    projection.catch_up()
    try:
        return projection.trace_shipment_back(parse_shipment(shipment))
    except ValidationError as e:
        raise NotFoundError(f"no shipment {shipment!r} on this ledger", "shipment") from e


def lot_graph(holder: AppRecorder, state: LotState) -> LineageGraph:
    """The lineage of a lot found with :func:`find_lot`, for drawing."""
    return holder.projection.graph(state)


def shipment_graph(holder: AppRecorder, shipment: str) -> LineageGraph:
    """The lineage of a shipment's lots, the shipment marked as the focus."""
    return holder.projection.graph(shipment=shipment)


def status_page(holder: AppRecorder, status: StatusFilter, offset: int, limit: int) -> LotPage:
    """One page of held, recalled or non-compliant lots (caught up first)."""
    projection = holder.projection
    projection.catch_up()
    return projection.flagged(status, offset=offset, limit=limit)


@dataclass(frozen=True)
class RecallOutcome:
    """A recorded recall: its entry, and every lot and shipment it reached."""

    seq: int
    lot: LotState
    reached: ForwardTrace


def recall_lot(
    holder: AppRecorder,
    caller: Caller,
    gtin: str,
    lot: str,
    reason: str,
    once: IdempotencyKey | None = None,
) -> RecallOutcome:
    """Recall a lot, signed with the key the server holds for ``caller``.

    The domain propagates the recall to every lot made from it and every shipment carrying
    one; the outcome lists them as they stand afterwards. ``once``: the request's
    idempotency key, stored with the entry.

    Raises:
        InvalidInputError, NotFoundError: as :func:`find_lot`.
        ForbiddenError: the server holds no key for ``caller``.
        traceability.TraceError: the domain refused (e.g. ``recall-once``); nothing appended.
    """
    state = find_lot(holder, gtin, lot)
    key = holder.key_for(caller)
    event = Recall(lot=LotRef(gtin=state.gtin, lot=state.lot), reason=reason, time=_now())
    receipt: Receipt = holder.recorder.record(event, key, once=once)
    return recall_outcome(holder, receipt.seq, state.gtin, state.lot)


def recall_outcome(holder: AppRecorder, seq: int, gtin: str, lot: str) -> RecallOutcome:
    """The outcome of the recall at entry ``seq``: the lot and what it reached, as now."""
    reached = holder.projection.trace_forward(gtin, lot)
    return RecallOutcome(seq, holder.projection.lot(gtin, lot), reached)


def hold_lot(
    holder: AppRecorder,
    caller: Caller,
    gtin: str,
    lot: str,
    reason: str,
    once: IdempotencyKey | None = None,
) -> int:
    """Put a lot on hold (signed as for :func:`recall_lot`); return the entry's position."""
    state = find_lot(holder, gtin, lot)
    key = holder.key_for(caller)
    event = Hold(lot=LotRef(gtin=state.gtin, lot=state.lot), reason=reason, time=_now())
    return holder.recorder.record(event, key, once=once).seq


def _now() -> datetime:
    return datetime.now().astimezone()


@dataclass(frozen=True)
class ExportFile:
    """A download: its bytes, media type and file name."""

    body: bytes
    media_type: str
    filename: str


ExportKind = Literal["epcis", "fsma204"]


#: The export's query fields as a client names them (``?gtin=&lot=&from=&to=``).
EXPORT_FIELDS = SelectionFields(gtin="gtin", lot="lot", start="from", end="to")


def export_file(
    holder: AppRecorder,
    kind: ExportKind,
    *,
    gtin: str | None,
    lot: str | None,
    start: str | None,
    end: str | None,
) -> ExportFile:
    """Export a lot's chain, a time range (``end`` exclusive) or the whole ledger.

    The selection is read by :func:`traceability.parse_selection`, the command line's
    parser, with the query's field names (:data:`EXPORT_FIELDS`).

    Raises:
        InvalidInputError: a refused selection (a lot and a range together, a GTIN without
            a lot, a malformed date, an end not after the start), naming its field.
        NotFoundError: the lot is unknown.
    """
    projection = holder.projection
    projection.catch_up()
    try:
        selection = parse_selection(
            projection, gtin=gtin, lot=lot, start=start, end=end, fields=EXPORT_FIELDS
        )
    except UnknownError as e:
        raise NotFoundError(str(e), e.field) from e
    except ValidationError as e:
        raise InvalidInputError(str(e), e.field) from e
    if selection.key is not None:
        name = f"{selection.gtin}-{selection.lot}"
    elif selection.is_all:
        name = "all"
    else:
        name = f"{start or 'start'}-{end or 'now'}"
    name = _FILENAME_UNSAFE.sub("_", name)
    if kind == "epcis":
        document = export_epcis(projection, holder.ledger, selection)
        body = json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
        return ExportFile(body, "application/ld+json", f"agritrace-epcis-{name}.jsonld")
    csv = export_fsma204(projection, holder.ledger, selection)
    return ExportFile(csv.encode("utf-8"), "text/csv", f"agritrace-fsma204-{name}.csv")
