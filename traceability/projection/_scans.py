"""Scans per label serial, and the serials a lot's packing entries issued.

A printed serial (GS1 AI 21) is issued on the ledger: it is one of the ``units`` of a
``trace.packing`` entry naming the lot. A scan of a serial nobody issued is a counterfeit
signal. Each scan of an issued serial is counted (count and first scan date only: no IP, no
device, nothing personal) in ``trace_scans``; a count far above what one unit of produce
sees marks the serial as suspicious (a copied label). The table is observed, not derived
from the log, so it lives in its own metadata and a reindex does not touch it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    inspect,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from ledger import Ledger, begin_write
from traceability.events._events import LabelRun
from traceability.events._ids import lot_key
from traceability.projection import _schema as t
from traceability.projection._ddl import ensure_tables

_log = logging.getLogger("traceability")

__all__ = ["SUSPICIOUS_SCANS", "ScanCount", "count_scan", "issued_serials", "suspicious_serials"]

#: Scans of one unit's label beyond which it is suspicious: a punnet is scanned by a few
#: people (packer, shop, buyer, family); hundreds mean the label was copied.
SUSPICIOUS_SCANS = 50

_metadata = MetaData()
scans = Table(
    "trace_scans",
    _metadata,
    Column("gtin", String(14), primary_key=True),
    Column("serial", String(20), primary_key=True),
    Column("count", Integer, nullable=False),
    Column("since", DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True)
class ScanCount:
    """How often a serial's label has been scanned, since when, and whether that is unusual."""

    count: int
    since: datetime

    @property
    def suspicious(self) -> bool:
        """More scans than one unit of produce plausibly sees (:data:`SUSPICIOUS_SCANS`)."""
        return self.count > SUSPICIOUS_SCANS


def issued_serials(ledger: Ledger, gtin: str, lot: str) -> frozenset[str] | None:
    """Serials issued for the lot: packing ``units`` naming it, and its label runs' ``serials``.

    Reads the projection's index of the lot's entries, then the entries themselves. None
    when the database holds no traceability projection (nothing can say what was issued).
    """
    key = lot_key(gtin, lot)
    with ledger.engine.connect() as conn:
        if not inspect(conn).has_table(t.packed.name):
            return None
        seqs = conn.execute(select(t.packed.c.seq).where(t.packed.c.lot == key)).scalars().all()
        # Label runs that printed serialised labels (trace.labels ``serials``).
        runs = (
            conn.execute(
                select(t.issued.c.seq).where(t.issued.c.lot == key, t.issued.c.kind == "labels")
            )
            .scalars()
            .all()
        )
    serials = set()
    for seq in seqs:
        for unit in ledger.entry(seq).statement.body.get("units", []):
            if unit["gtin"] == gtin and unit["lot"] == lot:
                serials.add(str(unit["serial"]))
    for seq in runs:
        statement = ledger.entry(seq).statement
        named = statement.body.get("lot") or {}
        # The row names the lot, but anyone with the database can edit a row: the signed run
        # itself must name this lot, or another lot's serials would pass as this one's.
        if statement.kind != LabelRun.KIND or named.get("gtin") != gtin or named.get("lot") != lot:
            continue
        serials.update(str(s) for s in statement.body.get("serials", []))
    return frozenset(serials)


def _ensure(engine: Engine) -> None:
    ensure_tables(engine, _metadata)


def count_scan(engine: Engine, gtin: str, serial: str, now: datetime) -> ScanCount | None:
    """Count one scan of an issued serial and return its count so far (this one included).

    Returns None, having counted nothing, when the database is too busy to take the count
    (locked past its busy timeout by a long write elsewhere): the count is a signal for the
    regulator, not the shopper's answer, which must not fail for it.
    """
    try:
        return _count(engine, gtin, serial, now)
    except OperationalError as e:
        _log.warning("scan of %s/%s not counted: %s", gtin, serial, e.orig)
        return None


def _count(engine: Engine, gtin: str, serial: str, now: datetime) -> ScanCount:
    _ensure(engine)
    # Written from its first statement: see ledger.begin_write.
    with begin_write(engine) as conn:
        where = (scans.c.gtin == gtin) & (scans.c.serial == serial)
        # One statement, so concurrent scans of one label are all counted.
        done = conn.execute(update(scans).where(where).values(count=scans.c.count + 1))
        if done.rowcount == 0:
            try:
                with conn.begin_nested():
                    conn.execute(
                        scans.insert().values(gtin=gtin, serial=serial, count=1, since=now)
                    )
            except IntegrityError:
                # A concurrent first scan inserted it: count this one on top.
                conn.execute(update(scans).where(where).values(count=scans.c.count + 1))
        row = conn.execute(select(scans.c.count, scans.c.since).where(where)).one()
    # row.count would be the tuple's own count method: read the column by name.
    return ScanCount(int(row._mapping["count"]), row.since)


def suspicious_serials(engine: Engine) -> list[tuple[str, str, ScanCount]]:
    """Every serial scanned more than :data:`SUSPICIOUS_SCANS` times: (gtin, serial, count)."""
    _ensure(engine)
    with engine.connect() as conn:
        rows = conn.execute(
            select(scans).where(scans.c.count > SUSPICIOUS_SCANS).order_by(scans.c.count.desc())
        ).all()
    return [(r.gtin, r.serial, ScanCount(int(r._mapping["count"]), r.since)) for r in rows]
