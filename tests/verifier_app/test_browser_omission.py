"""Omission caught: a server that leaves a recall out of a lot's page is found out.

Inclusion proofs cannot show absence. The demo season is served by the real app (uvicorn)
with its evidence selection changed to leave the recall entry out of the recalled lot's
page and show the status the remaining entries give — a consistent liar whose every listed
entry is genuine and every fact agrees with them. The signed lot-status map that ends the
checkpoint disagrees: the page turns red in Chromium naming the status, the JSON says
``not_verified``, and ``agritrace verify`` exits 1. And a checkpoint whose last entry is
not a map leaves a released lot grey ("not checked for omissions"), never green.
"""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

from agritrace._trust import TrustFile
from agritrace.cli import app as cli
from labels import DigitalLink
from ledger import KeyFolder, Ledger
from tests.verifier_app.conftest import RESOLVER
from tests.verifier_app.test_browser_verify import ARTIFACTS, CHROMIUM, CHROMIUM_FLAGS
from traceability import Hold, Recorder, derive_facts
from traceability.demo import Season, build_season
from verifier_app import Settings, create_app
from verifier_app.consumer import _check, _scan_cache
from verifier_app.consumer._domain_lookup import TraceLookup
from verifier_app.consumer._lookup import LotView

pytestmark = pytest.mark.browser

ORIGIN = "omission.kashgar-coop.example/log"
JSON = {"Accept": "application/json"}


@dataclass
class Served:
    """The demo season on a sealed ledger, served by uvicorn."""

    base: str
    season: Season
    folder: Path
    url: str
    server: uvicorn.Server
    thread: threading.Thread

    def lot_url(self, lot: str) -> str:
        return f"{self.base}/01/{self.season.gtin}/10/{lot}"

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def serve(folder: Path, **options: Any) -> Served:
    """Build the demo season (its checkpoint sealed by a map) and serve it on a free port."""
    keys = KeyFolder(folder / "keys")
    root = keys.create("root")
    url = f"sqlite:///{folder / 'ledger.db'}"
    with Ledger.create(url, ORIGIN, root, keys.create_log_signer(ORIGIN)) as ledger:
        season = build_season(ledger, root, keys.create)
        ledger.checkpoint()
        regulator = keys.load("market-regulator").public_key().public_bytes_raw()
        pinned = (base64.b64encode(regulator).decode(),)
        TrustFile(ORIGIN, ledger.log_key(), (), (), pinned).write(folder / "trust.toml")
    settings = Settings(
        db=url,
        keys=folder / "keys",
        resolver=RESOLVER,
        demo=True,
        rate_burst=10_000,
        drift_full_seconds=10**9,
        **options,
    )
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
    return Served(f"http://127.0.0.1:{port}", season, folder, url, web, thread)


def _answer(url: str) -> Any:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=JSON), timeout=30) as r:
            return json.loads(r.read())
    except urllib.error.HTTPError as e:
        return json.loads(e.read())


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


@pytest.fixture(scope="module")
def liar(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A server whose evidence selection leaves every recall out, consistently."""
    patch = pytest.MonkeyPatch()
    patch.setattr(_scan_cache.AnswerCache, "get", lambda self, key: None)
    honest = TraceLookup.__call__

    def leave_out_recalls(self: TraceLookup, link: DigitalLink) -> LotView | None:
        view = honest(self, link)
        if view is None or link.lot is None:
            return view
        ledger = self._ledger
        kept = [s for s in view.entries if ledger.entry(s).statement.kind != "trace.recall"]
        if len(kept) == len(view.entries):
            return view
        # Show what the remaining (genuine) entries give: every fact agrees with them.
        entries = [
            {"seq": s, "kind": r.statement.kind, "body": r.statement.body}
            for s in kept
            for r in (ledger.entry(s),)
        ]
        derived = derive_facts(entries, link.gtin, link.lot)
        status = derived["status"].value
        # The story's reason (why recalled) goes with the status it explains.
        claims = dict(view.claims) | {"status": status, "reason": derived["reason"].value}
        facts = tuple((n, status if n == "status" else v) for n, v in view.facts)
        return replace(view, status="verified", facts=facts, entries=tuple(kept), claims=claims)

    patch.setattr(TraceLookup, "__call__", leave_out_recalls)
    served = serve(tmp_path_factory.mktemp("liar"))
    yield served
    served.close()
    patch.undo()


def test_the_liars_page_lists_no_recall_and_its_facts_agree_with_what_it_lists(
    liar: Served,
) -> None:
    answer = _answer(liar.lot_url(liar.season.recalled))
    leaves = [json.loads(base64.b64decode(e["leaf"])) for e in answer["proof"]["entries"]]
    kinds = {leaf["statement"]["kind"] for leaf in leaves}
    assert "trace.recall" not in kinds
    assert "trace.status_map" in kinds
    assert answer["lot_status"] == "received"  # what the remaining entries give
    # The facts agree with the listed entries: only the map names what is missing.
    assert [m["fact"] for m in answer["verification"]["mismatches"]] == ["status"]
    assert answer["status"] == "not_verified"
    assert "signed map 'recalled'" in answer["verification"]["reason"]


def test_the_liars_page_turns_red_in_chromium_naming_the_status(
    browser: Any, liar: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = liar.lot_url(liar.season.recalled)
    # The browser alone: the server's own check is switched off, it vouches for the page.
    genuine = _check.Verification("verified", omission="checked")
    monkeypatch.setattr("verifier_app.consumer._routes.check_lot", lambda *a: genuine)
    page = browser.new_page()
    try:
        page.goto(url + "?lang=en")
        page.wait_for_selector("output.failed", timeout=20_000)
        assert "do not trust this page" in page.inner_text("h1.banner")
        assert "status" in page.inner_text("output")
        assert page.locator('dd.mismatch[data-fact="status"]').count() == 1
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "omission-recall-left-out.png"))
    finally:
        page.close()


def test_agritrace_verify_fails_on_the_liars_page(liar: Served) -> None:
    url = liar.lot_url(liar.season.recalled)
    result = CliRunner().invoke(cli, ["verify", url, "--trust", str(liar.folder / "trust.toml")])
    assert result.exit_code == 1, result.output
    assert "status map: status: the page shows 'received', the signed map 'recalled'" in (
        result.stderr
    )


def test_an_honest_page_of_the_same_server_stays_green(browser: Any, liar: Served) -> None:
    # The released lot has no recall to leave out: its page verifies, omissions checked.
    url = liar.lot_url(liar.season.released)
    answer = _answer(url)
    assert answer["status"] == "verified"
    assert answer["verification"]["omission"] == "checked"
    page = browser.new_page()
    try:
        page.goto(url + "?lang=en")
        page.wait_for_selector("output.verified", timeout=20_000)
        assert page.get_attribute("h1.banner", "class") == "banner verified"
    finally:
        page.close()


def test_a_checkpoint_not_ending_with_a_map_is_never_green(
    browser: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # This server has no map key: it signs checkpoints without a map.
    monkeypatch.setattr(_scan_cache.AnswerCache, "get", lambda self, key: None)
    served = serve(tmp_path, status_map_key="no-such-key", checkpoint_seconds=3600)
    try:
        keys = KeyFolder(served.folder / "keys")
        with Ledger.open(served.url, log_signer=keys.log_signer()) as ledger:
            # Another lot is held; the checkpoint now ends with the hold, not a map.
            other = {"gtin": served.season.gtin, "lot": served.season.residue_hold}
            now = datetime.now(UTC).isoformat(timespec="seconds")
            hold = Hold.from_body({"lot": other, "reason": "x", "time": now})
            Recorder(ledger).record(hold, keys.load("coop-admin"))
            ledger.checkpoint()
        url = served.lot_url(served.season.released)
        answer = _answer(url)
        assert answer["verification"]["state"] == "verified"
        assert answer["verification"]["omission"] == "not_checked"
        page = browser.new_page()
        try:
            page.goto(url + "?lang=en")
            page.wait_for_selector("output.verified", timeout=20_000)
            banner = page.get_attribute("h1.banner", "class") or ""
            assert "verified" not in banner.split()
            assert "cannot" in banner.split()
            assert "not checked for left-out entries" in page.inner_text("h1.banner")
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "omission-not-checked.png"))
        finally:
            page.close()
    finally:
        served.close()
