"""The FDA FSMA 204 electronic sortable spreadsheet (21 CFR 1.1455(c)(3)(ii)) as CSV.

One row per critical tracking event and traceability lot, carrying the key data elements of
21 CFR 1.1325-1.1350 that the ledger holds. FDA's own template was not available to the
project (see shared/standards/fsma204), so the column names are ours, one per KDE, with the
CFR section in every row. The traceability lot code (TLC) is the lot's GS1 element string.

Mapping: harvest -> harvesting (1.1325(a)); cooling -> cooling before initial packing
(1.1325(b)); grading -> initial packing (1.1330(a), one row per graded lot); shipping
(1.1340), receiving (1.1345), processing -> transformation (1.1350).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from ledger import Record
from traceability.events._events import (
    Cooling,
    Grading,
    Harvest,
    LotRef,
    Processing,
    Receiving,
    Shipping,
)
from traceability.events._ids import lot_key
from traceability.projection import _schema as t
from traceability.projection._apply import parse_event
from traceability.projection._lineage import ancestors

__all__ = ["COLUMNS", "fsma204_csv"]

COLUMNS = (
    "cte",
    "cfr_section",
    "event_date",
    "traceability_lot_code",
    "product_description",
    "commodity",
    "variety",
    "quantity",
    "unit_of_measure",
    "location",
    "immediate_previous_source",
    "immediate_subsequent_recipient",
    "farm_location",
    "field_or_growing_area",
    "harvest_date",
    "cooling_location",
    "cooling_date",
    "tlc_source",
    "input_lots",
    "reference_document_type",
    "reference_document_number",
)

_UNITS = {"KGM": "kg", "H87": "piece"}


class _Sheet:
    def __init__(self, origin: str, conn: Connection, lots: Collection[str] | None) -> None:
        self.base = f"https://{origin.rstrip('/')}"
        self.conn = conn
        self.lots = lots
        self.rows: list[dict[str, str]] = []
        self.variety: dict[str, str] = {}
        self.cooling: dict[str, tuple[str, str]] = {}
        self.source: dict[str, str] = {}

    def lot(self, key: str) -> Any:
        query = (
            select(t.lots, t.products.c.name)
            .join(t.products, t.products.c.gtin == t.lots.c.gtin)
            .where(t.lots.c.key == key)
        )
        return self.conn.execute(query).first()

    def farm(self, plot: str | None) -> str:
        if plot is None:
            return ""
        row = self.conn.execute(
            select(t.farms)
            .join(t.plots, t.plots.c.farm == t.farms.c.farm)
            .where(t.plots.c.plot == plot)
        ).first()
        if row is None:
            return ""
        return f"{row.farm} ({row.grower}), {row.village}, {row.county}"

    def origin_of(self, key: str) -> dict[str, str]:
        """Farm, field, harvest and cooling KDEs of a lot, from its harvest ancestors."""
        for k in ancestors(self.conn, key):
            row = self.lot(k)
            if row is not None and row.plot is not None:
                site, date = self.cooling.get(k, ("", ""))
                return {
                    "farm_location": self.farm(row.plot),
                    "field_or_growing_area": row.plot,
                    "harvest_date": str(row.harvest_time)[:10],
                    "variety": self.variety.get(k, ""),
                    "cooling_location": site,
                    "cooling_date": date,
                }
        return {}

    def add(
        self, cte: str, section: str, record: Record, when: datetime, ref: LotRef, **kdes: str
    ) -> None:
        key = lot_key(ref.gtin, ref.lot)
        if self.lots is not None and key not in self.lots:
            return  # a sibling's row of an event the lot shares (grading, a shipment)
        row = self.lot(key)
        description = "" if row is None else row.name + (f", {row.grade}" if row.grade else "")
        base = {
            "cte": cte,
            "cfr_section": section,
            "event_date": when.date().isoformat(),
            "traceability_lot_code": key,
            "product_description": description,
            "commodity": "" if row is None else row.commodity,
            "quantity": "" if row is None else row.quantity,
            "unit_of_measure": "" if row is None else _UNITS.get(row.unit, row.unit),
            "tlc_source": self.source.get(key, ""),
            "reference_document_type": "agritrace ledger entry",
            "reference_document_number": f"{self.base}/entry/{record.seq}",
        }
        self.rows.append(dict.fromkeys(COLUMNS, "") | base | self.origin_of(key) | kdes)

    def site(self, local: str | None) -> str:
        return "" if local is None else f"{self.base}/site/{local}"

    def record(self, record: Record) -> None:
        e = parse_event(record.statement.kind, record.statement.body)
        if isinstance(e, Harvest):
            key = lot_key(e.lot.gtin, e.lot.lot)
            self.variety[key] = e.variety
            self.source[key] = self.farm(e.plot)
            self.add("harvesting", "1.1325(a)", record, e.time, e.lot, location=self.farm(e.plot))
        elif isinstance(e, Cooling):
            key = lot_key(e.lot.gtin, e.lot.lot)
            self.cooling[key] = (self.site(e.site), e.time.date().isoformat())
            self.add("cooling", "1.1325(b)", record, e.time, e.lot, location=self.site(e.site))
        elif isinstance(e, Grading):
            for out in e.outputs:
                self.source[lot_key(out.lot.gtin, out.lot.lot)] = self.site(e.site)
                self.add(
                    "initial_packing",
                    "1.1330(a)",
                    record,
                    e.time,
                    out.lot,
                    location=self.site(e.site),
                    input_lots=lot_key(e.input.gtin, e.input.lot),
                )
        elif isinstance(e, Processing):
            self.source[lot_key(e.output.gtin, e.output.lot)] = self.site(e.site)
            self.add(
                "transformation",
                "1.1350(a)",
                record,
                e.time,
                e.output,
                location=self.site(e.site),
                input_lots=";".join(lot_key(i.gtin, i.lot) for i in e.inputs),
            )
        elif isinstance(e, Shipping):
            for ref in e.lots:
                self.add(
                    "shipping",
                    "1.1340(a)",
                    record,
                    e.time,
                    ref,
                    location=self.site(e.origin),
                    immediate_subsequent_recipient=self.site(e.destination),
                )
        elif isinstance(e, Receiving):
            ship = self.conn.execute(
                select(t.shipments).where(t.shipments.c.shipment == e.shipment)
            ).one()
            lots = self.conn.execute(
                select(t.lots.c.gtin, t.lots.c.lot)
                .join(t.shipment_lots, t.shipment_lots.c.lot == t.lots.c.key)
                .where(t.shipment_lots.c.shipment == e.shipment)
            ).all()
            for lot in lots:
                self.add(
                    "receiving",
                    "1.1345(a)",
                    record,
                    e.time,
                    LotRef(gtin=lot.gtin, lot=lot.lot),
                    location=self.site(e.receiver),
                    immediate_previous_source=self.site(ship.origin),
                )


def fsma204_csv(
    records: Iterable[Record],
    origin: str,
    conn: Connection,
    lots: Collection[str] | None = None,
) -> str:
    """Return the sortable spreadsheet for the event entries among ``records``, as CSV.

    Rows are sorted by event date, then traceability lot code, then ledger order. With
    ``lots`` (a lot's chain, from :func:`~traceability.exports._epcis.lot_chain`), only rows of
    those lots are kept: an event naming several lots has one row per lot.
    """
    sheet = _Sheet(origin, conn, lots)
    for record in records:
        if record.statement.kind.startswith("trace."):
            sheet.record(record)
    order = {id(row): i for i, row in enumerate(sheet.rows)}
    rows = sorted(
        sheet.rows,
        key=lambda r: (r["event_date"], r["traceability_lot_code"], order[id(r)]),
    )
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
