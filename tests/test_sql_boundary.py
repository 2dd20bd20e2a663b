"""Only the ledger's store and the domain's projection touch the database (issue 9).

Walks every module of the shipped packages and lists each place that builds SQL outside
the allowed packages: a SQLAlchemy statement builder (``select(``, ``insert(``, ``text(``
...), an import of the projection's table definitions, an import of SQLAlchemy beyond the
``Connection``/``Engine`` types a transaction is passed around as, or a string that reads
like SQL. The test fails with the list, so a new offender names itself.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("agritrace", "labels", "ledger", "traceability", "verifier_app")

#: Where SQL may live: the log's store (and its table definitions) and the domain's projection.
ALLOWED = ("ledger/_store/", "ledger/_schema.py", "traceability/projection/")

_BUILDERS = {"select", "insert", "update", "delete", "text", "func", "bindparam", "join"}
_TYPES_ONLY = {"Connection", "Engine"}
_SQL = re.compile(
    r"\b(SELECT\s.+\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+TABLE)\b",
    re.IGNORECASE | re.DOTALL,
)


def _modules() -> Iterator[tuple[str, ast.Module]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            yield name, ast.parse(path.read_text(encoding="utf-8"), name)


def offences(name: str, tree: ast.Module) -> list[str]:
    """Return ``path:line: what`` for every database access in one module."""
    found: list[str] = []
    builders: set[str] = set()
    for node in ast.walk(tree):
        where = f"{name}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            names = {a.asname or a.name for a in node.names}
            builders |= names & _BUILDERS
            extra = sorted({a.name for a in node.names} - _TYPES_ONLY)
            if extra:
                found.append(f"{where}: imports {', '.join(extra)} from {node.module}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "sqlalchemy":
                    found.append(f"{where}: imports {alias.name}")
        if isinstance(node, ast.ImportFrom) and (
            node.module == "traceability.projection._schema"
            or any(a.name == "_schema" for a in node.names)
        ):
            found.append(f"{where}: imports the projection's tables (_schema)")
        elif isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name) and node.func.id in builders:
                found.append(f"{where}: builds SQL with {node.func.id}(")
        elif isinstance(node, ast.Constant) and _looks_like_sql(tree, node):
            found.append(f"{where}: SQL text {str(node.value)[:40]!r}")
    return found


def _looks_like_sql(tree: ast.Module, node: ast.Constant) -> bool:
    text = node.value
    return isinstance(text, str) and bool(_SQL.search(text)) and not _is_docstring(tree, node)


def _is_docstring(tree: ast.Module, constant: ast.Constant) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and body[0].value is constant:
                return True
    return False


def test_no_sql_outside_the_store_and_the_projection() -> None:
    offenders = [
        line
        for name, tree in _modules()
        if not name.startswith(ALLOWED)
        for line in offences(name, tree)
    ]
    assert offenders == [], "database access outside the allowed places:\n" + "\n".join(offenders)


@pytest.mark.parametrize(
    ("source", "want"),
    [
        ("from sqlalchemy import select\nq = select(t)\n", ["imports select", "builds SQL"]),
        ("import sqlalchemy\n", ["imports sqlalchemy"]),
        ("from traceability.projection import _schema as t\n", ["_schema"]),
        ("q = 'SELECT key FROM trace_lots'\n", ["SQL text"]),
        ("c.execute('delete from trace_lots')\n", ["SQL text"]),
        ("from sqlalchemy import Connection\n", []),
        ('"""Select a lot from the list."""\n', []),
    ],
)
def test_the_check_catches_each_kind_of_access(source: str, want: list[str]) -> None:
    found = offences("x.py", ast.parse(source))
    assert len(found) >= len(want)
    for fragment, line in zip(want, found, strict=False):
        assert fragment in line
    if not want:
        assert found == []
