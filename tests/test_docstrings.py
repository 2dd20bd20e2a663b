"""Docstrings on every module and every public name, private modules included.

ruff's pydocstyle rules skip everything inside a module whose name starts with ``_``, and most
of the project lives in such modules behind a short ``__all__``. A reader meets those names all
the same, so this test applies the rule ruff would: a docstring on every module, and on every
class, function and method whose own name does not start with ``_``.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("ledger", "traceability", "labels", "verifier_app", "agritrace")


def _missing(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    where = str(path.relative_to(REPO))
    out = [] if ast.get_docstring(tree) else [f"{where}: module"]

    def walk(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                name = f"{prefix}{child.name}"
                overload = any(
                    isinstance(d, ast.Name) and d.id == "overload" for d in child.decorator_list
                )
                if not child.name.startswith("_") and not overload and not ast.get_docstring(child):
                    out.append(f"{where}:{child.lineno}: {name}")
                # A private class's methods are private with it.
                if isinstance(child, ast.ClassDef) and not child.name.startswith("_"):
                    walk(child, f"{name}.")

    walk(tree, "")
    return out


def test_every_module_and_public_name_has_a_docstring() -> None:
    missing = [
        line
        for package in PACKAGES
        for path in sorted((REPO / package).rglob("*.py"))
        for line in _missing(path)
    ]
    assert missing == []
