"""A packer records a lot from harvest to printed label using only the pages, in Chromium.

The app is served by uvicorn over a small cooperative (:mod:`tests.verifier_app.staff_world`)
and driven in headless Chromium with JavaScript off (the pages must work without it). The
packer signs in, records the harvest and its cooling, grades it and packs the graded lot,
then prints its labels from the lot's page. The lab's result goes in through the API (staff
cannot submit lab results) and the cooperative releases the graded lot on its own pages.
The downloaded PNG and PDF must decode (zxing-cpp) to the lot's Digital Link, signed with the
cooperative's label key. Screenshots of each step go to ``test-artifacts/``.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from PIL import Image

from labels import parse_digital_link, verify_link
from tests.labels.conftest import decode_all, pdf_pages
from tests.verifier_app.staff_world import (
    STRAWBERRY,
    StaffWorld,
    ago,
    build_staff_world,
    residue_body,
)
from tests.verifier_app.test_browser_verify import ARTIFACTS, CHROMIUM, CHROMIUM_FLAGS
from verifier_app import create_app
from verifier_app.staff._forms import SHED_TIME

pytestmark = pytest.mark.browser

LOT = "BR-H1"
GRADED = "BR-H1-G1"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, StaffWorld]]:
    """The app over a fresh cooperative, served by uvicorn on a free localhost port."""
    world = build_staff_world(tmp_path)
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
    world.ledger.close()


@pytest.fixture
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
    page.screenshot(path=str(ARTIFACTS / f"staff-{name}.png"), full_page=True)


def _sign_in(browser: Any, base: str, token: str) -> Any:
    context = browser.new_context(locale="en-US", java_script_enabled=False, accept_downloads=True)
    page = context.new_page()
    page.goto(f"{base}/sign-in?lang=en")
    page.fill("#token", token)
    page.click("button:has-text('Sign in')")
    return page


def _save(page: Any) -> None:
    page.click("form[method=post] button:has-text('Save')")


def _lab_result(base: str, world: StaffWorld, lot: str) -> None:
    request = urllib.request.Request(
        f"{base}/api/v1/events/residue",
        # Sampled now: the forms record the harvest at the current time, and a result dated
        # before its harvest is refused (time order, issue 11).
        data=json.dumps({**residue_body(lot), "time": ago(0)}).encode(),
        headers={"Content-Type": "application/json", **world.auth("lab")},
        method="POST",
    )
    with urllib.request.urlopen(request) as response:
        assert response.status == 201


def test_a_packer_records_a_lot_from_harvest_to_printed_label(
    browser: Any, served: tuple[str, StaffWorld]
) -> None:
    base, world = served
    packer = _sign_in(browser, base, world.tokens["packing_station"])
    assert packer.url.endswith("/staff")
    _shot(packer, "1-home")

    packer.click("text=Record a harvest")
    packer.fill("#f-lot_code", LOT)
    packer.select_option("#f-plot", "YK-P1")
    packer.fill("#f-variety", "Hongyan 红颜")
    packer.fill("#f-quantity", "100")
    _shot(packer, "2-harvest")
    _save(packer)
    # The packer's path: a saved harvest opens the cooling form for it (staff/_flow.py).
    assert packer.url.startswith(f"{base}/staff/record/cooling?lang=en&lot={STRAWBERRY}{LOT}")
    assert "Saved on the ledger." in packer.content()

    packer.fill("#f-site", "PS1")
    packer.fill("#f-celsius", "5")
    _save(packer)
    assert packer.url.startswith(f"{base}/staff/record/grading?lang=en&lot={STRAWBERRY}{LOT}")
    assert "Saved on the ledger." in packer.content()

    _lab_result(base, world, LOT)  # the lab's key, through the API: staff cannot
    packer.goto(f"{base}/staff/lots/{STRAWBERRY}/{LOT}?lang=en")
    assert "pass" in packer.inner_text("table")

    packer.click("text=Record grading")
    packer.fill("#f-site", "PS1")
    packer.fill("#f-out0_quantity", "30")
    packer.fill("#f-out0_sizes", "36, 38, 40")
    packer.fill("#f-out1_quantity", "45")
    packer.fill("#f-out1_sizes", "31, 33")
    packer.fill("#f-out1_lot", GRADED)
    _shot(packer, "3-grading")
    _save(packer)
    assert packer.url.startswith(f"{base}/staff/record/grading?lang=en&lot={STRAWBERRY}{LOT}")
    assert packer.locator(f".graded-lot[data-lot='{LOT}-SU']").count() == 1
    packer.goto(f"{base}/staff/lots/{STRAWBERRY}/{GRADED}?lang=en")
    assert "label-requires-released" in packer.content()  # not released yet: no printing

    coop = _sign_in(browser, base, world.tokens["cooperative"])
    coop.goto(f"{base}/staff/lots/{STRAWBERRY}/{GRADED}?lang=en")
    coop.click("text=Release for sale")
    coop.fill("#f-note", "tests passed")
    # The form's time is to the minute; the release must come after the lab's result (sent
    # with seconds above), so it is dated a minute on (inside the clock-skew allowance).
    later = dt.datetime.now(SHED_TIME) + dt.timedelta(minutes=1)
    coop.fill("#f-time", later.strftime("%Y-%m-%dT%H:%M"))
    _save(coop)
    assert "Released: may be sold" in coop.content()

    packer.reload()
    packer.click("text=Record packing")
    packer.fill("#f-unit_id", "PAL-1")
    packer.fill("#f-site", "PS1")
    _save(packer)
    assert packer.url.startswith(f"{base}/staff/lots/{STRAWBERRY}/{GRADED}")
    _shot(packer, "4-lot")

    # From the lot's page: choose the format, download. The PDF sheet is the default.
    key = world.keys.load("label").public_key()
    packer.check("input[value=png]")
    with packer.expect_download() as png_download:
        packer.click("button:has-text('Download labels')")
    with Image.open(png_download.value.path()) as png:
        codes = decode_all(png)
    packer.check("input[value=pdf]")
    with packer.expect_download() as pdf_download:
        packer.click("button:has-text('Download labels')")
    pdf = Path(pdf_download.value.path()).read_bytes()
    codes += decode_all(pdf_pages(pdf, 300, [0])[0])
    assert len(codes) >= 2
    for uri in codes:
        link = verify_link(parse_digital_link(uri), key)  # raises when not genuine
        assert (link.gtin, link.lot, link.serial) == (STRAWBERRY, GRADED, None)
        assert uri.startswith(f"https://id.kashgar-coop.example/01/{STRAWBERRY}/10/{GRADED}")
