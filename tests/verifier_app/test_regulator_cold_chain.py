"""The regulator's lists and lot page flag a lot with no pre-cooling record, in each language.

Such a lot is not cold-chain compliant: it is on the non-compliant list (a cooled lot is
not), with the missing stage named, and its trace page says so.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

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

__all__ = ["staff_client", "staff_world"]  # fixtures used by name

HTML = {"Accept": "text/html"}
WORDS = {
    "zh": "没有预冷记录",
    "ug": "ئالدىن سوۋۇتۇش خاتىرىسى يوق",
    "en": "No pre-cooling record",
}


def api(client: TestClient, world: StaffWorld, role: str, kind: str, body: object) -> None:
    response = client.post(f"/api/v1/events/{kind}", json=body, headers=world.auth(role))
    assert response.status_code == 201, response.text


def released(client: TestClient, world: StaffWorld, lot: str, *, cooled: bool) -> None:
    api(client, world, "packing_station", "harvest", harvest_body(lot))
    if cooled:
        api(client, world, "packing_station", "cooling", cooling_body(lot))
    api(client, world, "lab", "residue", residue_body(lot))
    api(client, world, "cooperative", "release", {"lot": ref(lot), "note": "ok", "time": ago(1)})


@pytest.mark.parametrize("lang", ["zh", "ug", "en"])
def test_a_lot_without_pre_cooling_is_flagged_on_the_list_and_its_page(
    staff_client: TestClient, staff_world: StaffWorld, lang: str
) -> None:
    released(staff_client, staff_world, "H1", cooled=False)
    released(staff_client, staff_world, "H2", cooled=True)
    staff_world.sign_in(staff_client, "regulator")
    listed = staff_client.get(f"/regulator/lots?status=non_compliant&lang={lang}", headers=HTML)
    assert listed.status_code == 200
    assert "lot=H1" in listed.text
    assert "lot=H2" not in listed.text
    assert 'data-missing="precool"' in listed.text
    assert WORDS[lang] in listed.text
    page = staff_client.get(f"/regulator/trace?gtin={STRAWBERRY}&lot=H1&lang={lang}", headers=HTML)
    assert WORDS[lang] in page.text
    cooled = staff_client.get(
        f"/regulator/trace?gtin={STRAWBERRY}&lot=H2&lang={lang}", headers=HTML
    )
    assert 'data-missing="precool"' not in cooled.text


def test_the_regulator_api_lists_the_lot_with_its_missing_stage(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    released(staff_client, staff_world, "H1", cooled=False)
    released(staff_client, staff_world, "H2", cooled=True)
    response = staff_client.get(
        "/api/v1/lots?status=non_compliant", headers=staff_world.auth("regulator")
    )
    assert response.status_code == 200, response.text
    listed = {row["lot"]: row for row in response.json()["lots"]}
    assert set(listed) == {"H1"}
    assert listed["H1"]["missing_stages"] == ["precool"]
