"""``serve --read-only`` against a PostgreSQL database the server cannot write.

The database is a real one whose every transaction is read-only
(``default_transaction_read_only=on``, as on a streaming replica, which also refuses DDL):
the app must start (no table created, no catch-up), answer the consumer page and JSON, the
proofs, the tiles, the alert feeds and the published reports from the projection the
primary wrote, and refuse every write with 405, with no sign-in or staff pages. A real
streaming replica is made by ``scripts/read-only-replica`` (docs/deployment.md,
"Read-only replicas").
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy
from fastapi.testclient import TestClient
from sqlalchemy.exc import DBAPIError

from bench.trace import GTIN, T0, chain, setup
from tests.verifier_app.conftest import RESOLVER
from traceability import Recall, Role
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


#: A streaming replica of the server at AGRITRACE_TEST_PG (scripts/read-only-replica makes
#: one on this machine and runs this test with it).
REPLICA = os.environ.get("AGRITRACE_TEST_PG_REPLICA")
T0_TEXT = (T0 + timedelta(days=1)).isoformat()  # after the season's first lot was received


def _replayed(replica_server: str, name: str, size: int, seconds: float = 60) -> str:
    """The replica's URL of database ``name`` once its log has ``size`` entries."""
    url = replica_server.rsplit("/", 1)[0] + f"/{name}"
    deadline = time.monotonic() + seconds
    engine = sqlalchemy.create_engine(url, poolclass=sqlalchemy.pool.NullPool)
    try:
        while True:
            try:
                with engine.connect() as conn:
                    query = sqlalchemy.text("SELECT max(size) FROM ledger_head")
                    got = conn.execute(query).scalar()
                if got is not None and got >= size:
                    return url
            except DBAPIError:
                pass  # the database or its tables not replayed yet
            if time.monotonic() > deadline:
                raise AssertionError(f"the replica did not replay {name} to {size} entries")
            time.sleep(0.2)
    finally:
        engine.dispose()


@pytest.mark.skipif(
    REPLICA is None,
    reason="no streaming replica: set AGRITRACE_TEST_PG_REPLICA (scripts/read-only-replica)",
)
def test_a_streaming_replica_serves_what_the_primary_records(
    postgres_server: str, tmp_path: Path
) -> None:
    assert REPLICA is not None
    name = f"ro_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    primary = postgres_server.rsplit("/", 1)[0] + f"/{name}"
    try:
        ledger, recorder, keys = setup(primary, farms=2)
        recorder.record_batch(chain(0, keys, farms=2))
        ledger.checkpoint()
        replica = _replayed(REPLICA, name, ledger.size())
        engine = sqlalchemy.create_engine(replica)
        with pytest.raises(DBAPIError, match="read-only transaction"), engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE trace_probe (x integer)")
        engine.dispose()
        app = create_app(settings(replica, tmp_path, scan_freshness_seconds=0))
        path = f"/01/{GTIN}/10/H0000000A"
        with TestClient(app) as client:
            before = client.get(path, headers={"Accept": "application/json"}).json()
            assert before["lot"]["facts"]["status"] == "received"
            # The primary recalls the harvest lot; the replica's page shows it once replayed.
            recall = Recall.from_body(
                {"lot": {"gtin": GTIN, "lot": "H0000000"}, "reason": "test", "time": T0_TEXT}
            )
            recorder.record(recall, keys[Role.COOPERATIVE])
            ledger.checkpoint()
            _replayed(REPLICA, name, ledger.size())
            after = client.get(path, headers={"Accept": "application/json"}).json()
            assert after["lot"]["facts"]["status"].startswith("recalled"), after["lot"]["facts"]
            assert client.post("/api/v1/statements", json=[]).status_code == 405
        ledger.close()
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()
