"""Screenshot the consumer page of the demo's lots in Chromium, as a phone shows them.

    .venv/bin/python scripts/screenshots.py [OUT_DIR]   (default: docs/screenshots)

Builds the demo season in a scratch folder, serves it with the real app (uvicorn, on a free
localhost port), opens each lot's page at 360 x 740 CSS pixels in Debian's headless
Chromium, waits for the in-page check (verify.js) to finish, and saves the whole page as
``<case>-<lang>.png``: released, released but past its best-before date, held (residue), held
(cold chain), recalled and an unknown code, in Chinese, Uyghur and English (18 files). The
pages are dated as the demo season's: the day its lots are on sale (within the best-before
date), and for the expired case a day after the released lot's best-before date. The PNGs
are reduced to a 64-colour palette so that the repository stays small. docs/app.md shows
them.
"""

from __future__ import annotations

import shutil
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import uvicorn
from PIL import Image

from ledger import KeyFolder, Ledger
from traceability.demo import build_season
from verifier_app import Settings, create_app
from verifier_app.consumer import _scan_cache

ORIGIN = "demo.kashgar-coop.example/log"
RESOLVER = "https://id.kashgar-coop.example"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
LANGUAGES = ("zh", "ug", "en")
VIEWPORT = {"width": 360, "height": 740}
#: The reader's day: the demo's lots on sale (the released lot keeps until 8 June 2026) ...
ON_SALE = date(2026, 6, 5)
#: ... and a day after its best-before date.
EXPIRED = date(2026, 6, 9)


def _serve(folder: Path) -> tuple[str, dict[str, str], str, uvicorn.Server, threading.Thread]:
    keys = KeyFolder(folder / "keys")
    root = keys.create("root")
    url = f"sqlite:///{folder / 'ledger.db'}"
    with Ledger.create(url, ORIGIN, root, keys.create_log_signer(ORIGIN)) as ledger:
        season = build_season(ledger, root, keys.create)
        ledger.checkpoint()
    cases = {
        "released": season.released,
        "released-expired": season.released,
        "held-residue": season.residue_hold,
        "held-cold-chain": season.cold_chain_hold,
        "recalled": season.recalled,
        "unknown": "SB26-X99",
    }
    settings = Settings(db=url, keys=folder / "keys", resolver=RESOLVER, demo=True, rate_burst=1000)
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
    return f"http://127.0.0.1:{port}", cases, season.gtin, web, thread


def _dated(day: date) -> Callable[[], date]:
    return lambda: day


def main(out: Path) -> None:
    """Make the 18 screenshots in ``out``."""
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        base, cases, gtin, web, thread = _serve(Path(scratch))
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, headless=True, args=FLAGS
                )
                for name, lot in cases.items():
                    day = EXPIRED if name.endswith("expired") else ON_SALE
                    # The server's day (pages are kept per day): what a reader sees then.
                    _scan_cache.today = _dated(day)
                    for language in LANGUAGES:
                        page = browser.new_page(viewport=VIEWPORT, device_scale_factor=1)
                        page.goto(f"{base}/01/{gtin}/10/{lot}?lang={language}")
                        if name != "unknown":
                            # The banner changes once the browser has checked the proofs.
                            done = "output.verified, output.failed, output.cannot"
                            page.wait_for_selector(done, timeout=30_000)
                        path = out / f"{name}-{language}.png"
                        page.screenshot(path=str(path), full_page=True)
                        page.close()
                        Image.open(path).convert("RGB").quantize(64).save(path, optimize=True)
                        print(path)
                browser.close()
        finally:
            web.should_exit = True
            thread.join(timeout=10)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/screenshots"))
