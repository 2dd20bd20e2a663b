"""Two cooperatives of one deployment on two PostgreSQL databases (scale-out by cooperative)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy
from fastapi.testclient import TestClient

from ledger import Ledger
from tests.verifier_app.deployment_world import SHARED_LOT, build_member, write_deployment
from verifier_app import create_deployment_app, load_deployment

pytestmark = pytest.mark.postgres

#: One database per cooperative, as a county would place them (docs/deployment.md).
DATABASES = ("alliance_a", "alliance_b")


def _schema_in(database: str, postgres_server: str) -> Iterator[str]:
    """A fresh schema in ``database`` (created when missing) for this test only."""
    base = postgres_server.rsplit("/", 1)[0]
    admin = sqlalchemy.create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.exec_driver_sql(
            "SELECT 1 FROM pg_database WHERE datname = %s", (database,)
        ).first()
        if exists is None:
            conn.exec_driver_sql(f"CREATE DATABASE {database}")
    admin.dispose()
    url = f"{base}/{database}"
    engine = sqlalchemy.create_engine(url)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    yield f"{url}?options=-csearch_path%3D{schema}"
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    engine.dispose()


@pytest.fixture
def two_databases(postgres_server: str) -> Iterator[tuple[str, str]]:
    first = _schema_in(DATABASES[0], postgres_server)
    second = _schema_in(DATABASES[1], postgres_server)
    yield next(first), next(second)
    for gen in (first, second):
        next(gen, None)


def test_two_members_on_two_postgresql_databases_resolve_and_stay_apart(
    tmp_path: Path, two_databases: tuple[str, str]
) -> None:
    url_a, url_b = two_databases
    assert "/alliance_a?" in url_a
    assert "/alliance_b?" in url_b
    a = build_member(tmp_path / "a", "kashgar", "691234567", "喀什果农合作社", url_a)
    b = build_member(tmp_path / "b", "yarkant", "692345678", "莎车红枣合作社", url_b)
    file = write_deployment(tmp_path / "deployment.toml", [a, b])
    with TestClient(create_deployment_app(load_deployment(file))) as client:
        for m in (a, b):
            answer = client.get(
                f"/01/{m.gtin}/10/{SHARED_LOT}", headers={"Accept": "application/json"}
            )
            assert answer.status_code == 200, answer.text
            assert answer.json()["proof"]["checkpoint"].startswith(m.origin + "\n")
        harvest = {
            "lot": {"gtin": b.gtin, "lot": "PG-1"},
            "plot": "YARKANT-P1",
            "variety": "Hongyan",
            "quantity": "10",
            "time": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
        }
        sizes = {m.slug: _size(m.url) for m in (a, b)}
        refused = client.post(
            "/c/yarkant/api/v1/events/harvest", json=harvest, headers=a.auth("packing_station")
        )
        assert refused.status_code == 401
        accepted = client.post(
            "/c/yarkant/api/v1/events/harvest", json=harvest, headers=b.auth("packing_station")
        )
        assert accepted.status_code == 201, accepted.text
        assert _size(a.url) == sizes["kashgar"]
        assert _size(b.url) == sizes["yarkant"] + 1


def _size(url: str) -> int:
    ledger = Ledger.open(url)
    try:
        return ledger.size()
    finally:
        ledger.close()
