"""The traceability command line: staff record events, trace lots, export, import files.

Each group lives in its own ``_cli_*`` module; :func:`mount` puts them under the
``agritrace`` root command.
"""

from __future__ import annotations

import typer
from rich.console import Console

# The ledger's own URL resolution (argument, $AGRITRACE_DB, local file), so both commands
# agree on which database they open.
from ledger import Ledger, LedgerError, database_url
from ledger.cli import Db
from traceability._errors import TraceError
from traceability._recorder import reindex as rebuild
from traceability.cli import _issue  # noqa: F401  (adds `lot certificate`, `lot labels`)
from traceability.cli._import import import_app
from traceability.cli._query import export_app, lot_app, trace_app
from traceability.cli._record import recall, record_app, rules_app

__all__ = ["mount", "reindex"]

_err = Console(stderr=True, soft_wrap=True)


def reindex(db: Db = None) -> None:
    """Drop and rebuild the trace_* tables from the ledger (the ledger is the truth)."""
    try:
        with Ledger.open(database_url(db)) as ledger:
            count = rebuild(ledger)
    except (LedgerError, TraceError) as e:
        _err.print(f"[red]error:[/red] {e}", highlight=False)
        raise typer.Exit(2) from e
    typer.echo(f"reindexed {count} entries")


def mount(root: typer.Typer) -> None:
    """Add the traceability commands to the ``agritrace`` root command."""
    root.add_typer(record_app, name="record")
    root.add_typer(rules_app, name="rules")
    root.add_typer(trace_app, name="trace")
    root.add_typer(lot_app, name="lot")
    root.add_typer(export_app, name="export")
    root.add_typer(import_app, name="import")
    root.command()(recall)
    root.command()(reindex)
