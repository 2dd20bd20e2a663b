"""Handlers for certificates and label runs: issued on the ledger, only through the gate."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert

from traceability.events._events import CertificateIssued, LabelRun
from traceability.projection import _schema as t
from traceability.projection._gate import check_issue
from traceability.projection._query import find_lot, touch
from traceability.projection._timing import after_made

__all__ = ["ISSUE_HANDLERS"]


def _issue(conn: Connection, seq: int, e: CertificateIssued | LabelRun) -> None:
    row = find_lot(conn, e.lot)
    what = "certify" if isinstance(e, CertificateIssued) else "label"
    after_made(row, e.time, what)
    check_issue(conn, row, e.time, what)
    conn.execute(
        insert(t.issued),
        {
            "seq": seq,
            "lot": row.key,
            "kind": "certificate" if isinstance(e, CertificateIssued) else "labels",
            "count": e.count if isinstance(e, LabelRun) else 1,
            "time": e.time.isoformat(),
        },
    )
    touch(conn, seq, row.key)


ISSUE_HANDLERS: dict[type[Any], Any] = {CertificateIssued: _issue, LabelRun: _issue}
