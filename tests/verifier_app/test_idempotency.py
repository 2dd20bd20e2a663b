"""Idempotency-Key on the write API: a retry replays, appends nothing; misuse is refused."""

from __future__ import annotations

import json
import re
import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ledger import Statement, format_time, key_id_for, sign_statement
from tests.verifier_app.staff_world import (
    StaffWorld,
    ago,
    cooling_body,
    harvest_body,
    residue_body,
    staff_client,
    staff_world,
)
from traceability import Recorder
from verifier_app import create_app
from verifier_app.staff._forms import local_now

__all__ = ["staff_client", "staff_world"]  # fixtures used by name


def keyed(world: StaffWorld, role: str, key: str) -> dict[str, str]:
    return world.auth(role) | {"Idempotency-Key": key}


# One body for the module: harvest_body() dates the harvest from now, and a retry sends
# exactly what the first attempt sent.
HARVEST = harvest_body()


def harvest(client: TestClient, world: StaffWorld, key: str, body: Any = None) -> Any:
    return client.post(
        "/api/v1/events/harvest",
        json=body or HARVEST,
        headers=keyed(world, "packing_station", key),
    )


def test_retry_with_the_same_key_replays_the_first_answer_and_appends_nothing(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    first = harvest(staff_client, staff_world, "k-1")
    assert first.status_code == 201, first.text
    assert "Idempotent-Replayed" not in first.headers
    size = staff_world.size()
    # The lot's status changes meanwhile: the replay is still the first answer.
    staff_client.post(
        "/api/v1/events/cooling", json=cooling_body(), headers=staff_world.auth("packing_station")
    )
    again = harvest(staff_client, staff_world, "k-1")
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.content == first.content
    assert staff_world.size() == size + 1  # the cooling only


def test_retry_of_a_refused_event_would_be_refused_but_a_replay_is_not(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    """Recording the harvest anew would be refused (the lot exists): the key is seen first."""
    assert harvest(staff_client, staff_world, "k-2").status_code == 201
    again = harvest(staff_client, staff_world, "k-2")
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    fresh = harvest(staff_client, staff_world, "k-3")
    assert fresh.status_code == 409  # a new key: a new request, which the rules refuse


def test_same_json_with_other_spacing_is_the_same_request(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    body = HARVEST
    assert harvest(staff_client, staff_world, "k-4", body).status_code == 201
    size = staff_world.size()
    spaced = json.dumps(dict(reversed(list(body.items()))), indent=3)
    again = staff_client.post(
        "/api/v1/events/harvest",
        content=spaced,
        headers=keyed(staff_world, "packing_station", "k-4") | {"Content-Type": "application/json"},
    )
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert staff_world.size() == size


def test_same_key_with_another_request_is_refused_naming_the_header(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    assert harvest(staff_client, staff_world, "k-5").status_code == 201
    size = staff_world.size()
    other = harvest(staff_client, staff_world, "k-5", harvest_body("H2"))
    assert other.status_code == 422
    assert other.json()["error"]["field"] == "Idempotency-Key"
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert staff_world.size() == size
    # The same key on another route is another request too.
    cooling = staff_client.post(
        "/api/v1/events/cooling",
        json=cooling_body(),
        headers=keyed(staff_world, "packing_station", "k-5"),
    )
    assert cooling.status_code == 422
    assert staff_world.size() == size


def test_another_callers_key_never_replays(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    assert harvest(staff_client, staff_world, "shared").status_code == 201
    size = staff_world.size()
    body = {"lot": {"gtin": harvest_body()["lot"]["gtin"], "lot": "H1"}, "reason": "check",
            "time": harvest_body(minutes_ago=50)["time"]}  # fmt: skip
    hold = staff_client.post(
        "/api/v1/events/hold", json=body, headers=keyed(staff_world, "cooperative", "shared")
    )
    assert hold.status_code == 201, hold.text
    assert "Idempotent-Replayed" not in hold.headers
    assert staff_world.size() == size + 1


@pytest.mark.parametrize("key", ["", "x" * 256, "caf\u00e9", "tab\there"])
def test_malformed_keys_are_refused_naming_the_header(
    staff_client: TestClient, staff_world: StaffWorld, key: str
) -> None:
    size = staff_world.size()
    raw = [(k.encode(), v.encode()) for k, v in staff_world.auth("packing_station").items()]
    response = staff_client.post(
        "/api/v1/events/harvest",
        json=harvest_body(),
        headers=[*raw, (b"Idempotency-Key", key.encode())],
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "Idempotency-Key"
    assert staff_world.size() == size


def test_a_quoted_structured_field_key_names_the_same_key(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    assert harvest(staff_client, staff_world, "abc-1").status_code == 201
    again = harvest(staff_client, staff_world, '"abc-1"')
    assert again.headers.get("Idempotent-Replayed") == "true"


def test_a_key_in_use_by_a_running_request_is_409(
    staff_world: StaffWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two requests with one key at once: one records, the other is told to retry later."""
    entered, release = threading.Event(), threading.Event()
    original = Recorder.record

    def slow(self: Recorder, *args: Any, **kwargs: Any) -> Any:
        entered.set()
        assert release.wait(10)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Recorder, "record", slow)
    with TestClient(create_app(staff_world.settings())) as client:
        answers: list[int] = []
        first = threading.Thread(
            target=lambda: answers.append(harvest(client, staff_world, "k").status_code)
        )
        first.start()
        assert entered.wait(10)
        second = harvest(client, staff_world, "k")
        release.set()
        first.join(10)
    assert answers == [201]
    assert second.status_code == 409
    assert second.json()["error"]["field"] == "Idempotency-Key"
    assert second.json()["error"]["code"] == "idempotency_key_in_use"


def test_a_key_committed_by_another_worker_meanwhile_is_replayed(
    staff_client: TestClient, staff_world: StaffWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The look-up before the lock found nothing; the claim under the lock finds the key."""
    first = harvest(staff_client, staff_world, "k-race")
    size = staff_world.size()
    app = staff_client.app
    holder = app.state.recorder  # type: ignore[attr-defined]
    monkeypatch.setattr(holder.projection, "idempotency", lambda scope, key: None)
    again = harvest(staff_client, staff_world, "k-race")
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.content == first.content
    assert staff_world.size() == size


def test_an_answer_not_stored_is_rebuilt_from_the_receipt(
    staff_client: TestClient, staff_world: StaffWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server stopped between the commit and storing the answer: the receipt answers."""
    monkeypatch.setattr(Recorder, "remember", lambda *a, **k: None)
    first = harvest(staff_client, staff_world, "k-lost")
    again = harvest(staff_client, staff_world, "k-lost")
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()


def test_statements_api_replays_and_signed_statements_stay_deduplicated(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    lab = staff_world.keys.load("kashgar-lab")
    harvest(staff_client, staff_world, "h")
    staff_client.post(
        "/api/v1/events/cooling", json=cooling_body(), headers=staff_world.auth("packing_station")
    )
    key_id = key_id_for(lab.public_key().public_bytes_raw())
    statement = Statement(
        staff_world.ledger.origin,
        "trace.residue",
        residue_body(),
        key_id,
        format_time(datetime.now(UTC)),
    )
    wire = sign_statement(statement, lab).to_json()
    headers = keyed(staff_world, "lab", "st-1")
    first = staff_client.post("/api/v1/statements", json=wire, headers=headers)
    assert first.status_code == 201, first.text
    size = staff_world.size()
    again = staff_client.post("/api/v1/statements", json=wire, headers=headers)
    assert (again.status_code, again.content) == (201, first.content)
    assert again.headers["Idempotent-Replayed"] == "true"
    # Without a key, the ledger's own deduplication by statement hash answers.
    plain = staff_client.post("/api/v1/statements", json=wire, headers=staff_world.auth("lab"))
    assert plain.status_code == 200
    assert plain.json()["receipts"][0]["duplicate"] is True
    # With a new key, the same: nothing appended, the first receipt.
    fresh = staff_client.post(
        "/api/v1/statements", json=wire, headers=keyed(staff_world, "lab", "st-2")
    )
    assert fresh.status_code == 200
    assert fresh.json()["receipts"][0]["seq"] == size - 1
    assert staff_world.size() == size


def test_regulator_hold_and_recall_routes_take_keys(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    harvest(staff_client, staff_world, "h")
    body = {"gtin": harvest_body()["lot"]["gtin"], "lot": "H1", "reason": "sample"}
    headers = keyed(staff_world, "regulator", "hold-1")
    first = staff_client.post("/api/v1/holds", json=body, headers=headers)
    assert first.status_code == 201, first.text
    size = staff_world.size()
    again = staff_client.post("/api/v1/holds", json=body, headers=headers)
    assert again.content == first.content
    assert again.headers["Idempotent-Replayed"] == "true"
    headers = keyed(staff_world, "regulator", "recall-1")
    first = staff_client.post("/api/v1/recalls", json=body, headers=headers)
    assert first.status_code == 201, first.text
    again = staff_client.post("/api/v1/recalls", json=body, headers=headers)
    assert again.content == first.content
    assert again.headers["Idempotent-Replayed"] == "true"
    assert staff_world.size() == size + 1


# --- the forms: a fresh key per render, a double submit records once ------------------------

HTML = {"Accept": "text/html"}
_KEY_FIELD = re.compile(r'name="idempotency_key" value="([^"]+)"')


def rendered_key(page: str) -> str:
    found = _KEY_FIELD.search(page)
    assert found is not None, "the form carries no idempotency key"
    return found.group(1)


def test_a_staff_form_sent_twice_records_once_and_answers_the_same_page(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    csrf = staff_world.sign_in(staff_client, "packing_station")
    page = staff_client.get("/staff/record/harvest?lang=en", headers=HTML)
    key = rendered_key(page.text)
    assert key != rendered_key(staff_client.get("/staff/record/harvest", headers=HTML).text)
    values = {"csrf": csrf, "idempotency_key": key, "lot_code": "H7", "plot": "YK-P1",
              "variety": "Hongyan", "quantity": "40", "time": local_now()}  # fmt: skip
    values["product"] = harvest_body()["lot"]["gtin"]
    size = staff_world.size()
    answers = [
        staff_client.post(
            "/staff/record/harvest?lang=en", data=values, headers=HTML, follow_redirects=False
        )
        for _ in range(2)
    ]
    assert [a.status_code for a in answers] == [303, 303], answers[0].text
    assert answers[0].headers["location"] == answers[1].headers["location"]
    assert staff_world.size() == size + 1
    # Edited and sent again from the same page (back, change the lot code, save): the
    # packer means a new harvest, and it is recorded, once.
    edited = [
        staff_client.post(
            "/staff/record/harvest?lang=en",
            data=values | {"lot_code": "H8"},
            headers=HTML,
            follow_redirects=False,
        )
        for _ in range(2)
    ]
    assert [a.status_code for a in edited] == [303, 303], edited[0].text
    assert "H8" in edited[0].headers["location"]
    assert staff_world.size() == size + 2


def test_the_regulator_recall_form_sent_twice_records_once(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    harvest(staff_client, staff_world, "h")
    csrf = staff_world.sign_in(staff_client, "regulator")
    form = {"csrf": csrf, "gtin": harvest_body()["lot"]["gtin"], "lot": "H1", "reason": "mould"}
    confirm = staff_client.post("/regulator/recall/confirm?lang=en", data=form, headers=HTML)
    assert confirm.status_code == 200, confirm.text
    form["idempotency_key"] = rendered_key(confirm.text)
    size = staff_world.size()
    first = staff_client.post("/regulator/recall?lang=en", data=form, headers=HTML)
    second = staff_client.post("/regulator/recall?lang=en", data=form, headers=HTML)
    assert (first.status_code, second.status_code) == (201, 201), second.text
    assert f"Recalled. Ledger entry <bdi>{size}</bdi>" in second.text
    assert staff_world.size() == size + 1


@pytest.mark.parametrize(
    "body", [b'{"lot": "\\ud800"}', b"[" * 50_000 + b"]" * 50_000, b"not json", b"\xff\xfe"]
)
def test_odd_bodies_with_a_key_get_a_4xx_not_a_crash(
    staff_client: TestClient, staff_world: StaffWorld, body: bytes
) -> None:
    response = staff_client.post(
        "/api/v1/events/harvest",
        content=body,
        headers=keyed(staff_world, "packing_station", "odd") | {"Content-Type": "application/json"},
    )
    assert 400 <= response.status_code < 500, response.text


def test_a_browser_client_on_another_origin_may_send_the_key_and_read_the_replay(
    staff_client: TestClient,
) -> None:
    preflight = staff_client.options(
        "/api/v1/events/harvest",
        headers={
            "Origin": "https://packhouse-app.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
        },
    )
    assert preflight.status_code == 200
    assert "idempotency-key" in preflight.headers["access-control-allow-headers"].lower()
    answer = staff_client.get("/.well-known/gs1resolver", headers={"Origin": "https://x.example"})
    assert "Idempotent-Replayed" in answer.headers["access-control-expose-headers"]


def test_the_lot_pages_certificate_and_label_forms_sent_twice_record_once(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    """A double click on 'issue' or 'print' records one certificate, one label run."""
    lot = harvest_body()["lot"]
    harvest(staff_client, staff_world, "h")
    for role, kind, body in (
        ("packing_station", "cooling", cooling_body()),
        ("lab", "residue", residue_body()),
        ("cooperative", "release", {"lot": lot, "note": "ok", "time": ago(1)}),
    ):
        answer = staff_client.post(
            f"/api/v1/events/{kind}", json=body, headers=staff_world.auth(role)
        )
        assert answer.status_code == 201, answer.text
    csrf = staff_world.sign_in(staff_client, "cooperative")
    lot_page = f"/staff/lots/{lot['gtin']}/{lot['lot']}"
    page = staff_client.get(f"{lot_page}?lang=en", headers=HTML).text
    keys = _KEY_FIELD.findall(page)
    assert len(keys) == 2  # the label form's and the certificate form's
    size = staff_world.size()
    certificate = {"csrf": csrf, "contact": "0998-1234567", "basis": ["自我检测"],
                   "idempotency_key": keys[1]}  # fmt: skip
    first, second = (
        staff_client.post(f"{lot_page}/certificate?lang=en", data=certificate, headers=HTML)
        for _ in range(2)
    )
    assert (first.status_code, second.status_code) == (200, 200), second.text
    assert first.headers["content-disposition"] == second.headers["content-disposition"]
    assert f"certificate-{lot['lot']}-{size}.pdf" in second.headers["content-disposition"]
    assert staff_world.size() == size + 1
    labels = {"csrf": csrf, "format": "zpl", "count": "2", "idempotency_key": keys[0]}
    first, second = (
        staff_client.post(f"{lot_page}/labels", data=labels, headers=HTML) for _ in range(2)
    )
    assert (first.status_code, second.status_code) == (200, 200), second.text
    assert first.content == second.content
    assert staff_world.size() == size + 2
    # The same rendered form sent again with another format (the PNG, then the PDF, from one
    # page with no render between) is a new print: recorded, not refused as a reused key.
    other = staff_client.post(f"{lot_page}/labels", data=labels | {"format": "png"}, headers=HTML)
    assert other.status_code == 200, other.text
    assert other.headers["content-type"] == "image/png"
    assert staff_world.size() == size + 3
