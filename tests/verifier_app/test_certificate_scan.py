"""A certificate's QR verifies against its ``trace.certificate`` entry, and only that.

The certificate's code is the lot's Digital Link with the entry's number (``?cert=N``).
The scan answer (page and JSON) says "certificate No. N issued DATE by WHO for this lot",
with the entry among the lot's proven entries, only when entry N is a certificate of this
lot on the ledger and the lot is still for sale. A number written by hand, another lot's
certificate, an unknown lot, a row written straight into the database, or a lot held or
recalled since: never valid.
"""

from __future__ import annotations

import time
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import insert

from tests.verifier_app.staff_world import (
    STRAWBERRY,
    StaffWorld,
    ago,
    cooling_body,
    harvest_body,
    ref,
    residue_body,
    staff_client,
    staff_world,
)
from traceability.projection import _schema as t

__all__ = ["staff_client", "staff_world"]  # fixtures used by name

JSON = {"Accept": "application/json"}


def api(client: TestClient, world: StaffWorld, role: str, kind: str, body: object) -> int:
    response = client.post(f"/api/v1/events/{kind}", json=body, headers=world.auth(role))
    assert response.status_code == 201, response.text
    return int(response.json()["seq"])


def released(client: TestClient, world: StaffWorld, lot: str = "H1") -> int:
    """Release ``lot``; return the entry of its harvest."""
    harvest = api(client, world, "packing_station", "harvest", harvest_body(lot))
    api(client, world, "packing_station", "cooling", cooling_body(lot))
    api(client, world, "lab", "residue", residue_body(lot))
    api(client, world, "cooperative", "release", {"lot": ref(lot), "note": "ok", "time": ago(1)})
    return harvest


def certify(client: TestClient, world: StaffWorld, lot: str = "H1") -> int:
    body = {"lot": ref(lot), "basis": ["自我检测"], "quantity": "100 kg", "time": ago(0.5)}
    return api(client, world, "cooperative", "certificate", body)


def scan(client: TestClient, number: int, lot: str = "H1", **headers: str) -> Any:
    return client.get(f"/01/{STRAWBERRY}/10/{lot}?cert={number}", headers=headers or JSON)


def test_an_issued_certificate_verifies_against_its_entry(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    released(staff_client, staff_world)
    number = certify(staff_client, staff_world)
    response = scan(staff_client, number)
    assert response.status_code == 200
    answer = response.json()
    assert answer["certificate"]["state"] == "valid"
    assert answer["certificate"]["entry"] == number
    assert answer["certificate"]["issuer"] == "coop-admin"
    assert answer["certificate"]["issued"][:10] == ago(0.5)[:10]
    # Its entry is among the entries the proof covers (the browser checks each one).
    assert number in [e["seq"] for e in answer["lot"]["entries"]]
    page = scan(staff_client, number, Accept="text/html", **{"Accept-Language": "zh"})
    assert "承诺达标合格证有效" in page.text
    assert f"<bdi>No. {number}</bdi>" in page.text
    # The same lot's code without a certificate says nothing about one.
    assert staff_client.get(f"/01/{STRAWBERRY}/10/H1", headers=JSON).json()["certificate"] is None


def test_a_certificate_number_written_by_hand_is_invalid(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    harvest = released(staff_client, staff_world)
    for number in (harvest, 999_999):  # an entry that is no certificate; beyond the log
        response = scan(staff_client, number)
        assert response.status_code == 404
        answer = response.json()
        assert answer["status"] == "counterfeit"
        assert answer["certificate"]["state"] == "invalid"
        assert answer["certificate"]["code"] == "no_certificate"
        page = scan(staff_client, number, Accept="text/html", **{"Accept-Language": "en"})
        assert "Compliance certificate NOT valid" in page.text
        assert "certificate valid" not in page.text


def test_another_lots_certificate_or_an_unknown_lot_is_invalid(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    released(staff_client, staff_world, "H1")
    released(staff_client, staff_world, "H2")
    h2 = certify(staff_client, staff_world, "H2")
    answer = scan(staff_client, h2, "H1").json()
    assert (answer["status"], answer["certificate"]["code"]) == ("counterfeit", "other_lot")
    unknown = scan(staff_client, h2, "NOPE")
    assert unknown.status_code == 404
    assert unknown.json()["certificate"]["code"] == "unknown_lot"


def test_a_row_written_into_the_database_does_not_make_a_certificate(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    harvest = released(staff_client, staff_world)
    with staff_world.ledger.engine.begin() as conn:
        conn.execute(
            insert(t.issued),
            {
                "seq": harvest,
                "lot": f"(01){STRAWBERRY}(10)H1",
                "kind": "certificate",
                "count": 1,
                "time": ago(1),
            },
        )
    answer = scan(staff_client, harvest).json()
    assert answer["certificate"]["state"] == "invalid"  # the signed entry is a harvest


def test_a_lot_held_or_recalled_after_issue_withdraws_its_certificate(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    released(staff_client, staff_world)
    number = certify(staff_client, staff_world)
    hold = {"lot": ref("H1"), "reason": "complaint", "time": ago(0.2)}
    api(staff_client, staff_world, "cooperative", "hold", hold)
    answer = scan(staff_client, number).json()
    assert answer["status"] == "on_hold"
    assert answer["certificate"]["state"] == "withdrawn"
    assert "on_hold" in answer["certificate"]["reason"]
    page = scan(staff_client, number, Accept="text/html", **{"Accept-Language": "ug"})
    assert "ئەمەلدىن قالدى" in page.text
    assert answer["certificate"]["reason"] not in page.text  # the JSON's English, not shown
    recall = {"lot": ref("H1"), "reason": "listeria", "time": ago(0.1)}
    api(staff_client, staff_world, "cooperative", "recall", recall)
    time.sleep(0.6)  # the resolver reuses its read of the log's size for 0.5 s
    answer = scan(staff_client, number).json()
    assert (answer["status"], answer["certificate"]["state"]) == ("recalled", "withdrawn")


def test_a_lot_without_pre_cooling_says_so_on_the_scan_page_and_json(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    api(staff_client, staff_world, "packing_station", "harvest", harvest_body("H1"))
    api(staff_client, staff_world, "lab", "residue", residue_body("H1"))
    api(
        staff_client,
        staff_world,
        "cooperative",
        "release",
        {"lot": ref("H1"), "note": "ok", "time": ago(1)},
    )
    answer = staff_client.get(f"/01/{STRAWBERRY}/10/H1", headers=JSON).json()
    assert answer["lot"]["missing_stages"] == ["precool"]
    assert "no pre-cooling record" in answer["lot"]["facts"]["cold_chain_missing"]
    for language, words in (
        ("zh", "没有预冷记录"),
        ("ug", "ئالدىن سوۋۇتۇش خاتىرىسى يوق"),
        ("en", "No pre-cooling record"),
    ):
        page = staff_client.get(
            f"/01/{STRAWBERRY}/10/H1", headers={"Accept": "text/html", "Accept-Language": language}
        )
        assert words in page.text
        assert 'data-missing="precool"' in page.text
    # A cooled lot has no such line.
    released(staff_client, staff_world, "H2")
    cooled = staff_client.get(f"/01/{STRAWBERRY}/10/H2", headers=JSON).json()
    assert cooled["lot"]["missing_stages"] == []
