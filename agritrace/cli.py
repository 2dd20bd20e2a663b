"""The ``agritrace`` command line: one root, each package's commands mounted under it."""

from __future__ import annotations

import typer

from labels import cli as labels_cli

__all__ = ["app", "main"]

app = typer.Typer(
    name="agritrace",
    help="Quality traceability for farmers' cooperatives on a signed, tamper-evident ledger.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def _root() -> None:
    """Quality traceability for farmers' cooperatives on a signed, tamper-evident ledger."""


app.add_typer(labels_cli.app, name="label")


def main() -> None:
    """Run the ``agritrace`` command line."""
    app()
