"""``agritrace serve``: run the verifier app under uvicorn.

The settings are checked (and the ledger opened once) before uvicorn starts, so a missing
token file or database is one clear line and exit status 2, not a traceback per worker.
Each worker builds its own app from the same ``AGRITRACE_*`` environment; appends from
several workers are safe because the ledger serialises them in the database. The
resolver's rate-limit buckets are one file the workers share (``AGRITRACE_RATE_FILE``,
by default ``run/rate-<port>.buckets`` next to the key folder), so the limit per address
is the same with one worker or many; the credential limits sit in files beside it. Likewise
one worker checks the projection for drift and publishes what it finds to the others
(``AGRITRACE_DRIFT_STATE_FILE``, by default ``run/drift-<port>.json``;
``verifier_app._drift_share``), and an audit's progress is written where any worker can
answer a poll (``AGRITRACE_AUDIT_FOLDER``, by default ``run/audits-<port>``).

``--env-file FILE`` reads settings from a dotenv file (``AGRITRACE_NAME=value`` lines, as
``agritrace demo`` writes its ``serve.env``) into the environment the workers inherit; a
variable already set in the environment wins over the file.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from ledger.cli import Db

__all__ = ["serve"]

_err = Console(stderr=True, soft_wrap=True)


def _fail(message: str) -> typer.Exit:
    _err.print(f"[red]error:[/red] {escape(message)}", highlight=False)
    return typer.Exit(2)


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    db: Db = None,
    demo: Annotated[
        bool, typer.Option("--demo", help="Demo mode: accept demo tokens and defaults.")
    ] = False,
    proxy_headers: Annotated[
        bool,
        typer.Option(help="Trust X-Forwarded-For from --forwarded-allow-ips (behind a proxy)."),
    ] = False,
    forwarded_allow_ips: Annotated[
        str, typer.Option(help="Proxy addresses trusted for X-Forwarded-* headers.")
    ] = "127.0.0.1",
    read_only: Annotated[
        bool,
        typer.Option(
            "--read-only",
            help="Serve a database this server cannot write (a PostgreSQL streaming replica).",
        ),
    ] = False,
    access_log: Annotated[
        bool, typer.Option(help="Log every request (client address, path, status).")
    ] = False,
    deployment: Annotated[
        Path | None,
        typer.Option(
            envvar="AGRITRACE_DEPLOYMENT",
            help="Serve every cooperative of this deployment file (docs/deployment.md).",
        ),
    ] = None,
    env_file: Annotated[
        Path | None,
        typer.Option(
            "--env-file",
            help="Read AGRITRACE_* settings from this file (NAME=value lines, as the demo's "
            "serve.env); the environment wins over it.",
        ),
    ] = None,
) -> None:
    """Serve the resolver, the append API and the regulator API (settings: AGRITRACE_*)."""
    # The web stack is imported here, not at the top: every other agritrace command would
    # pay for it (~0.6 s) otherwise.
    import uvicorn

    if env_file is not None:
        # Settings are read from the environment (here and in each worker), so a database
        # named in the file reaches them although --db's own fallback was read before.
        _load_env_file(env_file)
    if deployment is not None:
        if db is not None:
            raise _fail("--db and --deployment: the deployment file names each member's database")
        if read_only:
            raise _fail("--read-only and --deployment: serve each member's replica on its own")
        _serve_deployment(deployment, demo, port)
        target = "verifier_app._deployment_app:create_deployment_app_from_env"
    else:
        target = _check_single(db, demo, port, read_only)
    # uvicorn's own logging, plus the app's (startup line, refused tokens, store failures).
    log_config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    log_config["loggers"]["verifier_app"] = {
        "handlers": ["default"],
        "level": "INFO",
        "propagate": False,
    }
    uvicorn.run(
        target,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=proxy_headers,
        forwarded_allow_ips=forwarded_allow_ips,
        server_header=False,
        # Off by default: a line per scan costs the resolver a good part of its rate, the
        # reverse proxy in front logs requests already, and a scan's line (client address
        # and lot) tells where a consumer bought what, which nothing here needs to keep.
        access_log=access_log,
        log_config=log_config,
    )


def _load_env_file(path: Path) -> None:
    """Put the file's ``AGRITRACE_*`` settings in the environment, unless already set there."""
    from dotenv import dotenv_values

    if not path.is_file():
        raise _fail(f"--env-file: {path}: no such file")
    for name, value in dotenv_values(path).items():
        if not name.startswith("AGRITRACE_"):
            raise _fail(f"--env-file: {path}: {name} is not an AGRITRACE_* setting")
        if value is None:
            raise _fail(f"--env-file: {path}: {name} has no value (expected {name}=...)")
        # Workers are separate processes: they read their settings from the environment.
        os.environ.setdefault(name, value)


def _serve_deployment(file: Path, demo: bool, port: int) -> None:
    """Check the deployment and build it once, so a fault is one line and exit status 2."""
    from verifier_app._deployment import DeploymentError, load_deployment, with_run_files
    from verifier_app._deployment_app import DEPLOYMENT_ENV, PORT_ENV, create_deployment_app
    from verifier_app._deployment_routing import PrefixConflictError
    from verifier_app.regulator._audit_share import AuditShelf

    # Workers are separate processes: they load the same file, named in the environment.
    os.environ[DEPLOYMENT_ENV] = str(file.resolve())
    os.environ[PORT_ENV] = str(port)
    if demo:
        os.environ["AGRITRACE_DEMO"] = "1"
    from ledger import LedgerError

    try:
        loaded = with_run_files(load_deployment(file.resolve(), demo=demo), port)
        app = create_deployment_app(loaded)
    except (DeploymentError, PrefixConflictError, LedgerError, OSError) as e:
        raise _fail(str(e)) from e
    app.close()
    for member in loaded.members:
        # Each member's drift state and rate buckets are its own (verifier_app._app).
        state = member.settings.drift_state_file
        if state is not None:
            state.unlink(missing_ok=True)
        if member.settings.audit_folder is not None:
            AuditShelf(member.settings.audit_folder).clear()


def _check_single(db: str | None, demo: bool, port: int, read_only: bool) -> str:
    """Check the one log's settings and build its app once; return uvicorn's factory."""
    from pydantic import ValidationError

    from ledger import LedgerError
    from verifier_app._app import create_app
    from verifier_app._auth import TokenFileError
    from verifier_app._settings import Settings
    from verifier_app.regulator._audit_share import AuditShelf

    # Workers are separate processes that read their settings from the environment.
    if db is not None:
        os.environ["AGRITRACE_DB"] = db
    if demo:
        os.environ["AGRITRACE_DEMO"] = "1"
    if read_only:
        os.environ["AGRITRACE_READ_ONLY"] = "1"
    try:
        settings = Settings()
        run = settings.keys.parent / "run"
        if settings.rate_file is None:
            # One budget per address for all the workers: buckets in a shared file.
            os.environ["AGRITRACE_RATE_FILE"] = str(run / f"rate-{port}.buckets")
        if settings.drift_state_file is None:
            # One drift checker for all the workers, which publishes its state in a file.
            os.environ["AGRITRACE_DRIFT_STATE_FILE"] = str(run / f"drift-{port}.json")
        if settings.audit_folder is None:
            # An audit's progress, answered by whichever worker the poll lands on.
            os.environ["AGRITRACE_AUDIT_FOLDER"] = str(run / f"audits-{port}")
        settings = Settings()
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        raise _fail(f"{where}: {message}" if where else message) from e
    # Build the app once here, so a missing database or unreadable key is one clear line
    # now rather than a traceback in every worker.
    try:
        app = create_app(settings)
    except (LedgerError, TokenFileError, OSError, ValueError) as e:
        raise _fail(str(e)) from e
    app.state.audits.close()
    app.state.ledger.close()
    if settings.drift_state_file is not None:
        # A state left by an earlier run speaks of a database that may have changed since.
        settings.drift_state_file.unlink(missing_ok=True)
    if settings.audit_folder is not None:
        # Jobs of an earlier run's workers: their process ids may belong to others by now.
        AuditShelf(settings.audit_folder).clear()
    return "verifier_app._app:create_app_from_env"
