"""The README's "ledger in five commands" block runs as written, so it cannot rot."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

from ledger import Checkpoint, parse_note

README = Path(__file__).resolve().parents[1] / "README.md"
SECTION = "## The ledger in five commands"


def readme_block() -> list[str]:
    """The lines of the first ```sh block after the section heading."""
    text = README.read_text(encoding="utf-8")
    after = text[text.index(SECTION) + len(SECTION) :]
    start = after.index("```sh\n") + len("```sh\n")
    return after[start : after.index("```", start)].splitlines()


def test_readme_block_is_export_and_agritrace_lines() -> None:
    commands = [shlex.split(line, comments=True) for line in readme_block()]
    assert {words[0] for words in commands if words} == {"export", "agritrace"}
    assert sum(words[:1] == ["agritrace"] for words in commands) == 5


def test_readme_ledger_commands_run(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGRITRACE_")}
    # Where a new user's files would go, inside tmp_path; the block's exports override them.
    env["AGRITRACE_DB"] = f"sqlite:///{tmp_path / 'agritrace-data' / 'ledger.db'}"
    env["AGRITRACE_KEYS"] = str(tmp_path / "agritrace-data" / "keys")
    outputs = {}
    for line in readme_block():
        words = shlex.split(line, comments=True)
        if not words:
            continue
        if words[0] == "export":
            for assignment in words[1:]:
                name, _, value = assignment.partition("=")
                env[name] = value
            continue
        assert words[0] == "agritrace", line
        done = subprocess.run(
            [sys.executable, "-m", "agritrace", *words[1:]],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, (line, done.stdout, done.stderr)
        outputs[" ".join(words[1:3])] = done.stdout
    assert outputs["ledger audit"].startswith("VALID 2 entries")
    # "the signed tree head": it must cover the entry just appended, not an older head.
    checkpoint = Checkpoint.parse(parse_note(outputs["ledger checkpoint"].encode()).text)
    assert checkpoint.size == 2
    assert '"leaf_index": 0' in outputs["ledger prove-inclusion"]
