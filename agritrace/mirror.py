"""``agritrace mirror URL``: follow a cooperative's log, replay it, and optionally serve it.

The ledger's mirror (:class:`ledger.Mirror`) copies the log through its tiles and verifies
all of it; here it is a :class:`traceability.DomainMirror`, so each sync also replays the
new entries into the mirror's own projection (incrementally, also after a cut transfer).
With ``--serve`` the command runs the read-only app on the mirror's database
(``AGRITRACE_MIRROR_OF``: consumer pages and JSON, the public log API and tiles; no staff
pages, no append API, writes refused), which keeps syncing in the background and resumes
where it stopped after an outage (``verifier_app._mirroring``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from ledger import LedgerError, NoteVerifier, database_url, http_fetch
from ledger.cli import Db, follow_log
from traceability import DomainMirror
from verifier_app.cli import serve as serve_app

__all__ = ["mirror"]

_err = Console(stderr=True, soft_wrap=True)


def mirror(
    url: Annotated[
        str, typer.Argument(help="The source log's tiles prefix, e.g. https://coop/log.")
    ],
    log_key: Annotated[
        str, typer.Option(help="The log's checkpoint verifier key (name+hex+base64), trusted.")
    ],
    state: Annotated[
        Path, typer.Option(help="Folder for the sync in progress and fork evidence.")
    ] = Path("agritrace-data/mirror"),
    follow: Annotated[bool, typer.Option(help="Keep following; retry after failures.")] = False,
    interval: Annotated[
        float, typer.Option(min=0.1, help="Seconds between syncs with --follow or --serve.")
    ] = 10.0,
    serve: Annotated[
        bool,
        typer.Option(
            "--serve",
            help="Serve the mirror read-only (consumer pages, JSON, log API, tiles) while "
            "following. Settings as `agritrace serve` (AGRITRACE_*; set AGRITRACE_RESOLVER "
            "to the origin's so the pages are the same).",
        ),
    ] = False,
    host: Annotated[str, typer.Option(help="With --serve: address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(min=1, max=65535, help="With --serve: port to listen on.")
    ] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="With --serve: worker processes.")] = 1,
    demo: Annotated[
        bool, typer.Option("--demo", help="With --serve: accept demo defaults (http resolver).")
    ] = False,
    db: Db = None,
) -> None:
    """Mirror a log over HTTP, verify it, replay it into a projection; --serve serves it.

    Exits 1 on data that does not verify, 2 on bad arguments, 3 when the source log forked (both
    signed checkpoints are kept in the state folder). With --follow, network failures are
    retried with backoff and the mirror resumes where it stopped.
    """
    if serve:
        # One worker syncs (a lock in the state folder), every worker serves.
        os.environ["AGRITRACE_MIRROR_OF"] = url
        os.environ["AGRITRACE_MIRROR_LOG_KEY"] = log_key
        os.environ["AGRITRACE_MIRROR_STATE"] = str(state)
        os.environ["AGRITRACE_MIRROR_SECONDS"] = str(interval)
        serve_app(host=host, port=port, workers=workers, db=database_url(db), demo=demo)
        return
    try:
        verifier = NoteVerifier.from_key_string(log_key)
        copy = DomainMirror.open(database_url(db), verifier, http_fetch(url), state)
    except LedgerError as e:
        _err.print(f"[red]error:[/red] {escape(str(e))}", highlight=False)
        raise typer.Exit(2) from e
    try:
        follow_log(copy.sync, follow=follow, interval=interval)
    finally:
        copy.close()
