"""The ``agritrace`` command line: one root, each package's commands mounted under it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from agritrace.deployment import app as deployment_app
from agritrace.mirror import mirror
from agritrace.verify import verify
from labels import cli as labels_cli
from ledger import LedgerError
from ledger.cli import app as ledger_app
from traceability.cli import mount as mount_traceability
from verifier_app.cli import serve

__all__ = ["app", "main"]

app = typer.Typer(
    name="agritrace",
    help="Quality traceability for farmers' cooperatives on a signed, tamper-evident ledger.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(ledger_app, name="ledger")
app.add_typer(labels_cli.app, name="label")
app.add_typer(deployment_app, name="deployment")
mount_traceability(app)
app.command()(serve)
app.command()(mirror)
app.command()(verify)


@app.callback()
def _root() -> None:
    """Quality traceability for farmers' cooperatives on a signed, tamper-evident ledger."""


@app.command()
def demo(
    folder: Annotated[Path, typer.Option(help="Where the demo keeps its files.")] = Path(
        "agritrace-demo"
    ),
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Rebuild an existing demo folder (new keys and tokens: restart a running server).",
        ),
    ] = False,
) -> None:
    """Build a demo cooperative's strawberry season, its labels, and print lots to open.

    An existing demo folder is kept and its tour and sign-in tokens printed again.
    """
    from agritrace.demo import DemoError, run_demo
    from traceability import TraceError

    console = Console()
    try:
        run_demo(folder, console, force=force)
    except (LedgerError, TraceError, DemoError) as e:
        console.print(f"[red]error:[/red] {escape(str(e))}")
        raise typer.Exit(2) from e


def main() -> None:
    """Run the ``agritrace`` command line."""
    app()
