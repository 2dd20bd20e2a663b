"""Signing in to the pages: the session cookie, login CSRF, expiry, sign-out, form checks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from tests.verifier_app.conftest import AppWorld
from tests.verifier_app.signing_in import sign_in, sign_in_form_value
from traceability import BatchError, LifecycleError, RoleError, ValidationError
from verifier_app import Settings
from verifier_app._auth import Caller, TokenFileError, TokenTable, hash_token
from verifier_app._errors import domain_status
from verifier_app._session import COOKIE, csrf_value, page_caller, safe_next
from verifier_app._session_store import ABSOLUTE, IDLE, SessionStore

HTML = {"Accept": "text/html"}


def _with_probe_page(client: TestClient) -> None:
    # A page only regulators may open, to test page_caller without the pages themselves.
    app: FastAPI = client.app  # type: ignore[assignment]

    @app.get("/probe")
    def probe(caller: Caller = Depends(page_caller("regulator"))) -> dict[str, str]:  # noqa: B008
        return {"actor": caller.actor}


def test_sign_in_keeps_a_random_session_id_not_the_token_in_a_strict_cookie(
    client: TestClient, app_world: AppWorld
) -> None:
    token = app_world.tokens["packing_station"]
    response = client.post(
        "/sign-in",
        data={"token": token, "next": "/staff?x=1", "csrf": sign_in_form_value(client)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/staff?x=1"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith(COOKIE))
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert f"Max-Age={int(ABSOLUTE)}" in cookie
    session_id = client.cookies[COOKIE]
    assert token not in cookie
    assert hash_token(token) not in cookie
    assert len(session_id) >= 43  # 32 random bytes, URL-safe base64
    # The server's file names neither the id nor the token.
    folder = app_world.keys.parent / "sessions"
    assert oct(folder.stat().st_mode & 0o777) == "0o700"
    (stored,) = folder.iterdir()
    assert session_id not in stored.name
    assert session_id not in stored.read_text()
    assert token not in stored.read_text()


def test_the_token_itself_in_the_cookie_no_longer_signs_in(
    client: TestClient, app_world: AppWorld
) -> None:
    _with_probe_page(client)
    client.cookies.set(COOKIE, app_world.tokens["regulator"])
    assert client.get("/probe", headers=HTML, follow_redirects=False).status_code == 303


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "null"},
        {},  # no Origin, no Fetch metadata: an old browser, still needs the form value
    ],
)
def test_login_csrf_from_a_foreign_page_is_refused_and_keeps_the_session(
    client: TestClient, app_world: AppWorld, headers: dict[str, str]
) -> None:
    _with_probe_page(client)
    sign_in(client, app_world.tokens["regulator"])
    mine = client.cookies[COOKIE]
    # A foreign page posts the attacker's token: it cannot read our page's hidden value,
    # and its post carries no pre-session cookie (SameSite=Strict) or the wrong value.
    attacker = app_world.tokens["packing_station"]
    forged = {"token": attacker, "csrf": "0" * 32 if headers == {} else ""}
    if headers:
        forged["csrf"] = sign_in_form_value(client)  # even with our value, wrong origin
    response = client.post(
        "/sign-in", data=forged, headers={**HTML, **headers}, follow_redirects=False
    )
    assert response.status_code == 403
    assert "did not come from this site" in response.text
    assert COOKIE not in response.headers.get("set-cookie", "")
    assert client.cookies[COOKIE] == mine
    assert client.get("/probe").json() == {"actor": "regulator-actor"}


def test_sign_in_without_the_pre_session_cookie_is_refused(
    client: TestClient, app_world: AppWorld
) -> None:
    value = sign_in_form_value(client)
    client.cookies.clear()
    response = client.post(
        "/sign-in", data={"token": app_world.tokens["packing_station"], "csrf": value}, headers=HTML
    )
    assert response.status_code == 403


def test_a_same_origin_sign_in_is_accepted(client: TestClient, app_world: AppWorld) -> None:
    value = sign_in_form_value(client)
    headers = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}
    response = client.post(
        "/sign-in",
        data={"token": app_world.tokens["packing_station"], "csrf": value},
        headers=headers,
        follow_redirects=False,
    )
    assert response.status_code == 303


def test_sign_out_revokes_the_session_on_the_server(
    client: TestClient, app_world: AppWorld
) -> None:
    _with_probe_page(client)
    csrf = sign_in(client, app_world.tokens["regulator"])
    stolen = client.cookies[COOKIE]
    response = client.post("/sign-out", data={"csrf": csrf}, follow_redirects=False)
    assert response.status_code == 303
    # A copy of the cookie taken before sign-out opens nothing afterwards.
    client.cookies.set(COOKIE, stolen)
    assert client.get("/probe", headers=HTML, follow_redirects=False).status_code == 303


def test_sessions_end_when_idle_and_at_the_absolute_limit(tmp_path: Path) -> None:
    now = [1_000_000.0]
    store = SessionStore(tmp_path / "s", clock=lambda: now[0])
    idle = store.open("a" * 64)
    busy = store.open("b" * 64)
    for _ in range(int(ABSOLUTE // 3600)):
        now[0] += 3600
        assert store.get(busy.id) is not None  # used every hour: stays open
    assert store.get(idle.id) is None  # unused beyond IDLE
    now[0] += IDLE / 2 + 1
    assert store.get(busy.id) is None  # past the absolute limit, however busy
    assert list((tmp_path / "s").iterdir()) == []  # both files are gone
    assert store.get("") is None
    assert store.get("x" * 500) is None


def test_every_worker_sees_a_session_another_opened(tmp_path: Path) -> None:
    # Two stores over one folder stand for two worker processes.
    first, second = SessionStore(tmp_path / "s"), SessionStore(tmp_path / "s")
    session = first.open("c" * 64)
    assert second.get(session.id) == session
    second.close(session.id)
    assert first.get(session.id) is None


def test_removing_a_token_from_the_token_file_ends_its_sessions(
    client: TestClient, app_world: AppWorld
) -> None:
    _with_probe_page(client)
    sign_in(client, app_world.tokens["regulator"])
    tokens = client.app.state.tokens  # type: ignore[attr-defined]
    kept = {h: c for h, c in tokens.by_hash.items() if c.actor != "regulator-actor"}
    client.app.state.tokens = TokenTable(kept)  # type: ignore[attr-defined]
    assert client.get("/probe", headers=HTML, follow_redirects=False).status_code == 303


def test_a_forged_non_ascii_form_value_is_a_403_not_a_crash(
    client: TestClient, app_world: AppWorld
) -> None:
    sign_in(client, app_world.tokens["packing_station"])
    assert client.post("/sign-out", data={"csrf": "é" * 32}, headers=HTML).status_code == 403
    response = client.post(
        "/sign-in", data={"token": "x", "csrf": "é"}, headers=HTML, follow_redirects=False
    )
    assert response.status_code == 403


def test_wrong_token_is_refused_with_a_page_and_logged_only_as_a_fingerprint(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    form = {"token": "guess-123", "lang": "en", "csrf": sign_in_form_value(client)}
    response = client.post("/sign-in", data=form, headers=HTML)
    assert response.status_code == 401
    assert "That token is not right" in response.text
    assert f"{COOKIE}=" not in response.headers.get("set-cookie", "")
    assert "guess-123" not in caplog.text
    assert hash_token("guess-123")[:8] in caplog.text


def test_sign_in_never_redirects_to_another_site(client: TestClient, app_world: AppWorld) -> None:
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        form = {"token": app_world.tokens["regulator"], "csrf": sign_in_form_value(client)}
        response = client.post(
            "/sign-in",
            data=form | {"next": target},
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
    sign_in(client, app_world.tokens["regulator"])
    assert client.get("/probe").json() == {"actor": "regulator-actor"}


def test_page_refuses_a_signed_in_person_without_the_role_with_a_page(
    client: TestClient, app_world: AppWorld
) -> None:
    _with_probe_page(client)
    sign_in(client, app_world.tokens["packing_station"])
    response = client.get("/probe?lang=en", headers=HTML)
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    assert "this page is for regulator" in response.text
    assert "Traceback" not in response.text


def test_bearer_token_does_not_open_pages(client: TestClient, app_world: AppWorld) -> None:
    # Pages go by the session cookie only; an API token in a header is not a sign-in.
    _with_probe_page(client)
    response = client.get("/probe", headers=app_world.auth("regulator"), follow_redirects=False)
    assert response.status_code == 401  # and told where the token works (test_auth.py)
    assert "/api/v1" in response.text


def test_sign_out_needs_the_form_value_then_clears_the_cookie(
    client: TestClient, app_world: AppWorld
) -> None:
    csrf = sign_in(client, app_world.tokens["packing_station"])
    forged = client.post("/sign-out", data={"csrf": "0" * 32}, headers=HTML)
    assert forged.status_code == 403
    missing = client.post("/sign-out", data={}, headers=HTML)
    assert missing.status_code == 403
    response = client.post("/sign-out", data={"csrf": csrf}, follow_redirects=False)
    assert response.status_code == 303
    assert f'{COOKIE}=""' in response.headers["set-cookie"]


def test_start_page_links_a_signed_in_person_to_their_pages(
    client: TestClient, app_world: AppWorld
) -> None:
    stranger = client.get("/?lang=en")
    assert stranger.status_code == 200
    assert 'href="/sign-in?lang=en"' in stranger.text
    assert 'href="/regulator"' not in stranger.text
    csrf = sign_in(client, app_world.tokens["regulator"])
    page = client.get("/?lang=en")
    assert 'href="/regulator"' in page.text
    assert "regulator-actor" in page.text
    assert csrf == csrf_value(client.cookies[COOKIE])
    assert csrf in page.text


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


def test_guessing_at_the_sign_in_form_gets_a_429_with_retry_after_even_for_the_right_token(
    make_client: Callable[..., TestClient], app_world: AppWorld
) -> None:
    client = make_client(auth_failure_burst=3, auth_failures_per_minute=1)
    for guess in range(3):
        form = {"token": f"guess-{guess}", "lang": "en", "csrf": sign_in_form_value(client)}
        assert client.post("/sign-in", data=form, headers=HTML).status_code == 401
    form = {"token": app_world.tokens["regulator"], "csrf": sign_in_form_value(client)}
    refused = client.post("/sign-in", data=form, headers=HTML, follow_redirects=False)
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    assert f"{COOKIE}=" not in refused.headers.get("set-cookie", "")


def test_one_token_signing_in_again_and_again_is_limited_per_credential(
    make_client: Callable[..., TestClient], app_world: AppWorld
) -> None:
    client = make_client(api_burst=2, api_rate_per_second=0.01)
    statuses = []
    for _ in range(3):
        form = {"token": app_world.tokens["regulator"], "csrf": sign_in_form_value(client)}
        answer = client.post("/sign-in", data=form, headers=HTML, follow_redirects=False)
        statuses.append(answer.status_code)
    assert statuses == [303, 303, 429]
