"""Alerts: the facts platforms and regulators must hear of at once, from the projection.

Each alert kind is one small function registered with :func:`alert_kind`: given a read
connection, the entry after which to look (``since``) and how many at most, it returns
:class:`Alert` values about entries newer than ``since``, newest first. The feed
(``/alerts.atom``, ``/alerts.json``) and the webhook merge every kind's alerts. To add a
kind (overdue samples, say), write one function::

    @alert_kind("overdue_sample")
    def _overdue(conn: Connection, since: int, limit: int) -> list[Alert]:
        ...

Alerts about entries carry the entry's ``seq``; the log's time is filled in by
:meth:`traceability.Projection.alerts`. Alerts about something the log does not hold (a
label scanned unusually often: scans are counted, not recorded) have ``seq`` None and their
own ``time``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from sqlalchemy import Connection, func, inspect, select

from traceability.projection import _schema as t
from traceability.projection._scans import SUSPICIOUS_SCANS, scans
from traceability.rules._lifecycle import LotStatus

__all__ = ["ALERT_SOURCES", "Alert", "AlertSource", "alert_kind", "lot_parts"]


@dataclass(frozen=True)
class Alert:
    """One thing to tell platforms and regulators about.

    Attributes:
        kind: the alert kind (a key of :data:`ALERT_SOURCES`).
        id: stable across reads: the same fact always has the same id (feed entry ids,
            the webhook's "already sent").
        seq: the ledger entry it is about, or None (a fact the log does not hold).
        gtin: the lot's GTIN (empty when the alert is about no lot).
        lot: the lot code.
        summary: one English line (feed readers and webhooks are machines and staff).
        time: ISO 8601; for entries, filled in from the log's time by the read API.
        serial: the unit serial, for alerts about one label.
    """

    kind: str
    id: str
    seq: int | None
    gtin: str
    lot: str
    summary: str
    time: str = ""
    serial: str | None = None


#: An alert kind's function: (connection, since entry, limit) -> alerts, newest first.
AlertSource = Callable[[Connection, int, int], list[Alert]]

#: Alert kind -> its function, in the order the kinds were registered.
ALERT_SOURCES: Final[dict[str, AlertSource]] = {}


def alert_kind(name: str) -> Callable[[AlertSource], AlertSource]:
    """Register the decorated function as the source of alert kind ``name``."""

    def register(source: AlertSource) -> AlertSource:
        if name in ALERT_SOURCES:
            raise ValueError(f"alert kind {name!r} is registered twice")
        ALERT_SOURCES[name] = source
        return source

    return register


def lot_parts(key: str) -> tuple[str, str]:
    """Return (GTIN, lot code) of a projection lot key ``(01)<gtin>(10)<lot>``."""
    gtin, _, lot = key.removeprefix("(01)").partition("(10)")
    return gtin, lot


_COLD_CHAIN = ("cold-chain-precool", "cold-chain-transport", "cold-chain-set-point")


def _holds(conn: Connection, since: int, limit: int, *, cold_chain: bool) -> list[Alert]:
    rule = t.holds.c.rule
    query = select(t.holds).where(
        t.holds.c.seq > since,
        rule.in_(_COLD_CHAIN) if cold_chain else rule.not_in(_COLD_CHAIN),
    )
    kind = "cold_chain" if cold_chain else "hold"
    rows = conn.execute(query.order_by(t.holds.c.seq.desc(), t.holds.c.lot).limit(limit))
    out = []
    for r in rows:
        gtin, lot = lot_parts(r.lot)
        out.append(Alert(kind, f"{kind}:{r.seq}:{r.lot}", r.seq, gtin, lot, r.reason))
    return out


@alert_kind("hold")
def _new_holds(conn: Connection, since: int, limit: int) -> list[Alert]:
    """A lot held (by hand, by a regulator, or by a rule other than the cold chain's)."""
    return _holds(conn, since, limit, cold_chain=False)


@alert_kind("cold_chain")
def _cold_chain(conn: Connection, since: int, limit: int) -> list[Alert]:
    """A lot held for a cold-chain excursion (pre-cooling, transport, set point)."""
    return _holds(conn, since, limit, cold_chain=True)


@alert_kind("residue_failed")
def _failed_results(conn: Connection, since: int, limit: int) -> list[Alert]:
    """A residue result above its MRL: one alert per test entry and lot."""
    rows = conn.execute(
        select(t.results.c.seq, t.results.c.lot, func.min(t.results.c.reason).label("reason"))
        .where(t.results.c.seq > since, t.results.c.outcome == "fail")
        .group_by(t.results.c.seq, t.results.c.lot)
        .order_by(t.results.c.seq.desc())
        .limit(limit)
    )
    out = []
    for r in rows:
        gtin, lot = lot_parts(r.lot)
        summary = f"failed residue test of lot {lot} (entry {r.seq}): {r.reason}"
        alert_id = f"residue_failed:{r.seq}:{r.lot}"
        out.append(Alert("residue_failed", alert_id, r.seq, gtin, lot, summary))
    return out


@alert_kind("recall")
def _recalls(conn: Connection, since: int, limit: int) -> list[Alert]:
    """A recall entry: one alert naming the lot recalled and how many lots it reached."""
    rows = conn.execute(
        select(
            t.lots.c.status_seq,
            func.min(t.lots.c.status_reason).label("reason"),
            func.count().label("lots"),
        )
        .where(t.lots.c.status == LotStatus.RECALLED.value, t.lots.c.status_seq > since)
        .group_by(t.lots.c.status_seq)
        .order_by(t.lots.c.status_seq.desc())
        .limit(limit)
    )
    out = []
    for r in rows:
        # "recall of (01)..(10).. (entry n): reason": the lot the recall named.
        named = str(r.reason).removeprefix("recall of ").split(" ", 1)[0]
        gtin, lot = lot_parts(named)
        summary = f"{r.reason} ({r.lots} lot{'s' if r.lots != 1 else ''} recalled)"
        out.append(Alert("recall", f"recall:{r.status_seq}", r.status_seq, gtin, lot, summary))
    return out


@alert_kind("complaint")
def _complaints(conn: Connection, since: int, limit: int) -> list[Alert]:
    """A complaint from a scan page (its category; the text is on the complaint's page)."""
    rows = conn.execute(
        select(t.complaints.c.seq, t.complaints.c.lot, t.complaints.c.category)
        .where(t.complaints.c.seq > since)
        .order_by(t.complaints.c.seq.desc())
        .limit(limit)
    )
    out = []
    for r in rows:
        gtin, lot = lot_parts(r.lot)
        summary = f"complaint about lot {lot} (entry {r.seq}): {r.category}"
        out.append(Alert("complaint", f"complaint:{r.seq}", r.seq, gtin, lot, summary))
    return out


@alert_kind("decision")
def _decisions(conn: Connection, since: int, limit: int) -> list[Alert]:
    """A regulator's decision on a complaint: action, rule, by whom."""
    rows = conn.execute(
        select(t.decisions)
        .where(t.decisions.c.seq > since)
        .order_by(t.decisions.c.seq.desc())
        .limit(limit)
    )
    out = []
    for r in rows:
        gtin, lot = lot_parts(r.lot)
        summary = (
            f"decision on complaint {r.complaint} about lot {lot} (entry {r.seq}): "
            f"{r.action} under {r.rule}, by {r.actor}"
        )
        out.append(Alert("decision", f"decision:{r.seq}", r.seq, gtin, lot, summary))
    return out


@alert_kind("suspicious_scan")
def _suspicious(conn: Connection, since: int, limit: int) -> list[Alert]:
    """A label scanned more often than one unit plausibly is (a copied label).

    Scans are counted, not logged, so ``since`` does not apply: the alert stands while the
    count is over :data:`SUSPICIOUS_SCANS`, with the same id, and is sent once.
    """
    if not inspect(conn).has_table(scans.name):
        return []  # no label scanned yet (the table is made by the first count)
    rows = conn.execute(
        select(scans)
        .where(scans.c.count > SUSPICIOUS_SCANS)
        .order_by(scans.c.since.desc())
        .limit(limit)
    )
    out = []
    for r in rows:
        count = int(r._mapping["count"])
        summary = f"label {r.gtin}/{r.serial} scanned {count} times since {r.since.isoformat()}"
        out.append(
            Alert(
                "suspicious_scan",
                f"suspicious_scan:{r.gtin}:{r.serial}",
                None,
                r.gtin,
                "",
                summary,
                time=r.since.isoformat(),
                serial=r.serial,
            )
        )
    return out
