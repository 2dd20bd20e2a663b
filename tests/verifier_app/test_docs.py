"""The Python examples in docs/app.md run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "app.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)


def test_the_doc_has_python_examples() -> None:
    assert BLOCKS


@pytest.mark.parametrize("block", BLOCKS)
def test_python_example_runs(block: str) -> None:
    namespace: dict[str, object] = {}
    exec(compile(block, str(DOC), "exec"), namespace)  # an example that raises fails here
    assert namespace  # and it ran to its end, defining what it defines


def test_every_route_in_the_app_is_in_the_doc() -> None:
    from fastapi.routing import APIRoute

    from verifier_app.consumer import _routes as consumer
    from verifier_app.regulator import _api as regulator
    from verifier_app.regulator import _labels as regulator_labels
    from verifier_app.regulator import _trace as regulator_trace
    from verifier_app.staff import _statements_api as statements

    text = DOC.read_text(encoding="utf-8")
    routers = (consumer.router, regulator.router, regulator_trace.router, statements.router)
    for router in (*routers, regulator_labels.router):
        for route in router.routes:
            if isinstance(route, APIRoute) and route.include_in_schema:
                path = route.path.replace("/10/{lot}/21/{serial}", "/10/{lot}[/21/{serial}]")
                path = path.replace("{lot:path}", "{lot}")
                assert f"`{path}" in text, path
