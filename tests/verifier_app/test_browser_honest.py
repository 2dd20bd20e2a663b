"""Honest wording: "verified" only after this browser's own check passes.

At first paint and without JavaScript the banner states the lot's status and that the proof
is not yet checked on this device, in each language. A browser that cannot run the check
(no Ed25519 in WebCrypto, no WebCrypto at all) shows grey "cannot check on this phone" with
why, never red "do not trust". An answer with no signed checkpoint is never "verified",
neither on the page nor in the JSON.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest

from tests.verifier_app.test_browser_pages import browser, server
from tests.verifier_app.test_browser_verify import ARTIFACTS
from traceability.demo import Season

__all__ = ["browser", "server"]

pytestmark = pytest.mark.browser

UNCHECKED = {
    "zh": "证明尚未在本设备上核验",
    "ug": "ئىسپات بۇ ئۈسكۈنىدە تېخى تەكشۈرۈلمىدى",
    "en": "proof not yet checked on this device",
}
STATUS_WORD = {
    ("released", "en"): "Released for sale",
    ("residue_hold", "en"): "On hold",
    ("recalled", "en"): "RECALLED",
    ("released", "zh"): "已放行销售",
}

# Chromium as an old Android WebView: WebCrypto without Ed25519.
NO_ED25519 = """(() => {
  const importKey = SubtleCrypto.prototype.importKey;
  SubtleCrypto.prototype.importKey = function (format, key, algorithm, ...rest) {
    const name = typeof algorithm === "string" ? algorithm : algorithm && algorithm.name;
    if (String(name).toLowerCase() === "ed25519") {
      return Promise.reject(new DOMException("Unrecognized name.", "NotSupportedError"));
    }
    return importKey.call(this, format, key, algorithm, ...rest);
  };
})();"""
# A browser with no WebCrypto at all (e.g. a page opened over plain http by an in-app browser).
NO_WEBCRYPTO = (
    "Object.defineProperty(Crypto.prototype, 'subtle', {get() { return undefined; }, "
    "configurable: true});"
)


def _get(url: str, accept: str = "text/html") -> bytes:
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Accept": accept})) as r:
        body: bytes = r.read()
        return body


@pytest.mark.parametrize("language", ["zh", "ug", "en"])
@pytest.mark.parametrize("which", ["released", "residue_hold", "recalled"])
def test_first_paint_states_the_status_and_that_the_proof_is_unchecked(
    server: tuple[str, Season], which: str, language: str
) -> None:
    base, season = server
    html = _get(f"{base}/01/{season.gtin}/10/{getattr(season, which)}?lang={language}").decode()
    banner = html[html.index("<h1") : html.index("</h1>")]
    assert UNCHECKED[language] in banner
    assert "unchecked" in banner
    assert "banner verified" not in banner
    for word in ("已验证", "Verified", "دەلىللەندى"):
        assert f">{word}<" not in banner  # the server never writes "verified"
    if (which, language) in STATUS_WORD:
        assert STATUS_WORD[which, language] in banner


@pytest.mark.parametrize("which", ["released", "recalled"])
def test_without_ed25519_in_webcrypto_the_page_is_grey_never_red(
    browser: Any, server: tuple[str, Season], which: str
) -> None:
    base, season = server
    context = browser.new_context()
    context.add_init_script(NO_ED25519 + "\nwindow.agritraceNoFallback = true;")
    page = context.new_page()
    try:
        page.goto(f"{base}/01/{season.gtin}/10/{getattr(season, which)}?lang=en")
        page.wait_for_selector("output.cannot", timeout=15_000)
        assert "Cannot check on this phone" in page.inner_text("output")
        assert "Ed25519" in page.inner_text("output")  # and why
        banner = page.get_attribute("h1.banner", "class") or ""
        assert "failed" not in banner
        assert "verified" not in banner
        assert "cannot" in banner
        assert "do not trust" not in page.inner_text("body")
    finally:
        context.close()


def test_without_webcrypto_the_page_is_grey_never_red(
    browser: Any, server: tuple[str, Season]
) -> None:
    base, season = server
    context = browser.new_context()
    context.add_init_script(NO_WEBCRYPTO)
    page = context.new_page()
    try:
        page.goto(f"{base}/01/{season.gtin}/10/{season.released}?lang=en")
        page.wait_for_selector("output.cannot", timeout=15_000)
        assert "WebCrypto" in page.inner_text("output")
        assert "failed" not in (page.get_attribute("h1.banner", "class") or "")
        assert "do not trust" not in page.inner_text("body")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "scan-no-webcrypto-en.png"), full_page=True)
    finally:
        context.close()


def test_no_checkpoint_means_no_verified_on_the_page_or_in_the_json(
    browser: Any, server: tuple[str, Season], monkeypatch: pytest.MonkeyPatch
) -> None:
    base, season = server
    # As before the log's first checkpoint: the server has no proof to hand out.
    monkeypatch.setattr("verifier_app.consumer._routes.proof_bundle", lambda *args, **kwargs: None)
    monkeypatch.setattr("verifier_app.consumer._scan_cache.AnswerCache.get", lambda self, key: None)
    url = f"{base}/01/{season.gtin}/10/{season.released}"
    answer = json.loads(_get(url, "application/json"))
    assert answer["status"] == "unproven"
    assert answer["verification"] == {
        "state": "unproven",
        "reason": "no signed checkpoint yet",
        "mismatches": [],
        "omission": "not_checked",
    }
    page = browser.new_page()
    try:
        page.goto(url + "?lang=en")
        page.wait_for_load_state("load")
        text = page.inner_text("body")
        assert "Cannot be proven yet" in text
        assert "no signed checkpoint yet" in text
        assert "Verified" not in page.inner_text("h1.banner")
        assert page.locator("output").count() == 0  # no check runs, so none can pass
    finally:
        page.close()
