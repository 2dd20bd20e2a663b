"""The event API: every route records, refuses the wrong roles and bad input, appends nothing."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ledger import Statement, format_time, key_id_for, sign_statement
from tests.verifier_app.staff_world import (
    JAM,
    STRAWBERRY,
    StaffWorld,
    ago,
    cooling_body,
    grading_body,
    harvest_body,
    ref,
    residue_body,
    staff_client,
    staff_world,
)
from traceability.projection._status_map import update_map
from verifier_app import create_app
from verifier_app.staff._events_api import EVENT_ROLES

__all__ = ["staff_client", "staff_world"]  # fixtures used by name

ROLES = ("packing_station", "cooperative", "logistics", "lab", "regulator")


def post(client: TestClient, world: StaffWorld, role: str, kind: str, body: Any) -> Any:
    return client.post(f"/api/v1/events/{kind}", json=body, headers=world.auth(role))


def ok(client: TestClient, world: StaffWorld, role: str, kind: str, body: Any) -> dict[str, Any]:
    response = post(client, world, role, kind, body)
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


def released_lot(client: TestClient, world: StaffWorld, lot: str = "H1") -> None:
    """Harvest, cool, test and release ``lot``."""
    ok(client, world, "packing_station", "harvest", harvest_body(lot))
    ok(client, world, "packing_station", "cooling", cooling_body(lot))
    ok(client, world, "lab", "residue", residue_body(lot))
    ok(client, world, "cooperative", "release", {"lot": ref(lot), "note": "ok", "time": ago(1)})


def test_harvest_is_signed_by_the_callers_key_and_answers_receipt_and_status(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    size = staff_world.size()
    answer = ok(staff_client, staff_world, "packing_station", "harvest", harvest_body())
    assert answer["seq"] == size
    assert answer["kind"] == "trace.harvest"
    assert len(answer["leaf_hash"]) == 44  # base64 of 32 bytes
    assert answer["lots"] == [{"gtin": STRAWBERRY, "lot": "H1", "status": "active", "reason": None}]
    record = staff_world.ledger.entry(size)
    packer_key = staff_world.keys.load("packing-shed").public_key().public_bytes_raw()
    assert record.statement.key_id == key_id_for(packer_key)


def test_every_event_route_records_a_season(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    c, w = staff_client, staff_world
    coop = {
        "name_zh": "叶城果农合作社",
        "name_en": "Yecheng Growers",
        "address": "1 Rd",
        "county": "叶城",
    }
    ok(c, w, "cooperative", "cooperative", coop)
    ok(c, w, "cooperative", "product", {"gtin": JAM, "commodity": "strawberry_jam", "name": "酱"})
    farm = {"farm": "YK-F2", "grower": "G", "village": "V", "county": "C", "plots": ["YK-P9"]}
    ok(c, w, "cooperative", "farm", farm | {"phone": "+86 998 555 0199"})
    site = {"site": "PS1", "business_name": "Shed", "address": "1 Rd", "phone": "+86 998 1"}
    ok(c, w, "cooperative", "site", site)
    spray = {
        "plot": "YK-P9",
        "category": "fertiliser",
        "product_name": "compost",
        "active_substance": "none",
        "dose": "1",
        "dose_unit": "kg/ha",
        "time": ago(600),
        "operator": "Ali",
    }
    ok(c, w, "cooperative", "input", spray)
    grower = {"farm": "YK-F2", "grower": "G", "time": ago(700)}
    course = {"course": "IPM", "hours": "4", "trainer": "extension station"}
    ok(c, w, "cooperative", "training", grower | course)
    assessed = {"assessment": "A-1", "topic": "gap_basics", "outcome": "pass"}
    ok(
        c,
        w,
        "cooperative",
        "assessment",
        grower | assessed | {"valid_until": "2099-01-01", "assessor": "X"},
    )
    released_lot(c, w, "H1")
    ok(c, w, "packing_station", "harvest", harvest_body("H2"))
    ok(c, w, "packing_station", "grading", grading_body("H2", "G2"))
    cert = {"lot": ref("H1"), "basis": ["委托检测"], "quantity": "100 kg", "time": ago(1.2)}
    ok(c, w, "cooperative", "certificate", cert)
    run = {"lot": ref("H1"), "count": 2, "serials": ["A1", "A2"], "time": ago(1.1)}
    ok(c, w, "packing_station", "labels", run)
    packing = {"unit_id": "PAL-1", "lots": [ref("H1")], "site": "PS1", "time": ago(1)}
    ok(c, w, "packing_station", "packing", packing)
    shipping = {
        "shipment": "SH-1",
        "lots": [ref("H1")],
        "origin": "PS1",
        "destination": "URUMQI-DC",
        "time": ago(1),
    }
    answer = ok(c, w, "logistics", "shipping", shipping)
    assert answer["lots"][0]["status"] == "shipped"
    receiving = {"shipment": "SH-1", "receiver": "URUMQI-DC", "time": ago(0.5)}
    assert ok(c, w, "logistics", "receiving", receiving)["lots"][0]["status"] == "received"
    hold = {"lot": ref("G2"), "reason": "bruised", "time": ago(0.5)}
    assert ok(c, w, "cooperative", "hold", hold)["lots"][0]["status"] == "on_hold"
    processing = {
        "inputs": [ref("H1")],
        "output": ref("J1", JAM),
        "quantity": "10",
        "process": "jam",
        "time": ago(0.4),
    }
    ok(c, w, "packing_station", "processing", processing)
    recall = {"lot": ref("H2"), "reason": "listeria", "time": ago(0.2)}
    statuses = {
        lot["lot"]: lot["status"] for lot in ok(c, w, "cooperative", "recall", recall)["lots"]
    }
    assert statuses["H2"] == "recalled"
    # A complaint taken by phone (the scan page's form has its own route), and a warning.
    complaint = {"lot": ref("G2"), "category": "spoiled", "text": "mould", "language": "zh"}
    taken = ok(c, w, "cooperative", "complaint", complaint | {"time": ago(0.2)})
    decision = {
        "complaint": taken["seq"],
        "lot": ref("G2"),
        "action": "warning",
        "rule": "GB 2763",
        "reason": "packaging",
        "time": ago(0.1),
    }
    ok(c, w, "regulator", "decision", decision)
    # Sampling (the fixture enrolled the lab and the regulator approved it: trace.lab and
    # trace.lab_approval are on the ledger already).
    plan = {"plan": "SP-1", "gtin": STRAWBERRY, "every_days": 7, "analyses": ["pesticide_residues"]}
    ok(c, w, "cooperative", "sampling_plan", plan | {"time": ago(0.15)})
    sample = {"sample_id": "SMP-1", "lot": ref("H1"), "taken_by": "lab", "lab": "KS-LAB"}
    sample |= {"sampler": "Ali", "analyses": ["pesticide_residues"], "time": ago(0.1)}
    ok(c, w, "lab", "sample", sample)
    # A lot taken in from another member's log (issue 15): this log checks what it can see;
    # the source entry is verified where both logs are read (traceability.Alliance).
    intake = {"lot": ref("IN-1"), "quantity": "5", "site": "PS1", "source_seq": 21}
    intake |= {"source_log": "coop-a.example/log", "source_lot": ref("A-G1")}
    intake |= {"source_shipment": "SH-A1", "source_leaf": "ab" * 32, "time": ago(0.1)}
    assert ok(c, w, "packing_station", "intake", intake)["lots"][0]["status"] == "active"
    # The lot-status map's root: only the one the projection's own map gives is taken.
    with w.ledger.engine.connect() as conn, conn.begin() as scratch:
        root, lots = update_map(conn, w.size())
        scratch.rollback()
    status_map = {"size": w.size(), "root": base64.b64encode(root).decode(), "lots": lots}
    wrong = status_map | {"root": base64.b64encode(bytes(32)).decode()}
    refused = c.post("/api/v1/events/status_map", json=wrong, headers=w.auth("cooperative"))
    assert refused.status_code == 422
    assert "root" in refused.text
    ok(c, w, "cooperative", "status_map", status_map)
    kinds = {w.ledger.entry(s).statement.kind for s in range(w.size())}
    assert {f"trace.{k}" for k in EVENT_ROLES} <= kinds | {"trace.residue"}


def test_role_matrix(staff_world: StaffWorld) -> None:
    # The token's role is checked before the body is read: an empty body is enough to see
    # the refusal (403) or get past it to the body's check (422). One world for the matrix;
    # its ~160 requests from one address would meet the per-address burst (100), so the
    # burst is raised: this test is about roles, not rates.
    size = staff_world.size()
    seen = {}
    with TestClient(create_app(staff_world.settings(api_burst=10_000))) as staff_client:
        for kind in EVENT_ROLES:
            for role in ROLES:
                response = post(staff_client, staff_world, role, kind, {})
                seen[kind, role] = response.status_code
                if response.status_code == 403:
                    assert response.json()["error"]["code"] == "forbidden"
    assert seen == {
        (kind, role): 422 if role in EVENT_ROLES[kind] else 403
        for kind in EVENT_ROLES
        for role in ROLES
    }
    assert staff_world.size() == size


def test_lab_may_submit_only_residue_and_staff_never(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    # A lab records its results, its own enrolment and the samples it takes; nothing else.
    assert [k for k, roles in EVENT_ROLES.items() if "lab" in roles] == ["residue", "lab", "sample"]
    assert "packing_station" not in EVENT_ROLES["residue"]
    ok(staff_client, staff_world, "packing_station", "harvest", harvest_body())
    size = staff_world.size()
    refused = post(staff_client, staff_world, "packing_station", "residue", residue_body())
    assert refused.status_code == 403
    assert staff_world.size() == size


def test_consumers_without_a_token_are_refused(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    size = staff_world.size()
    for kind in EVENT_ROLES:
        response = staff_client.post(f"/api/v1/events/{kind}", json=harvest_body())
        assert response.status_code == 401, kind
        assert response.headers["www-authenticate"].startswith("Bearer")
    assert staff_world.size() == size


@pytest.mark.parametrize(
    ("kind", "body", "field"),
    [
        ("harvest", harvest_body(quantity="-3"), "quantity"),
        ("harvest", {**harvest_body(), "lot": ref("H1", "06912345678903")}, "lot.gtin"),
        ("harvest", harvest_body(time="2999-01-01T00:00:00+00:00"), "time"),
        ("harvest", harvest_body(plot="NO-SUCH"), "plot"),
        ("harvest", {**harvest_body(), "colour": "red"}, "colour"),
        ("cooling", cooling_body(celsius="warm"), "readings[0].celsius"),
        ("grading", {**grading_body(), "outputs": []}, "outputs"),
    ],
)
def test_bad_input_names_the_field_and_appends_nothing(
    staff_client: TestClient, staff_world: StaffWorld, kind: str, body: Any, field: str
) -> None:
    if kind != "harvest":
        ok(staff_client, staff_world, "packing_station", "harvest", harvest_body())
    size = staff_world.size()
    response = post(staff_client, staff_world, "packing_station", kind, body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"].endswith(field), response.json()
    assert staff_world.size() == size


def test_a_rule_refusal_is_409_with_the_rule_and_appends_nothing(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    ok(staff_client, staff_world, "packing_station", "harvest", harvest_body())
    size = staff_world.size()
    shipping = {"shipment": "S", "lots": [ref("H1")], "origin": "A", "destination": "B"}
    response = post(
        staff_client, staff_world, "packing_station", "shipping", shipping | {"time": ago(1)}
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "ship-requires-released"
    assert staff_world.size() == size


def test_a_token_whose_key_lacks_the_domain_role_is_refused_by_the_domain(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    # Logistics may ship by token and by key, but receiving a shipment that does not exist
    # is a field error; releasing needs the cooperative's key, which the token lacks.
    size = staff_world.size()
    response = post(
        staff_client,
        staff_world,
        "logistics",
        "receiving",
        {"shipment": "NONE", "receiver": "X", "time": ago(1)},
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "shipment"
    assert staff_world.size() == size


def test_a_failing_residue_result_holds_the_lot(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    ok(staff_client, staff_world, "packing_station", "harvest", harvest_body())
    answer = ok(staff_client, staff_world, "lab", "residue", residue_body(chlorpyrifos="5"))
    (lot,) = answer["lots"]
    assert lot["status"] == "on_hold"
    assert "residue-above-mrl" in lot["reason"]


def test_every_event_route_is_in_the_openapi_schema_with_its_body(
    staff_client: TestClient,
) -> None:
    schema = staff_client.get("/openapi.json").json()
    for kind, roles in EVENT_ROLES.items():
        operation = schema["paths"][f"/api/v1/events/{kind}"]["post"]
        body = operation["requestBody"]["content"]["application/json"]["schema"]
        assert "$ref" in body, kind
        assert f"Token roles: {', '.join(roles)}." in operation["description"]
        assert "201" in operation["responses"]
    assert "Harvest" in schema["components"]["schemas"]
    assert "EventOut" in schema["components"]["schemas"]


# --- pre-signed statements go through the domain -------------------------------------------


def _signed(world: StaffWorld, kind: str, body: dict[str, Any], key_name: str) -> dict[str, Any]:
    key = world.keys.load(key_name)
    key_id = key_id_for(key.public_key().public_bytes_raw())
    statement = Statement(world.ledger.origin, kind, body, key_id, format_time_now())
    return sign_statement(statement, key).to_json()


def format_time_now() -> str:
    return format_time(datetime.now(UTC))


def test_a_labs_presigned_result_that_breaks_a_rule_is_refused_not_appended(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    # No lot H9: before, the statement landed on the ledger as an anomaly.
    size = staff_world.size()
    signed = _signed(staff_world, "trace.residue", residue_body("H9"), "kashgar-lab")
    response = staff_client.post("/api/v1/statements", json=signed, headers=staff_world.auth("lab"))
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == "lot"
    assert staff_world.size() == size


def test_a_presigned_statement_by_a_key_without_the_role_is_refused(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    ok(staff_client, staff_world, "packing_station", "harvest", harvest_body())
    size = staff_world.size()
    signed = _signed(staff_world, "trace.residue", residue_body(), "packing-shed")
    response = staff_client.post(
        "/api/v1/statements", json=signed, headers=staff_world.auth("packing_station")
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "role_not_allowed"
    assert staff_world.size() == size


def test_a_presigned_batch_is_checked_in_order_and_refused_whole(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    ok(staff_client, staff_world, "packing_station", "harvest", harvest_body())
    size = staff_world.size()
    good = _signed(staff_world, "trace.residue", residue_body("H1"), "kashgar-lab")
    bad = _signed(staff_world, "trace.residue", residue_body("H9"), "kashgar-lab")
    response = staff_client.post(
        "/api/v1/statements", json=[good, bad], headers=staff_world.auth("lab")
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "1.lot"
    assert staff_world.size() == size
    accepted = staff_client.post("/api/v1/statements", json=good, headers=staff_world.auth("lab"))
    assert accepted.status_code == 201
    again = staff_client.post("/api/v1/statements", json=good, headers=staff_world.auth("lab"))
    assert again.status_code == 200
    assert again.json()["receipts"][0]["duplicate"] is True
    assert staff_world.size() == size + 1


def test_a_forged_presigned_statement_is_a_bad_signature(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    ok(staff_client, staff_world, "packing_station", "harvest", harvest_body())
    size = staff_world.size()
    signed = _signed(staff_world, "trace.residue", residue_body(), "kashgar-lab")
    signed["statement"]["body"]["sample_id"] = "S-FORGED"
    response = staff_client.post("/api/v1/statements", json=signed, headers=staff_world.auth("lab"))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "bad_signature"
    assert staff_world.size() == size


def test_every_event_route_is_in_the_doc() -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "app.md").read_text(encoding="utf-8")
    for kind in EVENT_ROLES:
        assert f"`/api/v1/events/{kind}`" in text, kind
