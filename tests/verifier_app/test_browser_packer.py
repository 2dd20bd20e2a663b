"""The packer's path in Chromium, in Chinese and in Uyghur: new harvest to a label PDF on
three screens; and the lab entering and uploading results on its page with its own key.

The app is served by uvicorn over :mod:`tests.verifier_app.staff_world` (the fixtures of
``test_browser_staff``), driven in headless Chromium with JavaScript off. Every main-frame
navigation of the packer's tab is counted from the moment the harvest form is open. The
lab's result and the cooperative's release arrive through the API in between (the packer's
role may do neither); the packer's screens are the harvest form, the cooling form and the
grading-and-labels screen. Screenshots go to ``test-artifacts/packer-*.png``.
"""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from labels import parse_digital_link, verify_link
from ledger import key_id_for
from tests.labels.conftest import decode_all, pdf_pages
from tests.verifier_app.staff_world import STRAWBERRY, StaffWorld, ago, ref, residue_body
from tests.verifier_app.test_browser_staff import browser, served
from tests.verifier_app.test_browser_verify import ARTIFACTS

__all__ = ["browser", "served"]  # fixtures used by name

pytestmark = pytest.mark.browser


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"packer-{name}.png"), full_page=True)


def _signed_in(browser: Any, base: str, token: str, lang: str, start: str) -> Any:
    """A fresh tab signed in with ``token``, opened at ``start`` (the sign-in sends it back)."""
    locale = {"zh": "zh-CN", "ug": "ug-CN", "en": "en-US"}[lang]
    context = browser.new_context(locale=locale, java_script_enabled=False, accept_downloads=True)
    page = context.new_page()
    page.goto(f"{base}{start}")
    assert "/sign-in" in page.url
    page.fill("#token", token)
    page.click("form[action='/sign-in'] button[type=submit]")
    assert urlsplit(page.url).path == urlsplit(start).path, page.url
    return page


def _api(base: str, world: StaffWorld, role: str, kind: str, body: dict[str, Any]) -> None:
    request = urllib.request.Request(
        f"{base}/api/v1/events/{kind}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **world.auth(role)},
        method="POST",
    )
    with urllib.request.urlopen(request) as response:
        assert response.status == 201


def _save(page: Any) -> None:
    page.click("form[action^='/staff/record/'] button[type=submit]")


@pytest.mark.parametrize("lang", ["zh", "ug"])
def test_a_packer_goes_from_new_harvest_to_a_label_pdf_on_three_screens(
    browser: Any, served: tuple[str, StaffWorld], lang: str
) -> None:
    base, world = served
    lot = f"PK-{lang.upper()}1"
    packer = _signed_in(browser, base, world.tokens["packing_station"], lang, f"/staff?lang={lang}")
    assert packer.get_attribute("html", "dir") == ("rtl" if lang == "ug" else "ltr")
    packer.click("a[href^='/staff/record/harvest']")
    loads: list[str] = []
    packer.on("framenavigated", lambda f: loads.append(f.url) if f == packer.main_frame else None)

    # Screen 1: the harvest, weighed in 斤 (200 斤 = 100 kg).
    packer.fill("#f-lot_code", lot)
    packer.select_option("#f-plot", "YK-P1")
    packer.fill("#f-variety", "Hongyan 红颜")
    packer.fill("#f-quantity", "200 斤")
    _shot(packer, f"{lang}-1-harvest")
    _save(packer)

    # Screen 2: the cooling form, for this lot already.
    assert urlsplit(packer.url).path == "/staff/record/cooling"
    assert packer.input_value("#f-lot") == f"{STRAWBERRY}{lot}"
    assert "100 kg" in packer.inner_text(".converted")
    packer.fill("#f-site", "PS1")
    packer.fill("#f-celsius", "5")
    _shot(packer, f"{lang}-2-cooling")
    _save(packer)

    # Screen 3: grading and labels — the weight to account for, the bands, the site kept.
    assert urlsplit(packer.url).path == "/staff/record/grading"
    assert packer.input_value("#f-lot") == f"{STRAWBERRY}{lot}"
    assert packer.input_value("#f-site") == "PS1"  # remembered on this device
    account = packer.inner_text("#account")
    assert "100 kg" in account
    assert "35 mm" in account
    _api(base, world, "lab", "residue", {**residue_body(lot), "time": ago(0)})
    packer.fill("#f-out0_quantity", "30")
    packer.fill("#f-out0_sizes", "36, 38, 40")
    packer.fill("#f-out1_quantity", "90 斤")
    packer.fill("#f-out1_sizes", "31, 33")
    _shot(packer, f"{lang}-3-grading")
    _save(packer)
    assert urlsplit(packer.url).path == "/staff/record/grading"
    graded = packer.locator(f".graded-lot[data-lot='{lot}-SU']")
    assert "label-requires-released" in graded.inner_html()  # not released: no button yet
    assert graded.locator("form.print").count() == 0

    # The cooperative releases the graded lot (its role, its key); the packer looks again.
    # A release is stated to the second and must come after the results it rests on: one
    # recorded within the same second as the lab's results would be refused
    # (decision-after-results), as it should.
    time.sleep(1.1)
    release = {"lot": ref(f"{lot}-SU"), "note": "tests passed", "time": ago(0)}
    _api(base, world, "cooperative", "release", release)
    packer.reload()
    _shot(packer, f"{lang}-4-labels")
    with packer.expect_download() as download:
        graded.locator("form.print button[type=submit]").click()
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF")
    key = world.keys.load("label").public_key()
    codes = decode_all(pdf_pages(pdf, 300, [0])[0])
    assert codes
    for uri in codes:
        link = verify_link(parse_digital_link(uri), key)  # raises when not genuine
        assert (link.gtin, link.lot) == (STRAWBERRY, f"{lot}-SU")

    screens = {urlsplit(url).path for url in loads}
    # The harvest form was open when counting began; the grading screen loads again after
    # its save (the graded lots exist only then) and after the release: one screen.
    assert screens == {"/staff/record/cooling", "/staff/record/grading"}, loads
    assert len(screens | {"/staff/record/harvest"}) <= 3
    assert len(loads) <= 4, loads  # cooling, grading, grading saved, grading released


def test_the_lab_enters_and_uploads_results_signed_with_its_own_key(
    browser: Any, served: tuple[str, StaffWorld], tmp_path: Path
) -> None:
    base, world = served
    for lot in ("LB-1", "LB-2", "LB-3"):
        harvest = {
            "lot": ref(lot),
            "plot": "YK-P1",
            "variety": "Hongyan",
            "quantity": "100",
            "time": ago(30),
        }
        _api(base, world, "packing_station", "harvest", harvest)
    lab = _signed_in(browser, base, world.tokens["lab"], "zh", "/staff/lab?lang=zh")
    size = world.size()

    lab.select_option("#f-lot", f"{STRAWBERRY}LB-1")
    lab.fill("#f-sample_id", "S-0001")
    lab.fill("#f-lab", "Kashgar Agri Testing Lab")
    lab.fill("input[name=r0_substance]", "chlorpyrifos")
    lab.fill("input[name=r0_value]", "<LOQ")
    lab.fill("input[name=r0_loq]", "0.01")
    lab.fill("input[name=r1_substance]", "carbendazim")
    lab.fill("input[name=r1_value]", "0.1")
    lab.fill("input[name=r1_loq]", "0.01")
    _shot(lab, "lab-1-typed")
    lab.click("#typed button[type=submit]")
    saved = lab.locator("[data-saved='LB-1']")
    assert "合格" in saved.inner_text()  # verdicts, in Chinese

    sheet = tmp_path / "results.csv"
    sheet.write_text(
        "lot,sample_id,substance,value,loq\n"
        "LB-2,S-0002,chlorpyrifos,<LOQ,0.01\n"
        "LB-2,S-0002,carbendazim,0.2,0.01\n"
        "LB-3,S-0003,chlorpyrifos,<LOQ,0.01\n",
        encoding="utf-8",
    )
    lab.set_input_files("#f-file", str(sheet))
    lab.fill("#f-up-lab", "Kashgar Agri Testing Lab")
    lab.click("#upload button[type=submit]")
    assert lab.locator("[data-saved='LB-2']").count() == 1
    assert lab.locator("[data-saved='LB-3']").count() == 1
    _shot(lab, "lab-2-uploaded")

    lab_key = key_id_for(world.keys.load("kashgar-lab").public_key().public_bytes_raw())
    entries = [world.ledger.entry(seq).statement for seq in range(size, world.size())]
    residues = [e for e in entries if e.kind == "trace.residue"]
    assert [e.body["lot"]["lot"] for e in residues] == ["LB-1", "LB-2", "LB-3"]
    assert {e.key_id for e in residues} == {lab_key}  # the lab's key, not the cooperative's
