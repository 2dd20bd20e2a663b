"""Checkpoint publication and witness cosignatures.

What is published is what the ``ledger_checkpoint`` table holds; the latest checkpoint is the
stored one of the greatest size. (The head row's ``checkpoint_size`` and ``checkpoint_time``
follow along as bookkeeping that the audit checks; nothing here decides by them, so editing
them cannot stop publication.) Of two writers signing the same size, the table's primary key
lets one in and the other returns what was published.

Before signing, the log checks the tree it is about to sign: the head against the last entry
(:func:`ledger._head.checked_head`), the head's Merkle border against the stored nodes, and a
consistency proof from the latest published checkpoint (whose own signature is checked) to
the new root. A log whose rows were edited therefore refuses to sign, with the reason,
instead of signing a tree that contradicts what it published before.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from ledger._checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from ledger._cosignature import CosignatureVerifier, verify_cosignature
from ledger._errors import LedgerError, StoreError
from ledger._head import checked_head
from ledger._merkle import verify_consistency
from ledger._note import NoteSigner, NoteVerifier, parse_note
from ledger._statement import format_time
from ledger._store import Store
from ledger._tree import CompactRange, consistency_proof, root_at

__all__ = ["checkpoint_due", "publish_checkpoint", "store_cosignature", "stored_checkpoint"]


def publish_checkpoint(store: Store, signer: NoteSigner, size: int | None = None) -> str:
    """Sign the tree of ``size`` entries (default: all) unless published; return the note.

    A ``size`` below the log's is for a caller that appended the entry a checkpoint must
    end with (:attr:`ledger.Ledger.seal`) and must not let a later append slip in under
    it; if a checkpoint at or past ``size`` is already published, that one is returned.

    Raises:
        StoreError: the head, the nodes or the published checkpoints were changed outside
            the ledger, so the tree cannot be signed (the message names what disagrees).
    """
    while True:
        with store.read() as conn:
            stored = store.head(conn)
            head = checked_head(stored, store.tail(conn, stored.size))
            latest = store.latest_checkpoint_row(conn)
            tree = CompactRange.from_bytes(head.size, head.border)
            _check_border(store, conn, tree)
            target = head.size if size is None else size
            if not 0 <= target <= head.size:
                raise StoreError(
                    f"expected a checkpoint size between 0 and {head.size}, got {target}",
                    field="size",
                    expected=f"<= {head.size}",
                    got=target,
                )
            if latest is not None and int(latest.size) >= target:
                if int(latest.size) > head.size:
                    raise StoreError(
                        f"a checkpoint of size {latest.size} is stored, the log has "
                        f"{head.size} entries: the database was changed outside the ledger",
                        field="ledger_checkpoint.size",
                        expected=f"<= {head.size}",
                        got=int(latest.size),
                    )
                return str(latest.note)
            if target == head.size:
                root = tree.root()
            else:
                root = root_at(target, lambda keys: store.fetch_nodes(keys, conn))
            if latest is not None:
                _check_extends(store, conn, signer, latest, target, root)
        note = sign_checkpoint(Checkpoint(store.origin, target, root), signer)
        if store.insert_checkpoint(target, root, note, format_time(datetime.now(UTC))):
            return note
        # Another writer published this size first; the next pass returns theirs.


def checkpoint_due(store: Store, interval: timedelta) -> bool:
    """Whether the log grew since its latest checkpoint, and that one is ``interval`` old.

    A stored signing time that does not parse, or lies in the future, cannot be right (it
    was edited, or the clock ran backwards): the checkpoint is due, so publication never
    waits on a time that will not come.
    """
    with store.read() as conn:
        size, published, signed_at_text = store.publication_state(conn)
    if size <= published:
        return False
    if signed_at_text is None:
        return True
    now = datetime.now(UTC)
    try:
        signed_at = datetime.fromisoformat(signed_at_text.replace("Z", "+00:00"))
        if signed_at.tzinfo is None:
            return True
    except ValueError:
        return True
    return signed_at > now or now - signed_at >= interval


def _check_border(store: Store, conn: Any, tree: CompactRange) -> None:
    keys = tree.border_keys()
    stored = store.fetch_nodes(keys, conn)
    for key, value in zip(keys, tree.border, strict=True):
        if stored.get(key) != value:
            raise StoreError(
                f"ledger_head.border: the subtree {key} differs from the stored Merkle node; "
                "refusing to sign a tree the entries may not make (run 'agritrace ledger audit')",
                field="ledger_head.border",
            )


def _check_extends(
    store: Store, conn: Any, signer: NoteSigner, latest: Any, size: int, root: bytes
) -> None:
    verifier = NoteVerifier.from_key_string(signer.verifier_key())
    try:
        previous, _ = open_checkpoint(str(latest.note).encode(), store.origin, verifier)
        proof = consistency_proof(previous.size, size, lambda keys: store.fetch_nodes(keys, conn))
        verify_consistency(previous.size, size, proof, previous.root_hash, root)
    except LedgerError as e:
        raise StoreError(
            f"the tree of {size} entries does not extend the checkpoint published at "
            f"size {latest.size}: {e}; refusing to sign (run 'agritrace ledger audit')",
            field="ledger_head",
        ) from e


def store_cosignature(store: Store, line: str, verifier: CosignatureVerifier, size: int) -> int:
    """Verify a witness's cosignature of stored checkpoint ``size``; store it; return its time."""
    with store.read() as conn:
        row = store.checkpoint_row(conn, size)
    if row is None:
        raise StoreError(f"no stored checkpoint of size {size}", field="size", got=size)
    line = line if line.endswith("\n") else line + "\n"
    note = parse_note((str(row.note) + line).encode())
    timestamp = verify_cosignature(Checkpoint.parse(note.text), note, verifier)
    with store.cas() as conn:
        store.put_cosignature(conn, size, verifier.name, line, timestamp)
    return timestamp


def stored_checkpoint(store: Store, size: int | None, *, cosigned: bool) -> str | None:
    """Return the stored checkpoint of ``size`` (default: the latest), with cosignatures."""
    with store.read() as conn:
        if size is None:
            row = store.latest_checkpoint_row(conn)
        else:
            row = store.checkpoint_row(conn, size)
        lines = store.cosignature_lines(conn, int(row.size)) if cosigned and row else []
    return None if row is None else str(row.note) + "".join(lines)
