"""The dashboards and the published report in Chromium, in Chinese, Uyghur and English.

The demo season is served by uvicorn; the regulator and the cooperative sign in on the
sign-in page (JavaScript off: the pages are server-rendered) and open their dashboards; a
visitor with no sign-in opens the quarter's report. Each page must show its figures and its
four SVG charts drawn at a real size, right to left in Uyghur; screenshots go to
``test-artifacts/``.
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

TITLES = {
    ("regulator", "zh"): "监管监测看板",
    ("regulator", "en"): "Monitoring (regulator)",
    ("cooperative", "zh"): "合作社监测看板",
    ("cooperative", "en"): "Cooperative dashboard",
}
PATHS = {"regulator": "/regulator/dashboard", "cooperative": "/staff/dashboard"}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, SeasonWorld]]:
    world = build_season_world(tmp_path_factory.mktemp("browser-dash") / "season")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(create_app(world.settings()), port=port, log_level="warning")
    web = uvicorn.Server(config)
    thread = threading.Thread(target=web.run, daemon=True)
    thread.start()
    for _ in range(100):
        if web.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", world
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


def _signed_in(browser: Any, base: str, token: str) -> Any:
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1000, "height": 900}
    )
    page = context.new_page()
    page.goto(f"{base}/sign-in?lang=en")
    page.fill("#token", token)
    page.click("button:has-text('Sign in')")
    return page


def _charts_drawn(page: Any) -> None:
    charts = page.locator("svg.chart")
    assert charts.count() == 4
    for i in range(4):
        box = charts.nth(i).bounding_box()
        assert box is not None
        assert box["width"] > 300
        assert box["height"] > 100
    # Bars: the season's two routes each have a loss bar.
    assert page.locator("svg.chart rect").count() >= 4


@pytest.mark.parametrize("language", ["zh", "ug", "en"])
@pytest.mark.parametrize("who", ["regulator", "cooperative"])
def test_dashboard_in_each_language(
    browser: Any, served: tuple[str, SeasonWorld], who: str, language: str
) -> None:
    base, world = served
    page = _signed_in(browser, base, world.tokens[who])
    try:
        page.goto(f"{base}{PATHS[who]}?lang={language}")
        assert page.get_attribute("html", "lang") == language
        assert page.get_attribute("html", "dir") == ("rtl" if language == "ug" else "ltr")
        if (who, language) in TITLES:
            assert TITLES[who, language] in page.inner_text("h1")
        assert page.inner_text("#fig-failures strong") == "1"
        assert world.season.residue_hold in page.inner_text("#holds")
        assert "KS-PS1 → SHA-EC-WH2" in page.inner_text("#routes")
        _charts_drawn(page)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"dashboard-{who}-{language}.png"), full_page=True)
    finally:
        page.context.close()


@pytest.mark.parametrize("language", ["zh", "ug", "en"])
def test_published_report_without_sign_in(
    browser: Any, served: tuple[str, SeasonWorld], language: str
) -> None:
    base, world = served
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{base}/reports/{world.season.quarter}?lang={language}")
        assert page.get_attribute("html", "dir") == ("rtl" if language == "ug" else "ltr")
        assert world.season.quarter in page.inner_text("h1")
        assert page.inner_text("#checkpoint").startswith("test.kashgar-coop.example/log\n")
        _charts_drawn(page)
        pdf = page.request.get(f"{base}/reports/{world.season.quarter}.pdf?lang={language}")
        assert pdf.ok
        assert pdf.body().startswith(b"%PDF-")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"report-{language}.png"), full_page=True)
    finally:
        context.close()
