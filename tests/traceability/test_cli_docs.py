"""The command-line season in docs/traceability.md runs, line by line, as written."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from agritrace.cli import app
from tests.conftest import REPO
from tests.traceability.conftest import RUNNER, plain

DOC = REPO / "docs" / "traceability.md"


def _session() -> tuple[dict[str, str], list[list[str]]]:
    text = DOC.read_text(encoding="utf-8")
    block = text[text.index("## Command line") :].split("```console\n")[1].split("```")[0]
    env: dict[str, str] = {}
    commands = []
    for line in block.splitlines():
        words = shlex.split(line.removeprefix("$ "))
        if words[0] == "export":
            env.update(w.split("=", 1) for w in words[1:])  # type: ignore[misc]
        else:
            assert words[0] == "agritrace", line
            # The sample files are named from the repository root; the test runs elsewhere.
            data = f"{REPO}/traceability/data/"
            commands.append([w.replace("traceability/data/", data, 1) for w in words[1:]])
    return env, commands


def test_documented_session_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    env, commands = _session()
    assert len(commands) > 20
    outputs = []
    for args in commands:
        result = RUNNER.invoke(app, args, env=env)
        assert result.exit_code == 0, (args, result.stdout, result.stderr)
        outputs.append(plain(result.stdout))
    assert "status on_hold" not in outputs[-1]
    assert "lots reached (3)" in outputs[-1]
    assert "shipments reached (1)" in outputs[-1]
    assert json.loads((tmp_path / "g1.jsonld").read_text(encoding="utf-8"))["type"] == (
        "EPCISDocument"
    )
    assert (tmp_path / "june-1.csv").read_text(encoding="utf-8").count("\n") > 5
