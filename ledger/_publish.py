"""Checkpoint publication and witness cosignatures, on the store's head row.

Publication is a compare-and-swap on the head's published checkpoint size: a writer signs
the tree it read, then advances the size only if no one else did meanwhile. Of two racing
writers one publishes and the other returns what was published, so one log never has two
checkpoints for different trees, and never moves backwards.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError

from ledger._checkpoint import Checkpoint, sign_checkpoint
from ledger._cosignature import CosignatureVerifier, verify_cosignature
from ledger._errors import CheckpointConflictError, StoreError
from ledger._note import NoteSigner, parse_note
from ledger._statement import format_time
from ledger._store import Store
from ledger._tree import CompactRange

__all__ = ["publish_checkpoint", "store_cosignature", "stored_checkpoint"]


def publish_checkpoint(store: Store, signer: NoteSigner) -> str:
    """Sign the current tree and publish it unless it is already published; return the note."""
    while True:
        head = store.head()
        if head.size <= head.checkpoint_size:
            latest = stored_checkpoint(store, None, cosigned=False)
            if latest is not None:
                return latest
        root = CompactRange.from_bytes(head.size, head.border).root()
        note = sign_checkpoint(Checkpoint(store.origin, head.size, root), signer)
        signed_at = format_time(datetime.now(UTC))
        try:
            with store.cas() as conn:
                if store.compare_and_swap_checkpoint(
                    conn, head.checkpoint_size, head.size, signed_at
                ):
                    store.insert_checkpoint(conn, head.size, root, note, signed_at)
                    return note
        except IntegrityError as e:
            # Only a hand-edited head can get here: a checkpoint of this size exists
            # although the head said the published one was smaller.
            raise CheckpointConflictError(
                f"a checkpoint at size {head.size} is already stored, but the head names "
                f"{head.checkpoint_size}: the database was changed outside the ledger"
            ) from e
        # Another writer published first; look again.


def store_cosignature(store: Store, line: str, verifier: CosignatureVerifier, size: int) -> int:
    """Verify a witness's cosignature of stored checkpoint ``size``; store it; return its time."""
    with store.read() as conn:
        row = store.checkpoint_row(conn, size)
    if row is None:
        raise StoreError(f"no stored checkpoint of size {size}")
    line = line if line.endswith("\n") else line + "\n"
    note = parse_note((str(row.note) + line).encode())
    timestamp = verify_cosignature(Checkpoint.parse(note.text), note, verifier)
    with store.cas() as conn:
        store.put_cosignature(conn, size, verifier.name, line, timestamp)
    return timestamp


def stored_checkpoint(store: Store, size: int | None, *, cosigned: bool) -> str | None:
    """Return the stored checkpoint of ``size`` (default: the latest), with cosignatures."""
    with store.read() as conn:
        head = store.head(conn)
        size = head.checkpoint_size if size is None else size
        row = store.checkpoint_row(conn, size)
        lines = store.cosignature_lines(conn, size) if cosigned else []
    return None if row is None else str(row.note) + "".join(lines)
