"""The page's proof check runs in a real browser (headless Chromium) and agrees with Python.

``verifier_app/static/verify.js`` re-implements, with WebCrypto, the two checks a consumer
needs so as not to trust our server: the checkpoint's Ed25519 signed note and the RFC 6962
inclusion proof. These tests feed it the same third-party vectors as the Python code, real
entries from a ledger, and tampered copies of them.
"""

from __future__ import annotations

import base64
import functools
import http.server
import json
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger import Ledger, NoteSigner
from tests.ledger.conftest import Actor, LogWorld, notes

REPO = Path(__file__).resolve().parents[2]
VERIFY_JS = REPO / "verifier_app" / "static" / "verify.js"
VECTORS = REPO / "tests" / "vectors" / "conformance"
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Flags the machine needs: no sandbox as root, no GPU, no calls home on a closed network.
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A localhost origin serving verify.js (localhost is a secure context for WebCrypto)."""
    root = tmp_path_factory.mktemp("site")
    shutil.copy(VERIFY_JS, root / "verify.js")
    (root / "index.html").write_text(
        "<!doctype html><meta charset=utf-8><script src=verify.js></script><body></body>"
    )
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output clean."""


@pytest.fixture(scope="module")
def page(site: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A Chromium page on the site, with ``window.agritraceVerify`` loaded."""
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM} (scripts/test installs Debian's chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
        )
        tab = browser.new_page()
        tab.goto(f"{site}/index.html")
        tab.wait_for_function("window.agritraceVerify !== undefined")
        yield tab
        browser.close()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


ROOT_FROM_PROOF = """async ([index, size, leafHash, proof]) => {
  const v = window.agritraceVerify;
  try {
    const root = await v.rootFromInclusionProof(index, size, v.fromBase64(leafHash),
                                                proof.map(v.fromBase64));
    return btoa(String.fromCharCode(...root));
  } catch (e) { return "error: " + e.message; }
}"""

OPEN_NOTE = """async ([note, vkey]) => {
  try { return await window.agritraceVerify.openNote(note, vkey); }
  catch (e) { return "error: " + e.message; }
}"""

VERIFY_ENTRIES = """async (data) => {
  try { return await window.agritraceVerify.verifyEntries(data); }
  catch (e) { return "error: " + e.message; }
}"""


def test_reference_tree_proofs_lead_to_the_reference_roots(page: Any) -> None:
    tree = json.loads((VECTORS / "merkle" / "rfc6962_reference_tree.json").read_text())
    leaves = [bytes.fromhex(h) for h in tree["leaf_inputs_hex"]]
    roots = [bytes.fromhex(h) for h in tree["root_hashes_hex_by_tree_size"]]
    import hashlib

    for case in tree["inclusion_proofs"]:
        index, size = case["leaf_index"], case["tree_size"]
        leaf = hashlib.sha256(b"\x00" + leaves[index]).digest()
        proof = [_b64(bytes.fromhex(h)) for h in case["proof_hex"]]
        got = page.evaluate(ROOT_FROM_PROOF, [index, size, _b64(leaf), proof])
        assert got == _b64(roots[size]), case


def test_every_transparency_dev_inclusion_probe_gets_its_verdict(page: Any) -> None:
    cases = json.loads((VECTORS / "merkle" / "tdev_merkle_inclusion.json").read_text())["cases"]
    rejected = 0
    for case in cases:
        got = page.evaluate(
            ROOT_FROM_PROOF,
            [case["leafIdx"], case["treeSize"], case["leafHash"] or "", case["proof"] or []],
        )
        accepted = got == case["root"]
        assert accepted != case["wantErr"], (case["source_path"], got)
        rejected += not accepted
    assert rejected > 50  # most probes are attacks; all of them must fail


def test_third_party_signed_notes_open_only_with_their_key(page: Any) -> None:
    vectors = json.loads((VECTORS / "notes" / "signed_note_vectors.json").read_text())
    checked = 0
    for case in vectors["cases"]:
        expect = case["expect"]
        if expect["result"] == "ok" and expect.get("verified", [None])[0] is not None:
            name = expect["verified"][0]["name"]
            vkey = next(k for k in case["verifier_keys"] if k.startswith(name + "+"))
            assert page.evaluate(OPEN_NOTE, [case["note"], vkey]) == expect["text"], case["id"]
            checked += 1
        elif case["id"] in {"gomod-invalid-signature", "gomod-open-none-known"}:
            # The latter trusts no key that signed it: try one that did not.
            vkey = (case["verifier_keys"] or [vectors["keys"][-2]["vkey"]])[0]
            got = page.evaluate(OPEN_NOTE, [case["note"], vkey])
            assert got.startswith("error: "), case["id"]
            checked += 1
    assert checked >= 3


@pytest.fixture(scope="module")
def signed_entries(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """What a lot page embeds: a signed checkpoint, the log key, entries and their proofs."""
    folder = tmp_path_factory.mktemp("ledger")
    root = Actor("root")
    signer = NoteSigner.generate("test.agritrace.example/log")
    with Ledger.create(f"sqlite:///{folder / 'l.db'}", signer.name, root.key, signer) as ledger:
        world = LogWorld(f"sqlite:///{folder / 'l.db'}", root, signer, ledger)
        ledger.append_batch(notes(world.actor("packing_station"), 40))
        note = ledger.checkpoint()
        size = ledger.size()
        entries = [
            {
                "leaf": _b64(ledger.entry(seq).leaf()),
                "index": seq,
                "proof": [_b64(h) for h in ledger.inclusion_proof(seq, size)],
            }
            for seq in (0, 7, 21, size - 1)
        ]
        yield {"checkpoint": note, "logKey": signer.verifier_key(), "entries": entries}


def test_genuine_entries_verify_in_the_browser(page: Any, signed_entries: dict[str, Any]) -> None:
    result = page.evaluate(VERIFY_ENTRIES, signed_entries)
    assert result == {"origin": "test.agritrace.example/log", "size": "42", "entries": 4}


def _flip(text: str, at: int = 10) -> str:
    raw = bytearray(base64.b64decode(text))
    raw[at % len(raw)] ^= 1
    return _b64(bytes(raw))


@pytest.mark.parametrize(
    ("attack", "expected"),
    [
        ("tampered entry", "is not in the signed tree"),
        ("tampered proof", "is not in the signed tree"),
        ("tampered checkpoint signature", "does not verify"),
        ("checkpoint claiming another size", "does not verify"),
        ("another log's key", "not signed by this log's key"),
    ],
)
def test_a_tampered_answer_from_the_server_fails_in_the_browser(
    page: Any, signed_entries: dict[str, Any], attack: str, expected: str
) -> None:
    data = json.loads(json.dumps(signed_entries))
    if attack == "tampered entry":
        data["entries"][1]["leaf"] = _flip(data["entries"][1]["leaf"], 40)
    elif attack == "tampered proof":
        data["entries"][2]["proof"][0] = _flip(data["entries"][2]["proof"][0])
    elif attack == "tampered checkpoint signature":
        body, _, signature = data["checkpoint"].rpartition(" ")
        data["checkpoint"] = body + " " + _flip(signature.strip(), 30) + "\n"
    elif attack == "checkpoint claiming another size":
        data["checkpoint"] = data["checkpoint"].replace("\n42\n", "\n43\n", 1)
    else:
        data["logKey"] = NoteSigner.generate("test.agritrace.example/log").verifier_key()
    result = page.evaluate(VERIFY_ENTRIES, data)
    assert isinstance(result, str)
    assert result.startswith("error: ")
    assert expected in result


def test_the_page_line_turns_verified_and_a_screenshot_is_kept(
    page: Any, site: str, signed_entries: dict[str, Any]
) -> None:
    import html

    attribute = html.escape(json.dumps(signed_entries), quote=True)
    page.set_content(
        "<!doctype html><meta charset=utf-8><style>.verified{color:#060}.failed{color:#b00}"
        "</style><h1>SB26-0042</h1>"
        f"<output data-agritrace-verify='{attribute}' data-ok='已在本机验证 verified here'"
        " data-fail='验证失败 verification failed'>…</output>"
    )
    page.add_script_tag(path=str(VERIFY_JS))
    page.evaluate(
        "() => window.agritraceVerify.run(document.querySelector('[data-agritrace-verify]'))"
    )
    page.wait_for_selector("output.verified", timeout=10_000)
    assert "verified here (42)" in page.inner_text("output")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "browser-verify.png"))
