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
    ValidationError,
)
from verifier_app._auth import Caller
from verifier_app._errors import ApiError, NotFoundError
from verifier_app._signing import AppRecorder

__all__ = [
    "ExportFile",
    "InvalidInputError",
    "RecallOutcome",
    "StatusFilter",
    "export_file",
    "find_lot",
    "hold_lot",
    "lot_graph",
    "parse_moment",
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


def parse_moment(value: str | None, field: str) -> datetime | None:
    """Parse a date (its midnight UTC) or an RFC 3339 time with offset; refuse (422) else."""
    if value is None or value == "":
        return None
    text = value if "T" in value else f"{value}T00:00:00+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise InvalidInputError(
            f"{field}: expected a date (2026-06-01) or an RFC 3339 time with offset, got {value!r}",
            field,
        )
    return moment


@dataclass(frozen=True)
class ExportFile:
    """A download: its bytes, media type and file name."""

    body: bytes
    media_type: str
    filename: str


ExportKind = Literal["epcis", "fsma204"]


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

    Raises:
        InvalidInputError: a lot and a range together, a GTIN without a lot (or the
            reverse), a malformed date, or a range whose end is not after its start.
        NotFoundError: the lot is unknown.
    """
    gtin, lot, start, end = (v or None for v in (gtin, lot, start, end))
    if (gtin is None) != (lot is None):
        missing = "lot" if lot is None else "gtin"
        raise InvalidInputError(f"{missing}: expected gtin and lot together", missing)
    selection: dict[str, object]
    if gtin is not None and lot is not None:
        if start is not None or end is not None:
            raise InvalidInputError("from: expected either a lot or a date range, not both", "from")
        state = find_lot(holder, gtin, lot)
        selection = {"gtin": state.gtin, "lot": state.lot}
        name = f"{state.gtin}-{state.lot}"
    else:
        since, until = parse_moment(start, "from"), parse_moment(end, "to")
        if since is not None and until is not None and until <= since:
            raise InvalidInputError(f"to: expected a time after from ({start}), got {end!r}", "to")
        selection = {"start": since, "end": until}
        name = f"{start or 'start'}-{end or 'now'}" if since or until else "all"
        holder.recorder.catch_up()
    name = _FILENAME_UNSAFE.sub("_", name)
    recorder = holder.recorder
    if kind == "epcis":
        document = recorder.export_epcis(**selection)  # type: ignore[arg-type]
        body = json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
        return ExportFile(body, "application/ld+json", f"agritrace-epcis-{name}.jsonld")
    csv = recorder.export_fsma204(**selection)  # type: ignore[arg-type]
    return ExportFile(csv.encode("utf-8"), "text/csv", f"agritrace-fsma204-{name}.csv")
