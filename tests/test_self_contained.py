"""A clone alone passes its tests: nothing in the project reads the shared folder beside it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# How code used to reach the team's shared folder: a parent directory joined with "shared".
_REACHES_OUT = re.compile(r"""(\.parent\s*/\s*["']shared["'])|(\.\./shared/)|(/work/shared)""")


def _tracked_code() -> list[Path]:
    out = subprocess.run(
        ["git", "ls-files", "*.py", "*.sh", "scripts/*", ".ci/*", "*.toml"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [REPO / name for name in out if (REPO / name).is_file()]


def test_no_project_file_reads_the_shared_folder() -> None:
    this = Path(__file__).resolve()
    offenders = [
        f"{path.relative_to(REPO)}:{n}"
        for path in _tracked_code()
        if path != this
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if _REACHES_OUT.search(line)
    ]
    assert offenders == []


def test_vectors_carry_their_sources_and_licences() -> None:
    vectors = REPO / "tests" / "vectors"
    for readme in ("README.md", "conformance/README.md", "standards/README.md"):
        text = (vectors / readme).read_text(encoding="utf-8")
        assert "licence" in text.lower() or "license" in text.lower(), readme
