"""Every checkpoint the server publishes ends with a ``trace.status_map`` entry.

:func:`seal_with_status_map` sets the ledger's :attr:`~ledger.Ledger.seal`: under the append
lock, just before a checkpoint is signed, the projection is caught up, the lot-status map
brought to the log's size, and its root appended as a ``trace.status_map`` entry at
position ``size`` (signed with the server's key, checked by the projection as any event),
so the checkpoint covers exactly up to it. A phone then checks freshness without trusting
anyone: the map entry is the checkpoint's last entry and covers every entry before it
(docs/adr/0017-lot-status-map.md). ``serve``, the demo and the CLI paths that publish
install it; the ledger itself stays free of the domain.

A seal that cannot append (the key is not registered, or lost its role) logs why and
appends nothing: the checkpoint is still published, and pages built on it say that they
were not checked for omissions, which is better than no checkpoint at all.
"""

from __future__ import annotations

import base64
import logging
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger import (
    Appender,
    Ledger,
    LedgerError,
    Statement,
    format_time,
    key_id_for,
    sign_statement,
)
from traceability._batch import signer_at
from traceability._errors import TraceError
from traceability.events._events import StatusMap
from traceability.projection._apply import apply_entry
from traceability.projection._read import Projection
from traceability.projection._replay import catch_up_locked, set_applied_size
from traceability.projection._status_map import update_map

__all__ = ["StatusMapSeal", "is_sealing_entry", "seal_with_status_map"]

_log = logging.getLogger("traceability")


def is_sealing_entry(kind: str, body: object, seq: int) -> bool:
    """Whether entry ``seq`` is a status map covering every entry before it."""
    return kind == StatusMap.KIND and isinstance(body, dict) and body.get("size") == seq


class StatusMapSeal:
    """The seal itself: appends the map's root when the log's last entry is not one.

    Args:
        ledger: The ledger it seals (its projection's tables are created if missing).
        key: The server's key for ``trace.status_map`` (a registered cooperative key).
    """

    def __init__(self, ledger: Ledger, key: Ed25519PrivateKey) -> None:
        self.ledger = ledger
        self.key = key
        self.key_id = key_id_for(key.public_key().public_bytes_raw())
        Projection(ledger)  # creates the trace_* tables on a ledger that has none

    def __call__(self, appender: Appender) -> None:
        """Append the status map at ``appender.size`` unless the last entry is one."""
        conn = appender.conn
        catch_up_locked(self.ledger, appender)
        size = appender.size
        if size > 0:
            last = self.ledger.entry(size - 1).statement
            if is_sealing_entry(last.kind, last.body, size - 1):
                return  # nothing new since the last map: the checkpoint ends with it
        savepoint = conn.begin_nested()
        try:
            root, lots = update_map(conn, size)
            event = StatusMap(size=size, root=base64.b64encode(root).decode(), lots=lots)
            statement = Statement(
                self.ledger.origin,
                event.KIND,
                event.to_body(),
                self.key_id,
                format_time(datetime.now(UTC)),
            )
            info = signer_at(appender.keys(), self.key_id, size, event.KIND)
            apply_entry(conn, size, event, info.actor, info.roles, key_id=self.key_id)
            appender.append(self.ledger.prepare_batch([sign_statement(statement, self.key)]))
            set_applied_size(conn, appender.size)
        except (TraceError, LedgerError) as e:
            savepoint.rollback()
            _log.error("checkpoint published without a status map: %s", e)
            return
        savepoint.commit()


def seal_with_status_map(ledger: Ledger, key: Ed25519PrivateKey) -> None:
    """Make every checkpoint ``ledger`` publishes end with a ``trace.status_map`` entry."""
    ledger.seal = StatusMapSeal(ledger, key)
