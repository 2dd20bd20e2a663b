"""The resolver answers from the traceability projection: the demo season's lots by status."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape

from ledger import KeyFolder, Ledger
from tests.verifier_app.conftest import RESOLVER
from traceability import Hold, Recorder
from traceability.demo import Season, build_season
from traceability.demo._cast import COOPERATIVE_BODY, STRAWBERRY
from verifier_app import Settings, create_app
from verifier_app.consumer._domain_lookup import cooperative_name

ORIGIN = "test.kashgar-coop.example/log"
JSON = {"Accept": "application/json"}


@pytest.fixture(scope="module")
def season(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Season]:
    folder = tmp_path_factory.mktemp("season")
    keys = KeyFolder(folder / "keys")
    root = keys.create("root")
    ledger = Ledger.create(
        f"sqlite:///{folder / 'ledger.db'}", ORIGIN, root, keys.create_log_signer(ORIGIN)
    )
    built = build_season(ledger, root, keys.create)
    ledger.checkpoint()  # "verified" needs a signed checkpoint covering every entry
    ledger.close()
    return folder, built


def _settings(folder: Path) -> Settings:
    return Settings(
        db=f"sqlite:///{folder / 'ledger.db'}",
        keys=folder / "keys",
        resolver=RESOLVER,
        demo=True,
        rate_burst=1000,
    )


@pytest.fixture
def client(season: tuple[Path, Season]) -> Iterator[TestClient]:
    with TestClient(create_app(_settings(season[0]))) as client:
        yield client


def _page(season: Season, lot: str) -> str:
    return f"/01/{season.gtin}/10/{lot}"


def test_released_lot_page_shows_its_facts(client: TestClient, season: tuple[Path, Season]) -> None:
    _, s = season
    response = client.get(_page(s, s.released), params={"lang": "en"})
    assert response.status_code == 200
    page = response.text
    assert 'class="banner released unchecked"' in page
    for fact in (
        "草莓 قۇلۇپناي Strawberries",
        "Aysha Tursun",
        "Tokkuzak",
        "疏附县 Shufu, Kashgar",
        "1 Jun 2026",
        "Grade I",
        # A no-break space keeps "<LOQ 0.01" on one line (Chromium drew it reversed in
        # Uyghur when a narrow cell broke the line inside the isolate).
        '<td>chlorpyrifos</td><td>not detected<br><bdi dir="ltr">&lt;LOQ\u00a00.01</bdi></td>',
        '<td><bdi dir="ltr">0.05</bdi></td><td>pass ✓</td>',
        "Legal limit (mg/kg)",
        "Kashgar Agri Testing Lab",
        "GB 2763-2026 SAMPLE",
        "Cooling after picking",
        '<bdi dir="ltr">KS-PS1</bdi>',
        "Kashgar Fruit Growers&#39; Cooperative",  # the recorded name, not the log's origin
        "+86 998 555 0100",
    ):
        assert fact in page, fact
    assert "/api/v1/log/proof/inclusion?seq=" in page


def test_held_lot_shows_on_hold_and_why(client: TestClient, season: tuple[Path, Season]) -> None:
    _, s = season
    page = client.get(_page(s, s.residue_hold), params={"lang": "en"}).text
    assert 'class="banner on_hold unchecked"' in page
    # Why, in plain words: the substance over its limit, and its row marked in the report.
    assert "above the legal limit: chlorpyrifos." in page
    assert '<tr class="fail"><td>chlorpyrifos</td><td><bdi dir="ltr">0.120</bdi></td>' in page
    cold = client.get(_page(s, s.cold_chain_hold), params={"lang": "en"}).text
    assert 'class="banner on_hold unchecked"' in cold
    assert "not cooled fast enough" in cold
    assert 'it took <bdi dir="ltr">95</bdi> minutes' in cold  # the readings reach 4-6 °C at 95 min


def test_recalled_lot_shows_recalled(client: TestClient, season: tuple[Path, Season]) -> None:
    _, s = season
    page = client.get(_page(s, s.recalled), params={"lang": "en"}).text
    assert 'class="banner recalled unchecked"' in page
    assert "RECALLED" in page.upper()
    assert "Why it was recalled" in page
    assert "sprayer mix-up" in page  # the recall's own words, as recorded


def test_unknown_lot_is_404_possible_counterfeit(
    client: TestClient, season: tuple[Path, Season]
) -> None:
    _, s = season
    response = client.get(_page(s, "SB26-FAKE"), params={"lang": "en"})
    assert response.status_code == 404
    assert "possible counterfeit" in response.text
    assert client.get(_page(s, "SB26-FAKE"), headers=JSON).json()["status"] == "unknown"


@pytest.mark.parametrize("which", ["released", "residue_hold", "recalled"])
def test_json_answers_the_same_facts(
    client: TestClient, season: tuple[Path, Season], which: str
) -> None:
    _, s = season
    lot = getattr(s, which)
    answer = client.get(_page(s, lot), headers=JSON).json()
    page = client.get(_page(s, lot), params={"lang": "en"}).text
    assert answer["status"] == {"released": "verified", "residue_hold": "on_hold"}.get(
        which, "recalled"
    )
    assert answer["link"]["lot"] == lot
    facts = answer["lot"]["facts"]
    assert {"status", "origin", "grower", "harvested", "residue", "lab", "cold_chain"} <= set(facts)
    claims = {name: fact["value"] for name, fact in answer["lot"]["claims"].items()}
    shown = [o["grower"] for o in claims["origins"]]
    shown += [i["product"] for i in claims["inputs"]]
    shown += [t["lab"] for t in claims["tests"]] + [t["sample_id"] for t in claims["tests"]]
    shown += [h["variety"] for h in claims["harvests"]]
    assert shown
    for value in shown:
        assert str(escape(value)) in page, value
    assert answer["lot"]["entries"]


def test_a_lot_held_after_the_app_started_is_shown_held(
    tmp_path: Path, season: tuple[Path, Season]
) -> None:
    folder, s = season
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "ledger.db").write_bytes((folder / "ledger.db").read_bytes())
    # Read the log's size on every scan: the hold must show on the very next one.
    settings = _settings(copy).model_copy(update={"scan_freshness_seconds": 0})
    with TestClient(create_app(settings)) as c:
        first = c.get(_page(s, s.released), headers=JSON).json()
        assert first["status"] == "verified", first["verification"]
        ledger = Ledger.open(f"sqlite:///{copy / 'ledger.db'}")
        hold = Hold.from_body(
            {
                "lot": {"gtin": s.gtin, "lot": s.released},
                "reason": "carton damage found at the market",
                "time": "2026-06-09T10:00:00+08:00",
            }
        )
        Recorder(ledger).record(hold, KeyFolder(folder / "keys").load("coop-admin"))
        ledger.close()
        answer = c.get(_page(s, s.released), headers=JSON).json()
    assert answer["status"] == "on_hold", answer["verification"]
    assert "carton damage" in answer["lot"]["facts"]["status"]


def test_a_lot_recorded_after_start_up_on_an_empty_ledger_is_found(tmp_path: Path) -> None:
    # The app starts on a ledger with no domain events (no trace_* tables); the first lots
    # are recorded afterwards by another process. Their codes must scan as known at once,
    # not as "unknown code / possible counterfeit" until a restart.
    keys = KeyFolder(tmp_path / "keys")
    root = keys.create("root")
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    Ledger.create(url, ORIGIN, root, keys.create_log_signer(ORIGIN)).close()
    settings = _settings(tmp_path).model_copy(update={"scan_freshness_seconds": 0})
    with TestClient(create_app(settings)) as c:
        probe = f"/01/{STRAWBERRY.gtin}/10/{Season(STRAWBERRY.gtin).released}"
        assert c.get(probe, headers=JSON).json()["status"] == "unknown"
        with Ledger.open(url) as ledger:
            s = build_season(ledger, root, keys.create)
        assert _page(s, s.released) == probe
        answer = c.get(probe, headers=JSON)
        held = c.get(_page(s, s.residue_hold), headers=JSON).json()
    assert answer.status_code == 200
    # Found (not "unknown"): released, and proven once a checkpoint covers its entries.
    assert answer.json()["lot_status"] == "released"
    assert answer.json()["link"]["lot"] == s.released
    assert held["status"] == "on_hold"


def test_page_names_the_cooperative_recorded_on_the_ledger(
    client: TestClient, season: tuple[Path, Season]
) -> None:
    _, s = season
    names = [
        COOPERATIVE_BODY[k] for k in ("name_zh", "name_ug", "name_en") if k in COOPERATIVE_BODY
    ]
    for language in ("zh", "ug", "en"):
        page = client.get(_page(s, s.released), params={"lang": language}).text
        assert str(escape(COOPERATIVE_BODY[f"name_{language}"])) in page, language
    facts = client.get(_page(s, s.released), headers=JSON).json()
    assert facts["lot"]["facts"]["cooperative"] == " · ".join(names)
    # Before the cooperative records its names, the page falls back to the log's origin.
    assert cooperative_name(None, ORIGIN) == ORIGIN
