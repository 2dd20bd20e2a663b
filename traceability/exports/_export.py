"""The exports' entry points: a selection in, an EPCIS document or an FSMA 204 sheet out.

Both read the ledger's entries (the signed originals) and the projection's rows through one
:class:`~traceability.projection._export_reads.ExportSnapshot`, after catching the
projection up with the ledger. They write nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ledger import Ledger, Record
from traceability.exports._epcis import build_document
from traceability.exports._fsma import fsma204_csv
from traceability.exports._selection import ExportSelection
from traceability.projection._export_reads import ExportSnapshot
from traceability.projection._read import Projection

__all__ = ["export_epcis", "export_fsma204"]

_ALL = ExportSelection()


def _entries(ledger: Ledger, reads: ExportSnapshot, selection: ExportSelection) -> list[Record]:
    if selection.key is not None:
        seqs = reads.entries_of_lots(reads.chain(selection.key))
        return [ledger.entry(s) for s in seqs]
    if selection.is_all:
        return list(ledger.entries())
    return [r for r in ledger.entries() if _in_range(r, selection)]


def _in_range(record: Record, selection: ExportSelection) -> bool:
    when = record.statement.body.get("time")
    # Master data and rule tables carry no event time: a range holds events only.
    return isinstance(when, str) and selection.within(datetime.fromisoformat(when))


def export_epcis(
    projection: Projection,
    ledger: Ledger,
    selection: ExportSelection = _ALL,
    *,
    created: datetime | None = None,
) -> dict[str, Any]:
    """Return an EPCIS 2.0 JSON-LD document of the events ``selection`` names.

    Args:
        projection: the ledger's projection (caught up here first).
        ledger: the ledger whose entries are exported.
        selection: a lot's chain, a time range, or everything (the default).
        created: the document's ``creationDate`` (default: now).
    """
    projection.catch_up()
    with projection.export_snapshot() as reads:
        entries = _entries(ledger, reads, selection)
        return build_document(entries, ledger.origin, reads, created)


def export_fsma204(
    projection: Projection, ledger: Ledger, selection: ExportSelection = _ALL
) -> str:
    """Return the FDA FSMA 204 sortable spreadsheet (CSV) of the events ``selection`` names.

    For a lot's chain only the rows of the chain's lots are kept (no sibling's rows, though
    an entry such as the grading names the sibling too). Arguments as for
    :func:`export_epcis`.
    """
    projection.catch_up()
    with projection.export_snapshot() as reads:
        entries = _entries(ledger, reads, selection)
        chain = None if selection.key is None else reads.chain(selection.key)
        return fsma204_csv(entries, ledger.origin, reads, ledger.entry, chain)
