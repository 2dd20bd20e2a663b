"""The examples in docs/labels.md and the package docstring run as written."""

from __future__ import annotations

import doctest
import re

import labels
from tests.labels.conftest import REPO_ROOT


def test_python_examples_in_docs_run() -> None:
    text = (REPO_ROOT / "docs" / "labels.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    assert blocks
    for block in blocks:
        exec(compile(block, "docs/labels.md", "exec"), {})


def test_package_docstring_examples_run() -> None:
    result = doctest.testmod(labels, raise_on_error=False)
    assert result.attempted > 0
    assert result.failed == 0
