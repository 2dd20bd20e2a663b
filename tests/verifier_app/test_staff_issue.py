"""The staff lot page issues certificates and records label runs through the one gate.

Issuing records a ``trace.certificate`` entry and answers with the PDF, whose QR code names
that entry; a lot the gate refuses shows the rule instead of the buttons, and a direct POST
is refused with the rule (409) and appends nothing. Refusals are said in the page's language
with their parameters isolated (``<bdi>``). A lot with no pre-cooling record says so.
"""

from __future__ import annotations

import html
from typing import Any

from fastapi.testclient import TestClient

from labels import parse_digital_link
from tests.labels.conftest import decode_all, pdf_pages
from tests.verifier_app.staff_world import (
    STRAWBERRY,
    StaffWorld,
    ago,
    cooling_body,
    harvest_body,
    ref,
    residue_body,
    staff_client,
    staff_world,
)
from verifier_app.staff._forms import local_now

__all__ = ["staff_client", "staff_world"]  # fixtures used by name

HTML = {"Accept": "text/html"}
JSON = {"Accept": "application/json"}
LOT_PAGE = f"/staff/lots/{STRAWBERRY}/H1"


def api(client: TestClient, world: StaffWorld, role: str, kind: str, body: object) -> None:
    response = client.post(f"/api/v1/events/{kind}", json=body, headers=world.auth(role))
    assert response.status_code == 201, response.text


def released(client: TestClient, world: StaffWorld, *, cooled: bool = True) -> None:
    api(client, world, "packing_station", "harvest", harvest_body("H1"))
    if cooled:
        api(client, world, "packing_station", "cooling", cooling_body("H1"))
    api(client, world, "lab", "residue", residue_body("H1"))
    api(client, world, "cooperative", "release", {"lot": ref("H1"), "note": "ok", "time": ago(1)})


def certify(client: TestClient, csrf: str, lang: str = "en") -> Any:
    return client.post(
        f"{LOT_PAGE}/certificate?lang={lang}",
        data={"csrf": csrf, "contact": "0998-1234567", "basis": ["自我检测", "自我承诺"]},
        headers=HTML,
    )


def test_an_allowed_lot_issues_a_certificate_whose_code_names_its_entry(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    released(staff_client, staff_world)
    csrf = staff_world.sign_in(staff_client, "cooperative")
    page = staff_client.get(f"{LOT_PAGE}?lang=en", headers=HTML)
    assert f'action="{LOT_PAGE}/certificate"' in page.text
    assert f'action="{LOT_PAGE}/labels"' in page.text
    assert page.text.count(f'name="csrf" value="{csrf}"') >= 2  # both forms carry it
    size = staff_world.size()
    response = certify(staff_client, csrf)
    assert response.status_code == 200, response.text
    assert response.content.startswith(b"%PDF")
    assert staff_world.size() == size + 1
    entry = staff_world.ledger.entry(size).statement
    assert entry.kind == "trace.certificate"
    assert entry.body["lot"] == ref("H1")
    assert entry.body["basis"] == ["自我检测", "自我承诺"]
    assert f"certificate-H1-{size}.pdf" in response.headers["content-disposition"]
    (uri,) = decode_all(pdf_pages(response.content, 600)[0])
    link = parse_digital_link(uri)
    assert (link.gtin, link.lot, link.certificate) == (STRAWBERRY, "H1", str(size))
    # The scan of that code checks the certificate against the entry.
    path = uri.removeprefix("https://id.kashgar-coop.example")
    answer = staff_client.get(path, headers=JSON).json()
    assert answer["certificate"]["state"] == "valid"
    assert answer["certificate"]["entry"] == size
    assert size in [e["seq"] for e in answer["lot"]["entries"]]


def test_a_label_run_is_recorded_before_the_labels_are_sent(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    released(staff_client, staff_world)
    csrf = staff_world.sign_in(staff_client, "packing_station")
    page = staff_client.get(f"{LOT_PAGE}?lang=en", headers=HTML)
    assert "/certificate" not in page.text  # a packing station may print, not certify
    size = staff_world.size()
    response = staff_client.post(
        f"{LOT_PAGE}/labels", data={"csrf": csrf, "format": "zpl", "count": "5"}
    )
    assert response.status_code == 200
    entry = staff_world.ledger.entry(size).statement
    assert (entry.kind, entry.body["count"]) == ("trace.labels", 5)
    # Only a cooperative certifies: the page's role check, not only the button.
    refused = certify(staff_client, csrf)
    assert refused.status_code == 403
    assert staff_world.size() == size + 1


def test_a_held_lot_shows_the_rule_and_a_direct_post_is_refused_with_it(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    released(staff_client, staff_world)
    api(
        staff_client,
        staff_world,
        "cooperative",
        "hold",
        {"lot": ref("H1"), "reason": "customer complaint", "time": ago(0.5)},
    )
    csrf = staff_world.sign_in(staff_client, "cooperative")
    page = staff_client.get(f"{LOT_PAGE}?lang=zh", headers=HTML)
    assert "/certificate" not in page.text
    assert f"{LOT_PAGE}/labels" not in page.text
    assert "label-requires-released" in page.text
    assert "不能贴销售标签：批次 <bdi>H1</bdi> 现在是「暂停销售」" in page.text
    size = staff_world.size()
    for response in (
        certify(staff_client, csrf, "ug"),
        staff_client.post(
            f"{LOT_PAGE}/labels?lang=en",
            data={"csrf": csrf, "format": "pdf", "count": "2"},
            headers=HTML,
        ),
    ):
        assert response.status_code == 409
        assert "label-requires-released" in response.text
    assert "مۇمكىن ئەمەس" in certify(staff_client, csrf, "ug").text
    assert staff_world.size() == size  # nothing appended


def test_issuing_needs_the_forms_csrf_value(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    released(staff_client, staff_world)
    staff_world.sign_in(staff_client, "cooperative")
    size = staff_world.size()
    for path in ("certificate", "labels"):
        response = staff_client.post(
            f"{LOT_PAGE}/{path}",
            data={"csrf": "forged", "contact": "0998-1234567", "basis": "自我承诺"},
        )
        assert response.status_code == 403
    assert staff_world.size() == size


def test_a_lot_without_pre_cooling_says_so_and_is_not_certified(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    released(staff_client, staff_world, cooled=False)
    csrf = staff_world.sign_in(staff_client, "cooperative")
    for lang, words in (
        ("zh", "没有预冷记录"),
        ("ug", "ئالدىن سوۋۇتۇش خاتىرىسى يوق"),
        ("en", "No pre-cooling record"),
    ):
        page = staff_client.get(f"{LOT_PAGE}?lang={lang}", headers=HTML)
        assert words in page.text
        assert 'data-missing="precool"' in page.text
        assert "cold-chain-incomplete" in page.text
        assert "/certificate" not in page.text
    size = staff_world.size()
    response = certify(staff_client, csrf, "zh")
    assert response.status_code == 409
    assert "没有预冷记录" in response.text
    assert "不能开具合格证" in response.text
    assert staff_world.size() == size


def test_a_rule_refusal_on_a_form_is_said_in_the_readers_language(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    api(staff_client, staff_world, "packing_station", "harvest", harvest_body("H1"))
    csrf = staff_world.sign_in(staff_client, "cooperative")
    response = staff_client.post(
        "/staff/record/release?lang=zh",
        data={
            "csrf": csrf,
            "lot": f"{STRAWBERRY}H1",
            "note": "<b>ok</b>",
            "time": local_now(),
        },
        headers=HTML,
    )
    assert response.status_code == 409, response.text
    text = html.unescape(response.text)
    assert "不能放行：批次 <bdi>H1</bdi> 没有农残检测合格记录" in text
    assert "release-requires-passed-tests" in text
