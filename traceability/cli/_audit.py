"""``agritrace audit`` and ``agritrace reindex [--check]``: the projection checked against the log.

``audit`` (and ``reindex --check``) replays the log into a scratch projection and names every
row of the ``trace_*`` tables that differs; it changes nothing and exits 1 on drift.
``reindex`` still repairs, but first prints what it is about to repair, so a database edit
is never erased without a word.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from ledger import Ledger, database_url
from ledger.cli import Db
from traceability._recorder import reindex as rebuild
from traceability.cli._common import err, errors, out
from traceability.projection._check import DriftReport, check_projection, missing_tables

__all__ = ["audit", "reindex"]

#: Exit status when the projection disagrees with the log (2 stays "could not run").
DRIFT_EXIT = 1


def _print(report: DriftReport) -> None:
    for drift in report.drifts:
        err.print(f"[red]drift:[/red] {escape(drift.describe())}", highlight=False)
    for fault in report.map_faults:
        err.print(f"[red]status map:[/red] {escape(fault.describe())}", highlight=False)


def audit(db: Db = None) -> None:
    """Replay the log into a scratch projection and name every trace_* row that differs.

    Also names every trace.status_map entry whose root the replay does not reproduce.
    Changes nothing. Exit status 0 when the projection equals the replay, 1 on drift or a
    false map root.
    """
    with errors(), Ledger.open(database_url(db)) as ledger:
        missing = missing_tables(ledger)
        if missing:
            err.print(
                f"[red]drift:[/red] missing table(s) {', '.join(missing)}; "
                "'agritrace reindex' rebuilds them from the log",
                highlight=False,
            )
            raise typer.Exit(DRIFT_EXIT)
        report = check_projection(ledger)
    _print(report)
    if report.drifts:
        err.print(
            f"[red]{len(report.drifts)} field(s) of the projection differ from the log[/red] "
            f"({report.size} entries replayed); 'agritrace reindex' rebuilds it from the log",
            highlight=False,
        )
        raise typer.Exit(DRIFT_EXIT)
    if report.map_faults:
        err.print(
            f"[red]{len(report.map_faults)} trace.status_map entries state a root a replay "
            "of the log does not give[/red]: the log holds a false commitment (a witness "
            "refuses to cosign it); only a later map entry supersedes it",
            highlight=False,
        )
        raise typer.Exit(DRIFT_EXIT)
    out.print(f"projection matches the log ({report.size} entries replayed)", highlight=False)


def reindex(
    db: Db = None,
    check: Annotated[
        bool, typer.Option("--check", help="Only compare with the log (as 'agritrace audit').")
    ] = False,
) -> None:
    """Rebuild the trace_* tables from the ledger (the ledger is the truth).

    Prints every row it repairs first. With --check, changes nothing and exits 1 on drift.
    """
    if check:
        audit(db)
        return
    with errors(), Ledger.open(database_url(db)) as ledger:
        missing = missing_tables(ledger)
        if missing:
            err.print(f"rebuilding missing table(s) {', '.join(missing)}", highlight=False)
        else:
            report = check_projection(ledger)
            _print(report)
            if report.drifts:
                err.print(f"repairing {len(report.drifts)} field(s) from the log", highlight=False)
        count = rebuild(ledger)
    typer.echo(f"reindexed {count} entries")
