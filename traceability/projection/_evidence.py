"""Which ledger entries a scan's facts rest on: the lot's own history and what judged it.

A consumer's browser re-derives each fact the page shows from signed statement bodies
(``traceability/_facts.py``), so the page must hand it every entry the derivation
reads: each entry naming the lot or a lot it was made from, and the master data and rule
entries those were judged by (product, farm, pesticide inputs on the origin plots,
commodity profile, MRL tables, the cooperative). Entries the projection forgets to name make
the derivation fail or disagree, so the list is checked by the check it feeds.
"""

from __future__ import annotations

from sqlalchemy import select

from ledger import Ledger
from traceability.events._ids import lot_key
from traceability.projection import _schema as t
from traceability.projection._lineage import ancestors, trace_back

__all__ = ["lot_evidence"]


def lot_evidence(ledger: Ledger, gtin: str, lot: str) -> tuple[int, ...] | None:
    """Return the sorted ledger positions a scan of the lot needs, or None for no such lot.

    Args:
        ledger: The open ledger whose database holds the ``trace_*`` projection.
        gtin: GTIN-14.
        lot: Lot code (AI 10).
    """
    key = lot_key(gtin, lot)
    with ledger.engine.connect() as conn:
        if conn.execute(select(t.lots.c.key).where(t.lots.c.key == key)).first() is None:
            return None
        keys = ancestors(conn, key)
        seqs = set(
            conn.execute(select(t.event_lots.c.seq).where(t.event_lots.c.lot.in_(keys))).scalars()
        )
        rows = conn.execute(select(t.lots.c.gtin, t.lots.c.commodity).where(t.lots.c.key.in_(keys)))
        gtins, commodities = set(), set()
        for row in rows:
            gtins.add(row.gtin)
            commodities.add(row.commodity)
        seqs |= set(
            conn.execute(select(t.products.c.seq).where(t.products.c.gtin.in_(gtins))).scalars()
        )
        back = trace_back(conn, [key])
        # Only an input recorded before a harvest can hold it (a pesticide's pre-harvest
        # interval) or belong to its story (the page lists fertiliser and pesticide both).
        harvested = conn.execute(
            select(t.lots.c.created_seq).where(t.lots.c.key.in_([o.lot for o in back.origins]))
        ).scalars()
        last = max(harvested, default=-1)
        seqs |= set(
            conn.execute(
                select(t.inputs.c.seq).where(
                    t.inputs.c.seq.in_(back.inputs),
                    t.inputs.c.seq < last,
                )
            ).scalars()
        )
        farms = {o.farm for o in back.origins}
        seqs |= set(conn.execute(select(t.farms.c.seq).where(t.farms.c.farm.in_(farms))).scalars())
        # Every edition of the profile and MRL tables: the verdict at each entry used the
        # latest one before it, which the derivation picks by position.
        seqs |= set(
            conn.execute(
                select(t.rules.c.seq).where(
                    (t.rules.c.commodity.in_(commodities)) | (t.rules.c.kind == "trace.mrl")
                )
            ).scalars()
        )
        seqs |= set(conn.execute(select(t.cooperative.c.seq)).scalars())
    return tuple(sorted(seqs))
