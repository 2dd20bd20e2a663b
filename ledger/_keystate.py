"""Key state replayed from the log's own entries, never read from the key table.

The ``ledger_key`` table is an index for readers and the audit; an attacker with the database
can write a revocation or a role into it. What the log decides (who may append, with which
roles) therefore rests on the ``ledger.*`` entries: each one's stored bytes are parsed, its
position checked, and its root signature verified before it changes the key ring. The ring
is kept per process and advanced incrementally, so an append reads only the key entries
added since the last one (usually none: one indexed query).
"""

from __future__ import annotations

import threading
from typing import Any

from ledger._errors import LedgerError, StoreError
from ledger._keys import LEDGER_KINDS, KeyRing
from ledger._record import Record
from ledger._store import Store

__all__ = ["KeyState"]


class KeyState:
    """The keys as the log's entries define them, cached and advanced as the log grows.

    Thread-safe: the app's workers share one per :class:`ledger.Ledger`.
    """

    def __init__(self) -> None:
        self._ring = KeyRing()
        self._next = 0  # every key entry below this position is in the ring
        self._lock = threading.Lock()

    def ring(self, store: Store, conn: Any) -> KeyRing:
        """Return a private copy of the ring as of ``conn``'s snapshot (or later).

        Raises:
            StoreError: a stored ``ledger.*`` entry does not parse, sits at another position
                than its record says, or is not validly signed by the root key of its time:
                the database was changed outside the ledger (``ledger audit`` names it).
        """
        with self._lock:
            # Entries commit in position order under the append lock, so a snapshot that
            # sees a key entry at s sees every entry below s: no gap can open behind _next.
            for row in store.key_entry_rows(conn, LEDGER_KINDS, self._next):
                self._apply(row)
                self._next = row.seq + 1
            return self._ring.copy()

    def _apply(self, row: Any) -> None:
        seq = row.seq
        try:
            record = Record.from_leaf(bytes(row.leaf))
            statement = record.statement
            if record.seq != seq or statement.kind != row.kind:
                raise StoreError(
                    f"the row at {seq} ({row.kind}) holds the record of {record.seq} "
                    f"({statement.kind})"
                )
            signer = self._ring.signer(seq, statement)
            record.signed.verify(signer.public_key)
            self._ring.apply(seq, statement)
        except LedgerError as e:
            raise StoreError(
                f"key entry {seq} cannot be replayed, so no key state can be trusted: {e} "
                "(run 'agritrace ledger audit')",
                field="ledger_entry.leaf",
                got=seq,
            ) from e
