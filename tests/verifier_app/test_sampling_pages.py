"""Sampling on the pages (issue 14): overdue plans listed for the cooperative and the
regulator, a lot's samples (the regulator's pre-sampling marked as such), labs, in zh/ug/en.

The demo season's plans lapsed in June, so at any later "now" both are overdue: the alert
rows every start page lists.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.verifier_app.regulator_world import SeasonWorld, build_season_world
from traceability.demo._season import FARM_PLAN, WEEKLY_PLAN
from verifier_app._formats import FORMAT_WORDING
from verifier_app._i18n import LANGUAGES, MESSAGES, Language

HTML = {"Accept": "text/html"}
#: A time as the ledger stores it (ISO 8601): never what a reader is shown.
ISO_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> SeasonWorld:
    return build_season_world(tmp_path_factory.mktemp("sampling") / "season")


@pytest.fixture
def client(world: SeasonWorld) -> Iterator[TestClient]:
    with world.client() as client:
        yield client


def page(client: TestClient, path: str, lang: str, **query: str) -> str:
    response = client.get(path, params={"lang": lang} | query, headers=HTML)
    assert response.status_code == 200, response.text
    return html.unescape(response.text)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_regulator_home_lists_overdue_plans_and_approved_labs(
    client: TestClient, world: SeasonWorld, lang: Language
) -> None:
    world.sign_in(client, "regulator")
    text = page(client, "/regulator", lang)
    words = MESSAGES[lang]
    assert words["overdue_title"] in text
    assert words["overdue_blocks"] in text
    assert f'data-plan="{WEEKLY_PLAN}"' in text
    assert f'data-plan="{FARM_PLAN}"' in text
    assert "236512340001" in text  # the lab's CMA number
    assert words["lab_approved"] in text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_cooperative_home_lists_the_same_overdue_plans(
    client: TestClient, world: SeasonWorld, lang: Language
) -> None:
    world.sign_in(client, "cooperative")
    text = page(client, "/staff", lang)
    assert MESSAGES[lang]["overdue_title"] in text
    assert f'data-plan="{WEEKLY_PLAN}"' in text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_lot_pages_show_the_regulators_pre_sample_as_such(
    client: TestClient, world: SeasonWorld, lang: Language
) -> None:
    lot, gtin = world.season.late_release, world.season.gtin
    words = MESSAGES[lang]
    world.sign_in(client, "cooperative")
    staff = page(client, f"/staff/lots/{gtin}/{lot}", lang)
    assert 'class="sample regulator"' in staff
    assert words["sample_by_regulator"] in staff
    assert "JG26-0614-01" in staff
    world.sign_in(client, "regulator")
    trace = page(client, "/regulator/trace", lang, gtin=gtin, lot=lot)
    assert words["sample_by_regulator"] in trace


def test_a_lot_sampled_by_the_lab_says_so(client: TestClient, world: SeasonWorld) -> None:
    world.sign_in(client, "cooperative")
    text = page(client, f"/staff/lots/{world.season.gtin}/SB26-H01", "en")
    assert 'class="sample lab"' in text
    assert "independent lab" in text
    assert "Kashgar Agri Testing Lab" in text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_sample_and_due_times_are_written_for_the_reader_with_their_zone(
    client: TestClient, world: SeasonWorld, lang: Language
) -> None:
    # Issue 13: every time in the reader's language with its zone, not 2026-06-02T07:30:00+08:00.
    world.sign_in(client, "cooperative")
    home = page(client, "/staff", lang)
    overdue = home.split('id="overdue-samples"')[1].split("</section>")[0]
    lot = page(client, f"/staff/lots/{world.season.gtin}/SB26-H01", lang)
    samples = lot.split('id="samples"')[1].split("</table>")[0]
    for part in (overdue, samples):
        assert not ISO_TIME.search(part), part
        assert FORMAT_WORDING[lang]["tz_beijing"] in part, part
