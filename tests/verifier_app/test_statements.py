"""The append API: signed statements in, receipts out; every refusal changes nothing."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ledger import KEY_REVOKE, leaf_hash, revoke_body
from tests.ledger.conftest import Actor, notes
from tests.verifier_app.conftest import AppWorld


def wire(world: AppWorld, count: int = 1, start: int = 0) -> list[dict[str, Any]]:
    return [s.to_json() for s in notes(world.packer, count, start)]


def post(client: TestClient, world: AppWorld, body: Any, role: str = "packing_station") -> Any:
    return client.post("/api/v1/statements", json=body, headers=world.auth(role))


def test_one_statement_is_appended_and_its_receipt_matches_the_entry(
    client: TestClient, app_world: AppWorld
) -> None:
    size = app_world.ledger.size()
    response = post(client, app_world, wire(app_world)[0])
    assert response.status_code == 201, response.text
    (receipt,) = response.json()["receipts"]
    assert receipt["seq"] == size
    assert receipt["duplicate"] is False
    record = app_world.ledger.entry(size)
    assert base64.b64decode(receipt["leaf_hash"]) == leaf_hash(record.leaf())
    assert receipt["log_time"] == record.log_time


def test_a_batch_is_appended_in_order(client: TestClient, app_world: AppWorld) -> None:
    size = app_world.ledger.size()
    response = post(client, app_world, wire(app_world, 5))
    assert response.status_code == 201
    assert [r["seq"] for r in response.json()["receipts"]] == list(range(size, size + 5))
    assert app_world.ledger.size() == size + 5


def test_resending_is_safe_and_answers_the_first_receipt(
    client: TestClient, app_world: AppWorld
) -> None:
    body = wire(app_world)[0]
    first = post(client, app_world, body).json()["receipts"][0]
    size = app_world.ledger.size()
    again = post(client, app_world, body)
    assert again.status_code == 200
    assert again.json()["receipts"][0] == first | {"duplicate": True}
    assert app_world.ledger.size() == size


def bad_signature(world: AppWorld) -> dict[str, Any]:
    body = wire(world)[0]
    raw = bytearray(base64.b64decode(body["signature"]))
    raw[0] ^= 1
    body["signature"] = base64.b64encode(bytes(raw)).decode()
    return body


def unknown_key(world: AppWorld) -> dict[str, Any]:
    stranger = Actor("stranger")
    return stranger.sign("test.note", {"n": 1}).to_json()


def other_log(world: AppWorld) -> dict[str, Any]:
    actor = Actor("packer-1", key=world.packer.key, origin="another.example/log")
    return actor.sign("test.note", {"n": 1}).to_json()


def field(world: AppWorld, name: str, value: Any) -> dict[str, Any]:
    body = wire(world)[0]
    body["statement"][name] = value
    return body


CASES: dict[str, tuple[Callable[[AppWorld], Any], int, str | None]] = {
    "bad base64 signature": (lambda w: wire(w)[0] | {"signature": "@@@"}, 422, "signature"),
    "short signature": (lambda w: wire(w)[0] | {"signature": "AAAA"}, 422, "signature"),
    "signature does not verify": (bad_signature, 422, None),
    "unknown key": (unknown_key, 403, None),
    "statement for another log": (other_log, 422, None),
    "bad kind": (lambda w: field(w, "kind", "Not A Kind"), 422, "kind"),
    "bad time": (lambda w: field(w, "time", "yesterday"), 422, "time"),
    "body not an object": (lambda w: field(w, "body", [1]), 422, "body.statement.body"),
    "extra member": (lambda w: wire(w)[0] | {"extra": 1}, 422, "body.extra"),
    "missing signature": (lambda w: {"statement": wire(w)[0]["statement"]}, 422, None),
    "empty batch": (lambda w: [], 422, None),
    "not an object": (lambda w: "hello", 422, None),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_statements_are_refused_and_nothing_is_appended(
    client: TestClient, app_world: AppWorld, case: str
) -> None:
    make, status, where = CASES[case]
    size = app_world.ledger.size()
    response = post(client, app_world, make(app_world))
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["message"]
    if where is not None:
        assert where in (error.get("field") or "") + error["message"]
    assert app_world.ledger.size() == size


def test_one_bad_statement_in_a_batch_refuses_the_batch_and_names_it(
    client: TestClient, app_world: AppWorld
) -> None:
    batch = wire(app_world, 3)
    batch[2] = bad_signature(app_world)
    size = app_world.ledger.size()
    response = post(client, app_world, batch)
    assert response.status_code == 422
    assert "statement 2" in response.json()["error"]["message"]
    assert app_world.ledger.size() == size


def test_malformed_json_is_refused(client: TestClient, app_world: AppWorld) -> None:
    size = app_world.ledger.size()
    response = client.post(
        "/api/v1/statements",
        content=b'{"statement": ',
        headers=app_world.auth("packing_station") | {"Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["message"] == "body: expected valid JSON"
    assert app_world.ledger.size() == size


def test_a_batch_over_the_limit_is_refused(make_client: Any, app_world: AppWorld) -> None:
    client = make_client(max_batch=3)
    size = app_world.ledger.size()
    response = post(client, app_world, wire(app_world, 4))
    assert response.status_code == 422
    assert "at most 3 statements" in response.json()["error"]["message"]
    assert app_world.ledger.size() == size


def test_oversize_body_is_refused_with_413_before_parsing(
    make_client: Any, app_world: AppWorld
) -> None:
    client = make_client(max_body_bytes=2048)
    size = app_world.ledger.size()
    response = post(client, app_world, wire(app_world, 20))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"
    assert app_world.ledger.size() == size


def test_oversize_chunked_body_is_refused_with_413(make_client: Any, app_world: AppWorld) -> None:
    client = make_client(max_body_bytes=2048)
    payload = json.dumps(wire(app_world, 20)).encode()

    def chunks() -> Any:
        for i in range(0, len(payload), 500):
            yield payload[i : i + 500]

    size = app_world.ledger.size()
    response = client.post(
        "/api/v1/statements",
        content=chunks(),
        headers=app_world.auth("packing_station") | {"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert app_world.ledger.size() == size


def test_a_body_just_under_the_limit_is_accepted(make_client: Any, app_world: AppWorld) -> None:
    body = json.dumps(wire(app_world)[0]).encode()
    client = make_client(max_body_bytes=max(1024, len(body)))
    response = client.post(
        "/api/v1/statements",
        content=body,
        headers=app_world.auth("packing_station") | {"Content-Type": "application/json"},
    )
    assert response.status_code == 201


def test_a_revoked_key_may_not_append(client: TestClient, app_world: AppWorld) -> None:
    app_world.ledger.append(
        app_world.root.sign(KEY_REVOKE, revoke_body(app_world.packer.key_id, "lost phone"))
    )
    size = app_world.ledger.size()
    response = post(client, app_world, wire(app_world)[0])
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "key_not_allowed"
    assert app_world.ledger.size() == size
