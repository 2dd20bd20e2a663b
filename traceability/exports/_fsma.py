"""The FDA FSMA 204 electronic sortable spreadsheet (21 CFR 1.1455(c)(3)(ii)) as CSV.

One row per key-data-element set: per critical tracking event and traceability lot (and,
for a transformation, per input lot), carrying every KDE of 21 CFR 1.1325-1.1350 for that
event. Which KDE lands in which column is data (``traceability/data/fsma204-kdes.json``,
the regulation's item texts with this project's column for each); docs/fsma204.md is the
column map. FDA's template headings were not available, so the column names are ours.

Mapping: harvest -> harvesting (1.1325(a)); cooling -> cooling before initial packing
(1.1325(b)); grading -> initial packing (1.1330(a)), one row per graded lot; shipping
(1.1340), receiving (1.1345); processing -> transformation (1.1350), one row per input.
Traceability lot codes are assigned at initial packing and transformation (21 CFR 1.1320),
so harvesting and cooling rows have none. Location descriptions (1.1310: business name,
phone, address) come from master data on the ledger: ``trace.farm`` for farms,
``trace.site`` for sites. Where the ledger lacks a KDE, the row's ``missing_kdes`` cell
names the CFR item and what is missing, so the gap is visible rather than a blank.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable
from datetime import datetime
from functools import cache
from importlib.resources import files
from typing import Any

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
from traceability.events._intake import Intake
from traceability.events._model import Model
from traceability.exports._csv_safe import csv_text
from traceability.projection._apply import parse_event
from traceability.projection._export_reads import ExportSnapshot, LotRow

__all__ = ["COLUMNS", "fsma204_csv", "kde_map"]

COLUMNS = (
    "cte",
    "cfr_section",
    "event_date",
    "traceability_lot_code",
    "product_description",
    "quantity",
    "unit_of_measure",
    "commodity",
    "variety",
    "event_location",
    "immediate_previous_source",
    "immediate_subsequent_recipient",
    "farm_location",
    "field_or_growing_area",
    "harvester_business_name",
    "harvester_phone",
    "harvest_date",
    "cooling_location",
    "cooling_date",
    "date_received",
    "quantity_received",
    "unit_received",
    "tlc_source_location",
    "tlc_source_reference",
    "input_tlc",
    "input_product_description",
    "input_quantity",
    "input_unit",
    "reference_document_type",
    "reference_document_number",
    "missing_kdes",
)

_UNITS = {"KGM": "kg", "H87": "piece"}  # UN/CEFACT rec. 20 codes as a reader writes them

#: A place's description and what it lacks (1.1310 wants business name, phone, address).
_Place = tuple[str, list[str]]
#: An event that moved a lot into someone's custody: (seq, kind, site, date).
_Custody = tuple[int, str, str | None, str]


@cache
def kde_map() -> dict[str, Any]:
    """Return the CTE -> KDE -> column map (``traceability/data/fsma204-kdes.json``)."""
    text = (files("traceability") / "data" / "fsma204-kdes.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)["ctes"]
    return data


def _description(name: str, address: str, phone: str | None, gln: str | None) -> _Place:
    parts = [name, address] + ([f"tel. {phone}"] if phone else []) + ([f"GLN {gln}"] if gln else [])
    return ", ".join(parts), ([] if phone else ["phone"])


class _Sheet:
    def __init__(
        self,
        origin: str,
        reads: ExportSnapshot,
        lots: Collection[str] | None,
        read_entry: Callable[[int], Record],
    ) -> None:
        self.base = f"https://{origin.rstrip('/')}"
        self.reads = reads
        self.lots = lots
        self.read_entry = read_entry
        self.rows: list[dict[str, str]] = []
        self.gaps: list[dict[str, str]] = []  # per row: column -> what it lacks
        self.events_cache: dict[str, list[tuple[int, Model]]] = {}

    # --- master data ------------------------------------------------------------------

    def site(self, site: str | None) -> _Place:
        if site is None:
            return "", ["not recorded on the event"]
        row = self.reads.site(site)
        if row is None:
            return site, [f"business name, phone, address (no trace.site entry for {site})"]
        return _description(row.business_name, row.address, row.phone, row.gln)

    def farm(self, plot: str | None) -> dict[str, Any]:
        """The farm KDEs of a harvest plot, with the gaps of its location description."""
        farm = None if plot is None else self.reads.farm_of_plot(plot)
        if farm is None:
            return {}
        # The grower is the farm's business and its harvester: the domain records no
        # separate harvesting crew.
        where = _description(
            f"{farm.grower} (farm {farm.farm})", f"{farm.village}, {farm.county}", farm.phone, None
        )
        return {
            "farm_location": where,
            "field_or_growing_area": plot or "",
            "harvester_business_name": farm.grower,
            "harvester_phone": (farm.phone or "", [] if farm.phone else ["phone"]),
        }

    # --- custody: who had a lot next --------------------------------------------------

    def events(self, key: str) -> list[tuple[int, Model]]:
        """Every entry naming the lot, parsed, in ledger order (read once per export)."""
        if key not in self.events_cache:
            found = (self.read_entry(seq) for seq in self.reads.lot_entry_seqs(key))
            self.events_cache[key] = [
                (r.seq, parse_event(r.statement.kind, r.statement.body)) for r in found
            ]
        return self.events_cache[key]

    def custody(self, key: str) -> list[_Custody]:
        """Cooling and grading/processing entries that took the lot in, in ledger order."""
        found: list[_Custody] = []
        for seq, e in self.events(key):
            if isinstance(e, Cooling):
                found.append((seq, "cooling", e.site, e.time.date().isoformat()))
            elif isinstance(e, Grading) and lot_key(e.input.gtin, e.input.lot) == key:
                found.append((seq, "packing", e.site, e.time.date().isoformat()))
            elif isinstance(e, Processing) and key in {lot_key(i.gtin, i.lot) for i in e.inputs}:
                found.append((seq, "transformation", e.site, e.time.date().isoformat()))
        return found

    def next_recipient(self, key: str, after: int, site: str | None = None) -> _Place:
        """The immediate subsequent recipient: the next place (other than ``site``) to take it."""
        for seq, _kind, where, _date in self.custody(key):
            if seq > after and where != site:
                return self.site(where)
        for seq, kind, where, _date in self.custody(key):
            if seq > after and kind != "cooling":
                return self.site(where)  # packed where it was cooled
        return "", ["no later cooling or packing recorded yet"]

    def harvest_kdes(self, key: str) -> dict[str, Any]:
        """Farm, field, harvester, harvest and cooling KDEs of a lot, from its harvest."""
        for k in self.reads.ancestors(key):
            row = self.reads.lot(k)
            if row is None or row.plot is None:
                continue
            kdes = self.farm(row.plot) | {"harvest_date": (row.harvest_time or "")[:10]}
            cooled = [c for c in self.custody(k) if c[1] == "cooling"]
            if cooled:
                kdes["cooling_location"] = self.site(cooled[-1][2])
                kdes["cooling_date"] = cooled[-1][3]
            return kdes
        return {}

    # --- rows -------------------------------------------------------------------------

    def add(
        self, cte: str, entry: Record, when: datetime, ref: LotRef, *, tlc: bool, **kdes: Any
    ) -> None:
        key = lot_key(ref.gtin, ref.lot)
        if self.lots is not None and key not in self.lots:
            return  # a sibling's row of an event the lot shares (grading, a shipment)
        row = self.reads.lot(key)
        base: dict[str, Any] = {
            "cte": cte,
            "cfr_section": kde_map()[cte]["cite"],
            "event_date": when.date().isoformat(),
            "reference_document_type": "agritrace ledger entry",
            "reference_document_number": f"{self.base}/entry/{entry.seq}",
        }
        if row is not None:
            base |= {
                "commodity": row.commodity,
                "quantity": row.quantity,
                "unit_of_measure": _UNITS.get(row.unit, row.unit),
            }
            if tlc:  # 21 CFR 1.1320: a code exists from initial packing or transformation on
                source, reference = self.tlc_source(key)
                base |= {
                    "traceability_lot_code": key,
                    "product_description": _product(row),
                    "tlc_source_location": source,
                    "tlc_source_reference": reference,
                }
        cells, gaps = {}, {}
        for column, value in (base | self.harvest_kdes(key) | kdes).items():
            text, lacks = value if isinstance(value, tuple) else (value, [])
            cells[column] = text
            if lacks:
                gaps[column] = "; ".join(lacks)
        self.rows.append(dict.fromkeys(COLUMNS, "") | cells)
        self.gaps.append(gaps)

    def tlc_source(self, key: str) -> tuple[_Place, str]:
        """Where the lot's code was assigned, and that site's GLN as a reference if any.

        The source is the grading or processing site that made the lot; the GLN, as a GS1
        Digital Link URI, is the "traceability lot code source reference" of 1.1310.
        """
        for _seq, e in self.events(key):
            made = (
                {lot_key(o.lot.gtin, o.lot.lot) for o in e.outputs}
                if isinstance(e, Grading)
                else {lot_key(e.output.gtin, e.output.lot)}
                if isinstance(e, Processing)
                else set()
            )
            if key in made and isinstance(e, Grading | Processing):
                site = e.site
                row = None if site is None else self.reads.site(site)
                gln = "" if row is None or row.gln is None else row.gln
                return self.site(site), gln and f"https://id.gs1.org/414/{gln}"
        return ("", ["not initially packed or transformed on this ledger"]), ""

    def add_rows(self, entry: Record) -> None:
        """Add the rows of one ledger entry (none for an entry that is not a CTE)."""
        e = parse_event(entry.statement.kind, entry.statement.body)
        if isinstance(e, Harvest):
            key = lot_key(e.lot.gtin, e.lot.lot)
            farm = self.farm(e.plot)
            self.add(
                "harvesting",
                entry,
                e.time,
                e.lot,
                tlc=False,
                variety=e.variety,
                event_location=farm.get("farm_location", ""),
                immediate_subsequent_recipient=self.next_recipient(key, entry.seq),
            )
        elif isinstance(e, Cooling):
            key = lot_key(e.lot.gtin, e.lot.lot)
            self.add(
                "cooling",
                entry,
                e.time,
                e.lot,
                tlc=False,
                variety=self.variety(key),
                event_location=self.site(e.site),
                cooling_location=self.site(e.site),
                cooling_date=e.time.date().isoformat(),
                immediate_subsequent_recipient=self.next_recipient(key, entry.seq, e.site),
            )
        elif isinstance(e, Grading):
            self.initial_packing(entry, e)
        elif isinstance(e, Processing):
            for i in e.inputs:
                used = self.reads.lot(lot_key(i.gtin, i.lot))
                self.add(
                    "transformation",
                    entry,
                    e.time,
                    e.output,
                    tlc=True,
                    event_location=self.site(e.site),
                    input_tlc=lot_key(i.gtin, i.lot),
                    # The domain records whole lots going into a process, not part-lots.
                    input_product_description="" if used is None else _product(used),
                    input_quantity="" if used is None else used.quantity,
                    input_unit="" if used is None else _UNITS.get(used.unit, used.unit),
                )
        elif isinstance(e, Shipping):
            for ref in e.lots:
                self.add(
                    "shipping",
                    entry,
                    e.time,
                    ref,
                    tlc=True,
                    event_location=self.site(e.origin),
                    immediate_subsequent_recipient=self.site(e.destination),
                )
        elif isinstance(e, Receiving) and not e.more_readings:
            ship = self.reads.shipment(e.shipment)
            for gtin, lot in self.reads.shipment_lots(e.shipment):
                self.add(
                    "receiving",
                    entry,
                    e.time,
                    LotRef(gtin=gtin, lot=lot),
                    tlc=True,
                    event_location=self.site(e.receiver),
                    immediate_previous_source=self.site(None if ship is None else ship.origin),
                )

        elif isinstance(e, Intake):
            # The receiving CTE of a lot shipped from another member's log: the previous
            # source is that log's shipping site, named here by the log and its shipment.
            self.add(
                "receiving",
                entry,
                e.time,
                e.lot,
                tlc=True,
                event_location=self.site(e.site),
                immediate_previous_source=(
                    f"{e.source_log}, shipment {e.source_shipment} (entry {e.source_seq})",
                    [],
                ),
            )

    def initial_packing(self, entry: Record, e: Grading) -> None:
        source = lot_key(e.input.gtin, e.input.lot)
        received = self.reads.lot(source)
        # Received at the packing site: the first entry there that took the lot in (its
        # cooling at the shed, else this grading).
        dates = [c[3] for c in self.custody(source) if c[2] == e.site and c[0] <= entry.seq]
        for out in e.outputs:
            self.add(
                "initial_packing",
                entry,
                e.time,
                out.lot,
                tlc=True,
                variety=self.variety(source),
                event_location=self.site(e.site),
                date_received=dates[0] if dates else e.time.date().isoformat(),
                quantity_received="" if received is None else received.quantity,
                unit_received="" if received is None else _UNITS.get(received.unit, received.unit),
            )

    def variety(self, key: str) -> str:
        """The variety named on the lot's harvest entry (the projection does not keep it)."""
        for _seq, e in self.events(key):
            if isinstance(e, Harvest):
                return e.variety
        return ""

    def missing(self, row: dict[str, str], gaps: dict[str, str]) -> str:
        """The ``missing_kdes`` cell: each required KDE the row lacks, by CFR item."""
        spec = kde_map()[row["cte"]]
        notes = []
        for kde in spec["kdes"]:
            optional = set(kde.get("optional_columns", ()))
            for column in kde["columns"]:
                if column in gaps:
                    notes.append(f"{spec['cite']}{kde['item']} {column}: {gaps[column]}")
                elif not row[column] and column not in optional:
                    notes.append(f"{spec['cite']}{kde['item']} {column}: not on the ledger")
        return " | ".join(notes)


def _product(row: LotRow) -> str:
    return row.product_name + (f", {row.grade}" if row.grade else "")


def fsma204_csv(
    entries: Iterable[Record],
    origin: str,
    reads: ExportSnapshot,
    read_entry: Callable[[int], Record],
    lots: Collection[str] | None = None,
) -> str:
    """Return the sortable spreadsheet for the event entries among ``entries``, as CSV.

    ``read_entry`` reads any ledger entry by seq: an immediate subsequent recipient or a lot
    code's source may be named by an entry outside ``entries`` (a date-range export).
    Rows are sorted by event date, then traceability lot code, then ledger order. With
    ``lots`` (a lot's chain, from :meth:`ExportSnapshot.chain`), only rows
    of those lots are kept: an event naming several lots has one row per lot. The text
    starts with a UTF-8 BOM and no cell can run as a spreadsheet formula.
    """
    sheet = _Sheet(origin, reads, lots, read_entry)
    for entry in entries:
        if entry.statement.kind.startswith("trace."):
            sheet.add_rows(entry)
    for row, gaps in zip(sheet.rows, sheet.gaps, strict=True):
        row["missing_kdes"] = sheet.missing(row, gaps)
    order = {id(row): i for i, row in enumerate(sheet.rows)}
    rows = sorted(
        sheet.rows,
        key=lambda r: (r["event_date"], r["traceability_lot_code"], order[id(r)]),
    )
    return csv_text(COLUMNS, rows)
