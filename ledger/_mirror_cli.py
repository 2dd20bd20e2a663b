"""``agritrace mirror URL``: follow a log over HTTP into a verified local copy."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from ledger._cli_options import Db
from ledger._errors import LedgerError
from ledger._http_fetch import http_fetch
from ledger._mirror import ForkError, Mirror, MirrorNetworkError, MirrorProgress
from ledger._note import NoteVerifier
from ledger._store import database_url

__all__ = ["follow_log", "mirror"]

_out = Console(soft_wrap=True)
_err = Console(stderr=True, soft_wrap=True)
#: Exit status when the source log forked: distinct, so a supervisor can raise the alarm.
EXIT_FORK = 3
#: After a network failure, wait this long, doubling up to the maximum.
FIRST_BACKOFF, MAX_BACKOFF = 1.0, 300.0


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
    interval: Annotated[float, typer.Option(help="Seconds between syncs with --follow.")] = 10.0,
    db: Db = None,
) -> None:
    """Mirror a log over HTTP: verify checkpoint, consistency, leaves, signatures, chain.

    Exits 1 on data that does not verify, 2 on bad arguments, 3 when the source log forked (both
    signed checkpoints are kept in the state folder). With --follow, network failures are
    retried with backoff and the mirror resumes where it stopped.
    """
    try:
        verifier = NoteVerifier.from_key_string(log_key)
        copy = Mirror.open(database_url(db), verifier, http_fetch(url), state)
    except LedgerError as e:
        _err.print(f"[red]error:[/red] {escape(str(e))}", highlight=False)
        raise typer.Exit(2) from e
    follow_log(copy.sync, follow=follow, interval=interval)


def follow_log(sync: Callable[[], MirrorProgress], *, follow: bool, interval: float) -> None:
    """Run ``sync`` once, or with ``follow`` for ever, printing progress; exit as ``mirror``.

    Network failures are retried with backoff when following (exit 1 otherwise); a fork
    exits 3, data that does not verify exits 1.
    """
    backoff = FIRST_BACKOFF
    while True:
        try:
            progress = sync()
            backoff = FIRST_BACKOFF
            _out.print(
                f"mirrored {progress.after} entries (+{progress.after - progress.before}), "
                f"source checkpoint {progress.checkpoint}",
                highlight=False,
            )
        except ForkError as e:
            _err.print(f"[red bold]FORK:[/red bold] {escape(str(e))}", highlight=False)
            raise typer.Exit(EXIT_FORK) from e
        except MirrorNetworkError as e:
            if not follow:
                _err.print(f"[red]unreachable:[/red] {escape(str(e))}", highlight=False)
                raise typer.Exit(1) from e
            _err.print(f"unreachable, retrying in {backoff:.0f} s: {escape(str(e))}")
            time.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)
            continue
        except LedgerError as e:
            _err.print(f"[red]INVALID:[/red] {escape(str(e))}", highlight=False)
            raise typer.Exit(1) from e
        if not follow:
            return
        time.sleep(interval)
