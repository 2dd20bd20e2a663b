"""The monitoring dashboards and the published quarterly report over the demo season.

The regulator's (``/regulator/dashboard``) and the cooperative's (``/staff/dashboard``) pages
need the right role; the report (``/reports/2026-Q2``, ``.pdf``) is public and names the
checkpoint it was computed at. Figures are checked against the season as recorded (one
failed residue test, the recalled and held lots, the two weighed shipments).
"""

from __future__ import annotations

import re
import time
from decimal import Decimal

import pypdfium2 as pdfium
import pytest
from markupsafe import escape

from ledger import Checkpoint, Ledger, parse_note
from tests.verifier_app.regulator_world import SeasonWorld, build_season_world
from traceability import LOSS_TARGET, ComplaintCounts, Projection
from traceability.projection import _rollup
from verifier_app._i18n import Language
from verifier_app._values import rule_name

QUARTER = "2026-Q2"  # the demo season starts 1 June 2026


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> SeasonWorld:
    return build_season_world(tmp_path_factory.mktemp("dash") / "season")


@pytest.mark.parametrize("language", ["zh", "ug", "en"])
def test_regulator_dashboard_shows_holds_failures_routes_and_charts(
    world: SeasonWorld, language: Language
) -> None:
    with world.client() as client:
        world.sign_in(client, "regulator")
        page = client.get("/regulator/dashboard", params={"lang": language})
    assert page.status_code == 200, page.text
    html = page.text
    assert f'lang="{language}"' in html
    assert 'id="fig-failures"' in html
    # The season's failed residue test, and its held graded lots by rule.
    assert re.search(r'id="fig-failures">[^<]*<strong>1</strong>', html)
    assert escape(rule_name("residue-above-mrl", language)) in html  # in words (issue 13)
    assert escape(rule_name("cold-chain-precool", language)) in html
    assert world.season.residue_hold in html
    # Two routes, each weighed on arrival; four charts drawn on the server.
    assert html.count("<svg") == 4
    assert "KS-PS1 → SHA-EC-WH2" in html
    assert "KS-PS1 → URC-DC1" in html
    assert "12.0%" in html
    assert "3.0%" in html
    # The season's two sampling plans (weekly, and the Yengisar farm's) lapsed in June: both
    # overdue now (Projection.overdue_samples, docs/adr/0020). One of the season's two
    # complaints is still open (the other was decided: a warning).
    assert re.search(r'id="fig-overdue">[^<]*<strong>2</strong>', html)
    assert re.search(r'id="fig-complaints">[^<]*<strong>1</strong>', html)
    assert f'href="/reports/{QUARTER}?lang={language}"' in html


@pytest.mark.parametrize("role", ["lab", "packing_station", "cooperative", "logistics"])
def test_regulator_dashboard_refuses_other_roles(world: SeasonWorld, role: str) -> None:
    with world.client() as client:
        world.sign_in(client, role)
        page = client.get("/regulator/dashboard", headers={"Accept": "text/html"})
    assert page.status_code == 403


def test_dashboards_need_a_sign_in(world: SeasonWorld) -> None:
    with world.client() as client:
        for path in ("/regulator/dashboard", "/staff/dashboard"):
            page = client.get(path, headers={"Accept": "text/html"}, follow_redirects=False)
            assert page.status_code in (303, 401), (path, page.status_code)
            assert "fig-holds" not in page.text


@pytest.mark.parametrize("role", ["cooperative", "packing_station", "logistics"])
def test_cooperative_dashboard_for_the_cooperatives_people(world: SeasonWorld, role: str) -> None:
    with world.client() as client:
        world.sign_in(client, role)
        page = client.get("/staff/dashboard", params={"lang": "zh"})
    assert page.status_code == 200, page.text
    assert "合作社监测看板" in page.text
    assert page.text.count("<svg") == 4


@pytest.mark.parametrize("role", ["lab", "regulator"])
def test_cooperative_dashboard_refuses_lab_and_regulator(world: SeasonWorld, role: str) -> None:
    with world.client() as client:
        world.sign_in(client, role)
        page = client.get("/staff/dashboard", headers={"Accept": "text/html"})
    assert page.status_code == 403


def _checkpoint_size(world: SeasonWorld) -> int:
    with Ledger.open(world.settings().db) as ledger:
        note = ledger.latest_checkpoint()
    assert note is not None
    return Checkpoint.parse(parse_note(note.encode()).text).size


def test_report_page_is_public_and_names_its_checkpoint(world: SeasonWorld) -> None:
    size = _checkpoint_size(world)
    with world.client() as client:
        page = client.get(f"/reports/{QUARTER}", params={"lang": "en"})
    assert page.status_code == 200, page.text
    html = page.text
    assert f"Quarterly evaluation {QUARTER}" in html
    assert f"checkpoint size {size}" in html
    assert f"agritrace report {QUARTER} --upto {size}" in html
    assert f'<pre id="checkpoint" dir="ltr"><code>{ORIGIN_LINE}' in html
    # The season's loss: 133.5 kg -> 129.5 kg and 121.0 kg -> 106.5 kg, 18.5 of 254.5 kg.
    assert "7.3% (Target ≤ 10.0%: within the target)" in html
    assert "Shipment SH-0606-SHA (KS-PS1 → SHA-EC-WH2)" in html
    assert "121.0 kg left, 106.5 kg arrived: 12.0% lost" in html
    # The season's complaints: one warned about, one still open; its two lapsed plans.
    assert "not recorded on this ledger yet" not in html
    assert "open: no decision yet" in html
    assert "Warning" in html


ORIGIN_LINE = "test.kashgar-coop.example/log\n"


def test_report_figures_are_those_of_the_projection_at_the_checkpoint(world: SeasonWorld) -> None:
    size = _checkpoint_size(world)
    with Ledger.open(world.settings().db) as ledger:
        found = Projection(ledger).quarterly(QUARTER, upto=size)
    assert found.upto == size
    # Six lots tested by the lab, one failing; and the late lot the regulator pre-sampled.
    assert (found.tests, found.passed) == (7, 6)
    assert found.harvested_kg == Decimal("710.0")
    assert len(found.shipments) == 2
    assert found.loss_rate == pytest.approx(18.5 / 254.5)
    assert found.loss_within_target is True
    assert LOSS_TARGET == 0.10
    assert {r.destination: r.loss_rate for r in found.routes} == {
        "URC-DC1": pytest.approx(4.0 / 133.5),
        "SHA-EC-WH2": pytest.approx(14.5 / 121.0),
    }


@pytest.mark.parametrize("language", ["zh", "ug", "en"])
def test_report_pdf_renders_its_pages(world: SeasonWorld, language: str) -> None:
    with world.client() as client:
        pdf = client.get(f"/reports/{QUARTER}.pdf", params={"lang": language})
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    document = pdfium.PdfDocument(pdf.content)
    assert len(document) >= 2
    # Ink on every page: text and charts were drawn (a blank page is all white).
    for index in range(len(document)):
        image = document[index].render(scale=0.5).to_pil().convert("L")
        low, _ = image.getextrema()
        assert low < 100, f"page {index + 1} is blank"


@pytest.mark.parametrize("bad", ["2026-Q5", "2026Q1", "26-Q1", "2026-Q1x", "x" * 300, "0000-Q1"])
def test_malformed_quarter_is_a_404_naming_the_form(world: SeasonWorld, bad: str) -> None:
    with world.client() as client:
        for path in (f"/reports/{bad}", f"/reports/{bad}.pdf"):
            page = client.get(path, headers={"Accept": "text/html"})
            assert page.status_code == 404, (path, page.status_code)
            assert "YYYY-Qn" in page.text


def test_quarter_without_events_reports_zeros_not_an_error(world: SeasonWorld) -> None:
    with world.client() as client:
        page = client.get("/reports/2025-Q1", params={"lang": "en"})
    assert page.status_code == 200
    assert "nothing weighed" in page.text


def test_the_dashboard_counts_what_the_projection_reads(
    world: SeasonWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The figures come from the projection's own reads, not from the page: two and three.
    monkeypatch.setattr(Projection, "overdue_samples", lambda self, at: ["p1", "p2"])
    counts = ComplaintCounts(open=3, decided=0)
    monkeypatch.setattr(Projection, "complaint_counts", lambda self, *a, **k: counts)
    with world.client() as client:
        world.sign_in(client, "regulator")
        html = client.get("/regulator/dashboard", params={"lang": "en"}).text
    assert re.search(r'id="fig-overdue">[^<]*<strong>2</strong>', html)
    assert re.search(r'id="fig-complaints">[^<]*<strong>3</strong>', html)


def test_the_server_builds_the_dashboards_sums_when_it_starts(world: SeasonWorld) -> None:
    # Built from nothing once per process (seconds at a million entries): at start, in the
    # background, so the first dashboard a regulator opens is as quick as every later one.
    with world.client() as client:
        engine = client.app.state.ledger.engine  # type: ignore[attr-defined]
        deadline = time.monotonic() + 30
        while engine not in _rollup._kept and time.monotonic() < deadline:
            time.sleep(0.05)
        assert engine in _rollup._kept
