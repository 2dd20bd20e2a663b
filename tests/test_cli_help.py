"""Every command of ``agritrace``, at any depth, answers ``--help`` with its purpose."""

from __future__ import annotations

from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from agritrace.cli import app


def _paths(command: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    # Typer vendors its own click, so groups are recognised by their sub-commands.
    paths = [prefix]
    if hasattr(command, "commands"):
        for name, sub in sorted(command.commands.items()):
            paths += _paths(sub, (*prefix, name))
    return paths


COMMANDS = _paths(typer.main.get_command(app))


def test_the_tree_has_the_packages_commands() -> None:
    tops = {path[0] for path in COMMANDS if path}
    assert {"ledger", "label", "demo", "reindex", "serve"} <= tops
    assert len(COMMANDS) > 20


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "agritrace")
def test_help_works_and_says_what_the_command_is_for(path: tuple[str, ...]) -> None:
    result = CliRunner(env={"COLUMNS": "200"}).invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    # The first line of the docstring becomes the help text: never empty.
    command: Any = typer.main.get_command(app)
    for name in path:
        command = command.commands[name]
    assert (command.help or command.short_help or "").strip(), f"{path} has no help text"
