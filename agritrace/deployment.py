"""``agritrace deployment``: many cooperatives served by one server (docs/deployment.md).

``agritrace deployment migrate [DATA_DIR] --slug S [--prefix P]`` turns a single cooperative's
data folder into a deployment file with that cooperative as its one member; ``agritrace
deployment check FILE`` loads a deployment file as ``serve --deployment`` would and lists its
members. Serving is ``agritrace serve --deployment FILE``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

__all__ = ["app"]

app = typer.Typer(
    name="deployment",
    help="Serve several cooperatives' logs from one server: migrate, check.",
    no_args_is_help=True,
)
_out = Console(soft_wrap=True, highlight=False)
_err = Console(stderr=True, soft_wrap=True, highlight=False)


@app.command()
def migrate(
    folder: Annotated[Path, typer.Argument(help="The single cooperative's data folder.")] = Path(
        "agritrace-data"
    ),
    slug: Annotated[
        str, typer.Option(help="The cooperative's path segment: its pages at /c/<slug>/.")
    ] = ...,  # type: ignore[assignment]
    prefix: Annotated[
        str | None,
        typer.Option(help="Record this GS1 company prefix on the cooperative's ledger."),
    ] = None,
    db: Annotated[
        str | None, typer.Option(help="The log's database URL if not the folder's ledger.db.")
    ] = None,
    resolver: Annotated[
        str | None, typer.Option(help="The resolver URL the cooperatives' labels point to.")
    ] = None,
) -> None:
    """Write FOLDER/deployment.toml naming the folder's log as the deployment's one member.

    Nothing is copied or moved. With --prefix, the cooperative's latest entry is recorded
    again with the prefix, signed by the key that signed it (when the folder holds it).
    """
    from verifier_app import DeploymentError, migrate_folder

    try:
        done = migrate_folder(folder, slug, db=db, prefix=prefix, resolver=resolver)
    except DeploymentError as e:
        _err.print(f"[red]error:[/red] {escape(str(e))}")
        raise typer.Exit(2) from e
    _out.print(f"wrote {escape(str(done.file))}: member {escape(slug)}")
    if done.prefix_entry is not None:
        _out.print(f"recorded company prefix {escape(str(prefix))} in entry {done.prefix_entry}")
    if done.prefix_advice is not None:
        _err.print(f"[yellow]company prefix not recorded:[/yellow] {escape(done.prefix_advice)}")
    _out.print(f"serve it: agritrace serve --deployment {escape(str(done.file))}")


@app.command()
def check(
    file: Annotated[Path, typer.Argument(help="The deployment file (TOML).")],
    demo: Annotated[bool, typer.Option("--demo", help="Check as `serve --demo` would.")] = False,
) -> None:
    """Load the deployment file as `serve --deployment` would and list its members."""
    from verifier_app import DeploymentError, load_deployment

    try:
        loaded = load_deployment(file, demo=demo)
    except DeploymentError as e:
        _err.print(f"[red]error:[/red] {escape(str(e))}")
        raise typer.Exit(2) from e
    for member in loaded.members:
        # Tab-separated, one member a line: for scripts as well as people.
        typer.echo("\t".join((member.slug, member.name, member.settings.db)))
