"""Record a file's events all together or not at all.

:meth:`Recorder.record` checks and appends one event at a time, so a file recorded that way
could stop half-applied at its 40th event. Here the protocol is the recorder's, widened to a
batch:

1. Bring the projection up to the ledger's head.
2. Dry run: apply every event, in order, to the projection inside one transaction that is
   rolled back, each at the sequence number it will get. The first rule broken raises
   :class:`BatchError` naming the event's index; nothing is signed.
3. Sign every statement and append them with one conditional ``append_batch``: all of them at
   exactly the checked position, or none (another writer got in first: check again).
4. Replay the new entries into the projection and refuse loudly if the replay disagrees.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from ledger import AppendConflictError, Receipt, Statement, format_time, key_id_for
from ledger import sign_statement as sign
from traceability import _schema as t
from traceability._actors import check_role
from traceability._apply import apply_entry
from traceability._errors import LifecycleError, RoleError, TraceError
from traceability._model import Model
from traceability._recorder import Recorder

__all__ = ["BatchError", "record_all"]

# As in the recorder: a batch that loses the race to another writer is checked again.
_ATTEMPTS = 8


class BatchError(TraceError):
    """Event ``index`` of a batch broke a rule in the dry run; nothing was appended.

    Attributes:
        index: the refused event's position in the batch.
        error: the domain error it raised.
    """

    def __init__(self, index: int, error: TraceError) -> None:
        super().__init__(f"event {index + 1}: {error}")
        self.index = index
        self.error = error


def record_all(
    recorder: Recorder,
    events: Sequence[Model],
    key: Ed25519PrivateKey,
    *,
    checked: Callable[[int], None] | None = None,
) -> list[Receipt]:
    """Check every event, then append them all in one transaction; refused batches append none.

    Args:
        recorder: the recorder whose ledger and projection to use.
        events: the events, in the order they are to be appended.
        key: the signer's private key; its roles must permit every event's kind.
        checked: called with the number of events dry-run so far (for a progress bar).

    Raises:
        RoleError: the key is unknown, revoked, or may not record one of the kinds.
        BatchError: an event broke a rule in the dry run (its index is named).
        LifecycleError: ``log-busy`` if other writers kept appending; ``replay-refused`` if
            the appended entries' replay disagreed with the check.
    """
    if not events:
        return []
    ledger = recorder.ledger
    key_id = key_id_for(key.public_key().public_bytes_raw())
    for _ in range(_ATTEMPTS):
        recorder.catch_up()
        with ledger.engine.connect() as conn:
            row = conn.execute(select(t.state.c.applied_size).where(t.state.c.id == 1)).first()
            size = 0 if row is None else int(row.applied_size)
        info = ledger.keys().get(key_id)
        if info is None or not info.valid_at(size):
            raise RoleError(events[0].KIND, (), f"key {key_id} is not registered or not valid now")
        for kind in dict.fromkeys(e.KIND for e in events):
            check_role(kind, info.actor, info.roles)
        with ledger.engine.connect() as conn:
            dry_run = conn.begin()
            try:
                for i, event in enumerate(events):
                    try:
                        apply_entry(conn, size + i, event, info.actor, info.roles)
                    except TraceError as e:
                        raise BatchError(i, e) from e
                    if checked is not None:
                        checked(i + 1)
            finally:
                dry_run.rollback()
        when = format_time(datetime.now(UTC))
        batch = [
            sign(Statement(ledger.origin, e.KIND, e.to_body(), key_id, when), key) for e in events
        ]
        try:
            receipts = ledger.append_batch(batch, expected_size=size)
        except AppendConflictError:
            continue
        recorder.catch_up()
        _raise_if_refused_on_replay(recorder, receipts)
        return receipts
    raise LifecycleError(
        "log-busy", f"other writers kept appending; tried {_ATTEMPTS} times, try again"
    )


def _raise_if_refused_on_replay(recorder: Recorder, receipts: list[Receipt]) -> None:
    seqs = [r.seq for r in receipts]
    with recorder.ledger.engine.connect() as conn:
        anomaly = conn.execute(
            select(t.anomalies.c.seq, t.anomalies.c.error)
            .where(t.anomalies.c.seq.in_(seqs))
            .order_by(t.anomalies.c.seq)
        ).first()
    if anomaly is not None:
        raise LifecycleError(
            "replay-refused",
            f"entry {anomaly.seq} was appended but its replay refused it: {anomaly.error}",
        )
