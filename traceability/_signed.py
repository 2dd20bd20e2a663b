"""Record statements someone else already signed (a lab's results), through the same checks.

A lab keeps its own key, so its ``trace.*`` statements arrive signed and the recorder
cannot sign them itself. They still go through the domain, as in
:mod:`traceability._batch`: under the log's append lock, each new ``trace.*`` statement's
signature is checked against its registered key, then its signer's roles and the rules are
checked and applied at the position it will take (each statement on top of the ones before
it), and the entries are appended in the same transaction. A statement the rules refuse
rolls everything back and appends nothing, instead of landing on the ledger as an anomaly.
Text must already be as the server would write it (NFC, no white space around it): the
server cannot normalise what someone else signed, and a second spelling of one value on the
log is what normalising is for.

Statements of other kinds (``ledger.*``) in the same batch are left to the ledger. A
``trace.*`` statement signed by a key registered earlier in the same batch is refused:
register keys first, then send what they sign. A statement already in the log is not
checked again: the ledger answers with its first receipt.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection

from ledger import Ledger, Receipt, SignedStatement
from traceability._batch import Keys, Positions, append_checked, signer_at
from traceability._errors import BatchError, TraceError, ValidationError
from traceability._once import IdempotencyKey
from traceability._text import unnormalised_text
from traceability.projection._apply import apply_entry, parse_event
from traceability.projection._cache import BatchCache

__all__ = ["record_signed"]

_PREFIX = "trace."


def record_signed(
    ledger: Ledger, batch: Sequence[SignedStatement], once: IdempotencyKey | None = None
) -> list[Receipt]:
    """Check and append already-signed statements, all or none (the caller holds its lock).

    ``once``: an idempotency key, claimed in the append transaction (:mod:`traceability._batch`).

    Raises:
        BatchError: statement ``index`` was refused by the domain (its error attached).
        ledger.SignatureError: a ``trace.*`` statement's signature does not verify.
        ledger.LedgerError: the ledger refused the batch (as ``Ledger.append_batch``).
        IdempotencyKeyUsedError: ``once``'s key is stored already; nothing appended.
    """
    if not batch:
        return []

    def check(conn: Connection, _: BatchCache, keys: Keys, size: int, positions: Positions) -> None:
        for i, (signed, seq) in enumerate(zip(batch, positions, strict=True)):
            statement = signed.statement
            if seq is None or not statement.kind.startswith(_PREFIX):
                continue  # already in the log, or the ledger's own kind
            try:
                info = signer_at(keys, statement.key_id, seq, statement.kind)
                # Before the rules: a forged statement is a bad signature, not a
                # lifecycle refusal (raises the ledger's SignatureError).
                signed.verify(info.public_key)
                event = parse_event(statement.kind, statement.body)
                respelled = unnormalised_text(statement.body, event.to_body())
                if respelled is not None:
                    raise ValidationError(
                        respelled[0],
                        "text as the server writes it: NFC, no white space around it "
                        "(normalise before signing)",
                        respelled[1],
                    )
                apply_entry(conn, seq, event, info.actor, info.roles, key_id=statement.key_id)
            except TraceError as e:
                raise BatchError(i, e) from e

    return append_checked(ledger, ledger.prepare_batch(list(batch)), check, once)
