"""Old phones verify too: the pure-JS Ed25519 fallback, used only when WebCrypto lacks it.

Chromium is made to behave like a browser without Ed25519 in WebCrypto. The vendored
``@noble/ed25519`` (pinned, served from our origin under ``/static``) must then give every
RFC 8032 and Wycheproof verdict in the browser, and a genuine lot's page must turn
"verified" through it. A browser that has Ed25519 never fetches the fallback.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from tests.verifier_app.test_browser_honest import NO_ED25519
from tests.verifier_app.test_browser_pages import browser, server
from traceability.demo import Season
from verifier_app.consumer._static import ED25519_FALLBACK

__all__ = ["browser", "server"]

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
VECTORS = REPO / "tests" / "vectors" / "conformance" / "ed25519"
VENDORED = REPO / "verifier_app" / "static" / "vendor" / "noble-ed25519-2.3.0.js"

VERIFY = """async ([pub, sig, msg]) => {
  const hex = (h) => Uint8Array.from(h.match(/../g) || [], (b) => parseInt(b, 16));
  try { return await window.agritraceVerify.ed25519Verify(hex(pub), hex(sig), hex(msg)); }
  catch (e) { return "error: " + e.message; }
}"""


def test_the_vendored_file_is_the_pinned_release_with_its_licence() -> None:
    digest = hashlib.sha256(VENDORED.read_bytes()).hexdigest()
    assert digest == "70cebecaaa6a126ced702198706c49d03f2d6f70317342b75e50e8d2d4951fe5"
    assert "MIT License" in VENDORED.with_suffix(".LICENSE").read_text()


@pytest.fixture
def old_phone(browser: Any, server: tuple[str, Season]) -> Any:
    """A page on our origin in a browser whose WebCrypto has no Ed25519."""
    base, season = server
    context = browser.new_context()
    context.add_init_script(NO_ED25519)
    page = context.new_page()
    page.goto(f"{base}/01/{season.gtin}/10/{season.released}?lang=en")
    page.wait_for_function("window.agritraceVerify !== undefined")
    yield page
    context.close()


def test_the_fallback_gives_every_rfc8032_and_wycheproof_verdict_in_the_browser(
    old_phone: Any,
) -> None:
    rfc = json.loads((VECTORS / "rfc8032_7_1.json").read_text())["vectors"]
    cases = [(v["public_key"], v["signature"], v["message"], True) for v in rfc]
    wycheproof = json.loads((VECTORS / "wycheproof_ed25519_test.json").read_text())
    for group in wycheproof["testGroups"]:
        pub = group["publicKey"]["pk"]
        for test in group["tests"]:
            cases.append((pub, test["sig"], test["msg"], test["result"] == "valid"))
    for pub, sig, msg, valid in cases:
        got = old_phone.evaluate(VERIFY, [pub, sig, msg])
        assert got is valid or (not valid and isinstance(got, str)), (pub, sig, msg, got)
    # Flipping one bit of a genuine signature fails.
    flipped = rfc[0]["signature"][:-2] + format(int(rfc[0]["signature"][-2:], 16) ^ 1, "02x")
    assert old_phone.evaluate(VERIFY, [rfc[0]["public_key"], flipped, rfc[0]["message"]]) is False
    assert len(cases) > 150


def test_a_genuine_lot_is_verified_through_the_fallback(
    browser: Any, server: tuple[str, Season]
) -> None:
    base, season = server
    context = browser.new_context()
    context.add_init_script(NO_ED25519)
    page = context.new_page()
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    try:
        page.goto(f"{base}/01/{season.gtin}/10/{season.released}?lang=en")
        page.wait_for_selector("output.verified", timeout=20_000)
        assert page.get_attribute("h1.banner", "class") == "banner verified"
        assert f"{base}{ED25519_FALLBACK}" in fetched  # from our own origin
        assert all(url.startswith(base) for url in fetched)  # and nothing from elsewhere
    finally:
        context.close()


def test_a_browser_with_ed25519_never_fetches_the_fallback(
    browser: Any, server: tuple[str, Season]
) -> None:
    base, season = server
    page = browser.new_page()
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    try:
        page.goto(f"{base}/01/{season.gtin}/10/{season.released}?lang=en")
        page.wait_for_selector("output.verified", timeout=20_000)
        assert not [url for url in fetched if "/static/" in url]
    finally:
        page.close()


def test_only_the_fallback_is_served_under_static(server: tuple[str, Season]) -> None:
    import urllib.error
    import urllib.request

    base, _ = server
    with urllib.request.urlopen(base + ED25519_FALLBACK) as r:
        assert r.headers["Content-Type"].startswith("text/javascript")
        assert "immutable" in r.headers["Cache-Control"]
        assert r.read() == VENDORED.read_bytes()
    for name in ("verify.js", "..%2F_app.py", "vendor%2Fnoble-ed25519-2.3.0.LICENSE"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{base}/static/{name}")
        assert refused.value.code == 404
        refused.value.close()
