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

Each method takes an optional idempotency key (``once``, :mod:`traceability._once`): it is
stored in the transaction of the append, so a retry with the same key appends nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger import Ledger, Receipt, SignedStatement
from traceability._batch import record_batch
from traceability._errors import BatchError
from traceability._once import IdempotencyKey
from traceability._signed import record_signed
from traceability.events._model import Model
from traceability.projection._once import remember
from traceability.projection._read import Projection
from traceability.projection._replay import catch_up, rebuild

__all__ = ["Recorder", "reindex"]


def reindex(ledger: Ledger) -> int:
    """Drop the ``trace_*`` tables and rebuild them from the ledger; return entries read."""
    return rebuild(ledger)


class Recorder:
    """Records events for one ledger, keeping its projection in step (write only).

    Questions about lots go to :class:`~traceability.Projection`; exports to
    :func:`~traceability.export_epcis` and :func:`~traceability.export_fsma204`.

    Args:
        ledger: an open ledger; its database also holds the ``trace_*`` tables.
    """

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        # Serialises this process's writers (their signing and verifying too); the log's
        # append lock, held from check to commit, keeps other processes out.
        self._lock = threading.Lock()
        Projection(ledger)  # creates the tables on a fresh ledger
        self.catch_up()

    def catch_up(self) -> int:
        """Apply entries appended since the projection last saw the ledger."""
        return catch_up(self.ledger)

    def record(
        self,
        event: Model,
        key: Ed25519PrivateKey,
        *,
        at: datetime | None = None,
        once: IdempotencyKey | None = None,
    ) -> Receipt:
        """Check ``event``, sign it with ``key`` and append it; refused events append nothing.

        Args:
            event: a validated event or rule-table model.
            key: the actor's private key; its registered roles must permit the event kind.
            at: the signer's clock for the statement (default: now).
            once: the caller's idempotency key for this write, stored with the entry.

        Raises:
            RoleError: the key is unknown, revoked, or lacks a permitted role.
            ValidationError: the event names something the ledger does not know.
            LifecycleError: the event breaks the lifecycle table or a quality rule.
            IdempotencyKeyUsedError: ``once``'s key is stored already; nothing appended.
        """
        with self._lock:
            try:
                (receipt,) = record_batch(self.ledger, [(event, key)], at, once)
            except BatchError as e:
                raise e.error from None  # one event: the refusal itself, no index
            return receipt

    def record_batch(
        self,
        events_with_keys: Sequence[tuple[Model, Ed25519PrivateKey]],
        *,
        at: datetime | None = None,
        once: IdempotencyKey | None = None,
    ) -> list[Receipt]:
        """Check every event in order, then sign and append them all, or append nothing.

        Each event is checked on top of the ones before it and applied to the projection
        in the transaction that appends the batch, under the log's append lock (protocol
        in :mod:`traceability._batch`). Recording a batch leaves the same projection as
        recording its events one by one.

        Args:
            events_with_keys: ``(event, signer's private key)`` pairs, in recording order.
            at: the signer's clock for every statement (default: now).
            once: the caller's idempotency key for this write, stored with the entries.

        Raises:
            BatchError: event ``index`` was refused; ``error`` holds the refusal.
            IdempotencyKeyUsedError: ``once``'s key is stored already; nothing appended.
        """
        with self._lock:
            return record_batch(self.ledger, events_with_keys, at, once)

    def record_signed(
        self, batch: Sequence[SignedStatement], *, once: IdempotencyKey | None = None
    ) -> list[Receipt]:
        """Check statements their signers signed (a lab's results) and append them, or none.

        ``trace.*`` statements get the same checks as :meth:`record` (signer's roles,
        lifecycle, quality rules), each on top of the ones before it; other kinds are left
        to the ledger. A statement already on the ledger gets its first receipt back.
        ``once``: as for :meth:`record`.

        Raises:
            BatchError: statement ``index`` was refused; ``error`` holds the refusal.
            ledger.LedgerError: the ledger refused the batch (signature, key, form).
            IdempotencyKeyUsedError: ``once``'s key is stored already; nothing appended.
        """
        with self._lock:
            return record_signed(self.ledger, batch, once)

    def remember(self, once: IdempotencyKey, status: int, response: str) -> None:
        """Store the answer a keyed write got, so a retry gets the same answer back.

        Called after the write committed; until then (or if the process stops first) a
        retry's answer is rebuilt from the key's receipts.
        """
        remember(self.ledger.engine, once, status, response)
