"""A shopper reports a problem from the scan page in Chromium, in zh, ug and en; the regulator
decides a recall on its pages and the decision shows on the lot's page in that language.

The demo season is served by uvicorn; the browser runs with JavaScript off (the form and the
regulator's pages must work without it). Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from tests.verifier_app.regulator_world import SeasonWorld, build_season_world
from tests.verifier_app.test_browser_verify import ARTIFACTS, CHROMIUM, CHROMIUM_FLAGS
from verifier_app import create_app

pytestmark = pytest.mark.browser

#: Released lots of the demo season, one per language (each is recalled by its test).
LOTS = {"zh": "SB26-H06-G1", "ug": "SB26-H06-G2", "en": "SB26-H05-G2"}
#: The report button and what the lot page says after the recall, per language.
SEND = {"zh": "提交报告", "ug": "يوللاش", "en": "Send the report"}
RECALLED = {"zh": "召回", "ug": "قايتۇرۇۋېلىندى", "en": "Recalled"}


@pytest.fixture(scope="module")
def season(tmp_path_factory: pytest.TempPathFactory) -> SeasonWorld:
    return build_season_world(tmp_path_factory.mktemp("browser-complaints") / "season")


@pytest.fixture(scope="module")
def served(season: SeasonWorld) -> Iterator[str]:
    """The app over the season, served by uvicorn on a free localhost port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # The form's least time is for scripts; this browser is one, driven on purpose.
    settings = season.settings().model_copy(update={"complaint_min_seconds": 0})
    web = uvicorn.Server(uvicorn.Config(create_app(settings), port=port, log_level="warning"))
    thread = threading.Thread(target=web.run, daemon=True)
    thread.start()
    for _ in range(100):
        if web.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    web.should_exit = True
    thread.join(timeout=10)


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


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"complaint-{name}.png"), full_page=True)


@pytest.mark.parametrize("lang", ["zh", "ug", "en"])
def test_complaint_from_the_scan_page_to_a_recall_on_the_page(
    served: str, browser: Any, season: SeasonWorld, lang: str
) -> None:
    lot, gtin = LOTS[lang], season.season.gtin
    shopper = browser.new_context(java_script_enabled=False).new_page()
    shopper.goto(f"{served}/01/{gtin}/10/{lot}?lang={lang}")
    shopper.click("p.report a")
    assert shopper.locator("html").get_attribute("lang") == lang
    assert shopper.locator("html").get_attribute("dir") == ("rtl" if lang == "ug" else "ltr")
    shopper.check("input[name=category][value=spoiled]")
    shopper.fill("#text", {"zh": "草莓发霉了", "ug": "بۇزۇلغان", "en": "Mouldy"}[lang])
    shopper.fill("#contact", "13800138000")
    _shot(shopper, f"{lang}-form")
    shopper.click(f"button:has-text('{SEND[lang]}')")
    done = shopper.locator("[data-complaint]")
    entry = done.get_attribute("data-complaint")
    assert entry is not None
    assert entry in done.inner_text()
    _shot(shopper, f"{lang}-sent")

    regulator = browser.new_context(java_script_enabled=False).new_page()
    regulator.goto(f"{served}/sign-in?lang={lang}")
    regulator.fill("#token", season.tokens["regulator"])
    regulator.click("form button[type=submit]")
    regulator.goto(f"{served}/regulator/complaints?lang={lang}")
    regulator.click(f"tr[data-complaint='{entry}'] a")
    assert "13800138000" in regulator.inner_text("[data-contact]")
    regulator.check("input[name=action][value=recall]")
    regulator.fill("#rule", "《农产品质量安全法》第四十二条")
    regulator.fill("#reason", "mould confirmed")
    _shot(regulator, f"{lang}-decide")
    regulator.click("form[action$='/decide'] button[type=submit]")
    assert regulator.locator("dl[data-decision]").count() == 1

    shopper.goto(f"{served}/01/{gtin}/10/{lot}?lang={lang}")
    decision = shopper.locator("li[data-action='recall']")
    assert decision.count() == 1
    assert RECALLED[lang] in decision.inner_text()
    _shot(shopper, f"{lang}-decided")
