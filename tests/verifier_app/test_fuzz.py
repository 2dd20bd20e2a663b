"""Schemathesis fuzzes every operation in the app's OpenAPI schema: no input earns a 5xx.

Each operation gets generated inputs (valid and invalid, with and without a token); the app
must answer each with a success or a clear 4xx, never a server error, on a SQLite file and
on PostgreSQL (which refuses some values SQLite stores: NUL, integers past 64 bits).
(Driven through Hypothesis directly: schemathesis's pytest plugin does not load under this
pytest.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.core.result import Ok

from tests.verifier_app.conftest import build_world
from verifier_app import create_app


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fuzz_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A SQLite file, then a fresh PostgreSQL schema (skipped when unreachable outside CI)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.mark.slow
def test_no_generated_request_gets_a_server_error(fuzz_db: str, tmp_path: Path) -> None:
    world = build_world(fuzz_db, tmp_path)
    # Schemathesis calls the app without its lifespan, so nothing would close the app's own
    # ledger: its PostgreSQL connections were then collected open, and the ResourceWarning
    # failed whichever test was running at that moment (test_hardening.py, once in CI).
    app = create_app(world.settings())
    try:
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        results = list(schema.get_all_operations())
        assert all(isinstance(result, Ok) for result in results), results
        operations = [result.ok() for result in results if isinstance(result, Ok)]
        assert len(operations) >= 8
        failures: list[str] = []
        statuses: list[int] = []
        for operation in operations:

            @given(
                case=operation.as_strategy(),
                role=st.sampled_from([None, "regulator", "packing_station", "lab"]),
            )
            @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
            def run(case: Any, role: str | None) -> None:
                if role is not None:
                    case.headers = {**(case.headers or {}), **world.auth(role)}
                response = case.call()
                statuses.append(response.status_code)
                if response.status_code >= 500:
                    failures.append(f"{case.method} {case.formatted_path}: {response.text[:200]}")

            run()
        assert not failures, failures[:5]
        assert len(statuses) >= 10 * len(operations)  # it really sent requests
        assert any(200 <= code < 300 for code in statuses)  # and some got past validation
    finally:
        app.state.ledger.close()
        world.ledger.close()


def test_a_size_beyond_any_log_is_a_clear_4xx_not_a_database_overflow(
    fuzz_db: str, tmp_path: Path
) -> None:
    # Found by the fuzz run above: 2**63 reached SQLite and raised OverflowError.
    from fastapi.testclient import TestClient

    world = build_world(fuzz_db, tmp_path)
    try:
        with TestClient(create_app(world.settings())) as client:
            for path in (
                "/api/v1/log/checkpoint?size=9223372036854775808",
                "/api/v1/log/entries/9223372036854775808",
                "/api/v1/log/proof/inclusion?seq=0&size=9223372036854775808",
                "/api/v1/log/proof/consistency?size1=1&size2=9223372036854775808",
            ):
                response = client.get(path)
                assert response.status_code == 422, (path, response.text)
                assert response.json()["error"]["field"], path
            # Found by the fuzz run too: past 2**31 the alerts' bound overflowed PostgreSQL's
            # int4 columns (a 500); no entry is that far, so it is simply an empty window.
            feed = client.get("/alerts.json", params={"since": 2**31})
            assert feed.status_code == 200, feed.text
            assert all(a["entry"] is None for a in feed.json()["alerts"])
    finally:
        world.ledger.close()
