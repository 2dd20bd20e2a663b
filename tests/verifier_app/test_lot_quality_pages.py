"""The staff and regulator lot pages show analyses by kind, quality readings, qualification.

A walnut lot (its own profile: aflatoxin is a mycotoxin, lead a heavy metal, no cold chain)
recorded through the event API; each page names the kinds, the Brix-like readings and the
grower's assessment in the reader's language. The API refuses an unqualified grower's
harvest naming the grower, and a key without the cooperative role an assessment.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.verifier_app.staff_world import (
    DATA,
    DEFAULT_GROWER,
    StaffWorld,
    ago,
    staff_client,
    staff_world,
)
from traceability import Product, Projection, Recorder, load_profile
from verifier_app._values import substance_names
from verifier_app.staff._forms import local_now, lot_value

__all__ = ["staff_client", "staff_world"]  # fixtures used by name

HTML = {"Accept": "text/html"}
WALNUT = "06912345678940"
HEADINGS = {
    "zh": ("真菌毒素", "重金属", "农药残留", "种植户资质", "水分"),
    "ug": (
        "زەمبۇرۇغ زەھىرى",
        "ئېغىر مېتال",
        "دېھقانچىلىق دورىسى قالدۇقى",
        "تېرىقچىنىڭ لاياقىتى",
        "نەملىك",
    ),
    "en": ("Mycotoxins", "Heavy metals", "Pesticide residues", "Grower qualification", "Moisture"),
}


def ref(lot: str) -> dict[str, str]:
    return {"gtin": WALNUT, "lot": lot}


def api(client: TestClient, world: StaffWorld, role: str, kind: str, body: object) -> None:
    response = client.post(f"/api/v1/events/{kind}", json=body, headers=world.auth(role))
    assert response.status_code == 201, response.text


def assessment(**kw: str | None) -> dict[str, str | None]:
    return {
        "farm": "YK-F1",
        "grower": DEFAULT_GROWER,
        "assessment": "GAP-2026-004",
        "topic": "gap_basics",
        "outcome": "pass",
        "valid_until": "2099-12-31",
        "assessor": "Yarkant extension station",
        "time": ago(60 * 24),
    } | kw


def walnut_lot(client: TestClient, world: StaffWorld) -> None:
    coop = world.keys.load("coop-admin")
    recorder = Recorder(world.ledger)
    recorder.record(
        Product.from_body({"gtin": WALNUT, "commodity": "walnut", "name": "核桃"}), coop
    )
    recorder.record(load_profile(DATA / "walnut.toml"), coop)
    api(client, world, "cooperative", "assessment", assessment())
    harvest = {
        "lot": ref("W1"),
        "plot": "YK-P1",
        "variety": "Wen 185",
        "quantity": "300",
        "time": ago(100),
    }
    api(client, world, "packing_station", "harvest", harvest)
    graded = {
        "lot": ref("W1S"),
        "grade": "super",
        "quantity": "200",
        "sizes_mm": ["35", "36"],
        "quality": [
            {"indicator": "moisture", "value": "6.5"},
            {"indicator": "defects", "value": "2"},
        ],
    }
    api(
        client,
        world,
        "packing_station",
        "grading",
        {"input": ref("W1"), "outputs": [graded], "site": "PS1", "time": ago(90)},
    )
    values = {"carbendazim": "<LOQ", "aflatoxin_b1": "0.002", "lead": "0.05"}
    residue = {
        "lot": ref("W1S"),
        "sample_id": "S-W1S",
        "lab": "Kashgar Agri Testing Lab",
        "method": "GB 5009.22-2016",
        "results": [{"substance": s, "value": v, "loq": "0.001"} for s, v in values.items()],
        "time": ago(60),
    }
    api(client, world, "lab", "residue", residue)


@pytest.mark.parametrize("lang", ["zh", "ug", "en"])
def test_the_staff_lot_page_groups_analyses_by_kind_and_shows_quality(
    staff_client: TestClient, staff_world: StaffWorld, lang: str
) -> None:
    walnut_lot(staff_client, staff_world)
    staff_world.sign_in(staff_client, "packing_station")
    page = staff_client.get(f"/staff/lots/{WALNUT}/W1S?lang={lang}", headers=HTML)
    assert page.status_code == 200, page.text
    text = page.text
    for words in HEADINGS[lang]:
        assert words in text
    mycotoxins = text.split('data-kind="mycotoxin"', 1)[1].split("</section>", 1)[0]
    # Each analyte by its name in the page's language (traceability/data/substances.csv).
    names = substance_names()
    assert names["aflatoxin_b1"][lang] in mycotoxins
    assert names["lead"][lang] not in mycotoxins
    assert names["carbendazim"][lang] not in mycotoxins
    assert "&lt;= 8 %" in text  # the super grade's moisture bound, shown with the reading
    assert "GAP-2026-004" in text


@pytest.mark.parametrize("lang", ["zh", "ug", "en"])
def test_the_regulator_trace_of_a_lot_shows_the_same_sections(
    staff_client: TestClient, staff_world: StaffWorld, lang: str
) -> None:
    walnut_lot(staff_client, staff_world)
    staff_world.sign_in(staff_client, "regulator")
    page = staff_client.get(f"/regulator/trace?gtin={WALNUT}&lot=W1S&lang={lang}", headers=HTML)
    assert page.status_code == 200, page.text
    for words in HEADINGS[lang]:
        assert words in page.text
    assert 'data-kind="heavy_metal"' in page.text


def test_the_api_refuses_an_unqualified_growers_harvest_naming_the_grower(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    coop = staff_world.keys.load("coop-admin")
    recorder = Recorder(staff_world.ledger)
    recorder.record(
        Product.from_body({"gtin": WALNUT, "commodity": "walnut", "name": "核桃"}), coop
    )
    recorder.record(load_profile(DATA / "walnut.toml"), coop)
    api(
        staff_client,
        staff_world,
        "cooperative",
        "assessment",
        assessment(outcome="fail", valid_until=None, assessment="GAP-2026-009"),
    )
    size = staff_world.size()
    harvest = {
        "lot": ref("W1"),
        "plot": "YK-P1",
        "variety": "Wen 185",
        "quantity": "300",
        "time": ago(100),
    }
    response = staff_client.post(
        "/api/v1/events/harvest", json=harvest, headers=staff_world.auth("packing_station")
    )
    assert response.status_code == 409, response.text
    assert DEFAULT_GROWER in response.text
    assert "GAP-2026-009" in response.text
    assert staff_world.size() == size


def test_only_the_cooperative_may_record_an_assessment(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    size = staff_world.size()
    for role in ("packing_station", "lab", "logistics", "regulator"):
        response = staff_client.post(
            "/api/v1/events/assessment", json=assessment(), headers=staff_world.auth(role)
        )
        assert response.status_code == 403, (role, response.text)
    assert staff_world.size() == size


JUJUBE = "06912345678933"


def _jujube_harvest(client: TestClient, world: StaffWorld) -> None:
    coop = world.keys.load("coop-admin")
    recorder = Recorder(world.ledger)
    recorder.record(
        Product.from_body({"gtin": JUJUBE, "commodity": "jujube", "name": "红枣"}), coop
    )
    recorder.record(load_profile(DATA / "jujube.toml"), coop)
    api(client, world, "cooperative", "assessment", assessment())
    harvest = {
        "lot": {"gtin": JUJUBE, "lot": "J1"},
        "plot": "YK-P1",
        "variety": "Junzao",
        "quantity": "300",
        "time": ago(100),
    }
    api(client, world, "packing_station", "harvest", harvest)


def _submit_grading(
    client: TestClient, world: StaffWorld, grade: str, counts: str, readings: str
) -> Any:
    csrf = world.sign_in(client, "packing_station")
    values = {
        "csrf": csrf,
        "lot": lot_value(JUJUBE, "J1"),
        "site": "PS1",
        "out0_lot": "J1-A",
        "out0_grade": grade,
        "out0_quantity": "200",
        "out0_measures": counts,
        "out0_quality": readings,
        "time": local_now(),
    }
    return client.post(
        "/staff/record/grading?lang=en", data=values, headers=HTML, follow_redirects=False
    )


def test_the_grading_form_records_counts_and_readings_and_refuses_a_low_brix(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    _jujube_harvest(staff_client, staff_world)
    staff_world.sign_in(staff_client, "packing_station")
    page = staff_client.get(
        f"/staff/record/grading?lot={lot_value(JUJUBE, 'J1')}&lang=en", headers=HTML
    ).text
    assert "brix ≥ 28" in page  # the super grade's bound, next to its band
    size = staff_world.size()
    low = _submit_grading(
        staff_client, staff_world, "super", "92, 96", "brix 26.5, moisture 22, defects 1"
    )
    assert low.status_code == 409, low.text
    assert (
        "<bdi>brix</bdi> <bdi>26.5 °Bx</bdi> misses grade <bdi>super</bdi> "
        "(<bdi>&gt;= 28 °Bx</bdi>)"
    ) in low.text
    assert staff_world.size() == size
    junk = _submit_grading(staff_client, staff_world, "grade_1", "110", "sweet")
    assert junk.status_code == 422, junk.text
    assert "brix 9.5, moisture 20" in junk.text
    ok = _submit_grading(
        staff_client, staff_world, "grade_1", "110, 118", "brix=26.5; moisture: 22, defects 1"
    )
    assert ok.status_code == 303, ok.text
    projection = Projection(staff_world.ledger)
    readings = {m.indicator: m.value for m in projection.quality(JUJUBE, "J1-A").measurements}
    assert readings == {"brix": "26.5", "moisture": "22", "defects": "1"}
