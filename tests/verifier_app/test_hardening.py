"""Attacks on the write API: hostile text, secrets in errors, token guessing."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from tests.verifier_app.staff_world import (  # noqa: F401
    StaffWorld,
    harvest_body,
    staff_client,
    staff_world,
)
from verifier_app import create_app

BIDI_AND_CONTROLS = ["\x00", "\u202e", "\u2066", "\u200b", "\x1b[31m", "\ud800"]


@pytest.mark.parametrize("bad", BIDI_AND_CONTROLS)
def test_hostile_text_is_a_clear_422_naming_the_field_and_appends_nothing(
    staff_client: TestClient,  # noqa: F811
    staff_world: StaffWorld,  # noqa: F811
    bad: str,
) -> None:
    size = staff_world.size()
    body = harvest_body("H1", variety=f"Hongyan{bad}")
    # Built by hand: a lone surrogate is not valid UTF-8, so JSON must escape it.
    payload = json.dumps(body).encode()
    response = staff_client.post(
        "/api/v1/events/harvest",
        content=payload,
        headers={**staff_world.auth("packing_station"), "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == "body.variety"
    assert staff_world.size() == size


def test_a_token_naming_a_missing_key_reveals_no_path_and_no_key_names(
    staff_client: TestClient,  # noqa: F811
    staff_world: StaffWorld,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    (staff_world.keys.path / "packing-shed.pem").unlink()
    response = staff_client.post(
        "/api/v1/events/harvest",
        json=harvest_body("H1"),
        headers=staff_world.auth("packing_station"),
    )
    assert response.status_code == 503
    text = response.text
    assert str(staff_world.folder) not in text
    for name in ("packing-shed", "coop-admin", "kashgar-lab", "label", ".pem", "keys"):
        assert name not in text
    # The operator still learns what is wrong, from the server's log.
    assert "packing-shed" in caplog.text


def test_guessing_tokens_gets_a_429_with_retry_after_even_for_the_right_token(
    staff_world: StaffWorld,  # noqa: F811
) -> None:
    settings = staff_world.settings(auth_failure_burst=3, auth_failures_per_minute=1)
    with TestClient(create_app(settings)) as client:
        url = "/api/v1/events/harvest"
        for guess in range(3):
            wrong = {"Authorization": f"Bearer guess-{guess}"}
            assert client.post(url, json={}, headers=wrong).status_code == 401
        refused = client.post(
            url, json=harvest_body("H1"), headers=staff_world.auth("packing_station")
        )
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) >= 1
        assert refused.json()["error"]["code"] == "rate_limited"


def test_one_token_cannot_flood_the_write_api(staff_world: StaffWorld) -> None:  # noqa: F811
    settings = staff_world.settings(api_burst=2, api_rate_per_second=0.01)
    with TestClient(create_app(settings)) as client:
        statuses = [
            client.post(
                "/api/v1/events/harvest",
                json=harvest_body(f"H{n}"),
                headers=staff_world.auth("packing_station"),
            ).status_code
            for n in range(3)
        ]
    assert statuses == [201, 201, 429]
