"""Complaints and decisions as rows: applied from their entries, read as frozen views.

A complaint must name a recorded lot (any status: a recalled lot's buyer may still report
it). A decision is checked by :func:`traceability.rules._complaints.check_decision`
against the complaint it answers and the entry just before it (the hold or recall that
carries a hold or recall decision out, recorded in the same batch).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, insert, select

from traceability._errors import UnknownError
from traceability.events._complaints import Complaint, Decision
from traceability.projection import _schema as t
from traceability.projection._query import find_lot, touch
from traceability.rules._complaints import ACTION_KINDS, PreviousEntry, check_decision
from traceability.rules._lifecycle import LotStatus

__all__ = [
    "COMPLAINT_HANDLERS",
    "ComplaintCounts",
    "ComplaintView",
    "DecisionView",
    "complaint_counts",
    "complaint_view",
    "complaint_views",
    "decisions_on",
]


@dataclass(frozen=True)
class DecisionView:
    """A regulator's decision on a complaint, as the projection holds it."""

    seq: int
    complaint: int
    gtin: str
    lot: str
    action: str
    rule: str
    reason: str
    actor: str
    #: The hold or recall entry that carried the decision out (None: warning, dismiss).
    action_seq: int | None
    time: str


@dataclass(frozen=True)
class ComplaintView:
    """A complaint about a lot and, once decided, its decision. The contact is not here."""

    seq: int
    gtin: str
    lot: str
    serial: str | None
    category: str
    text: str
    language: str
    #: Whether a contact was left (kept apart from the log; see ``Projection.contact``).
    has_contact: bool
    contact_sha256: str | None
    actor: str
    time: str
    decision: DecisionView | None

    @property
    def is_open(self) -> bool:
        """Whether the complaint still waits for a decision."""
        return self.decision is None


@dataclass(frozen=True)
class ComplaintCounts:
    """How many complaints wait for a decision and how many were decided."""

    open: int
    decided: int


def _complaint(conn: Connection, seq: int, e: Complaint, actor: str, _: tuple[str, ...]) -> None:
    row = find_lot(conn, e.lot)
    conn.execute(
        insert(t.complaints),
        {
            "seq": seq,
            "lot": row.key,
            "serial": e.serial,
            "category": e.category,
            "text": e.text,
            "language": e.language,
            "contact_sha256": e.contact_sha256,
            "actor": actor,
            "time": e.time.isoformat(),
        },
    )
    touch(conn, seq, row.key)


def _previous(conn: Connection, seq: int, lot: Any, action: str) -> PreviousEntry | None:
    """What entry ``seq - 1`` did to ``lot`` (its row), as far as ``action`` needs to know.

    ``lot`` comes from :func:`find_lot`, which reads through a batch's cache, so a recall
    earlier in the same batch shows in it.
    """
    key = lot.key
    if ACTION_KINDS.get(action) == "trace.hold":
        hold = conn.execute(
            select(t.holds.c.authority).where(t.holds.c.seq == seq - 1, t.holds.c.lot == key)
        ).first()
        return None if hold is None else PreviousEntry("trace.hold", key, hold.authority)
    recalled = lot.status == LotStatus.RECALLED and lot.status_seq == seq - 1
    if ACTION_KINDS.get(action) == "trace.recall" and recalled:
        return PreviousEntry("trace.recall", key, None)
    return None


def _decision(conn: Connection, seq: int, e: Decision, actor: str, _: tuple[str, ...]) -> None:
    row = find_lot(conn, e.lot)
    complaint = conn.execute(
        select(t.complaints.c.lot).where(t.complaints.c.seq == e.complaint)
    ).first()
    if complaint is None:
        raise UnknownError("complaint", "the entry of a trace.complaint", e.complaint)
    decided = conn.execute(
        select(t.decisions.c.seq).where(t.decisions.c.complaint == e.complaint)
    ).scalar_one_or_none()
    previous = _previous(conn, seq, row, e.action)
    check_decision(
        complaint=e.complaint,
        complaint_lot=complaint.lot,
        decided=decided,
        lot=row.key,
        action=e.action,
        previous=previous,
    )
    conn.execute(
        insert(t.decisions),
        {
            "seq": seq,
            "complaint": e.complaint,
            "lot": row.key,
            "action": e.action,
            "rule": e.rule,
            "reason": e.reason,
            "actor": actor,
            "action_seq": None if previous is None else seq - 1,
            "time": e.time.isoformat(),
        },
    )
    touch(conn, seq, row.key)


#: Both judge the signer's name into the row, so they take it (as ``SIGNER_HANDLERS``).
COMPLAINT_HANDLERS: dict[type[Any], Any] = {Complaint: _complaint, Decision: _decision}


# --- reads ---------------------------------------------------------------------------------


def _decision_view(row: Any) -> DecisionView:
    return DecisionView(
        seq=row.seq,
        complaint=row.complaint,
        gtin=row.gtin,
        lot=row.lot_code,
        action=row.action,
        rule=row.rule,
        reason=row.reason,
        actor=row.actor,
        action_seq=row.action_seq,
        time=row.time,
    )


_DECISIONS = select(
    t.decisions.c.seq,
    t.decisions.c.complaint,
    t.lots.c.gtin,
    t.lots.c.lot.label("lot_code"),
    t.decisions.c.action,
    t.decisions.c.rule,
    t.decisions.c.reason,
    t.decisions.c.actor,
    t.decisions.c.action_seq,
    t.decisions.c.time,
).join(t.lots, t.lots.c.key == t.decisions.c.lot)

_COMPLAINTS = select(t.complaints, t.lots.c.gtin, t.lots.c.lot.label("lot_code")).join(
    t.lots, t.lots.c.key == t.complaints.c.lot
)


def _views(conn: Connection, rows: list[Any]) -> list[ComplaintView]:
    seqs = [r.seq for r in rows]
    decided = {
        d.complaint: _decision_view(d)
        for d in conn.execute(_DECISIONS.where(t.decisions.c.complaint.in_(seqs)))
    }
    return [
        ComplaintView(
            seq=r.seq,
            gtin=r.gtin,
            lot=r.lot_code,
            serial=r.serial,
            category=r.category,
            text=r.text,
            language=r.language,
            has_contact=r.contact_sha256 is not None,
            contact_sha256=r.contact_sha256,
            actor=r.actor,
            time=r.time,
            decision=decided.get(r.seq),
        )
        for r in rows
    ]


def complaint_views(
    conn: Connection,
    *,
    open_only: bool = False,
    lots: Collection[str] | None = None,
    offset: int = 0,
    limit: int = 50,
) -> list[ComplaintView]:
    """Return complaints, newest first: all, only open ones, or those about lots ``lots``."""
    query = _COMPLAINTS
    if open_only:
        query = query.where(
            t.complaints.c.seq.not_in(select(t.decisions.c.complaint).scalar_subquery())
        )
    if lots is not None:
        query = query.where(t.complaints.c.lot.in_(list(lots)))
    query = query.order_by(t.complaints.c.seq.desc()).offset(offset).limit(limit)
    return _views(conn, list(conn.execute(query)))


def complaint_view(conn: Connection, seq: int) -> ComplaintView | None:
    """Return complaint entry ``seq``, or None when that entry is no complaint."""
    rows = list(conn.execute(_COMPLAINTS.where(t.complaints.c.seq == seq)))
    return _views(conn, rows)[0] if rows else None


def decisions_on(conn: Connection, keys: Collection[str]) -> list[DecisionView]:
    """Return the decisions about any of the lots ``keys``, oldest first."""
    query = _DECISIONS.where(t.decisions.c.lot.in_(list(keys))).order_by(t.decisions.c.seq)
    return [_decision_view(r) for r in conn.execute(query)]


def complaint_counts(conn: Connection, keys: Collection[str] | None = None) -> ComplaintCounts:
    """Count open and decided complaints (about lots ``keys``, or all)."""
    total = select(func.count()).select_from(t.complaints)
    decided = select(func.count()).select_from(t.decisions)
    if keys is not None:
        total = total.where(t.complaints.c.lot.in_(list(keys)))
        decided = decided.where(t.decisions.c.lot.in_(list(keys)))
    n, d = conn.execute(total).scalar_one(), conn.execute(decided).scalar_one()
    return ComplaintCounts(open=n - d, decided=d)
