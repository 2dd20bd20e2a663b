"""Record many events at once: check and apply each once, append them in the same transaction.

Protocol for :meth:`traceability.Recorder.record_batch` (the batch form of ``record``):

1. Start signing every statement on the ledger's worker processes, each signature verified
   there (``Ledger.prepare_signing``, ADR 29); the signatures are collected just before the
   append (step 5), so the checking below runs meanwhile.
2. Open ``Ledger.append_transaction()``: the log's append lock, held to the end. No other
   writer, in this process or another, can append or touch the projection meanwhile, so the
   check below can never be made against a stale projection.
3. Bring the projection up to the log's size ``n`` (entries appended around the recorder;
   most of them were applied just before the lock, in a transaction of their own).
4. Check and apply event ``i`` as entry ``n + i`` on top of events ``0 .. i-1`` with the
   same function ``reindex`` uses. The first refusal raises :class:`BatchError` naming
   ``i``; the transaction rolls back and nothing is appended.
5. Append the entries and move the projection's position to ``n + len(batch)`` in the same
   transaction, and commit: the projection never holds a fact the ledger lacks, and a crash
   at any point leaves both as they were or both updated.

With an idempotency key (:mod:`traceability._once`), step 4 starts by claiming the key: if
it is stored already, :class:`~traceability._once.IdempotencyKeyUsedError` rolls back and
nothing is appended (before the check, which might refuse a retry of what the first attempt
did); else the key is inserted, and after the append its receipts are written, all in the
same transaction as the entries.

An exact duplicate of a statement already in the log (or earlier in the batch) is not
appended again (the ledger returns its first receipt); it is still checked, in a savepoint
that is rolled back, so it is refused exactly when recording it anew would be.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection

from ledger import (
    KeyInfo,
    Ledger,
    PreparedBatch,
    Receipt,
    Statement,
    format_time,
    key_id_for,
)
from traceability._errors import BatchError, RoleError, TraceError
from traceability._once import IdempotencyKey
from traceability.events._model import Model
from traceability.projection._apply import apply_entry
from traceability.projection._cache import BatchCache, batch_cache
from traceability.projection._once import claim, settle
from traceability.projection._prefetch import prefetch
from traceability.projection._replay import catch_up, catch_up_locked, set_applied_size

__all__ = ["Keys", "Positions", "append_checked", "record_batch", "signer_at"]

#: Registrations by key id, as ``Appender.keys()`` returns them.
Keys = dict[str, KeyInfo]
#: Each statement's position in the log, or None for one already there (a duplicate).
Positions = Sequence[int | None]


def signer_at(keys: Keys, key_id: str, seq: int, kind: str) -> KeyInfo:
    """Return the registration of ``key_id`` valid at entry ``seq``, or refuse the event."""
    info = keys.get(key_id)
    if info is None or not info.valid_at(seq):
        raise RoleError(kind, (), f"key {key_id} is not registered or not valid now")
    return info


def record_batch(
    ledger: Ledger,
    batch: Sequence[tuple[Model, Ed25519PrivateKey]],
    at: datetime | None,
    once: IdempotencyKey | None = None,
) -> list[Receipt]:
    """Check, apply, sign and append ``batch`` all-or-nothing (the caller holds its lock).

    Raises:
        BatchError: event ``index`` was refused (its error attached); nothing appended.
        IdempotencyKeyUsedError: ``once``'s key is stored already; nothing appended.
    """
    if not batch:
        return []
    when = format_time(at or datetime.now(UTC))
    # A batch is signed by a handful of keys: each key's id (a public-key derivation, an
    # elliptic-curve multiplication) is worked out once, not once per event.
    ids: dict[int, str] = {}
    for _, key in batch:
        if id(key) not in ids:
            ids[id(key)] = key_id_for(key.public_key().public_bytes_raw())
    key_ids = [ids[id(key)] for _, key in batch]
    statements = [
        Statement(ledger.origin, event.KIND, event.to_body(), key_id, when)
        for (event, _), key_id in zip(batch, key_ids, strict=True)
    ]
    # Signed on the ledger's workers while the batch is checked below (ADR 29); key_id came
    # from each key, so no check that the key is the one the statement names is needed.
    prepared = ledger.prepare_signing(statements, [key for _, key in batch])

    def check(
        conn: Connection, cache: BatchCache, keys: Keys, size: int, positions: Positions
    ) -> None:
        next_seq = size
        prefetch(conn, [event for event, _ in batch])
        for i, ((event, _), key_id, seq) in enumerate(zip(batch, key_ids, positions, strict=True)):
            try:
                info = signer_at(keys, key_id, next_seq if seq is None else seq, event.KIND)
                if seq is not None:
                    apply_entry(conn, seq, event, info.actor, info.roles, key_id=key_id)
                    next_seq = seq + 1
                    continue
                cache.flush()
                dry = conn.begin_nested()  # a duplicate: checked, never applied twice
                try:
                    apply_entry(conn, next_seq, event, info.actor, info.roles, key_id=key_id)
                finally:
                    dry.rollback()
                    cache.reset()
            except TraceError as e:
                raise BatchError(i, e) from e

    return append_checked(ledger, prepared, check, once)


def append_checked(
    ledger: Ledger,
    prepared: PreparedBatch,
    check: Callable[[Connection, BatchCache, Keys, int, Positions], None],
    once: IdempotencyKey | None = None,
) -> list[Receipt]:
    """Append ``prepared`` after ``check`` applied it to the projection, in one transaction.

    The one mechanism behind :func:`record_batch` and
    :func:`traceability._signed.record_signed` (protocol in this module's docstring):
    signatures verified (or made) on workers meanwhile, the projection caught up under the
    log's append lock, ``check(conn, cache, keys, size, positions)`` raising to refuse (the
    transaction rolls back, nothing is appended), then the append and the projection's new
    position committed together. With ``once``, the key is claimed before the check and its
    receipts written after the append, in the same transaction.
    """
    # Entries appended around the recorder are applied in a transaction of their own, so a
    # refusal below does not roll them back with the batch; the catch-up under the lock
    # then has only what landed in between.
    catch_up(ledger)
    with ledger.append_transaction() as appender, batch_cache(appender.conn) as cache:
        catch_up_locked(ledger, appender)
        if once is not None:
            claim(appender.conn, once)
        check(appender.conn, cache, appender.keys(), appender.size, appender.positions(prepared))
        cache.flush()
        receipts = appender.append(prepared)
        if once is not None:
            settle(appender.conn, once, receipts)
        set_applied_size(appender.conn, appender.size)
    return receipts
