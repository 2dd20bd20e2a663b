"""SQL lives in the store: no other ledger module imports SQLAlchemy or builds a query."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

LEDGER = Path(__file__).resolve().parents[2] / "ledger"
# The store runs every query; the schema only declares the tables it queries.
ALLOWED = {LEDGER / "_schema.py", *(LEDGER / "_store").glob("*.py")}
OTHERS = sorted(p for p in LEDGER.rglob("*.py") if p not in ALLOWED)
# A query built in code (select(...), text(...)) or written as SQL text in a string.
_QUERY = re.compile(
    r"^(?:select|text|insert|update|delete|union_all)\($|\b(?:SELECT|INSERT INTO|DELETE FROM)\b"
)


def _runtime_sqlalchemy_imports(tree: ast.Module) -> list[int]:
    """Lines importing sqlalchemy (outside ``if TYPE_CHECKING:``) or the ledger's tables."""
    type_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            type_only.update(id(n) for child in node.body for n in ast.walk(child))
    lines = []
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import) and any(
            a.name.startswith("sqlalchemy") for a in node.names
        ):
            lines.append(node.lineno)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
            ("sqlalchemy", "ledger._schema")
        ):
            lines.append(node.lineno)
    return lines


def _code_strings_and_calls(tree: ast.Module) -> list[str]:
    """Every call's source and every string constant that is not a docstring."""
    docstrings = {
        id(n.body[0].value)
        for n in ast.walk(tree)
        if isinstance(n, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and n.body
        and isinstance(n.body[0], ast.Expr)
        and isinstance(n.body[0].value, ast.Constant)
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            found.append(ast.unparse(node.func) + "(")
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
        ):
            found.append(node.value)
    return found


def test_the_other_ledger_modules_exist() -> None:
    assert LEDGER / "_log.py" in OTHERS
    assert LEDGER / "_store" / "_rows.py" in ALLOWED


@pytest.mark.parametrize("path", OTHERS, ids=lambda p: str(p.relative_to(LEDGER)))
def test_no_sql_outside_the_store(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert _runtime_sqlalchemy_imports(tree) == [], f"{path.name} imports sqlalchemy"
    queries = [s for s in _code_strings_and_calls(tree) if _QUERY.search(s)]
    assert queries == [], f"{path.name} builds SQL: {queries}"


def test_the_check_sees_a_query() -> None:
    source = (
        "from sqlalchemy import select\nfrom ledger._schema import heads\nq = select(t)\n"
        'r = "SELECT 1"\nd.update(x)\n'
    )
    tree = ast.parse(source)
    assert _runtime_sqlalchemy_imports(tree) == [1, 2]
    assert [s for s in _code_strings_and_calls(tree) if _QUERY.search(s)] == ["select(", "SELECT 1"]
