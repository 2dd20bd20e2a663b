"""The generic append API: signed statements in, durable receipts out.

The token says who may use the API; the signature says who made the statement, and the
ledger checks it against the keys registered at the position the statement takes.
Statements of the domain (``trace.*``, e.g. a lab's signed residue results) also go through
the domain's checks (signer's roles, lifecycle, quality rules) before anything is appended,
so a statement that breaks a rule is refused (409, 403 or 422) instead of landing on the
ledger as an anomaly. The event routes (:mod:`verifier_app.staff._events_api`) sign for
staff whose keys the server holds; this route takes what callers signed themselves.
"""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Body, Response, status
from pydantic import BaseModel, ConfigDict, Field

from ledger import Receipt, SignedStatement, StatementError
from traceability import BatchError, IdempotencyKey, StoredKey
from verifier_app._deps import AppendCaller, LedgerDep, SettingsDep
from verifier_app._errors import ApiError
from verifier_app._idempotency import IdempotencyDep, run_once
from verifier_app._signing import AppRecorder, RecorderDep

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["staff"])


class StatementIn(BaseModel):
    """A statement as signed (see docs/ledger.md); the ledger checks every field's form."""

    model_config = ConfigDict(extra="forbid", strict=True)

    body: dict[str, Any]
    key: str
    kind: str
    log: str
    time: str


class SignedStatementIn(BaseModel):
    """The wire form of a signed statement: ``{"statement": {...}, "signature": "..."}``."""

    model_config = ConfigDict(extra="forbid", strict=True)

    statement: StatementIn
    signature: str

    def to_ledger(self) -> SignedStatement:
        """Convert to the ledger's value object (which validates it fully)."""
        return SignedStatement.from_json(self.model_dump())


class ReceiptOut(BaseModel):
    """The log's durable acknowledgement of one statement."""

    model_config = ConfigDict(frozen=True)

    seq: int
    leaf_hash: str
    log_time: str
    duplicate: bool

    @classmethod
    def of(cls, receipt: Receipt) -> ReceiptOut:
        """Build from a ledger receipt."""
        return cls(
            seq=receipt.seq,
            leaf_hash=base64.b64encode(receipt.leaf_hash).decode("ascii"),
            log_time=receipt.log_time,
            duplicate=receipt.duplicate,
        )


class ReceiptsOut(BaseModel):
    """Receipts in the order the statements were sent."""

    model_config = ConfigDict(frozen=True)

    receipts: list[ReceiptOut]


class TooManyStatementsError(ApiError):
    """A batch holds more statements than the app accepts at once."""

    status = 422
    code = "batch_too_large"


Statements = Annotated[
    SignedStatementIn | Annotated[list[SignedStatementIn], Field(min_length=1)],
    Body(description="One signed statement, or a list of them appended all-or-nothing."),
]


@router.post(
    "/statements",
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "every statement was already in the log"}},
)
def post_statements(
    statements: Statements,
    ledger: LedgerDep,
    app_recorder: RecorderDep,
    settings: SettingsDep,
    caller: AppendCaller,
    sent: IdempotencyDep,
    response: Response,
) -> ReceiptsOut:
    """Append one signed statement or a batch (all or none); return their receipts.

    Sending the same signed statement again is safe: its first receipt comes back with
    ``duplicate: true`` and nothing is appended (status 200 when nothing was new).
    ``trace.*`` statements are checked by the domain first; a refusal names the rule (409),
    the signer's missing role (403) or the field (422), and appends nothing. With an
    ``Idempotency-Key``, a retry gets the first answer back (docs/security.md).
    """
    batch = statements if isinstance(statements, list) else [statements]
    if len(batch) > settings.max_batch:
        raise TooManyStatementsError(
            f"body: expected at most {settings.max_batch} statements, got {len(batch)}", "body"
        )
    signed = []
    for index, item in enumerate(batch):
        try:
            signed.append(item.to_ledger())
        except StatementError as e:
            # Name the statement in a batch, as the ledger's own batch errors do.
            if len(batch) > 1:
                raise StatementError(f"statement {index}: {e}") from e
            raise

    def write(once: IdempotencyKey | None) -> ReceiptsOut:
        receipts = _append(signed, ledger, app_recorder, once)
        if all(r.duplicate for r in receipts):
            response.status_code = status.HTTP_200_OK
        return ReceiptsOut(receipts=[ReceiptOut.of(r) for r in receipts])

    return run_once(app_recorder, caller, sent, response, ReceiptsOut, write, _rebuilt)


def _append(
    signed: list[SignedStatement],
    ledger: LedgerDep,
    app_recorder: AppRecorder,
    once: IdempotencyKey | None,
) -> list[Receipt]:
    if once is not None or any(s.statement.kind.startswith("trace.") for s in signed):
        # A key is stored in the recorder's append transaction, so keyed batches of the
        # ledger's own kinds take that path too (it leaves their checks to the ledger).
        try:
            return app_recorder.recorder.record_signed(signed, once=once)
        except BatchError as e:
            if len(signed) == 1:
                raise e.error from None  # one statement: the refusal itself, no index
            raise
    return ledger.append_batch(signed)


def _rebuilt(stored: StoredKey) -> tuple[ReceiptsOut, int]:
    # The answer is the receipts alone, all stored with the key.
    out = ReceiptsOut(receipts=[ReceiptOut.of(r) for r in stored.receipts])
    new = any(not r.duplicate for r in stored.receipts)
    return out, status.HTTP_201_CREATED if new else status.HTTP_200_OK
