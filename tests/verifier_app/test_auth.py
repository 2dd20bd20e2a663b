"""Who may call what: a matrix over callers and protected routes; tokens never logged."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.ledger.conftest import notes
from tests.verifier_app.conftest import AppWorld
from traceability import Role as DomainRole
from verifier_app import ROLES, Caller, TokenTable, require_role
from verifier_app._auth import TokenFileError

CALLERS = ["anonymous", "unknown-token", "malformed-header", *sorted(ROLES)]

# route -> (method, path, body, roles allowed)
PROTECTED: dict[str, tuple[str, str, Any, set[str]]] = {
    "append": (
        "POST",
        "/api/v1/statements",
        "statement",
        {"cooperative", "lab", "logistics", "packing_station"},
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


# Everything a stranger may do: scan, read the log and its proofs, read the resolver's
# description. Every other operation in the OpenAPI schema must want a token.
PUBLIC_OPERATIONS = {
    ("get", "/01/{gtin}/10/{lot}"),
    ("get", "/01/{gtin}/10/{lot}/21/{serial}"),
    ("get", "/.well-known/gs1resolver"),
    ("get", "/api/v1/log/checkpoint"),
    ("get", "/api/v1/log/entries"),
    ("get", "/api/v1/log/entries/{seq}"),
    ("get", "/api/v1/log/proof/inclusion"),
    ("get", "/api/v1/log/proof/consistency"),
    ("get", "/log/checkpoint"),
    ("get", "/log/tile/{path}"),
    # Complaints need no account (rate limited, a form token: tests/verifier_app/test_complaints).
    ("get", "/api/v1/complaints/form"),
    ("post", "/api/v1/complaints"),
    ("get", "/alerts.json"),
    ("get", "/alerts.atom"),
}
_SAMPLE = {"gtin": "06912345678902", "lot": "KS-1", "serial": "1", "seq": "0"}


def _operations(client: TestClient) -> list[tuple[str, str]]:
    schema = client.get("/openapi.json").json()
    return [(method, path) for path, item in schema["paths"].items() for method in item]


def test_every_operation_not_listed_public_refuses_a_stranger(
    client: TestClient, app_world: AppWorld
) -> None:
    operations = _operations(client)
    assert len(operations) > 30  # the schema lists the staff, event and regulator routes
    size = app_world.ledger.size()
    for method, path in operations:
        if (method, path) in PUBLIC_OPERATIONS:
            continue
        url = path
        for name, value in _SAMPLE.items():
            url = url.replace(f"{{{name}}}", value)
        url = url.replace("{audit_id}", "x").replace("{kind}", "epcis").replace("{shipment}", "S")
        response = client.request(method.upper(), url, json={})
        assert response.status_code == 401, (method, path, response.status_code)
    assert app_world.ledger.size() == size


@pytest.mark.parametrize(
    "path", ["/staff", "/staff/record/harvest", "/regulator", "/regulator/audit"]
)
def test_pages_send_a_stranger_to_sign_in(client: TestClient, path: str) -> None:
    response = client.get(path, headers={"Accept": "text/html"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/sign-in?next=")


@pytest.mark.parametrize("path", ["/staff", "/regulator/audit", "/regulator/complaints"])
def test_pages_tell_a_script_where_its_token_works(
    client: TestClient, app_world: AppWorld, path: str
) -> None:
    # A redirect to a sign-in form is no answer for a script: it gets 401 and the API's place.
    token = {"Authorization": f"Bearer {app_world.tokens['regulator']}"}
    for headers in (token, {"Accept": "application/json"}, token | {"Accept": "text/html"}):
        response = client.get(path, headers=headers, follow_redirects=False)
        assert response.status_code == 401, (headers, response.status_code)
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert "/api/v1" in response.text
    # The token itself still works where it belongs.
    assert client.get("/api/v1/drift", headers=token).status_code == 200
    assert client.get("/api/v1/drift").status_code == 401


def test_token_roles_are_the_domains_roles() -> None:
    assert {r.value for r in DomainRole} == ROLES


def test_old_packer_role_in_a_token_file_still_signs_in_as_packing_station(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "tokens.toml"
    path.write_text(
        f'[[token]]\nsha256 = "{"c" * 64}"\nactor = "shed"\nroles = ["packer", "lab"]\n',
        encoding="utf-8",
    )
    with caplog.at_level(logging.WARNING, logger="verifier_app.auth"):
        table = TokenTable.load(path)
    assert table.by_hash["c" * 64].roles == {"packing_station", "lab"}
    assert "deprecated" in caplog.text
    assert "packing_station" in caplog.text
    path.write_text(
        f'[[token]]\nsha256 = "{"c" * 64}"\nactor = "shed"\nroles = ["packers"]\n',
        encoding="utf-8",
    )
    with pytest.raises(TokenFileError, match="roles: expected"):
        TokenTable.load(path)
