"""Right to left done right on every staff and regulator page, checked in Chromium.

Every page (and the refused forms, with their errors) is opened in Uyghur over the demo
season, and the DOM is walked: a text node that mixes Arabic script with digits or Latin
letters must sit inside a ``<bdi>`` or an element carrying ``dir`` below ``<body>`` (the
page's own ``dir="rtl"`` on ``<html>`` does not count), or hold its left-to-right runs
between Unicode isolates (U+2066..U+2069, the only isolation an ``<option>`` can hold).
The check itself is tried on a made-up page (it must find the one unisolated text and
nothing else). Screenshots of each Uyghur page go to ``test-artifacts/rtl-*.png`` and the
regulator's lineage drawing to ``rtl-lineage-*.png``.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from tests.verifier_app.regulator_world import SeasonWorld, build_season_world
from tests.verifier_app.test_browser_staff import browser
from tests.verifier_app.test_browser_verify import ARTIFACTS
from verifier_app import create_app

__all__ = ["browser"]  # fixture used by name

pytestmark = pytest.mark.browser

#: The check, run in the page: the text of every mixed node not isolated, with its tag.
UNISOLATED = r"""
() => {
  const arabic = /[\u0600-\u06FF\u0750-\u077F\uFB50-\uFDFF\uFE70-\uFEFF]/;
  const ltr = /[0-9A-Za-z]/;
  const bad = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const parent = node.parentElement;
    if (!parent || parent.closest("script, style, title")) continue;
    const text = node.nodeValue.replace(/[\u2066\u2067\u2068][^\u2069]*\u2069/g, "");
    if (!(arabic.test(text) && ltr.test(text))) continue;
    let el = parent, isolated = false;
    while (el && el !== document.body) {
      if (el.tagName === "BDI" || el.hasAttribute("dir")) { isolated = true; break; }
      el = el.parentElement;
    }
    if (!isolated) bad.push(parent.tagName + ": " + node.nodeValue.trim().slice(0, 120));
  }
  return bad;
}
"""


@pytest.fixture(scope="module")
def season(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, SeasonWorld]]:
    """The demo season served by uvicorn on a free localhost port."""
    world = build_season_world(tmp_path_factory.mktemp("rtl") / "season")
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


def _tab(browser: Any, base: str, token: str) -> Any:
    context = browser.new_context(locale="ug-CN", viewport={"width": 900, "height": 900})
    page = context.new_page()
    page.goto(f"{base}/sign-in?lang=ug")
    page.fill("#token", token)
    page.click("form[action='/sign-in'] button[type=submit]")
    return page


def _name(path: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-")[:80]


def _check(page: Any, url: str, shot: bool = True) -> list[str]:
    page.goto(url)
    if shot:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(
            path=str(ARTIFACTS / f"rtl-{_name(url.split('/', 3)[3])}.png"), full_page=True
        )
    return [f"{url}: {b}" for b in page.evaluate(UNISOLATED)]


def _staff_paths(world: SeasonWorld) -> dict[str, list[str]]:
    gtin = world.season.gtin
    lots = [*world.season.interesting, world.season.recalled_harvest, "SB26-H01"]
    pages = [f"/staff/lots/{gtin}/{lot}" for lot in lots]
    return {
        "packing_station": [
            "/staff",
            "/staff?q=SB26",
            "/staff/record/harvest",
            "/staff/record/cooling",
            f"/staff/record/cooling?lot={gtin}SB26-H04",
            f"/staff/record/grading?lot={gtin}SB26-H01",
            "/staff/record/grading",
            "/staff/record/packing",
            *pages,
        ],
        "cooperative": [
            "/staff/record/release",
            "/staff/record/hold",
            f"/staff/lots/{gtin}/{world.season.released}",
        ],
        "logistics": ["/staff/record/shipping"],
        "lab": ["/staff/lab"],
        "regulator": [
            "/regulator",
            "/regulator/audit",
            "/regulator/trace",
            f"/regulator/trace?gtin={gtin}&lot=SB26-H02",
            f"/regulator/trace?gtin={gtin}&lot={world.season.released}",
            "/regulator/trace?shipment=SH-0602-URC",
            "/regulator/lots?status=held",
            "/regulator/lots?status=non_compliant",
            "/regulator/lots?status=recalled",
            f"/regulator/recall?gtin={gtin}&lot={world.season.released}",
            "/regulator/exports",
        ],
    }


def test_every_mixed_text_on_staff_and_regulator_pages_is_isolated_in_uyghur(
    browser: Any, season: tuple[str, SeasonWorld]
) -> None:
    base, world = season
    bad: list[str] = []
    for role, paths in _staff_paths(world).items():
        page = _tab(browser, base, world.tokens[role])
        for path in paths:
            sep = "&" if "?" in path else "?"
            bad += _check(page, f"{base}{path}{sep}lang=ug")
        page.context.close()
    assert not bad, "\n".join(bad)


def test_refused_forms_and_their_errors_are_isolated_in_uyghur(
    browser: Any, season: tuple[str, SeasonWorld]
) -> None:
    base, world = season
    bad: list[str] = []
    packer = _tab(browser, base, world.tokens["packing_station"])
    packer.goto(f"{base}/staff/record/harvest?lang=ug")
    packer.fill("#f-lot_code", "SB26 H09")
    packer.fill("#f-variety", "Hongyan")
    packer.fill("#f-quantity", "12 jin")
    packer.click("form[action^='/staff/record/'] button[type=submit]")
    assert packer.locator(".field-error").count() >= 1
    ARTIFACTS.mkdir(exist_ok=True)
    packer.screenshot(path=str(ARTIFACTS / "rtl-refused-harvest.png"), full_page=True)
    bad += [f"refused harvest: {b}" for b in packer.evaluate(UNISOLATED)]
    packer.goto(f"{base}/staff/record/grading?lot={world.season.gtin}SB26-H01-PR&lang=ug")
    packer.fill("#f-site", "PS 1")
    packer.fill("#f-out0_quantity", "5000")
    packer.fill("#f-out0_sizes", "20")
    packer.click("form[action^='/staff/record/'] button[type=submit]")
    packer.screenshot(path=str(ARTIFACTS / "rtl-refused-grading.png"), full_page=True)
    bad += [f"refused grading: {b}" for b in packer.evaluate(UNISOLATED)]
    lab = _tab(browser, base, world.tokens["lab"])
    lab.goto(f"{base}/staff/lab?lang=ug")
    lab.click("#upload button[type=submit]")
    bad += [f"refused upload: {b}" for b in lab.evaluate(UNISOLATED)]
    assert not bad, "\n".join(bad)


def test_the_check_finds_an_unisolated_mixed_text(browser: Any) -> None:
    page = browser.new_context().new_page()
    page.set_content(
        '<html dir="rtl"><body><p>تۈركۈم SB26-H01</p><p><bdi>تۈركۈم 12</bdi></p>'
        "<p>\u2066SB26\u2069 تۈركۈم</p><p>批次 SB26</p></body></html>"
    )
    assert page.evaluate(UNISOLATED) == ["P: تۈركۈم SB26-H01"]
