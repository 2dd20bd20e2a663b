"""The audit's comparison of derived state with a replay of the entries.

The key table (``ledger_key``) and the head row (``ledger_head``) are caches of what the
entries say. Once the entries themselves have verified, every row and column of both is
compared with the replay, and each disagreement is reported as a :class:`Drift` naming the
table, the row, the column, the stored value, the value from the log and the entry it rests
on. Pure: rows in, drifts out.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ledger._keys import KeyInfo

__all__ = ["Drift", "head_drift", "key_drift"]


@dataclass(frozen=True)
class Drift:
    """One stored value that disagrees with the log.

    Attributes:
        table: the table, e.g. ``"ledger_key"``.
        row: the row's key (a key id, or the log's origin for the head).
        column: the column, or ``"(row)"`` for a row that should or should not exist.
        stored: the value the table holds (None for a missing row).
        from_log: the value a replay of the entries gives (None for a row with no entry).
        seq: the entry the value from the log rests on, when one does.
    """

    table: str
    row: str
    column: str
    stored: Any
    from_log: Any
    seq: int | None

    def describe(self) -> str:
        """One line for people: where, what is stored, what the log says, which entry."""
        entry = f" (entry {self.seq})" if self.seq is not None else ""
        return (
            f"{self.table} row {self.row!r} column {self.column}: stored {_show(self.stored)}, "
            f"the log gives {_show(self.from_log)}{entry}"
        )


def _show(value: Any) -> str:
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex() if len(bytes(value)) <= 40 else f"{bytes(value)[:16].hex()}…"
    return repr(value)


def key_drift(rows: Sequence[Any], replayed: Mapping[str, KeyInfo]) -> list[Drift]:
    """Compare the stored key rows of a log with the keys its entries register and revoke."""
    drifts: list[Drift] = []
    stored = {str(r.key_id): r for r in rows}
    for key_id, info in sorted(replayed.items()):
        registered = max(info.registered_seq, 0)  # the genesis root is "registered" at 0
        row = stored.pop(key_id, None)
        if row is None:
            drifts.append(Drift("ledger_key", key_id, "(row)", None, "registered", registered))
            continue
        expected = {
            "public_key": (info.public_key, registered),
            "actor": (info.actor, registered),
            "roles": (list(info.roles), registered),
            "registered_seq": (registered, registered),
            "revoked_seq": (info.revoked_seq, info.revoked_seq or registered),
        }
        for column, (value, seq) in expected.items():
            got = getattr(row, column)
            if column == "public_key":
                got = bytes(got)
            if column == "roles":
                got = _roles(got)
            if got != value:
                shown = getattr(row, column) if column != "public_key" else got
                drifts.append(Drift("ledger_key", key_id, column, shown, value, seq))
    for key_id in sorted(stored):
        drifts.append(Drift("ledger_key", key_id, "(row)", "present", None, None))
    return drifts


def _roles(value: Any) -> Any:
    try:
        roles = json.loads(value)
    except (TypeError, ValueError):
        return value
    return roles if isinstance(roles, list) else value


def head_drift(head: Any, expected: Mapping[str, tuple[Any, int | None]]) -> list[Drift]:
    """Compare the stored head row with ``{column: (value from the log, entry)}``."""
    drifts = []
    for column, (value, seq) in expected.items():
        got = getattr(head, column)
        if isinstance(got, memoryview):
            got = bytes(got)
        if got != value:
            drifts.append(Drift("ledger_head", str(head.origin), column, got, value, seq))
    return drifts
