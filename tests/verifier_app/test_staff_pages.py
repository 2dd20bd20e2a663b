"""The packing shed's pages: each form records, a refused form keeps what was typed, csrf,
script injection rendered inert, the lot page, label printing."""

from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.verifier_app.staff_world import (
    STRAWBERRY,
    StaffWorld,
    ago,
    build_staff_world,
    cooling_body,
    grading_body,
    harvest_body,
    ref,
    residue_body,
    staff_client,
    staff_world,
)
from verifier_app import create_app
from verifier_app.staff._forms import FORMS, local_now, lot_value
from verifier_app.staff._wording import STAFF_WORDING

__all__ = ["staff_client", "staff_world"]  # fixtures used by name

HTML = {"Accept": "text/html"}
SCRIPT = '<script>alert("x")</script>'


def api(client: TestClient, world: StaffWorld, role: str, kind: str, body: Any) -> None:
    response = client.post(f"/api/v1/events/{kind}", json=body, headers=world.auth(role))
    assert response.status_code == 201, response.text


def submit(
    client: TestClient, world: StaffWorld, role: str, kind: str, values: dict[str, str]
) -> Any:
    csrf = world.sign_in(client, role)
    return client.post(
        f"/staff/record/{kind}?lang=en",
        data={"csrf": csrf} | values,
        headers=HTML,
        follow_redirects=False,
    )


def harvested(client: TestClient, world: StaffWorld, lot: str = "H1") -> None:
    api(client, world, "packing_station", "harvest", harvest_body(lot))


def released(client: TestClient, world: StaffWorld, lot: str = "H1") -> None:
    harvested(client, world, lot)
    api(client, world, "packing_station", "cooling", cooling_body(lot))
    api(client, world, "lab", "residue", residue_body(lot))
    api(client, world, "cooperative", "release", {"lot": ref(lot), "note": "ok", "time": ago(1)})


def test_every_language_has_the_same_staff_wording() -> None:
    keys = {language: set(words) for language, words in STAFF_WORDING.items()}
    assert keys["zh"] == keys["ug"] == keys["en"]


@pytest.mark.parametrize("language", ["zh", "ug", "en"])
def test_staff_page_titles_end_with_the_site_name_not_a_form_field(
    staff_client: TestClient, staff_world: StaffWorld, language: str
) -> None:
    from verifier_app._i18n import MESSAGES

    staff_world.sign_in(staff_client, "packing_station")
    for path in ("/staff", "/staff/record/cooling"):
        page = staff_client.get(f"{path}?lang={language}", headers=HTML).text
        title = html.unescape(re.search(r"<title>(.*?)</title>", page, re.S)[1])  # type: ignore[index]
        assert title.endswith(f" · {MESSAGES[language]['site']}"), title  # type: ignore[index]
        assert STAFF_WORDING[language]["site_code"] not in title  # type: ignore[index]
    # The form still labels its site field as one.
    form = staff_client.get(f"/staff/record/cooling?lang={language}", headers=HTML).text
    assert html.escape(STAFF_WORDING[language]["site_code"]) in form  # type: ignore[index]


def _section(page: str, element_id: str) -> str:
    start = page.index(f'<section id="{element_id}">')
    return page[start : page.index("</section>", start)]


def test_home_lists_every_held_and_in_stock_recalled_lot_above_30_newer_lots(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    c, w = staff_client, staff_world
    harvested(c, w, "HELD")
    api(c, w, "cooperative", "hold", {"lot": ref("HELD"), "reason": "complaint", "time": ago(1)})
    harvested(c, w, "RECALLED")
    recall = {"lot": ref("RECALLED"), "reason": "listeria", "time": ago(1)}
    api(c, w, "cooperative", "recall", recall)
    released(c, w, "GONE")  # recalled after it left: nothing in the shed to withdraw
    shipping = {
        "lots": [ref("GONE")],
        "shipment": "SH-1",
        "origin": "PS1",
        "destination": "URUMQI-DC",
        "time": ago(0.8),
    }
    api(c, w, "logistics", "shipping", shipping)
    api(c, w, "cooperative", "recall", {"lot": ref("GONE"), "reason": "x", "time": ago(0.5)})
    for n in range(30):
        harvested(c, w, f"NEW{n:02d}")
    w.sign_in(c, "packing_station")
    page = c.get("/staff?lang=en", headers=HTML).text
    attention = _section(page, "attention")
    assert f"/staff/lots/{STRAWBERRY}/HELD?" in attention
    assert f"/staff/lots/{STRAWBERRY}/RECALLED?" in attention
    assert "/GONE?" not in attention
    assert "/NEW" not in attention
    # The 20 recent lots are all newer: without the section the held lot would be gone.
    recent = page[page.index("</section>") :]
    assert "/HELD?" not in recent
    assert len(re.findall(r"/staff/lots/\d+/NEW\d\d\?", recent)) == 20
    assert page.index("Needs attention") < page.index('href="/staff/record/harvest')


def test_home_says_when_nothing_needs_attention(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    harvested(staff_client, staff_world)
    staff_world.sign_in(staff_client, "packing_station")
    page = staff_client.get("/staff?lang=zh", headers=HTML).text
    assert STAFF_WORDING["zh"]["nothing_needs_attention"] in _section(page, "attention")


def test_home_shows_a_button_per_job_the_role_may_do_and_recent_lots(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    harvested(staff_client, staff_world)
    staff_world.sign_in(staff_client, "packing_station")
    page = staff_client.get("/staff?lang=en", headers=HTML)
    assert page.status_code == 200
    for kind in ("harvest", "cooling", "grading", "packing", "shipping"):
        assert f'href="/staff/record/{kind}?lang=en"' in page.text
    assert "/staff/record/release" not in page.text  # the cooperative's job
    assert f"/staff/lots/{STRAWBERRY}/H1" in page.text
    assert "Recorded, waiting for tests or release" in page.text
    assert 'dir="rtl"' in staff_client.get("/staff?lang=ug", headers=HTML).text
    assert '<html lang="zh"' in staff_client.get("/staff", headers=HTML).text


def test_finding_a_lot_by_code_opens_its_page(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    harvested(staff_client, staff_world)
    staff_world.sign_in(staff_client, "packing_station")
    found = staff_client.get("/staff?q=H1&lang=en", headers=HTML, follow_redirects=False)
    assert found.status_code == 303
    assert found.headers["location"] == f"/staff/lots/{STRAWBERRY}/H1?lang=en"
    missing = staff_client.get("/staff?q=NOPE&lang=en", headers=HTML)
    assert "No lot has this code." in missing.text


def test_pages_need_a_signed_in_staff_member(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    response = staff_client.get("/staff/record/harvest", headers=HTML, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/sign-in?next=/staff/record/harvest")
    staff_world.sign_in(staff_client, "lab")
    assert staff_client.get("/staff", headers=HTML).status_code == 403
    staff_world.sign_in(staff_client, "logistics")
    assert staff_client.get("/staff/record/harvest", headers=HTML).status_code == 403
    assert staff_client.get("/staff/record/shipping", headers=HTML).status_code == 200


def test_harvest_form_defaults_to_now_and_lists_products_and_plots(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    staff_world.sign_in(staff_client, "packing_station")
    page = staff_client.get("/staff/record/harvest?lang=en", headers=HTML)
    assert page.status_code == 200
    assert f'value="{local_now()[:13]}' in page.text  # now, to the hour (shed's clock)
    assert f'<option value="{STRAWBERRY}" selected>' in page.text
    assert "YK-P1 — Aysha Tursun" in page.text


def test_harvest_form_records_and_goes_to_the_cooling_form_for_that_lot(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    size = staff_world.size()
    values = {
        "product": STRAWBERRY,
        "lot_code": "H7",
        "plot": "YK-P1",
        "variety": "Hongyan",
        "quantity": "80",
        "time": local_now(),
    }
    response = submit(staff_client, staff_world, "packing_station", "harvest", values)
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location == f"/staff/record/cooling?lang=en&lot={STRAWBERRY}H7&done=harvest"
    assert staff_world.size() == size + 1
    page = staff_client.get(location, headers=HTML)
    assert "Saved on the ledger." in page.text
    assert f'<option value="{STRAWBERRY}H7" selected>' in page.text
    lot = staff_client.get(f"/staff/lots/{STRAWBERRY}/H7?lang=en", headers=HTML)
    assert "Recorded, waiting for tests or release" in lot.text
    assert "Aysha Tursun" in lot.text


def _choose_zone(client: TestClient, world: StaffWorld, zone: str) -> Any:
    csrf = world.sign_in(client, "packing_station")
    return client.post(
        "/staff/time-zone?lang=en",
        data={"csrf": csrf, "zone": zone},
        headers=HTML,
        follow_redirects=False,
    )


@pytest.mark.parametrize(("zone", "hours"), [("xinjiang", 6), ("beijing", 8), (None, 8)])
def test_a_form_typed_on_a_devices_clock_stores_the_right_instant(
    staff_client: TestClient, staff_world: StaffWorld, zone: str | None, hours: int
) -> None:
    if zone is not None:
        chosen = _choose_zone(staff_client, staff_world, zone)
        assert chosen.status_code == 303
        assert chosen.headers["location"] == "/staff?lang=en"
    else:
        staff_world.sign_in(staff_client, "packing_station")
    instant = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0) - dt.timedelta(hours=3)
    typed = instant.astimezone(dt.timezone(dt.timedelta(hours=hours))).strftime("%Y-%m-%dT%H:%M")
    form = staff_client.get("/staff/record/harvest?lang=en", headers=HTML).text
    zone_name = "Xinjiang time" if hours == 6 else "Beijing time"
    assert f"({zone_name} <bdi>UTC+{hours}</bdi>)" in form
    size = staff_world.size()
    values = {
        "product": STRAWBERRY,
        "lot_code": "HZ1",
        "plot": "YK-P1",
        "variety": "Hongyan",
        "quantity": "80",
        "time": typed,
    }
    response = submit(staff_client, staff_world, "packing_station", "harvest", values)
    assert response.status_code == 303, response.text
    stored = staff_world.ledger.entry(size).statement.body["time"]
    moment = dt.datetime.fromisoformat(str(stored))
    assert moment == instant
    assert moment.utcoffset() == dt.timedelta(hours=hours)


def test_the_home_page_offers_both_clocks_and_an_unknown_zone_is_refused(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    staff_world.sign_in(staff_client, "packing_station")
    home = staff_client.get("/staff?lang=ug", headers=HTML).text
    assert 'value="beijing" selected' in home
    assert 'value="xinjiang"' in home
    assert _choose_zone(staff_client, staff_world, "xinjiang").status_code == 303
    home = staff_client.get("/staff?lang=ug", headers=HTML).text
    assert 'value="xinjiang" selected' in home
    refused = _choose_zone(staff_client, staff_world, "mars")
    assert refused.status_code == 404
    assert staff_client.cookies.get("agritrace_zone") == "xinjiang"
    # Without the form's csrf value the choice is refused (a form from another site).
    forged = staff_client.post("/staff/time-zone", data={"zone": "beijing"}, headers=HTML)
    assert forged.status_code == 403


@pytest.mark.parametrize(
    ("typed", "stored", "shown"),
    [
        ("85 斤", "42.5", "85 斤</bdi> = <bdi>42.5 kg"),
        ("85斤", "42.5", "85 斤</bdi> = <bdi>42.5 kg"),
        ("100 جىڭ", "50", "100 جىڭ</bdi> = <bdi>50 kg"),
        ("42.5 公斤", "42.5", None),
        ("42.5 KG", "42.5", None),
        ("42.50", "42.50", None),
    ],
)
def test_a_weight_in_jin_or_gongjin_is_recorded_in_kg_with_the_conversion_shown(
    staff_client: TestClient, staff_world: StaffWorld, typed: str, stored: str, shown: str | None
) -> None:
    size = staff_world.size()
    values = {
        "product": STRAWBERRY,
        "lot_code": "HW1",
        "plot": "YK-P1",
        "variety": "Hongyan",
        "quantity": typed,
        "time": local_now(),
    }
    response = submit(staff_client, staff_world, "packing_station", "harvest", values)
    assert response.status_code == 303, response.text
    assert staff_world.ledger.entry(size).statement.body["quantity"] == stored
    page = staff_client.get(response.headers["location"], headers=HTML).text
    if shown is None:
        assert "Recorded in kg:" not in page
    else:
        assert f"Recorded in kg: <bdi>{shown}</bdi>" in page


@pytest.mark.parametrize("typed", ["1,000 斤", "10 lb", "斤"])
def test_a_weight_that_is_not_a_number_with_a_known_unit_is_refused(
    staff_client: TestClient, staff_world: StaffWorld, typed: str
) -> None:
    size = staff_world.size()
    values = {
        "product": STRAWBERRY,
        "lot_code": "HW2",
        "plot": "YK-P1",
        "variety": "Hongyan",
        "quantity": typed,
        "time": local_now(),
    }
    response = submit(staff_client, staff_world, "packing_station", "harvest", values)
    assert response.status_code == 422
    assert 'id="f-quantity-error"' in response.text
    assert staff_world.size() == size


def test_a_hand_made_conversion_link_shows_no_conversion(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    harvested(staff_client, staff_world)
    staff_world.sign_in(staff_client, "packing_station")
    page = staff_client.get(
        f"/staff/lots/{STRAWBERRY}/H1?lang=en&weighed=lots&weighed=5%20kg", headers=HTML
    ).text
    assert "Recorded in kg:" not in page


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"quantity": "-5"}, "quantity", "The number must be more than 0"),
        ({"quantity": ""}, "quantity", "Please fill this in."),
        ({"lot_code": "H 7"}, "lot_code", "A lot code cannot contain a space"),
        ({"time": "yesterday"}, "time", "Type a date and time"),
        ({"time": "2999-01-01T08:00"}, "time", "cannot be later than now"),
    ],
)
def test_a_refused_harvest_shows_the_message_by_the_field_and_keeps_the_typing(
    staff_client: TestClient,
    staff_world: StaffWorld,
    change: dict[str, str],
    field: str,
    message: str,
) -> None:
    size = staff_world.size()
    values = {
        "product": STRAWBERRY,
        "lot_code": "H7",
        "plot": "YK-P2",
        "variety": "Typed by hand 手写",
        "quantity": "80",
        "time": local_now(),
    } | change
    response = submit(staff_client, staff_world, "packing_station", "harvest", values)
    assert response.status_code == 422
    assert staff_world.size() == size
    error = re.search(
        rf'<p class="notice error field-error" id="f-{field}-error"[^>]*>(.*?)</p>',
        response.text,
        re.S,
    )
    assert error is not None, response.text
    assert message in html.unescape(error.group(1))
    assert 'value="Typed by hand 手写"' in response.text
    assert '<option value="YK-P2" selected>' in response.text


def test_a_rule_refusal_reshows_the_form_with_the_rule(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    harvested(staff_client, staff_world)
    size = staff_world.size()
    values = {
        "lot": lot_value(STRAWBERRY, "H1"),
        "shipment": "SH-9",
        "origin": "PS1",
        "destination": "URUMQI-DC",
        "time": local_now(),
    }
    response = submit(staff_client, staff_world, "packing_station", "shipping", values)
    assert response.status_code == 409
    assert "ship-requires-released" in response.text
    assert "Not saved; nothing was added to the ledger" in response.text
    assert 'value="SH-9"' in response.text
    assert f'<option value="{lot_value(STRAWBERRY, "H1")}" selected>' in response.text
    assert staff_world.size() == size


def test_cooling_form_preselects_the_lot_and_records(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    harvested(staff_client, staff_world)
    staff_world.sign_in(staff_client, "packing_station")
    chosen = lot_value(STRAWBERRY, "H1")
    page = staff_client.get(f"/staff/record/cooling?lot={chosen}&lang=en", headers=HTML)
    assert f'<option value="{chosen}" selected>' in page.text
    values = {"lot": chosen, "site": "PS1", "celsius": "5", "time": local_now()}
    response = submit(staff_client, staff_world, "packing_station", "cooling", values)
    assert response.status_code == 303, response.text


def test_a_late_cooling_holds_the_lot_and_the_lot_page_says_why(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    api(
        staff_client, staff_world, "packing_station", "harvest", harvest_body("H1", minutes_ago=300)
    )
    values = {
        "lot": lot_value(STRAWBERRY, "H1"),
        "site": "PS1",
        "celsius": "9",
        "time": local_now(),
    }
    response = submit(staff_client, staff_world, "packing_station", "cooling", values)
    assert response.status_code == 303, response.text
    page = staff_client.get(response.headers["location"], headers=HTML)
    assert "On hold: may not be sold" in page.text
    # The rule and its finding in the reader's words (the hold reason's structure, worded).
    assert "Pre-cooling out of range (standard in ledger entry" in page.text
    assert "core not at 4–6 °C within 60 min of harvest" in page.text  # noqa: RUF001
    assert "This lot may not be labelled for sale or certified now" in page.text


def test_grading_form_suggests_output_lots_and_records_the_filled_rows(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    harvested(staff_client, staff_world)
    staff_world.sign_in(staff_client, "packing_station")
    chosen = lot_value(STRAWBERRY, "H1")
    page = staff_client.get(f"/staff/record/grading?lot={chosen}&lang=en", headers=HTML)
    assert 'value="H1-SU"' in page.text
    values = {
        "lot": chosen,
        "site": "PS1",
        "out0_lot": "H1-SU",
        "out0_grade": "super",
        "out0_quantity": "30",
        "out0_sizes": "36, 38",
        "out1_lot": "H1-G1",
        "out1_grade": "grade_1",
        "out1_quantity": "",
        "time": local_now(),
    }
    response = submit(staff_client, staff_world, "packing_station", "grading", values)
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location == f"/staff/record/grading?lang=en&lot={STRAWBERRY}H1&done=grading"
    # The same screen now lists the graded lot; not released yet, so no print button.
    screen = staff_client.get(location, headers=HTML).text
    assert 'data-lot="H1-SU"' in screen
    assert "label-requires-released" in screen
    assert "/labels" not in screen
    values |= {"lot": lot_value(STRAWBERRY, "H1"), "out0_sizes": "20"}
    refused = submit(staff_client, staff_world, "packing_station", "grading", values)
    assert refused.status_code in (409, 422)


def test_grading_form_shows_the_weight_to_account_for_and_the_profiles_bands(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    from traceability import load_profile

    harvested(staff_client, staff_world)
    staff_world.sign_in(staff_client, "packing_station")
    chosen = lot_value(STRAWBERRY, "H1")
    page = staff_client.get(f"/staff/record/grading?lot={chosen}&lang=en", headers=HTML).text
    account = page[page.index('<div class="notice" id="account">') :]
    account = account[: account.index("</div>")]
    assert "the graded weights must add up to it: <bdi>100 kg</bdi> (<bdi>H1</bdi>)" in account
    profile = load_profile(
        Path(__file__).resolve().parents[2] / "traceability/data/strawberry.toml"
    )
    for band in profile.grades:
        # In the page's words ("Grade I"), or by the profile's name when it has none.
        assert (
            f"<li><bdi>{STAFF_WORDING['en'].get('grade_name_' + band.name, band.name)}</bdi>: "
            in account
        )
        for edge in (band.min_mm, band.max_mm):
            assert edge is None or f"{edge} mm" in account
    # Only the grading form, and only for a chosen lot.
    bare = staff_client.get("/staff/record/grading?lang=en", headers=HTML).text
    assert 'id="account"' not in bare
    cooling = staff_client.get(f"/staff/record/cooling?lot={chosen}&lang=en", headers=HTML).text
    assert 'id="account"' not in cooling


def test_grading_weights_in_jin_are_recorded_in_kg(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    harvested(staff_client, staff_world)
    size = staff_world.size()
    values = {
        "lot": lot_value(STRAWBERRY, "H1"),
        "site": "PS1",
        "out0_lot": "H1-SU",
        "out0_grade": "super",
        "out0_quantity": "60 斤",
        "out0_sizes": "36, 38",
        "time": local_now(),
    }
    response = submit(staff_client, staff_world, "packing_station", "grading", values)
    assert response.status_code == 303, response.text
    outputs = staff_world.ledger.entry(size).statement.body["outputs"]
    assert outputs[0]["quantity"] == "30"
    page = staff_client.get(response.headers["location"], headers=HTML).text
    assert "Recorded in kg: <bdi>60 斤</bdi> = <bdi>30 kg</bdi>" in page


def test_grading_out_of_band_sizes_are_shown_by_the_row(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    harvested(staff_client, staff_world)
    size = staff_world.size()
    values = {
        "lot": lot_value(STRAWBERRY, "H1"),
        "site": "PS1",
        "out0_lot": "H1-SU",
        "out0_grade": "super",
        "out0_quantity": "30",
        "out0_sizes": "36, big",
        "time": local_now(),
    }
    response = submit(staff_client, staff_world, "packing_station", "grading", values)
    assert response.status_code == 422
    assert 'id="f-out0_sizes-error"' in response.text
    assert 'value="36, big"' in response.text
    assert staff_world.size() == size


def test_packing_shipping_release_and_hold_forms_record(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    harvested(staff_client, staff_world, "H1")
    api(staff_client, staff_world, "packing_station", "cooling", cooling_body("H1"))
    api(staff_client, staff_world, "lab", "residue", residue_body("H1"))
    chosen = lot_value(STRAWBERRY, "H1")
    now = local_now()
    release = {"lot": chosen, "note": "tests passed", "time": now}
    assert submit(staff_client, staff_world, "cooperative", "release", release).status_code == 303
    packing = {"lot": chosen, "unit_id": "PAL-1", "site": "PS1", "time": now}
    assert (
        submit(staff_client, staff_world, "packing_station", "packing", packing).status_code == 303
    )
    shipping = {
        "lot": chosen,
        "shipment": "SH-1",
        "origin": "PS1",
        "destination": "URUMQI-DC",
        "set_point": "5",
        "time": now,
    }
    assert submit(staff_client, staff_world, "logistics", "shipping", shipping).status_code == 303
    hold = {"lot": chosen, "reason": "customer complaint", "time": now}
    response = submit(staff_client, staff_world, "cooperative", "hold", hold)
    assert response.status_code == 303
    page = staff_client.get(response.headers["location"], headers=HTML)
    assert "customer complaint" in page.text


@pytest.mark.parametrize("kind", sorted(FORMS))
def test_a_form_without_the_csrf_value_is_refused_and_appends_nothing(
    staff_client: TestClient, staff_world: StaffWorld, kind: str
) -> None:
    role = FORMS[kind].roles[0]
    staff_world.sign_in(staff_client, role)
    size = staff_world.size()
    for csrf in ({}, {"csrf": "0" * 32}):
        response = staff_client.post(
            f"/staff/record/{kind}", data=csrf | {"time": local_now()}, headers=HTML
        )
        assert response.status_code == 403
    assert staff_world.size() == size


def test_a_form_a_role_may_not_use_is_refused(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    harvested(staff_client, staff_world)
    size = staff_world.size()
    values = {"lot": lot_value(STRAWBERRY, "H1"), "note": "x", "time": local_now()}
    assert (
        submit(staff_client, staff_world, "packing_station", "release", values).status_code == 403
    )
    assert staff_world.size() == size


# --- labels ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "magic"), [("pdf", b"%PDF"), ("png", b"\x89PNG"), ("zpl", b"~DG")])
def test_a_released_lot_prints_labels_in_each_format(
    staff_client: TestClient, staff_world: StaffWorld, fmt: str, magic: bytes
) -> None:
    released(staff_client, staff_world)
    csrf = staff_world.sign_in(staff_client, "packing_station")
    page = staff_client.get(f"/staff/lots/{STRAWBERRY}/H1?lang=en", headers=HTML)
    assert f'action="/staff/lots/{STRAWBERRY}/H1/labels"' in page.text
    size = staff_world.size()
    response = staff_client.post(
        f"/staff/lots/{STRAWBERRY}/H1/labels", data={"csrf": csrf, "format": fmt, "count": "3"}
    )
    assert response.status_code == 200
    assert response.content.startswith(magic)
    assert f'filename="labels-H1.{fmt}"' in response.headers["content-disposition"]
    assert staff_world.size() == size + 1  # the run is on the ledger (trace.labels)


def test_a_lot_not_released_is_refused_labels_clearly(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    harvested(staff_client, staff_world)
    csrf = staff_world.sign_in(staff_client, "packing_station")
    size = staff_world.size()
    response = staff_client.post(
        f"/staff/lots/{STRAWBERRY}/H1/labels?lang=en",
        data={"csrf": csrf, "format": "pdf", "count": "3"},
        headers=HTML,
    )
    assert response.status_code == 409
    assert "label-requires-released" in response.text
    assert staff_world.size() == size
    page = staff_client.get(f"/staff/lots/{STRAWBERRY}/H1?lang=en", headers=HTML)
    assert "/labels" not in page.text
    assert "label-requires-released" in page.text


def test_label_warnings_only_where_they_apply(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    # Issue 13: a red "cannot label" alert followed every correct save. A lot waiting for
    # its tests is told plainly; a lot graded into others says nothing of labels; a held
    # lot keeps the alert.
    harvested(staff_client, staff_world)
    staff_world.sign_in(staff_client, "packing_station")
    waiting = staff_client.get(f"/staff/lots/{STRAWBERRY}/H1?lang=en", headers=HTML).text
    assert 'id="label-waits"' in waiting
    assert "label-requires-released" in waiting
    assert 'role="alert"' not in waiting
    values = {
        "lot": lot_value(STRAWBERRY, "H1"),
        "site": "PS1",
        "out0_lot": "H1-SU",
        "out0_grade": "super",
        "out0_quantity": "30",
        "out0_sizes": "36, 38",
        "time": local_now(),
    }
    graded = submit(staff_client, staff_world, "packing_station", "grading", values)
    assert graded.status_code == 303, graded.text
    harvest = staff_client.get(f"/staff/lots/{STRAWBERRY}/H1?lang=en", headers=HTML).text
    assert "H1-SU" in harvest  # made into
    assert "label-requires-released" not in harvest
    assert 'role="alert"' not in harvest
    released(staff_client, staff_world, "H2")
    api(
        staff_client,
        staff_world,
        "cooperative",
        "hold",
        {"lot": ref("H2"), "reason": "customer complaint", "time": ago(0.5)},
    )
    staff_world.sign_in(staff_client, "packing_station")
    held = staff_client.get(f"/staff/lots/{STRAWBERRY}/H2?lang=en", headers=HTML).text
    assert 'role="alert"' in held
    assert 'id="label-waits"' not in held


def test_an_unknown_lot_is_a_404_page(staff_client: TestClient, staff_world: StaffWorld) -> None:
    staff_world.sign_in(staff_client, "packing_station")
    assert staff_client.get(f"/staff/lots/{STRAWBERRY}/NOPE", headers=HTML).status_code == 404


# --- script injection ------------------------------------------------------------------------


def test_script_in_every_free_text_field_is_inert_on_every_page(tmp_path: Path) -> None:
    world = build_staff_world(tmp_path, grower=SCRIPT)
    try:
        with TestClient(create_app(world.settings())) as client:
            api(client, world, "packing_station", "harvest", harvest_body("H1", variety=SCRIPT))
            hold = {"lot": ref("H1"), "reason": SCRIPT, "time": ago(1)}
            api(client, world, "cooperative", "hold", hold)
            release = {"lot": ref("H1"), "note": SCRIPT, "time": ago(0.5)}
            refused = client.post(
                "/api/v1/events/release", json=release, headers=world.auth("cooperative")
            )
            assert refused.status_code == 409  # no tests yet: the reason stays the hold's
            world.sign_in(client, "packing_station")
            pages = [
                "/staff?lang=en",
                "/staff?q=H1x&lang=en",
                "/staff/record/harvest?lang=en",
                f"/staff/record/cooling?lot={lot_value(STRAWBERRY, 'H1')}",
                f"/staff/lots/{STRAWBERRY}/H1?lang=en",
            ]
            # A refused form shows what was typed, script included: inert too.
            csrf = world.sign_in(client, "packing_station")
            typed = client.post(
                "/staff/record/harvest",
                data={"csrf": csrf, "lot_code": "H2", "variety": SCRIPT, "quantity": "x"},
                headers=HTML,
            )
            bodies = [client.get(p, headers=HTML).text for p in pages] + [typed.text]
            for path, body in zip([*pages, "refused form"], bodies, strict=True):
                assert "<script>alert" not in body, path
            assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in bodies[0]  # the reason
            assert bodies[4].count("&lt;script&gt;") >= 2  # grower and reason
            assert "&lt;script&gt;" in bodies[2]  # the grower, in the plot list
            assert "&lt;script&gt;" in bodies[5]  # what was typed
    finally:
        world.ledger.close()


def test_the_site_typed_last_is_remembered_on_this_device_only(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    # Picked ten minutes ago: cooled in time, so the save goes on to the grading screen.
    api(staff_client, staff_world, "packing_station", "harvest", harvest_body("H1", 10))
    values = {"lot": lot_value(STRAWBERRY, "H1"), "site": "KS-PS2", "celsius": "5"}
    response = submit(
        staff_client, staff_world, "packing_station", "cooling", values | {"time": local_now()}
    )
    assert response.status_code == 303, response.text
    assert "agritrace_site=KS-PS2" in response.headers["set-cookie"]
    page = staff_client.get(response.headers["location"], headers=HTML).text
    assert 'name="site" dir="ltr" value="KS-PS2"' in page  # the grading screen
    # Another device (no cookie) gets an empty box, not this device's site.
    with TestClient(staff_client.app) as other:
        staff_world.sign_in(other, "packing_station")
        fresh = other.get("/staff/record/packing?lang=en", headers=HTML).text
        assert 'name="site" dir="ltr" value=""' in fresh


@pytest.mark.parametrize("cookie", ['"><script>alert(1)</script>', "PS 1", "x" * 41, "-PS"])
def test_a_site_cookie_that_is_no_site_code_is_ignored(
    staff_client: TestClient, staff_world: StaffWorld, cookie: str
) -> None:
    staff_world.sign_in(staff_client, "packing_station")
    staff_client.cookies.set("agritrace_site", cookie)
    page = staff_client.get("/staff/record/cooling?lang=en", headers=HTML).text
    assert 'name="site" dir="ltr" value=""' in page
    assert "<script>alert(1)" not in page


def test_a_refused_save_stays_on_its_form_and_remembers_no_site(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    harvested(staff_client, staff_world)
    values = {"lot": lot_value(STRAWBERRY, "H1"), "site": "PS9", "celsius": "hot"}
    response = submit(
        staff_client, staff_world, "packing_station", "cooling", values | {"time": local_now()}
    )
    assert response.status_code == 422
    assert "agritrace_site" not in response.headers.get("set-cookie", "")


def test_the_grading_screen_of_a_graded_lot_offers_print_only_for_released_lots(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    released(staff_client, staff_world, "H2")  # harvest, cooling, tests, then released
    graded = grading_body("H2", "H2-G1") | {"time": ago(0.5)}  # after the release
    api(staff_client, staff_world, "packing_station", "grading", graded)
    staff_world.sign_in(staff_client, "packing_station")
    chosen = lot_value(STRAWBERRY, "H2")
    page = staff_client.get(f"/staff/record/grading?lot={chosen}&lang=en", headers=HTML).text
    assert 'data-lot="H2-G1"' in page
    assert "label-requires-released" in page  # a graded lot starts unreleased
    assert 'action="/staff/record/grading' not in page  # graded already: no second grading
    release = {"lot": ref("H2-G1"), "note": "ok", "time": ago(0)}
    api(staff_client, staff_world, "cooperative", "release", release)
    page = staff_client.get(f"/staff/record/grading?lot={chosen}&lang=en", headers=HTML).text
    assert f'action="/staff/lots/{STRAWBERRY}/H2-G1/labels?lang=en"' in page
    # Logistics may not print labels: the screen shows no print form to them.
    staff_world.sign_in(staff_client, "logistics")
    assert (
        staff_client.get(f"/staff/record/grading?lot={chosen}&lang=en", headers=HTML).status_code
        == 403
    )
