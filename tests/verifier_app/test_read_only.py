"""``serve --read-only`` against a PostgreSQL database the server cannot write.

The database is a real one whose every transaction is read-only
(``default_transaction_read_only=on``, as on a streaming replica, which also refuses DDL):
the app must start (no table created, no catch-up), answer the consumer page and JSON, the
proofs, the tiles, the alert feeds and the published reports from the projection the
primary wrote, and refuse every write with 405, with no sign-in or staff pages. A real
streaming replica is made by ``scripts/read-only-replica`` (docs/read-only.md).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy
from fastapi.testclient import TestClient
from sqlalchemy.exc import DBAPIError

from bench.trace import GTIN, chain, setup
from tests.verifier_app.conftest import RESOLVER
from verifier_app import Settings, create_app

pytestmark = pytest.mark.postgres


@pytest.fixture
def replica_url(postgres_server: str) -> Iterator[str]:
    """A database with a recorded season, then made read-only for every new session."""
    name = f"ro_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    url = postgres_server.rsplit("/", 1)[0] + f"/{name}"
    try:
        ledger, recorder, keys = setup(url, farms=2)
        for i in range(2):
            recorder.record_batch(chain(i, keys, farms=2))
        ledger.checkpoint()
        ledger.close()
        with admin.connect() as conn:
            conn.exec_driver_sql(f"ALTER DATABASE {name} SET default_transaction_read_only = on")
        yield url
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


def settings(url: str, tmp_path: Path, **options: Any) -> Settings:
    values: dict[str, Any] = {
        "db": url,
        "keys": tmp_path / "keys",
        "resolver": RESOLVER,
        "read_only": True,
        "sessions": tmp_path / "sessions",
    }
    return Settings(**(values | options))


def test_the_database_really_refuses_writes(replica_url: str) -> None:
    engine = sqlalchemy.create_engine(replica_url)
    with pytest.raises(DBAPIError, match="read-only transaction"), engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE trace_probe (x integer)")
    engine.dispose()


def test_read_only_serves_pages_json_proofs_and_tiles(replica_url: str, tmp_path: Path) -> None:
    with TestClient(create_app(settings(replica_url, tmp_path))) as client:
        path = f"/01/{GTIN}/10/H0000000A"
        page = client.get(path, headers={"Accept": "text/html", "Accept-Language": "en"})
        assert page.status_code == 200, page.text
        assert "H0000000A" in page.text
        data = client.get(path, headers={"Accept": "application/json"})
        assert data.status_code == 200, data.text
        body = data.json()
        assert body["lot"]["facts"]["status"] == "received", body["lot"]
        assert body["lot"]["entries"]  # each with its inclusion proof's address
        first = body["lot"]["entries"][0]["inclusion_proof"]
        assert client.get(first).status_code == 200
        assert client.get(f"/01/{GTIN}/10/NOPE", headers={"Accept": "application/json"}).json()
        note = client.get("/log/checkpoint")
        assert note.status_code == 200
        size = int(note.text.splitlines()[1])
        proof = client.get("/api/v1/log/proof/inclusion", params={"seq": size - 1, "size": size})
        assert proof.status_code == 200, proof.text
        assert client.get(f"/log/tile/0/000.p/{size}").status_code == 200
        assert client.get("/alerts.json").status_code == 200
        assert client.get("/api/v1/log/entries/0").status_code == 200


def test_read_only_refuses_writes_and_has_no_sign_in(replica_url: str, tmp_path: Path) -> None:
    app = create_app(settings(replica_url, tmp_path))
    with TestClient(app) as client:
        size = app.state.ledger.size()
        for method, path in [
            ("POST", "/api/v1/statements"),
            ("POST", "/api/v1/events/trace.hold"),
            ("POST", "/api/v1/audits"),
            ("POST", "/sign-in"),
            ("POST", f"/01/{GTIN}/10/H0000000A/report"),
            ("DELETE", "/log/checkpoint"),
        ]:
            response = client.request(method, path, json=[])
            assert response.status_code == 405, (method, path, response.text)
            assert response.json()["error"]["code"] == "read_only_server"
        for path in ["/staff", "/staff/lots", "/regulator", "/sign-in"]:
            assert client.get(path).status_code == 404, path
        assert app.state.ledger.size() == size
        assert app.state.ledger.log_signer is None  # no checkpoint can be signed here
