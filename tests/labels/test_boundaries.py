"""``labels`` stands alone: it imports nothing from the other agritrace packages."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.labels.conftest import REPO_ROOT

FORBIDDEN = {"ledger", "traceability", "verifier_app", "agritrace"}


def _imports(source: str) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_import_scan_sees_nested_and_from_imports() -> None:
    source = "import os\ndef f():\n    from ledger.store import x\n    import traceability.a\n"
    assert _imports(source) == {"os", "ledger", "traceability"}


@pytest.mark.parametrize("path", sorted((REPO_ROOT / "labels").glob("*.py")), ids=lambda p: p.name)
def test_labels_module_imports_no_other_agritrace_package(path: Path) -> None:
    assert not _imports(path.read_text(encoding="utf-8")) & FORBIDDEN
