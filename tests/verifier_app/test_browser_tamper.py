"""A database editor changes what the page shows: the page turns red in Chromium, naming it.

The demo season is served by the real app (uvicorn), on SQLite and on PostgreSQL. Each test
writes straight into the projection (``trace_*`` rows: a status, a residue value or verdict,
a grade, a grower, an origin, the cooperative, dropped residue rows, a recall's effect) and
opens the lot's page in headless Chromium with the server's own check switched off, so the
red comes from the browser re-deriving the facts from the signed entries. The JSON answer,
with the server's check on, must then say ``not_verified`` and name the same fact, and
``agritrace verify`` (the same derivation, run on the answer a server vouching "verified"
sends) must fail naming it too.
"""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy
import uvicorn
from sqlalchemy import insert, text

from agritrace._trust import TrustFile
from agritrace.verify import check_answer
from ledger import KeyFolder, Ledger
from tests.verifier_app.conftest import RESOLVER
from tests.verifier_app.test_browser_verify import ARTIFACTS, CHROMIUM, CHROMIUM_FLAGS
from traceability.demo import Season, build_season
from traceability.events._ids import lot_key
from traceability.projection import _schema as t
from verifier_app import Settings, create_app
from verifier_app.consumer import _check, _scan_cache

pytestmark = pytest.mark.browser

ORIGIN = "tamper.kashgar-coop.example/log"
JSON = {"Accept": "application/json"}
TOUCHED = (t.lots, t.results, t.farms, t.cooperative)
TRUST: dict[int, TrustFile] = {}  # id of the served engine -> its log's trust file


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A database URL for the module: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'ledger.db'}"
        return
    server: str = request.getfixturevalue("postgres_server")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(server)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in server else "?"
    yield f"{server}{separator}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    admin.dispose()


@pytest.fixture(scope="module")
def served(
    database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Season, sqlalchemy.Engine]]:
    """The app on the demo season (checkpointed), served by uvicorn; answers never cached."""
    folder = tmp_path_factory.mktemp("season")
    keys = KeyFolder(folder / "keys")
    root = keys.create("root")
    with Ledger.create(database, ORIGIN, root, keys.create_log_signer(ORIGIN)) as ledger:
        season = build_season(ledger, root, keys.create)
        ledger.checkpoint()
        log_key = str(ledger.log_key())
    # The server's own drift monitor would also catch these edits (test_drift.py); its periodic
    # full check is pushed out of the module's run so that the red here is the browser's alone.
    settings = Settings(
        db=database,
        keys=folder / "keys",
        resolver=RESOLVER,
        demo=True,
        rate_burst=10_000,
        drift_full_seconds=10**9,
    )
    # A tampered row does not change the log's version, so a kept answer would hide it.
    patch = pytest.MonkeyPatch()
    patch.setattr(_scan_cache.AnswerCache, "get", lambda self, key: None)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    web = uvicorn.Server(uvicorn.Config(create_app(settings), port=port, log_level="warning"))
    thread = threading.Thread(target=web.run, daemon=True)
    thread.start()
    for _ in range(200):
        if web.started:
            break
        time.sleep(0.05)
    engine = sqlalchemy.create_engine(database)
    # The season's regulator key: the labs behind the results are checked against it.
    regulator = keys.load("market-regulator").public_key().public_bytes_raw()
    pinned = (base64.b64encode(regulator).decode(),)
    TRUST[id(engine)] = TrustFile(ORIGIN, log_key, regulator_keys=pinned)
    yield f"http://127.0.0.1:{port}", season, engine
    web.should_exit = True
    thread.join(timeout=10)
    engine.dispose()
    patch.undo()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
        )
        yield chromium
        chromium.close()


def _answer(url: str) -> Any:
    with urllib.request.urlopen(urllib.request.Request(url, headers=JSON), timeout=30) as r:
        return json.loads(r.read())


def _key(season: Season, lot: str) -> str:
    return lot_key(season.gtin, lot)


# name -> (which lot to open, SQL written straight into the projection, the fact named)
TAMPERING: dict[str, tuple[str, str, str]] = {
    "recalled lot shown as shipped": (
        "recalled",
        "UPDATE trace_lots SET status = 'shipped', status_reason = NULL WHERE key = :lot",
        "status",
    ),
    "held lot shown as released": (
        "residue_hold",
        "UPDATE trace_lots SET status = 'released', status_reason = 'ok' WHERE key = :lot",
        "status",
    ),
    "residue value lowered": (
        "released",
        "UPDATE trace_results SET value = '0.011' WHERE substance = 'carbendazim'",
        "residues",
    ),
    "failing verdict shown as pass": (
        "residue_hold",
        "UPDATE trace_results SET outcome = 'pass' WHERE outcome = 'fail'",
        "residues",
    ),
    "grade changed": (
        "released",
        "UPDATE trace_lots SET grade = 'super' WHERE key = :lot",
        "grade",
    ),
    "grower changed": ("released", "UPDATE trace_farms SET grower = 'Someone Else'", "origins"),
    "origin changed": ("released", "UPDATE trace_farms SET village = 'Elsewhere'", "origins"),
    "cooperative renamed": (
        "released",
        "UPDATE trace_cooperative SET name_en = 'Another Cooperative'",
        "cooperative",
    ),
    "residue rows dropped": ("released", "DELETE FROM trace_results", "residues"),
    "recall dropped from the lot": (
        "recalled_harvest",
        "UPDATE trace_lots SET status = 'consumed', status_reason = NULL WHERE key = :lot",
        "status",
    ),
}


@pytest.fixture
def tampered(served: tuple[str, Season, sqlalchemy.Engine]) -> Iterator[Any]:
    """Apply a tampering (SQL) to the projection; restore every touched table afterwards."""
    _, season, engine = served
    with engine.connect() as conn:
        saved = {
            table: [dict(r._mapping) for r in conn.execute(table.select())] for table in TOUCHED
        }

    def apply(sql: str, lot: str) -> None:
        with engine.begin() as conn:
            conn.execute(text(sql), {"lot": _key(season, lot)} if ":lot" in sql else {})

    yield apply
    with engine.begin() as conn:
        for table in TOUCHED:
            conn.execute(table.delete())
            if saved[table]:
                conn.execute(insert(table), saved[table])


@pytest.mark.parametrize("name", list(TAMPERING))
def test_a_projection_change_turns_the_page_red_and_the_json_not_verified(
    browser: Any,
    served: tuple[str, Season, sqlalchemy.Engine],
    tampered: Any,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
) -> None:
    base, season, _ = served
    which, sql, fact = TAMPERING[name]
    lot = getattr(season, which)
    url = f"{base}/01/{season.gtin}/10/{lot}"
    tampered(sql, lot)
    answer = _answer(url)
    assert answer["status"] == "not_verified", answer["verification"]
    assert fact in {m["fact"] for m in answer["verification"]["mismatches"]}
    # The browser alone: the server's check says all is well, the page must still turn red.
    genuine = _check.Verification("verified")
    monkeypatch.setattr("verifier_app.consumer._routes.check_lot", lambda *a: genuine)
    with urllib.request.urlopen(url + "?lang=en", timeout=30) as r:
        assert b'unchecked" role="status"' in r.read()  # calm at first paint: no server red
    page = browser.new_page()
    try:
        page.goto(url + "?lang=en")
        page.wait_for_selector("output.failed", timeout=20_000)
        assert "do not trust this page" in page.inner_text("h1.banner")
        named = page.inner_text("output").rsplit(": ", 1)[1].split(", ")
        assert fact in named
        assert len(named) == len(set(named)), named  # each fact named once
        assert page.locator(f'dd.mismatch[data-fact="{fact}"]').count() >= 1
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"tamper-{name.replace(' ', '-')}.png"))
    finally:
        page.close()


@pytest.mark.parametrize("name", list(TAMPERING))
def test_a_projection_change_fails_agritrace_verify_naming_the_fact(
    served: tuple[str, Season, sqlalchemy.Engine],
    tampered: Any,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
) -> None:
    base, season, engine = served
    which, sql, fact = TAMPERING[name]
    lot = getattr(season, which)
    url = f"{base}/01/{season.gtin}/10/{lot}"
    trust = TRUST[id(engine)]
    monkeypatch.setattr("verifier_app.consumer._routes.vouched", lambda lot, state: lot)
    genuine = _check.Verification("verified")
    monkeypatch.setattr("verifier_app.consumer._routes.check_lot", lambda *a: genuine)
    assert not [f for f in check_answer(url, _answer(url), trust) if not f.ok]
    tampered(sql, lot)
    # The server vouches for its tables; verify trusts only the proven entries.
    answer = _answer(url)
    failed = {f.check: f.detail for f in check_answer(url, answer, trust) if not f.ok}
    assert fact in failed, (answer["status"], failed)


def test_the_genuine_lot_turns_verified_only_in_the_browser(
    browser: Any, served: tuple[str, Season, sqlalchemy.Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The server's drift monitor has seen this module's earlier edits (each restored since) and
    # withholds "verified" until its next full check (test_drift.py covers that); this test is
    # about the browser's check of an untouched lot, so the server vouches as it would when clean.
    monkeypatch.setattr("verifier_app.consumer._routes.vouched", lambda lot, state: lot)
    base, season, _ = served
    url = f"{base}/01/{season.gtin}/10/{season.released}"
    assert _answer(url)["status"] == "verified"
    page = browser.new_page()
    try:
        page.goto(url + "?lang=en")
        page.wait_for_selector("output.verified", timeout=20_000)
        assert page.get_attribute("h1.banner", "class") == "banner verified"
        assert "Verified" in page.inner_text("h1.banner")
        assert "checked on this phone" in page.inner_text("h1.banner")
    finally:
        page.close()
