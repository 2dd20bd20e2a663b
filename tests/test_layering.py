"""No package imports another package's private modules (issue 9).

The arrows between packages are import-linter contracts (``[tool.importlinter]`` in
pyproject.toml, run by ``scripts/test``). What import-linter cannot say is "only through the
public API": a module of one package importing ``traceability._recorder`` or
``ledger._store`` from another. This test does; what a package needs from another is
exported by that package's ``__init__``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("agritrace", "labels", "ledger", "traceability", "verifier_app")


def _imported(tree: ast.Module) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name


def private_imports(package: str, name: str, tree: ast.Module) -> list[str]:
    """Return ``path:line: module`` for each private module of another package imported."""
    found = []
    for line, module in _imported(tree):
        top, *rest = module.split(".")
        if top in PACKAGES and top != package and any(p.startswith("_") for p in rest):
            found.append(f"{name}:{line}: {module}")
    return list(dict.fromkeys(found))


def _modules() -> Iterator[tuple[str, str, ast.Module]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            yield package, name, ast.parse(path.read_text(encoding="utf-8"), name)


def test_no_package_imports_another_packages_private_modules() -> None:
    offenders = [line for p, n, tree in _modules() for line in private_imports(p, n, tree)]
    assert offenders == [], "private modules imported across packages:\n" + "\n".join(offenders)


@pytest.mark.parametrize(
    ("source", "offends"),
    [
        ("from traceability.events._model import Model\n", True),
        ("import ledger._store\n", True),
        ("from traceability.projection import _schema\n", True),
        ("from traceability import Projection\n", False),
        ("from verifier_app._auth import Caller\n", False),  # its own package
        ("from ledger.cli import Db\n", False),  # a public module
    ],
)
def test_the_check_tells_private_from_public(source: str, offends: bool) -> None:
    assert bool(private_imports("verifier_app", "x.py", ast.parse(source))) == offends
