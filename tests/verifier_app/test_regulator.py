"""The regulator API: public checkpoints, entries and proofs that verify; cosigning; audits."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from ledger import (
    Checkpoint,
    Cosigner,
    Ledger,
    NoteVerifier,
    Record,
    StoreError,
    canonical_bytes,
    leaf_hash,
    open_checkpoint,
    parse_note,
    verify_consistency,
    verify_inclusion,
)
from tests.ledger.conftest import ORIGIN, notes
from tests.verifier_app.conftest import AppWorld
from verifier_app._deps import get_ledger

b64 = base64.b64decode


def fill(world: AppWorld, count: int) -> None:
    world.ledger.append_batch(notes(world.packer, count))
    world.ledger.checkpoint()


def log_key(client: TestClient) -> NoteVerifier:
    genesis = client.get("/api/v1/log/entries/0").json()["record"]
    return NoteVerifier.from_key_string(genesis["statement"]["body"]["log_key"])


def test_checkpoint_is_a_signed_note_that_opens_with_the_genesis_log_key(
    client: TestClient, app_world: AppWorld
) -> None:
    fill(app_world, 5)
    response = client.get("/api/v1/log/checkpoint")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    checkpoint, _ = open_checkpoint(response.content, ORIGIN, log_key(client))
    assert checkpoint.size == app_world.ledger.size() == 7


def test_checkpoint_of_an_earlier_size(client: TestClient, app_world: AppWorld) -> None:
    fill(app_world, 3)
    response = client.get("/api/v1/log/checkpoint", params={"size": 2})
    assert response.status_code == 200
    checkpoint, _ = open_checkpoint(response.content, ORIGIN, log_key(client))
    assert checkpoint.size == 2


def test_checkpoint_of_a_size_never_signed_is_404(client: TestClient) -> None:
    response = client.get("/api/v1/log/checkpoint", params={"size": 999})
    assert response.status_code == 404
    assert response.json()["error"]["field"] == "size"


def test_inclusion_proof_over_http_verifies_against_checkpoint_over_http(
    client: TestClient, app_world: AppWorld
) -> None:
    fill(app_world, 10)
    note = client.get("/api/v1/log/checkpoint").content
    checkpoint, _ = open_checkpoint(note, ORIGIN, log_key(client))
    for seq in (0, 5, checkpoint.size - 1):
        proof = client.get(
            "/api/v1/log/proof/inclusion", params={"seq": seq, "size": checkpoint.size}
        ).json()
        entry = client.get(f"/api/v1/log/entries/{seq}").json()
        leaf = Record.from_leaf(canonical_bytes(entry["record"])).leaf()
        assert b64(proof["leaf_hash"]) == leaf_hash(leaf) == b64(entry["leaf_hash"])
        verify_inclusion(
            seq,
            checkpoint.size,
            leaf_hash(leaf),
            [b64(h) for h in proof["proof"]],
            checkpoint.root_hash,
        )


def test_consistency_proof_over_http_verifies_between_two_checkpoints(
    client: TestClient, app_world: AppWorld
) -> None:
    fill(app_world, 3)
    old, _ = open_checkpoint(client.get("/api/v1/log/checkpoint").content, ORIGIN, log_key(client))
    fill(app_world, 6)
    new, _ = open_checkpoint(client.get("/api/v1/log/checkpoint").content, ORIGIN, log_key(client))
    body = client.get(
        "/api/v1/log/proof/consistency", params={"size1": old.size, "size2": new.size}
    ).json()
    verify_consistency(
        old.size, new.size, [b64(h) for h in body["proof"]], old.root_hash, new.root_hash
    )
    assert b64(body["root1"]) == old.root_hash
    assert b64(body["root2"]) == new.root_hash


def test_entries_page_is_bounded_and_in_order(client: TestClient, app_world: AppWorld) -> None:
    fill(app_world, 8)
    page = client.get("/api/v1/log/entries", params={"start": 3, "count": 4}).json()
    assert page["size"] == 10
    assert [e["seq"] for e in page["entries"]] == [3, 4, 5, 6]
    tail = client.get("/api/v1/log/entries", params={"start": 8, "count": 100}).json()
    assert [e["seq"] for e in tail["entries"]] == [8, 9]
    end = client.get("/api/v1/log/entries", params={"start": 10}).json()
    assert end["entries"] == []


@pytest.mark.parametrize(
    ("path", "params", "status", "field"),
    [
        ("/api/v1/log/entries", {"count": 1001}, 422, "query.count"),
        ("/api/v1/log/entries", {"count": 0}, 422, "query.count"),
        ("/api/v1/log/entries", {"start": -1}, 422, "query.start"),
        ("/api/v1/log/entries", {"start": 50}, 400, "start"),
        ("/api/v1/log/entries/99", {}, 404, "seq"),
        ("/api/v1/log/entries/-1", {}, 404, "seq"),
        ("/api/v1/log/entries/abc", {}, 422, "path.seq"),
        ("/api/v1/log/proof/inclusion", {"seq": 99}, 404, "seq"),
        ("/api/v1/log/proof/inclusion", {"seq": 0, "size": 99}, 400, "size"),
        ("/api/v1/log/proof/inclusion", {"seq": 3, "size": 2}, 400, "size"),
        ("/api/v1/log/proof/inclusion", {}, 422, "query.seq"),
        ("/api/v1/log/proof/consistency", {"size1": 3, "size2": 99}, 400, "size2"),
        ("/api/v1/log/proof/consistency", {"size1": 4, "size2": 3}, 400, "size1"),
        ("/api/v1/log/proof/consistency", {"size1": 0}, 422, "query.size1"),
    ],
)
def test_bad_log_requests_get_a_clear_4xx(
    client: TestClient,
    app_world: AppWorld,
    path: str,
    params: dict[str, int],
    status: int,
    field: str,
) -> None:
    fill(app_world, 3)
    response = client.get(path, params=params)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["field"] == field
    assert error["message"]
    assert "Traceback" not in response.text


def test_unknown_route_is_a_json_404(client: TestClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


# --- cosignatures ----------------------------------------------------------------------


@pytest.fixture
def witness() -> Cosigner:
    return Cosigner("witness.regulator.example", Ed25519PrivateKey.generate())


def cosign(client: TestClient, witness: Cosigner) -> tuple[Checkpoint, str]:
    note = client.get("/api/v1/log/checkpoint").content
    checkpoint = Checkpoint.parse(parse_note(note).text)
    return checkpoint, witness.cosign(checkpoint, int(time.time()))


def test_witness_cosignature_is_stored_and_served_with_the_checkpoint(
    make_client: Callable[..., TestClient], app_world: AppWorld, witness: Cosigner
) -> None:
    client = make_client(witnesses=(witness.verifier_key(),))
    checkpoint, line = cosign(client, witness)
    response = client.post(
        "/api/v1/log/cosignatures",
        json={"size": checkpoint.size, "cosignature": line},
        headers=app_world.auth("regulator"),
    )
    assert response.status_code == 201, response.text
    assert response.json()["witness"] == witness.name
    served = client.get("/api/v1/log/checkpoint").text
    assert served.endswith(line)


def test_cosignature_by_an_unconfigured_witness_is_refused(
    make_client: Callable[..., TestClient], app_world: AppWorld, witness: Cosigner
) -> None:
    client = make_client()
    checkpoint, line = cosign(client, witness)
    before = client.get("/api/v1/log/checkpoint").text
    response = client.post(
        "/api/v1/log/cosignatures",
        json={"size": checkpoint.size, "cosignature": line},
        headers=app_world.auth("regulator"),
    )
    assert response.status_code == 422
    assert "not a configured witness" in response.json()["error"]["message"]
    assert client.get("/api/v1/log/checkpoint").text == before


@pytest.mark.parametrize("damage", ["flip", "garbage", "two-lines", "wrong-size"])
def test_bad_cosignatures_are_refused_and_change_nothing(
    make_client: Callable[..., TestClient], app_world: AppWorld, witness: Cosigner, damage: str
) -> None:
    client = make_client(witnesses=(witness.verifier_key(),))
    checkpoint, line = cosign(client, witness)
    size = checkpoint.size
    if damage == "flip":
        prefix, sig = line.rsplit(" ", 1)
        raw = bytearray(base64.b64decode(sig))
        raw[-1] ^= 1
        line = f"{prefix} {base64.b64encode(bytes(raw)).decode()}"
    elif damage == "garbage":
        line = "not a cosignature"
    elif damage == "two-lines":
        line = line + line
    else:
        size = 1
    before = client.get("/api/v1/log/checkpoint").text
    response = client.post(
        "/api/v1/log/cosignatures",
        json={"size": size, "cosignature": line},
        headers=app_world.auth("regulator"),
    )
    assert response.status_code in (404, 422), response.text
    assert client.get("/api/v1/log/checkpoint").text == before


# --- audits ----------------------------------------------------------------------------


def poll(client: TestClient, audit_id: str, headers: dict[str, str]) -> dict[str, object]:
    for _ in range(200):
        body: dict[str, object] = client.get(f"/api/v1/audits/{audit_id}", headers=headers).json()
        if body["status"] in ("done", "failed"):
            return body
        time.sleep(0.02)
    raise AssertionError("audit did not finish")


def test_audit_runs_in_the_background_and_reports_a_valid_verdict(
    client: TestClient, app_world: AppWorld
) -> None:
    fill(app_world, 20)
    headers = app_world.auth("regulator")
    started = client.post("/api/v1/audits", headers=headers)
    assert started.status_code == 202
    assert started.json()["requested_by"] == "regulator-actor"
    result = poll(client, started.json()["id"], headers)
    assert result["status"] == "done"
    assert result["verdict"] == "valid"
    assert result["checked"] == result["total"] == 22
    assert result["failure"] is None


def test_audit_with_a_held_checkpoint_the_log_does_not_contain_is_invalid(
    client: TestClient, app_world: AppWorld
) -> None:
    fill(app_world, 2)
    headers = app_world.auth("regulator")
    started = client.post("/api/v1/audits", json={"checkpoint": "junk\n"}, headers=headers)
    result = poll(client, started.json()["id"], headers)
    assert result["verdict"] == "invalid"
    failure = result["failure"]
    assert isinstance(failure, dict)
    assert failure["reason"]


def test_unknown_audit_is_404(client: TestClient, app_world: AppWorld) -> None:
    response = client.get("/api/v1/audits/nope", headers=app_world.auth("regulator"))
    assert response.status_code == 404


def test_the_app_publishes_a_checkpoint_covering_appends_made_without_one(
    make_client: Callable[..., TestClient], app_world: AppWorld
) -> None:
    client = make_client(checkpoint_seconds=0.05)
    # Another process without the log key appends: nothing signs a checkpoint for these.
    with Ledger.open(app_world.url) as keyless:
        keyless.append_batch(notes(app_world.packer, 3))
        size = keyless.size()
    deadline = time.monotonic() + 5
    while True:
        note = client.get("/api/v1/log/checkpoint").content
        checkpoint, _ = open_checkpoint(note, ORIGIN, log_key(client))
        if checkpoint.size == size:
            break
        assert time.monotonic() < deadline, f"checkpoint stuck at {checkpoint.size} of {size}"
        time.sleep(0.05)


def test_audit_checks_the_root_key_known_out_of_band(
    client: TestClient, app_world: AppWorld
) -> None:
    headers = app_world.auth("regulator")
    right = base64.b64encode(app_world.root.public_key).decode()
    wrong = base64.b64encode(Ed25519PrivateKey.generate().public_key().public_bytes_raw()).decode()
    verdicts = {}
    for name, key in (("right", right), ("wrong", wrong)):
        started = client.post("/api/v1/audits", json={"root_key": key}, headers=headers)
        verdicts[name] = poll(client, started.json()["id"], headers)["verdict"]
    assert verdicts == {"right": "valid", "wrong": "invalid"}


@pytest.mark.parametrize(("key", "message"), [("%%%", "expected base64"), ("AAAA", "32-byte")])
def test_audit_refuses_a_malformed_root_key(
    client: TestClient, app_world: AppWorld, key: str, message: str
) -> None:
    response = client.post(
        "/api/v1/audits", json={"root_key": key}, headers=app_world.auth("regulator")
    )
    assert response.status_code == 400
    assert message in response.json()["error"]["message"]
    assert response.json()["error"]["field"] == "root_key"


def test_a_failing_store_is_503_and_its_detail_stays_in_the_log(
    make_client: Callable[..., TestClient], caplog: pytest.LogCaptureFixture
) -> None:
    class BrokenLedger:
        def size(self) -> int:
            raise StoreError("cannot reach postgresql://agritrace:hunter2@db/agritrace")

    client = make_client()
    client.app.dependency_overrides[get_ledger] = BrokenLedger  # type: ignore[attr-defined]
    response = client.get("/api/v1/log/entries")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "ledger_unavailable"
    assert "hunter2" not in response.text
    assert "cannot reach" in caplog.text
