"""Record many events at once: one dry run, one signed batch, one conditional append.

Protocol for :meth:`traceability.Recorder.record_batch` (the batch form of ``record``):

1. Bring the projection up to the ledger's head; note its size ``n``.
2. Dry run: inside one transaction, check and apply event ``i`` as entry ``n + i`` on top
   of events ``0 .. i-1``, then roll everything back. The first refusal raises
   :class:`BatchError` naming ``i``; nothing has been signed or appended.
3. Sign every statement and append them with ``Ledger.append_batch(expected_size=n)``:
   all or none, and only if no one appended since the dry run.
4. On :class:`~ledger.AppendConflictError` go back to 1 (bounded); otherwise replay the new
   entries into the projection with the same function as the dry run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, Engine, select

from ledger import (
    AppendConflictError,
    KeyInfo,
    Ledger,
    Receipt,
    Statement,
    format_time,
    key_id_for,
    sign_statement,
)
from traceability import _schema as t
from traceability._actors import check_role
from traceability._apply import apply_entry
from traceability._errors import BatchError, LifecycleError, RoleError, TraceError
from traceability._model import Model

__all__ = ["record_batch"]

# A conditional append that loses to another writer is checked again this often.
_ATTEMPTS = 8


def _signer(keys: dict[str, KeyInfo], key: Ed25519PrivateKey, seq: int, kind: str) -> KeyInfo:
    key_id = key_id_for(key.public_key().public_bytes_raw())
    info = keys.get(key_id)
    if info is None or not info.valid_at(seq):
        raise RoleError(kind, (), f"key {key_id} is not registered or not valid now")
    return info


def _dry_run(
    engine: Engine,
    ledger: Ledger,
    size: int,
    batch: Sequence[tuple[Model, Ed25519PrivateKey]],
) -> list[KeyInfo]:
    keys = ledger.keys()
    signers = []
    with engine.connect() as conn:
        dry_run = conn.begin()
        try:
            for i, (event, key) in enumerate(batch):
                try:
                    info = _signer(keys, key, size + i, event.KIND)
                    check_role(event.KIND, info.actor, info.roles)
                    # Each event sees the ones before it: a grading may split a lot
                    # harvested earlier in the same batch.
                    apply_entry(conn, size + i, event, info.actor, info.roles)
                except TraceError as e:
                    raise BatchError(i, e) from e
                signers.append(info)
        finally:
            dry_run.rollback()
    return signers


def record_batch(
    ledger: Ledger,
    engine: Engine,
    catch_up: Callable[[], int],
    batch: Sequence[tuple[Model, Ed25519PrivateKey]],
    at: datetime | None,
) -> list[Receipt]:
    """Check, sign and append ``batch`` all-or-nothing (the caller holds its write lock).

    Raises:
        BatchError: event ``index`` was refused (its error attached); nothing appended.
        LifecycleError: ``log-busy`` when other writers kept appending, or
            ``replay-refused`` when a replay disagreed with the dry run.
    """
    if not batch:
        return []
    for _ in range(_ATTEMPTS):
        catch_up()
        with engine.connect() as conn:
            size = _applied_size(conn)
        _dry_run(engine, ledger, size, batch)
        when = format_time(at or datetime.now(UTC))
        signed = [
            sign_statement(
                Statement(
                    ledger.origin,
                    event.KIND,
                    event.to_body(),
                    key_id_for(key.public_key().public_bytes_raw()),
                    when,
                ),
                key,
            )
            for event, key in batch
        ]
        try:
            receipts = ledger.append_batch(signed, expected_size=size)
        except AppendConflictError:
            continue  # another writer got in first: check again against its entries
        catch_up()
        _raise_if_refused_on_replay(engine, receipts)
        return receipts
    raise LifecycleError(
        "log-busy", f"other writers kept appending; tried {_ATTEMPTS} times, try again"
    )


def _applied_size(conn: Connection) -> int:
    row = conn.execute(select(t.state.c.applied_size).where(t.state.c.id == 1)).first()
    return 0 if row is None else int(row.applied_size)


def _raise_if_refused_on_replay(engine: Engine, receipts: Sequence[Receipt]) -> None:
    seqs = [r.seq for r in receipts]
    with engine.connect() as conn:
        anomaly = conn.execute(
            select(t.anomalies.c.seq, t.anomalies.c.error)
            .where(t.anomalies.c.seq.between(min(seqs), max(seqs)))
            .order_by(t.anomalies.c.seq)
        ).first()
    if anomaly is not None:
        # The dry run and the replay are the same function over the same state, so this
        # means they disagree: say so rather than pretend the batch took effect.
        raise LifecycleError(
            "replay-refused",
            f"entry {anomaly.seq} was appended but its replay refused it: {anomaly.error}",
        )
