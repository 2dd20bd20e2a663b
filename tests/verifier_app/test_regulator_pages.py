"""The regulator's pages: each opens for a regulator only, forms are checked, recall confirms."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.verifier_app.regulator_world import (
    SeasonWorld,
    appended_since,
    build_season_world,
    log_size,
)
from verifier_app.regulator._wording import REGULATOR_WORDING

HTML = {"Accept": "text/html"}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> SeasonWorld:
    return build_season_world(tmp_path_factory.mktemp("pages") / "season")


@pytest.fixture
def client(world: SeasonWorld) -> Iterator[TestClient]:
    with world.client() as client:
        yield client


@pytest.fixture
def own_world(world: SeasonWorld, tmp_path: Path) -> SeasonWorld:
    return world.copy(tmp_path / "season")


def _pages(world: SeasonWorld) -> list[str]:
    gtin = world.season.gtin
    return [
        "/regulator",
        "/regulator/audit",
        "/regulator/trace",
        f"/regulator/trace?gtin={gtin}&lot=SB26-H02",
        "/regulator/trace?shipment=SH-0602-URC",
        "/regulator/lots?status=held",
        "/regulator/lots?status=non_compliant",
        "/regulator/lots?status=recalled",
        "/regulator/recall",
        "/regulator/exports",
    ]


def test_wording_has_the_same_keys_in_every_language() -> None:
    keys = {language: set(words) for language, words in REGULATOR_WORDING.items()}
    assert keys["zh"] == keys["ug"] == keys["en"]


@pytest.mark.parametrize("lang", ["zh", "ug", "en"])
def test_every_page_opens_for_a_regulator_in_every_language(
    client: TestClient, world: SeasonWorld, lang: str
) -> None:
    world.sign_in(client, "regulator")
    for path in _pages(world):
        response = client.get(path, params={"lang": lang}, headers=HTML)
        assert response.status_code == 200, (path, response.text[-500:])
        assert f'lang="{lang}"' in response.text
        assert "<script" not in response.text
        assert "regulator-actor" in response.text


@pytest.mark.parametrize("role", ["cooperative", "lab", "packing_station", "logistics"])
def test_other_roles_get_a_page_saying_which_role_opens_it(
    client: TestClient, world: SeasonWorld, role: str
) -> None:
    world.sign_in(client, role)
    for path in _pages(world):
        response = client.get(path, headers=HTML)
        assert response.status_code == 403, path
        assert "regulator" in response.text


def test_a_stranger_is_sent_to_sign_in(client: TestClient, world: SeasonWorld) -> None:
    for path in _pages(world):
        response = client.get(path, headers=HTML, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/sign-in?next=/regulator")


def test_home_shows_log_size_and_latest_checkpoint(client: TestClient, world: SeasonWorld) -> None:
    world.sign_in(client, "regulator")
    page = client.get("/regulator?lang=en", headers=HTML).text
    assert f"<dd><bdi>{log_size(client)}</bdi></dd>" in page
    assert "test.kashgar-coop.example/log" in page  # the checkpoint's origin line


def test_audit_runs_with_a_self_refreshing_progress_page_then_a_verdict(
    client: TestClient, world: SeasonWorld
) -> None:
    csrf = world.sign_in(client, "regulator")
    started = client.post("/regulator/audits", data={"csrf": csrf}, follow_redirects=False)
    assert started.status_code == 303
    progress = started.headers["location"]
    assert progress.startswith("/regulator/audits/")
    deadline = time.monotonic() + 30
    while True:
        page = client.get(progress, params={"lang": "en"}, headers=HTML)
        assert page.status_code == 200
        assert "Checked" in page.text
        if "refresh" not in page.headers:
            break
        assert '<meta http-equiv="refresh" content="2">' in page.text
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert "The ledger is intact (<code>valid</code>)" in page.text
    assert f"Checked <bdi>{log_size(client)}</bdi> of <bdi>{log_size(client)}</bdi>" in page.text
    assert 'http-equiv="refresh"' not in page.text
    missing = client.get("/regulator/audits/nope", headers=HTML)
    assert missing.status_code == 404


def test_forms_without_the_csrf_value_are_refused_and_change_nothing(
    client: TestClient, world: SeasonWorld
) -> None:
    world.sign_in(client, "regulator")
    before = log_size(client)
    body = {"gtin": world.season.gtin, "lot": world.season.released, "reason": "x"}
    for path, data in (
        ("/regulator/audits", {}),
        ("/regulator/audits", {"csrf": "0" * 32}),
        ("/regulator/recall/confirm", body),
        ("/regulator/recall", body),
        ("/regulator/recall", body | {"csrf": "forged"}),
    ):
        response = client.post(path, data=data, headers=HTML, follow_redirects=False)
        assert response.status_code == 403, path
        assert "did not come from this site" in response.text
    assert log_size(client) == before


def test_recall_is_confirmed_listing_what_it_reaches_then_recorded(
    own_world: SeasonWorld,
) -> None:
    with own_world.client() as client:
        csrf = own_world.sign_in(client, "regulator")
        before = log_size(client)
        form = {"csrf": csrf, "gtin": own_world.season.gtin, "lot": "SB26-H05", "reason": "mould"}
        confirm = client.post("/regulator/recall/confirm?lang=en", data=form, headers=HTML)
        assert confirm.status_code == 200
        for reached in ("SB26-H05-SU", "SB26-H05-G1", "SH-0606-SHA", "SHA-EC-WH2"):
            assert reached in confirm.text
        assert "Recall them now" in confirm.text
        assert log_size(client) == before  # nothing recorded by looking
        done = client.post("/regulator/recall?lang=en", data=form, headers=HTML)
        assert done.status_code == 201
        assert f"Recalled. Ledger entry <bdi>{before}</bdi>" in done.text
        assert "SH-0606-SHA" in done.text
        assert appended_since(client, before) == ["trace.recall"]
        again = client.post("/regulator/recall", data=form, headers=HTML)
        assert again.status_code == 409
        assert "recall-once" in again.text
        assert appended_since(client, before) == ["trace.recall"]


def test_recall_confirmation_refuses_bad_input_on_the_form(
    client: TestClient, world: SeasonWorld
) -> None:
    csrf = world.sign_in(client, "regulator")
    gtin = world.season.gtin
    for data, status, says in (
        ({"gtin": gtin, "lot": "NO-SUCH-LOT", "reason": "x"}, 404, "NO-SUCH-LOT"),
        ({"gtin": "123", "lot": "SB26-H01", "reason": "x"}, 422, "gtin"),
        ({"gtin": gtin, "lot": "SB26-H01", "reason": "  "}, 422, "reason"),
    ):
        page = client.post("/regulator/recall/confirm", data={"csrf": csrf} | data, headers=HTML)
        assert page.status_code == status
        assert says in page.text
        assert 'action="/regulator/recall/confirm"' in page.text  # the form again


def test_trace_page_shows_the_picture_inline_and_tables_with_links(
    client: TestClient, world: SeasonWorld
) -> None:
    world.sign_in(client, "regulator")
    gtin = world.season.gtin
    page = client.get(f"/regulator/trace?gtin={gtin}&lot=SB26-H02&lang=en", headers=HTML).text
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in page
    assert f'href="/regulator/trace?gtin={gtin}&amp;lot=SB26-H02-SU"' in page
    assert 'href="/regulator/trace?shipment=SH-0602-URC"' in page
    assert "Memet Niyaz" in page
    unknown = client.get(f"/regulator/trace?gtin={gtin}&lot=NO-SUCH-LOT", headers=HTML)
    assert unknown.status_code == 404
    assert "NO-SUCH-LOT" in unknown.text


def test_lists_page_through_and_name_rules(client: TestClient, world: SeasonWorld) -> None:
    world.sign_in(client, "regulator")
    page = client.get("/regulator/lots?status=non_compliant&lang=en", headers=HTML).text
    assert "residue-above-mrl" in page
    assert "cold-chain-precool" in page
    assert world.season.residue_hold in page
    bad = client.get("/regulator/lots?status=lost", headers=HTML)
    assert bad.status_code == 422


def test_exports_download_from_the_pages(client: TestClient, world: SeasonWorld) -> None:
    world.sign_in(client, "regulator")
    lot = {"gtin": world.season.gtin, "lot": world.season.released}
    epcis = client.get("/regulator/exports/epcis", params=lot, headers=HTML)
    assert epcis.status_code == 200
    assert epcis.headers["content-type"] == "application/ld+json"
    assert "attachment" in epcis.headers["content-disposition"]
    days = {"from": "2026-06-01", "to": "2026-06-03"}
    sheet = client.get("/regulator/exports/fsma204", params=days, headers=HTML)
    assert sheet.status_code == 200
    assert sheet.headers["content-type"].startswith("text/csv")
    reversed_range = client.get(
        "/regulator/exports/fsma204", params={"from": "2026-06-03", "to": "2026-06-01"}
    )
    assert reversed_range.status_code == 422
    assert "to:" in reversed_range.text
    assert client.get("/regulator/exports/pdf", headers=HTML).status_code == 404
