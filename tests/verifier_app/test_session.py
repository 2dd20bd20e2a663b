"""Signing in to the pages: the cookie, the form check, the start page, error pages."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from tests.verifier_app.conftest import AppWorld
from traceability import BatchError, LifecycleError, RoleError, ValidationError
from verifier_app import Settings
from verifier_app._auth import Caller, TokenFileError, TokenTable, hash_token
from verifier_app._errors import domain_status
from verifier_app._session import COOKIE, csrf_value, page_caller, safe_next

HTML = {"Accept": "text/html"}


def _with_probe_page(client: TestClient) -> None:
    # A page only regulators may open, to test page_caller without the pages themselves.
    app: FastAPI = client.app  # type: ignore[assignment]

    @app.get("/probe")
    def probe(caller: Caller = Depends(page_caller("regulator"))) -> dict[str, str]:  # noqa: B008
        return {"actor": caller.actor}


def test_sign_in_keeps_the_token_in_a_strict_http_only_cookie(
    client: TestClient, app_world: AppWorld
) -> None:
    response = client.post(
        "/sign-in",
        data={"token": app_world.tokens["packing_station"], "next": "/staff?x=1"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/staff?x=1"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Max-Age=43200" in cookie


def test_wrong_token_is_refused_with_a_page_and_logged_only_as_a_fingerprint(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    response = client.post("/sign-in", data={"token": "guess-123", "lang": "en"}, headers=HTML)
    assert response.status_code == 401
    assert "That token is not right" in response.text
    assert COOKIE not in response.headers.get("set-cookie", "")
    assert "guess-123" not in caplog.text
    assert hash_token("guess-123")[:8] in caplog.text


def test_sign_in_never_redirects_to_another_site(client: TestClient, app_world: AppWorld) -> None:
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        response = client.post(
            "/sign-in",
            data={"token": app_world.tokens["regulator"], "next": target},
            follow_redirects=False,
        )
        assert response.headers["location"] == "/regulator"
    assert safe_next("/staff/lots/KS-1") == "/staff/lots/KS-1"
    assert safe_next("//x") is None


def test_page_sends_a_stranger_to_sign_in_and_back(client: TestClient, app_world: AppWorld) -> None:
    _with_probe_page(client)
    response = client.get("/probe?lot=KS-1", headers=HTML, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=/probe%3Flot%3DKS-1"
    client.cookies.set(COOKIE, app_world.tokens["regulator"])
    assert client.get("/probe").json() == {"actor": "regulator-actor"}


def test_page_refuses_a_signed_in_person_without_the_role_with_a_page(
    client: TestClient, app_world: AppWorld
) -> None:
    _with_probe_page(client)
    client.cookies.set(COOKIE, app_world.tokens["packing_station"])
    response = client.get("/probe?lang=en", headers=HTML)
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    assert "this page is for regulator" in response.text
    assert "Traceback" not in response.text


def test_bearer_token_does_not_open_pages(client: TestClient, app_world: AppWorld) -> None:
    # Pages go by the session cookie only; an API token in a header is not a sign-in.
    _with_probe_page(client)
    response = client.get("/probe", headers=app_world.auth("regulator"), follow_redirects=False)
    assert response.status_code == 303


def test_sign_out_needs_the_form_value_then_clears_the_cookie(
    client: TestClient, app_world: AppWorld
) -> None:
    token = app_world.tokens["packing_station"]
    client.cookies.set(COOKIE, token)
    forged = client.post("/sign-out", data={"csrf": "0" * 32}, headers=HTML)
    assert forged.status_code == 403
    missing = client.post("/sign-out", data={}, headers=HTML)
    assert missing.status_code == 403
    response = client.post("/sign-out", data={"csrf": csrf_value(token)}, follow_redirects=False)
    assert response.status_code == 303
    assert f'{COOKIE}=""' in response.headers["set-cookie"]


def test_start_page_links_a_signed_in_person_to_their_pages(
    client: TestClient, app_world: AppWorld
) -> None:
    stranger = client.get("/?lang=en")
    assert stranger.status_code == 200
    assert 'href="/sign-in?lang=en"' in stranger.text
    assert 'href="/regulator"' not in stranger.text
    client.cookies.set(COOKIE, app_world.tokens["regulator"])
    page = client.get("/?lang=en")
    assert 'href="/regulator"' in page.text
    assert "regulator-actor" in page.text
    assert csrf_value(app_world.tokens["regulator"]) in page.text


def test_token_file_may_name_the_key_the_server_signs_with(tmp_path: Path) -> None:
    path = tmp_path / "tokens.toml"
    path.write_text(
        f'[[token]]\nsha256 = "{"b" * 64}"\nactor = "packing-shed"\n'
        f'roles = ["packing_station"]\nkey = "packing-shed"\n',
        encoding="utf-8",
    )
    assert TokenTable.load(path).by_hash["b" * 64] == Caller(
        "packing-shed", frozenset({"packing_station"}), "packing-shed"
    )
    path.write_text(
        f'[[token]]\nsha256 = "{"b" * 64}"\nactor = "x"\nroles = ["packing_station"]\n'
        'key = "../root"\n',
        encoding="utf-8",
    )
    with pytest.raises(TokenFileError, match="key: expected a key name"):
        TokenTable.load(path)


def test_domain_refusals_map_to_statuses_naming_field_or_rule() -> None:
    assert domain_status(ValidationError("lot", "a lot code", "x y")) == (
        422,
        "invalid_event",
        "lot",
    )
    assert domain_status(RoleError("trace.residue", ("packing_station",), "no")) == (
        403,
        "role_not_allowed",
        None,
    )
    held = LifecycleError("ship-requires-released", "lot KS-1 is on hold")
    assert domain_status(held) == (409, "ship-requires-released", None)
    assert domain_status(BatchError(3, ValidationError("quantity", "> 0", -1))) == (
        422,
        "invalid_event",
        "3.quantity",
    )


def test_unsigned_in_settings_still_start(make_client: Callable[..., TestClient]) -> None:
    # The pages need no setting of their own: the token file serves the API and sign-in.
    client = make_client()
    assert isinstance(client.app.state.settings, Settings)  # type: ignore[attr-defined]
    assert client.get("/sign-in").status_code == 200
