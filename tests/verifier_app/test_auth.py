"""Who may call what: a matrix over callers and protected routes; tokens never logged."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.ledger.conftest import notes
from tests.verifier_app.conftest import AppWorld
from verifier_app import ROLES, Caller, require_role

CALLERS = ["anonymous", "unknown-token", "malformed-header", *sorted(ROLES)]

# route -> (method, path, body, roles allowed)
PROTECTED: dict[str, tuple[str, str, Any, set[str]]] = {
    "append": (
        "POST",
        "/api/v1/statements",
        "statement",
        {"cooperative", "lab", "logistics", "packer"},
    ),
    "cosign": (
        "POST",
        "/api/v1/log/cosignatures",
        {"size": 1, "cosignature": "\u2014 w.example AAAA"},
        {"regulator"},
    ),
    "start-audit": ("POST", "/api/v1/audits", None, {"regulator"}),
    "read-audit": ("GET", "/api/v1/audits/some-id", None, {"regulator"}),
}


def headers_for(world: AppWorld, caller: str) -> dict[str, str]:
    if caller == "anonymous":
        return {}
    if caller == "unknown-token":
        return {"Authorization": "Bearer not-a-known-token"}
    if caller == "malformed-header":
        return {"Authorization": world.tokens["regulator"]}  # no "Bearer " scheme
    return world.auth(caller)


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("route", sorted(PROTECTED))
def test_role_matrix(client: TestClient, app_world: AppWorld, route: str, caller: str) -> None:
    method, path, body, allowed = PROTECTED[route]
    if body == "statement":
        body = notes(app_world.packer, 1)[0].to_json()
    size = app_world.ledger.size()
    checkpoint = client.get("/api/v1/log/checkpoint").text
    response = client.request(method, path, json=body, headers=headers_for(app_world, caller))
    if caller in allowed:
        assert response.status_code not in (401, 403), response.text
        return
    expected = 403 if caller in ROLES else 401
    assert response.status_code == expected, response.text
    assert response.json()["error"]["code"] == (
        "forbidden" if expected == 403 else "unauthenticated"
    )
    if expected == 401:
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert app_world.ledger.size() == size
    assert client.get("/api/v1/log/checkpoint").text == checkpoint


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/log/checkpoint",
        "/api/v1/log/entries",
        "/api/v1/log/entries/0",
        "/api/v1/log/proof/inclusion?seq=0",
        "/api/v1/log/proof/consistency?size1=1",
        "/.well-known/gs1resolver",
    ],
)
def test_verification_needs_no_token(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 200


def test_forbidden_message_names_the_role_needed(client: TestClient, app_world: AppWorld) -> None:
    response = client.post("/api/v1/audits", headers=app_world.auth("lab"))
    message = response.json()["error"]["message"]
    assert "regulator" in message
    assert "lab-actor" in message


def test_tokens_never_appear_in_logs(
    client: TestClient, app_world: AppWorld, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "this-is-a-secret-token-" + "x" * 20
    for token in [*app_world.tokens.values(), secret]:
        auth = {"Authorization": f"Bearer {token}"}
        client.post("/api/v1/audits", headers=auth)
        client.post("/api/v1/statements", json={"statement": {}, "signature": ""}, headers=auth)
    assert "refused unknown token" in caplog.text
    for token in [*app_world.tokens.values(), secret]:
        assert token not in caplog.text
    for record in caplog.records:
        assert secret not in str(record.args)


def test_require_role_refuses_unknown_roles() -> None:
    with pytest.raises(ValueError, match="expected roles"):
        require_role("chef")  # type: ignore[arg-type]


def test_a_token_with_two_roles_passes_either_check() -> None:
    check = require_role("regulator")
    both = Caller("inspector", frozenset({"lab", "regulator"}))
    assert check(both) is both
