"""The phone checks the label itself, with the label key the ledger holds (headless Chromium).

The demo season is served by the real app (uvicorn); its released lot is packed into three
serialised units and the cooperative's label key is registered on the ledger. The answer
carries the label check's inputs (the code, its ``s``, the key's registration entry and its
inclusion proof), and ``verify.js`` checks the signature with that proven key. The server is
made to claim "signed" for every label, so a red page can only come from the browser: a good
signature turns verified, a forged or missing one "possible counterfeit".
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
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from labels import DigitalLink, sign_link
from ledger import KeyFolder, Ledger
from tests.verifier_app.conftest import RESOLVER
from tests.verifier_app.test_browser_honest import NO_ED25519
from tests.verifier_app.test_browser_verify import ARTIFACTS, CHROMIUM, CHROMIUM_FLAGS
from traceability import LABEL_ROLE, Packing, Recorder, register_label_key
from traceability.demo import Season, build_season
from verifier_app import Settings, create_app
from verifier_app.consumer._label import LabelCheck

pytestmark = pytest.mark.browser

ORIGIN = "label-phone.kashgar-coop.example/log"
ISSUED = ("000001", "000002")


class World:
    """The served season, its label key and a way to make label URIs for it."""

    def __init__(self, base: str, season: Season, label: Ed25519PrivateKey) -> None:
        self.base, self.season, self.label = base, season, label

    def path(self, serial: str, key: Ed25519PrivateKey | None) -> str:
        link = DigitalLink(RESOLVER, self.season.gtin, lot=self.season.released, serial=serial)
        if key is not None:
            link = sign_link(link, key)
        return link.uri.removeprefix(RESOLVER)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("season")
    keys = KeyFolder(folder / "keys")
    root = keys.create("root")
    url = f"sqlite:///{folder / 'ledger.db'}"
    label = keys.create("label")
    with Ledger.create(url, ORIGIN, root, keys.create_log_signer(ORIGIN)) as ledger:
        season = build_season(ledger, root, keys.create)
        lot = {"gtin": season.gtin, "lot": season.released}
        packing = {
            "unit_id": "CASE-0609-01",
            "lots": [lot],
            "units": [{**lot, "serial": s} for s in ISSUED],
            "site": "KS-PS1",
            "time": "2026-06-09T09:00:00+08:00",
        }
        Recorder(ledger).record(Packing.from_body(packing), keys.load("packing-shed"))
        register_label_key(ledger, root, label.public_key(), "label printer")
        ledger.checkpoint()
    settings = Settings(
        db=url, keys=folder / "keys", resolver=RESOLVER, demo=True, rate_burst=10**4
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
    yield World(f"http://127.0.0.1:{port}", season, label)
    web.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def server_says_signed(monkeypatch: pytest.MonkeyPatch) -> None:
    """A lying server: every label is "signed", whatever its signature."""
    monkeypatch.setattr(
        "verifier_app.consumer._routes.check_label", lambda link, keys, issued: LabelCheck("signed")
    )


def _json(world: World, path: str) -> Any:
    request = urllib.request.Request(world.base + path, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return json.loads(r.read())
    except urllib.error.HTTPError as e:
        return json.loads(e.read())


def test_the_answer_carries_the_label_checks_inputs_with_the_key_proven(world: World) -> None:
    path = world.path("000001", world.label)
    answer = _json(world, path)
    assert answer["label"]["state"] == "signed"
    label = answer["proof"]["label"]
    assert (label["gtin"], label["lot"], label["serial"]) == (
        world.season.gtin,
        world.season.released,
        "000001",
    )
    assert path.endswith(f"s={label['signature']}")
    (key,) = label["keys"]
    record = json.loads(base64.b64decode(key["leaf"]))
    assert record["statement"]["kind"] == "ledger.key.register"
    assert LABEL_ROLE in record["statement"]["body"]["roles"]
    assert key["proof"]  # an inclusion proof in the checkpoint's tree


def test_a_key_in_the_app_folder_but_not_on_the_ledger_signs_nothing(world: World) -> None:
    # The server checks with the ledger's keys only: a key file alone proves nothing.
    forged = world.path("000001", Ed25519PrivateKey.generate())
    answer = _json(world, forged)
    assert answer["status"] == "counterfeit"
    assert "does not verify" in answer["label"]["reason"]


def _open(browser: Any, world: World, path: str, shot: str) -> Any:
    page = browser.new_page()
    page.goto(world.base + path + "&lang=en" if "?" in path else world.base + path + "?lang=en")
    page.wait_for_selector("output.verified, output.failed, output.cannot", timeout=20_000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"label-{shot}.png"))
    return page


@pytest.mark.usefixtures("server_says_signed")
def test_a_good_signature_turns_verified_on_the_phone(browser: Any, world: World) -> None:
    page = _open(browser, world, world.path("000001", world.label), "good")
    try:
        assert page.get_attribute("h1.banner", "class") == "banner verified"
        assert "checked on this phone" in page.inner_text("h1.banner")
    finally:
        page.close()


@pytest.mark.usefixtures("server_says_signed")
def test_a_forged_signature_is_a_possible_counterfeit_on_the_phone(
    browser: Any, world: World
) -> None:
    path = world.path("000002", Ed25519PrivateKey.generate())
    assert _json(world, path)["label"]["state"] == "signed"  # the server lies
    page = _open(browser, world, path, "forged")
    try:
        assert page.get_attribute("h1.banner", "class") == "banner counterfeit"
        assert "Possible counterfeit" in page.inner_text("h1.banner")
        assert "does not match the cooperative's label key" in page.inner_text("output")
    finally:
        page.close()


@pytest.mark.usefixtures("server_says_signed")
@pytest.mark.parametrize(
    ("language", "said"),
    [("zh", "标签上的签名与合作社的标签密钥不符。"), ("ug", "بەلگىدىكى ئىمزا كوپېراتىپنىڭ")],
)
def test_the_phone_says_a_labels_reason_in_the_pages_language(
    browser: Any, world: World, language: str, said: str
) -> None:
    path = world.path("000002", Ed25519PrivateKey.generate())
    page = browser.new_page()
    try:
        page.goto(f"{world.base}{path}&lang={language}")
        page.wait_for_selector("output.failed", timeout=20_000)
        assert page.get_attribute("h1.banner", "class") == "banner counterfeit"
        for where in ("output", "h1.banner"):
            assert said in page.inner_text(where)
            assert "does not verify" not in page.inner_text(where)
    finally:
        page.close()


@pytest.mark.usefixtures("server_says_signed")
def test_a_missing_signature_is_a_possible_counterfeit_on_the_phone(
    browser: Any, world: World
) -> None:
    page = _open(browser, world, world.path("000002", None), "missing")
    try:
        assert page.get_attribute("h1.banner", "class") == "banner counterfeit"
        assert "but not the cooperative's signature" in page.inner_text("output")
    finally:
        page.close()


@pytest.mark.usefixtures("server_says_signed")
def test_a_signature_moved_to_another_serial_is_a_possible_counterfeit(
    browser: Any, world: World
) -> None:
    # A genuine signature copied onto another unit's code: it covers the serial, so it fails.
    signature = world.path("000001", world.label).rsplit("s=", 1)[1]
    page = _open(browser, world, world.path("000002", None) + f"?s={signature}", "moved")
    try:
        assert page.get_attribute("h1.banner", "class") == "banner counterfeit"
    finally:
        page.close()


@pytest.mark.usefixtures("server_says_signed")
@pytest.mark.parametrize(("key", "want"), [("genuine", "verified"), ("forged", "counterfeit")])
def test_an_old_phone_checks_the_label_through_the_fallback(
    browser: Any, world: World, key: str, want: str
) -> None:
    # WebCrypto without Ed25519: the vendored @noble/ed25519 checks the label signature.
    signer = world.label if key == "genuine" else Ed25519PrivateKey.generate()
    context = browser.new_context()
    context.add_init_script(NO_ED25519)
    page = context.new_page()
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    try:
        page.goto(world.base + world.path("000001", signer) + "&lang=en")
        page.wait_for_selector("output.verified, output.failed, output.cannot", timeout=20_000)
        assert page.get_attribute("h1.banner", "class") == f"banner {want}"
        assert any(url.endswith("/static/noble-ed25519-2.3.0.js") for url in fetched)
    finally:
        context.close()


def test_a_signed_serial_never_issued_is_red_with_no_green_under_it(
    browser: Any, world: World
) -> None:
    # The real server (no lie): the signature is the cooperative's, but no packing issued the
    # serial. The phone cannot check issuance; its passing proofs must not read "verified".
    path = world.path("999999", world.label)
    assert _json(world, path)["status"] == "counterfeit"
    page = _open(browser, world, path, "never-issued")
    try:
        assert page.get_attribute("h1.banner", "class") == "banner counterfeit"
        assert "serial number was never issued for this lot" in page.inner_text("body")
        assert page.get_attribute("output", "class") == "cannot"
        assert "do not make this label genuine" in page.inner_text("output")
        assert "Verified" not in page.inner_text("output")
    finally:
        page.close()
