"""Screenshot the county regulator's trace page in Chromium, as a phone shows it.

    PYTHONPATH=. .venv/bin/python scripts/county_screenshots.py [OUT_DIR]   (default: /work/shots)

Builds the county of the tests (tests/traceability/alliance_world.py: co-op A ships a lot to
the alliance's packing centre, which takes it in on its own log; co-op A then recalls the
harvest it came from) in a scratch folder, mounts the county pages under ``/county/`` in a
small app served by uvicorn on a free localhost port, signs in with a county token, and saves
the centre lot's trace across logs at 360 x 740 CSS pixels as ``county-trace-<lang>.png``
in Chinese, Uyghur and English.
"""

from __future__ import annotations

import shutil
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

import uvicorn
from PIL import Image

from tests.traceability.conftest import STRAWBERRY, at, ev, ref
from tests.verifier_app.county.conftest import COUNTY_TOKEN, build_county_app
from traceability import Recall, Role

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT = {"width": 360, "height": 740}


def main(out: Path) -> None:
    """Make the three screenshots in ``out``."""
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        built = build_county_app(Path(scratch))
        recall = ev(Recall, lot=ref("H1"), reason="spray", time=at(400))
        built.county.a.record(Role.REGULATOR, recall)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        web = uvicorn.Server(uvicorn.Config(built.app, port=port, log_level="warning"))
        thread = threading.Thread(target=web.run, daemon=True)
        thread.start()
        while not web.started:
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, headless=True, args=FLAGS
                )
                context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
                page = context.new_page()
                page.goto(f"{base}/county/sign-in")
                page.fill("#token", COUNTY_TOKEN)
                page.click("button[type=submit]")
                page.wait_for_url(f"{base}/county/")
                for language in ("zh", "ug", "en"):
                    trace = f"/county/trace?member=centre&gtin={STRAWBERRY}&lot=C-G1"
                    page.goto(f"{base}{trace}&lang={language}")
                    path = out / f"county-trace-{language}.png"
                    page.screenshot(path=str(path), full_page=True)
                    Image.open(path).convert("RGB").quantize(64).save(path, optimize=True)
                    print(path)
                browser.close()
        finally:
            web.should_exit = True
            thread.join(timeout=10)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/work/shots"))
