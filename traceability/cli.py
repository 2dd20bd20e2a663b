"""``agritrace reindex``: rebuild the ``trace_*`` projection tables from the ledger."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

# The ledger's own URL resolution (argument, $AGRITRACE_DB, local file), so both commands
# agree on which database they open. Not in ledger's public API yet (see the report).
from ledger import Ledger, LedgerError, database_url
from traceability._errors import TraceError
from traceability._recorder import reindex as rebuild

__all__ = ["reindex"]

_err = Console(stderr=True, soft_wrap=True)


def reindex(
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar="AGRITRACE_DB",
            help="Database URL: sqlite:///file.db or postgresql+psycopg://user@host/db.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Drop and rebuild the trace_* tables from the ledger (the ledger is the truth)."""
    try:
        with Ledger.open(database_url(db)) as ledger:
            count = rebuild(ledger)
    except (LedgerError, TraceError) as e:
        _err.print(f"[red]error:[/red] {e}", highlight=False)
        raise typer.Exit(2) from e
    typer.echo(f"reindexed {count} entries")
