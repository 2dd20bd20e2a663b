"""``agritrace trace …``, ``agritrace lot show`` and ``agritrace export …``: answers, no writes."""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.tree import Tree

from traceability.cli._common import (
    Db,
    Gtin,
    errors,
    open_projection,
    open_reading,
    out,
    resolve_lot,
)
from traceability.exports._export import export_epcis, export_fsma204
from traceability.exports._selection import ExportSelection, SelectionFields, parse_selection
from traceability.projection._lookup import result_line
from traceability.projection._read import Projection

__all__ = ["export_app", "lot_app", "trace_app"]

trace_app = typer.Typer(
    help="Trace a lot back to farms and growers, or forward to lots and shipments.",
    no_args_is_help=True,
)
lot_app = typer.Typer(help="Look at one lot.", no_args_is_help=True)
export_app = typer.Typer(
    help="Export events for regulators and partners: EPCIS 2.0 JSON-LD or FSMA 204 CSV.",
    no_args_is_help=True,
)

Lot = Annotated[str, typer.Argument(help="The lot code (AI 10).")]
Json = Annotated[bool, typer.Option("--json", help="Print JSON instead of a tree.")]


def _print_json(value: Any) -> None:
    # Plain stdout, not rich: the output is for programs and must not wrap or colour.
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2) + "\n")


def _lots_tree(lots: Sequence[str], title: str) -> Tree:
    """A tree headed by the traced lot, with every lot the trace reached as a branch."""
    tree = Tree(f"[bold]{escape(lots[0])}[/bold] {title}")
    branch = tree.add(f"lots ({len(lots)})")
    for key in lots:
        branch.add(escape(key))
    return tree


@trace_app.command()
def back(lot: Lot, gtin: Gtin = None, as_json: Json = False, db: Db = None) -> None:
    """Trace a lot back to its harvest lots, plots, farms, growers and farm inputs."""
    with errors(), open_projection(db) as projection:
        trace = projection.trace_back(*resolve_lot(projection, lot, gtin))
    if as_json:
        _print_json(dataclasses.asdict(trace))
        return
    tree = _lots_tree(trace.lots, "back to its origins")
    origins = tree.add(f"origins ({len(trace.origins)})")
    for o in trace.origins:
        branch = origins.add(f"{escape(o.lot)} harvested {escape(o.harvest_time)}")
        branch.add(f"plot {escape(o.plot)}, farm {escape(o.farm)}")
        branch.add(f"grower {escape(o.grower)}, {escape(o.village)}, {escape(o.county)}")
    if trace.inputs:
        tree.add("farm inputs at entries " + ", ".join(str(s) for s in trace.inputs))
    out.print(tree, highlight=False)


@trace_app.command()
def forward(lot: Lot, gtin: Gtin = None, as_json: Json = False, db: Db = None) -> None:
    """Trace a lot forward to every lot made from it and every shipment carrying one."""
    with errors(), open_projection(db) as projection:
        trace = projection.trace_forward(*resolve_lot(projection, lot, gtin))
    if as_json:
        _print_json(dataclasses.asdict(trace))
        return
    tree = _lots_tree(trace.lots, "forward to where it went")
    shipments = tree.add(f"shipments ({len(trace.shipments)})")
    for s in trace.shipments:
        receiver = f", received by {s.receiver}" if s.receiver else ""
        branch = shipments.add(
            f"{escape(s.shipment)} to {escape(s.destination)}{escape(receiver)} ({s.status})"
        )
        for key in s.lots:
            branch.add(escape(key))
    out.print(tree, highlight=False)


@lot_app.command()
def show(lot: Lot, gtin: Gtin = None, as_json: Json = False, db: Db = None) -> None:
    """Show a lot's status, why it is held, and its residue results with verdicts and rules."""
    with errors(), open_projection(db) as projection:
        found_gtin, code = resolve_lot(projection, lot, gtin)
        state = projection.lot(found_gtin, code)
        results = projection.results(found_gtin, code)
    if as_json:
        _print_json(
            dataclasses.asdict(state) | {"results": [dataclasses.asdict(r) for r in results]}
        )
        return
    colour = {"released": "green", "on_hold": "red", "recalled": "red"}.get(state.status, "white")
    out.print(f"[bold]{escape(state.key)}[/bold] {escape(state.commodity)}", highlight=False)
    out.print(
        f"status  [{colour}]{state.status.value}[/{colour}] since entry {state.status_seq}",
        highlight=False,
    )
    if state.status_reason:
        out.print(f"reason  {escape(state.status_reason)}", highlight=False)
    if state.failed:
        out.print("[red]failed a residue test (here or upstream)[/red]", highlight=False)
    if not results:
        out.print("results none recorded", highlight=False)
    for r in results:
        shown = result_line(r.value, r.loq, r.limit)
        out.print(
            f"result  {escape(r.substance)} {escape(shown)}: "
            f"{r.outcome} — {escape(r.reason)} (rule: {escape(r.edition)}, "
            f"entry {r.rule_seq}; sample {escape(r.sample_id)}, entry {r.seq})",
            highlight=False,
        )


#: The export options as the command line names them, for the selection's refusals.
_FIELDS = SelectionFields(gtin="--gtin", lot="--lot", start="--from", end="--to")


def _selection(
    projection: Projection, lot: str | None, gtin: str | None, start: str | None, end: str | None
) -> ExportSelection:
    return parse_selection(projection, gtin=gtin, lot=lot, start=start, end=end, fields=_FIELDS)


ExportLot = Annotated[
    str | None, typer.Option("--lot", help="Export this lot's chain (what it came from/made).")
]
From = Annotated[str | None, typer.Option("--from", help="Events at or after this date or time.")]
To = Annotated[str | None, typer.Option("--to", help="Events before this date or time.")]
Out = Annotated[Path | None, typer.Option("--out", help="Write to this file [default: stdout].")]


def _write(text: str, target: Path | None) -> None:
    if target is None:
        sys.stdout.write(text)
        return
    target.write_text(text, encoding="utf-8")
    out.print(f"wrote {escape(str(target))}", highlight=False)


@export_app.command()
def epcis(
    lot: ExportLot = None,
    gtin: Gtin = None,
    start: From = None,
    end: To = None,
    target: Out = None,
    db: Db = None,
) -> None:
    """Export an EPCIS 2.0 JSON-LD document for a lot's chain or a time range."""
    with errors(), open_reading(db) as (ledger, projection):
        selection = _selection(projection, lot, gtin, start, end)
        document = export_epcis(projection, ledger, selection)
        _write(json.dumps(document, ensure_ascii=False, indent=2) + "\n", target)


@export_app.command()
def fsma204(
    lot: ExportLot = None,
    gtin: Gtin = None,
    start: From = None,
    end: To = None,
    target: Out = None,
    db: Db = None,
) -> None:
    """Export the FDA FSMA 204 sortable spreadsheet (CSV) for a lot's chain or a time range."""
    with errors(), open_reading(db) as (ledger, projection):
        selection = _selection(projection, lot, gtin, start, end)
        _write(export_fsma204(projection, ledger, selection), target)
