"""``agritrace report 2026-Q4 [--upto N]``: a quarter's evaluation, recomputed from the ledger.

The published report (``/reports/2026-Q4``) names the checkpoint size it was computed at;
this command computes the same figures from a copy of the ledger at that position, so a
reader can check them without trusting the server.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from decimal import Decimal
from typing import Annotated, Any

import typer

from traceability.cli._common import Db, errors, open_projection, out

__all__ = ["report"]

Quarter = Annotated[str, typer.Argument(help="The quarter, YYYY-Qn (e.g. 2026-Q4).")]
Upto = Annotated[
    int | None,
    typer.Option(
        "--upto",
        help="Count only entries before this position: the checkpoint size the report names "
        "(default: every entry).",
    ),
]


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def report(
    quarter: Quarter,
    upto: Upto = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    db: Db = None,
) -> None:
    """Print a quarter's evaluation: volumes, pass rate, holds, recalls, cold-chain loss."""
    with errors(), open_projection(db) as projection:
        projection.catch_up()
        e = projection.quarterly(quarter, upto=upto)
    if as_json:
        figures = _plain(dataclasses.asdict(e))
        figures |= {
            "tests": e.tests,
            "passed": e.passed,
            "pass_rate": e.pass_rate,
            "harvested_kg": format(e.harvested_kg, "f"),
            "shipped_kg": format(e.shipped_kg, "f"),
            "loss_rate": e.loss_rate,
            "loss_within_target": e.loss_within_target,
        }
        sys.stdout.write(json.dumps(figures, ensure_ascii=False, indent=2) + "\n")
        return
    rate = "-" if e.pass_rate is None else f"{e.pass_rate * 100:.1f}%"
    loss = "-" if e.loss_rate is None else f"{e.loss_rate * 100:.1f}%"
    lines = [
        f"quarter {e.quarter.name}, entries before {e.upto}",
        f"harvested {e.harvested_kg} kg, shipped {e.shipped_kg} kg",
        f"residue tests {e.tests}, passed {e.passed} ({rate})",
        "holds placed "
        + (", ".join(f"{h.rule} {h.lots}" for h in e.holds_placed) or "none")
        + f"; lifted {e.holds_lifted}; still held {e.still_held}; recalled lots {e.recalled}",
        f"weighed shipments {len(e.shipments)}, loss {loss} (target 10%)",
    ]
    lines += [
        f"  {s.shipment} {s.origin} -> {s.destination}: {s.shipped_kg} kg left, "
        f"{s.received_kg} kg arrived"
        for s in e.shipments
    ]
    for line in lines:
        out.print(line, highlight=False, markup=False)
