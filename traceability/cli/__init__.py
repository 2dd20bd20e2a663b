"""The traceability command line: staff record events, trace lots, export, import files.

Each group lives in its own ``_cli_*`` module; :func:`mount` puts them under the
``agritrace`` root command.
"""

from __future__ import annotations

import typer

from traceability.cli import _issue  # noqa: F401  (adds `lot certificate`, `lot labels`)
from traceability.cli._audit import audit, reindex
from traceability.cli._checkpoint import checkpoint
from traceability.cli._import import import_app
from traceability.cli._lab import lab_app
from traceability.cli._query import export_app, lot_app, trace_app
from traceability.cli._record import recall, record_app, rules_app
from traceability.cli._report import report

__all__ = ["audit", "checkpoint", "mount", "reindex"]


def mount(root: typer.Typer) -> None:
    """Add the traceability commands to the ``agritrace`` root command."""
    root.add_typer(record_app, name="record")
    root.add_typer(rules_app, name="rules")
    root.add_typer(trace_app, name="trace")
    root.add_typer(lot_app, name="lot")
    root.add_typer(export_app, name="export")
    root.add_typer(import_app, name="import")
    root.add_typer(lab_app, name="lab")
    root.command()(recall)
    root.command()(reindex)
    root.command()(audit)
    root.command()(report)
    root.command()(checkpoint)
