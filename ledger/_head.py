"""The head row checked against the entries before anything relies on it.

The head (size, last hash, last log time, Merkle border) is bookkeeping derived from the
entries, kept so an append needs no scan. Whoever edits it could make the next append land
at the wrong position or stamp a wrong time inside hashed data. So under the append lock the
head is checked against the last stored entry: the entry at ``size - 1`` must exist and hash
to ``last_hash``, none may be stored at ``size``, and the log time the next append must not
go below is taken from that entry's own bytes, not from the ``last_log_time`` column.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import orjson

from ledger._errors import StoreError
from ledger._record import GENESIS_PREV
from ledger._store import Head

__all__ = ["checked_head"]


def checked_head(head: Head, tail: Sequence[Any]) -> Head:
    """Return ``head`` with its last log time taken from the last entry, or refuse.

    Args:
        head: the head row as stored.
        tail: the rows at ``head.size - 1`` and beyond (``Store.tail``), at most two.

    Raises:
        StoreError: the head's size or last hash disagrees with the stored entries.
    """
    size = head.size
    if size == 0:
        if tail or head.last_hash != GENESIS_PREV:
            raise _bad("size", "0 entries and no last hash", f"{len(tail)} entries", head)
        return head
    if not tail or tail[0].seq != size - 1:
        got = "none" if not tail else f"the last stored entry is {tail[0].seq}"
        raise _bad("size", f"entry {size - 1} stored", got, head)
    if len(tail) > 1:
        raise _bad("size", f"no entry stored at {size}", f"entry {tail[1].seq}", head)
    leaf = bytes(tail[0].leaf)
    last_hash = hashlib.sha256(b"\x00" + leaf).digest()
    if head.last_hash != last_hash:
        raise _bad("last_hash", last_hash.hex(), bytes(head.last_hash).hex(), head)
    try:
        log_time = orjson.loads(leaf)["log_time"]
    except (orjson.JSONDecodeError, KeyError, TypeError) as e:
        raise StoreError(
            f"entry {size - 1} does not parse: {e}", field="ledger_entry.leaf", got=size - 1
        ) from e
    if not isinstance(log_time, str):
        raise StoreError(f"entry {size - 1} has no log time", field="ledger_entry.leaf")
    # The column may be stale or edited; the entry's own time is what hashed data says.
    return replace(head, last_log_time=log_time) if head.last_log_time != log_time else head


def _bad(column: str, expected: str, got: str, head: Head) -> StoreError:
    return StoreError(
        f"ledger_head.{column} of {head.origin!r}: expected {expected}, got {got}; the head "
        "row was changed outside the ledger, so nothing is appended or signed "
        "(run 'agritrace ledger audit')",
        field=f"ledger_head.{column}",
        expected=expected,
        got=got,
    )
