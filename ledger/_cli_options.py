"""The options every ``agritrace`` command shares: ``--db`` and ``--keys``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["Db", "Keys"]

#: The ``--db`` option every agritrace command shares (with ``$AGRITRACE_DB``).
Db = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="AGRITRACE_DB",
        help="Database URL: sqlite:///file.db or postgresql+psycopg://user@host/db. "
        "[default: sqlite:///agritrace-data/ledger.db]",
        show_default=False,
    ),
]
#: The ``--keys`` option every agritrace command shares (with ``$AGRITRACE_KEYS``).
Keys = Annotated[
    Path,
    typer.Option("--keys", envvar="AGRITRACE_KEYS", help="Folder of private keys."),
]
