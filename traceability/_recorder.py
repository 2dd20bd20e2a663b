"""The one place events enter the ledger: check, apply, sign and append in one transaction.

Protocol for :meth:`Recorder.record` (a batch of one; the steps live in
:mod:`traceability._batch`):

1. Sign the statement with the actor's key (before any lock is taken).
2. Under the log's append lock, bring the projection up to the ledger's head (entries
   appended around the recorder), then check the event and apply it to the projection
   with the function :func:`reindex` replays. Any rule it breaks raises here and the
   transaction rolls back: a refused event appends nothing.
3. Append the entry in that same transaction and commit: the projection and the ledger move
   together, so a projection never holds a fact the ledger lacks.

:meth:`Recorder.record_batch` runs the same steps for many events at once, each checked on
top of the ones before it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, select

from ledger import Ledger, Receipt, Record, SignedStatement
from traceability._batch import record_batch
from traceability._errors import BatchError, ValidationError
from traceability._signed import record_signed
from traceability.events._ids import lot_key, parse_gtin, parse_lot
from traceability.events._model import Model
from traceability.exports._epcis import build_document, lot_chain, lot_entries
from traceability.exports._fsma import fsma204_csv
from traceability.projection import _schema as t
from traceability.projection._gate import check_issue
from traceability.projection._lineage import (
    BackTrace,
    ForwardTrace,
    shipment_lots,
    trace_back,
    trace_forward,
)
from traceability.projection._replay import catch_up
from traceability.rules._lifecycle import LotStatus

__all__ = ["LotState", "Recorder", "reindex"]


@dataclass(frozen=True)
class LotState:
    """A lot as the projection sees it."""

    key: str
    gtin: str
    lot: str
    commodity: str
    status: LotStatus
    status_seq: int
    status_reason: str | None
    failed: bool
    created_seq: int


def reindex(ledger: Ledger) -> int:
    """Drop the ``trace_*`` tables and rebuild them from the ledger; return entries read."""
    t.metadata.drop_all(ledger.engine)
    t.metadata.create_all(ledger.engine)
    return catch_up(ledger)


def _within(record: Record, start: datetime | None, end: datetime | None) -> bool:
    when = record.statement.body.get("time")
    if not isinstance(when, str):
        return False
    moment = datetime.fromisoformat(when)
    return (start is None or moment >= start) and (end is None or moment < end)


class Recorder:
    """Records events for one ledger and answers questions from its projection.

    Args:
        ledger: an open ledger; its database also holds the ``trace_*`` tables.
    """

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self._engine = ledger.engine
        # Serialises this process's writers (their signing and verifying too); the log's
        # append lock, held from check to commit, keeps other processes out.
        self._lock = threading.Lock()
        t.metadata.create_all(self._engine)
        self.catch_up()

    def catch_up(self) -> int:
        """Apply entries appended since the projection last saw the ledger."""
        return catch_up(self.ledger)

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._engine.connect() as conn, conn.begin():
            yield conn

    def record(
        self, event: Model, key: Ed25519PrivateKey, *, at: datetime | None = None
    ) -> Receipt:
        """Check ``event``, sign it with ``key`` and append it; refused events append nothing.

        Args:
            event: a validated event or rule-table model.
            key: the actor's private key; its registered roles must permit the event kind.
            at: the signer's clock for the statement (default: now).

        Raises:
            RoleError: the key is unknown, revoked, or lacks a permitted role.
            ValidationError: the event names something the ledger does not know.
            LifecycleError: the event breaks the lifecycle table or a quality rule.
        """
        with self._lock:
            try:
                (receipt,) = record_batch(self.ledger, [(event, key)], at)
            except BatchError as e:
                raise e.error from None  # one event: the refusal itself, no index
            return receipt

    def record_batch(
        self,
        events_with_keys: Sequence[tuple[Model, Ed25519PrivateKey]],
        *,
        at: datetime | None = None,
    ) -> list[Receipt]:
        """Check every event in order, then sign and append them all, or append nothing.

        Each event is checked on top of the ones before it and applied to the projection
        in the transaction that appends the batch, under the log's append lock (protocol
        in :mod:`traceability._batch`). Recording a batch leaves the same projection as
        recording its events one by one.

        Args:
            events_with_keys: ``(event, signer's private key)`` pairs, in recording order.
            at: the signer's clock for every statement (default: now).

        Raises:
            BatchError: event ``index`` was refused; ``error`` holds the refusal.
        """
        with self._lock:
            return record_batch(self.ledger, events_with_keys, at)

    def record_signed(self, batch: Sequence[SignedStatement]) -> list[Receipt]:
        """Check statements their signers signed (a lab's results) and append them, or none.

        ``trace.*`` statements get the same checks as :meth:`record` (signer's roles,
        lifecycle, quality rules), each on top of the ones before it; other kinds are left
        to the ledger. A statement already on the ledger gets its first receipt back.

        Raises:
            BatchError: statement ``index`` was refused; ``error`` holds the refusal.
            ledger.LedgerError: the ledger refused the batch (signature, key, form).
        """
        with self._lock:
            return record_signed(self.ledger, batch)

    # --- questions -------------------------------------------------------------------------

    def lot(self, gtin: str, lot: str) -> LotState:
        """Return a lot's state or raise :class:`ValidationError` when it is unknown."""
        key = lot_key(parse_gtin(gtin, "gtin"), parse_lot(lot, "lot"))
        with self._read() as conn:
            row = conn.execute(select(t.lots).where(t.lots.c.key == key)).first()
        if row is None:
            raise ValidationError("lot", "a lot recorded on this ledger", key)
        return LotState(
            row.key,
            row.gtin,
            row.lot,
            row.commodity,
            LotStatus(row.status),
            row.status_seq,
            row.status_reason,
            bool(row.failed),
            row.created_seq,
        )

    def check_label(self, gtin: str, lot: str, *, at: datetime | None = None) -> None:
        """Raise :class:`LifecycleError` unless the lot may be labelled for sale now.

        The same gate the ``trace.labels`` and ``trace.certificate`` entries pass
        (released, every input tested and passed): a page that refuses here refuses
        exactly what recording would.
        """
        state = self.lot(gtin, lot)
        with self._read() as conn:
            row = conn.execute(select(t.lots).where(t.lots.c.key == state.key)).one()
            check_issue(conn, row, at or datetime.now(UTC), "label")

    def results(self, gtin: str, lot: str) -> list[dict[str, object]]:
        """Return the residue verdicts recorded on a lot, each naming its rule entry."""
        state = self.lot(gtin, lot)
        with self._read() as conn:
            rows = conn.execute(
                select(t.results).where(t.results.c.lot == state.key).order_by(t.results.c.seq)
            ).all()
        return [dict(r._mapping) for r in rows]

    def trace_back(self, gtin: str, lot: str) -> BackTrace:
        """Trace a lot back to its harvest lots, plots, farms and growers."""
        state = self.lot(gtin, lot)
        with self._read() as conn:
            return trace_back(conn, [state.key])

    def trace_shipment_back(self, shipment: str) -> BackTrace:
        """Trace every lot of a shipment back to its farms and growers."""
        with self._read() as conn:
            keys = shipment_lots(conn, shipment)
            if not keys:
                raise ValidationError("shipment", "a shipment recorded on this ledger", shipment)
            return trace_back(conn, keys)

    def _select(
        self,
        conn: Connection,
        gtin: str | None,
        lot: str | None,
        start: datetime | None,
        end: datetime | None,
    ) -> list[Record]:
        if gtin is not None or lot is not None:
            state = self.lot(gtin or "", lot or "")
            records = [self.ledger.record(s) for s in lot_entries(conn, state.gtin, state.lot)]
        else:
            records = list(self.ledger.records())
        if start is not None or end is not None:
            records = [r for r in records if _within(r, start, end)]
        return records

    def export_epcis(
        self,
        *,
        gtin: str | None = None,
        lot: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> dict[str, Any]:
        """Return an EPCIS 2.0 JSON-LD document for one lot's chain or a time range.

        Args:
            gtin: with ``lot``: export every event about the lot, what it was made from and
                what was made from it.
            lot: see ``gtin``.
            start: include events whose event time is at or after this (timezone-aware).
            end: include events whose event time is before this.
        """
        self.catch_up()
        with self._read() as conn:
            records = self._select(conn, gtin, lot, start, end)
            return build_document(records, self.ledger.origin, conn)

    def export_fsma204(
        self,
        *,
        gtin: str | None = None,
        lot: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> str:
        """Return the FDA FSMA 204 sortable spreadsheet (CSV) for a lot's chain or a time range.

        Arguments as for :meth:`export_epcis`.
        """
        self.catch_up()
        with self._read() as conn:
            records = self._select(conn, gtin, lot, start, end)
            chain = None
            if gtin is not None or lot is not None:
                state = self.lot(gtin or "", lot or "")
                chain = lot_chain(conn, state.gtin, state.lot)  # no sibling's rows
            return fsma204_csv(records, self.ledger.origin, conn, chain)

    def trace_forward(self, gtin: str, lot: str) -> ForwardTrace:
        """Trace a lot forward to every derived lot, shipment and receiver."""
        state = self.lot(gtin, lot)
        with self._read() as conn:
            return trace_forward(conn, [state.key])
