"""The app on PostgreSQL: appends over HTTP, a proof that verifies, a valid audit."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ledger import NoteVerifier, open_checkpoint, verify_inclusion
from tests.ledger.conftest import ORIGIN, notes
from tests.verifier_app.conftest import AppWorld, build_world
from verifier_app import create_app

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_world(postgres_url: str, tmp_path: Path) -> Iterator[AppWorld]:
    world = build_world(postgres_url, tmp_path)
    yield world
    world.ledger.close()


def test_append_prove_and_audit_over_http_on_postgresql(pg_world: AppWorld) -> None:
    with TestClient(create_app(pg_world.settings())) as client:
        batch = [s.to_json() for s in notes(pg_world.packer, 5)]
        response = client.post(
            "/api/v1/statements", json=batch, headers=pg_world.auth("packing_station")
        )
        assert response.status_code == 201
        seq = response.json()["receipts"][-1]["seq"]
        pg_world.ledger.checkpoint()
        genesis = client.get("/api/v1/log/entries/0").json()["record"]
        log_key = NoteVerifier.from_key_string(genesis["statement"]["body"]["log_key"])
        note = client.get("/api/v1/log/checkpoint").content
        checkpoint, _ = open_checkpoint(note, ORIGIN, log_key)
        proof = client.get(
            "/api/v1/log/proof/inclusion", params={"seq": seq, "size": checkpoint.size}
        ).json()
        verify_inclusion(
            seq,
            checkpoint.size,
            base64.b64decode(proof["leaf_hash"]),
            [base64.b64decode(h) for h in proof["proof"]],
            checkpoint.root_hash,
        )
        headers = pg_world.auth("regulator")
        audit_id = client.post("/api/v1/audits", headers=headers).json()["id"]
        for _ in range(200):
            result = client.get(f"/api/v1/audits/{audit_id}", headers=headers).json()
            if result["status"] in ("done", "failed"):
                break
            time.sleep(0.02)
        assert result["verdict"] == "valid", result
