"""Record statements someone else already signed (a lab's results), through the same checks.

A lab keeps its own key, so its ``trace.*`` statements arrive signed and the recorder
cannot sign them itself. They still go through the domain: each ``trace.*`` statement's
signature is checked against its registered key, then its signer's roles and the rules are
checked in one rolled-back dry run (each statement on top of the ones before it), and the
batch is appended only if the log is still at the size it was checked against. A statement
the rules refuse appends nothing, instead of landing on the ledger as an anomaly.

Statements of other kinds (``ledger.*``) in the same batch are left to the ledger. A
``trace.*`` statement signed by a key registered earlier in the same batch is refused:
register keys first, then send what they sign.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from sqlalchemy import Engine, select

from ledger import AppendConflictError, Ledger, Receipt, SignedStatement
from traceability import _schema as t
from traceability._apply import apply_entry, parse_event
from traceability._errors import BatchError, LifecycleError, RoleError, TraceError

__all__ = ["record_signed"]

_PREFIX = "trace."
# As for events the recorder signs: a check that loses to another writer is redone this often.
_ATTEMPTS = 8


def _statement_hash(signed: SignedStatement) -> bytes:
    # The ledger's duplicate key: the hash of the signed statement bytes.
    return hashlib.sha256(signed.statement.signing_bytes()).digest()


def _dry_run(ledger: Ledger, engine: Engine, size: int, batch: Sequence[SignedStatement]) -> None:
    """Check every new ``trace.*`` statement at the position it will take; roll back."""
    with engine.connect() as conn:
        already = ledger.store.find_statements(conn, [_statement_hash(s) for s in batch])
    keys = ledger.keys()
    seen: set[bytes] = set()
    position = size
    with engine.connect() as conn:
        dry_run = conn.begin()
        try:
            for i, signed in enumerate(batch):
                digest = _statement_hash(signed)
                if digest in already or digest in seen:
                    continue  # sent again: the ledger answers with the first receipt
                seen.add(digest)
                statement = signed.statement
                if statement.kind.startswith(_PREFIX):
                    try:
                        info = keys.get(statement.key_id)
                        if info is None or not info.valid_at(position):
                            raise RoleError(
                                statement.kind,
                                (),
                                f"key {statement.key_id} is not registered or not valid now",
                            )
                        # Before the rules: a forged statement is a bad signature, not a
                        # lifecycle refusal (raises the ledger's SignatureError).
                        signed.verify(info.public_key)
                        event = parse_event(statement.kind, statement.body)
                        apply_entry(conn, position, event, info.actor, info.roles)
                    except TraceError as e:
                        raise BatchError(i, e) from e
                position += 1
        finally:
            dry_run.rollback()


def _applied_size(engine: Engine) -> int:
    with engine.connect() as conn:
        row = conn.execute(select(t.state.c.applied_size).where(t.state.c.id == 1)).first()
    return 0 if row is None else int(row.applied_size)


def record_signed(
    ledger: Ledger,
    engine: Engine,
    catch_up: Callable[[], int],
    batch: Sequence[SignedStatement],
) -> list[Receipt]:
    """Check and append already-signed statements, all or none (caller holds the write lock).

    Raises:
        BatchError: statement ``index`` was refused by the domain (its error attached).
        ledger.SignatureError: a ``trace.*`` statement's signature does not verify.
        LifecycleError: ``log-busy`` when other writers kept appending.
        ledger.LedgerError: the ledger refused the batch (as ``Ledger.append_batch``).
    """
    if not batch:
        return []
    for _ in range(_ATTEMPTS):
        catch_up()
        size = _applied_size(engine)
        _dry_run(ledger, engine, size, batch)
        try:
            receipts = ledger.append_batch(batch, expected_size=size)
        except AppendConflictError:
            continue  # another writer got in first: check again against its entries
        catch_up()
        return receipts
    raise LifecycleError(
        "log-busy", f"other writers kept appending; tried {_ATTEMPTS} times, try again"
    )
