"""A complaint from the scan page reaches the regulator, leads to a decision, shows on the page.

And the form resists abuse: rate limited per address, a honeypot, a token per lot that is
spent once and must not come back too soon, a size limit, another site's Origin, a server
without an intake key; the contact stays off the log and out of the feeds.
"""

from __future__ import annotations

import html
import json
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote
from xml.etree import ElementTree

import pytest
from fastapi.testclient import TestClient

from ledger import KeyFolder, Ledger
from tests.verifier_app.regulator_world import SeasonWorld, appended_since, build_season_world
from traceability import Harvest, Recorder
from verifier_app import create_app

HTML = {"Accept": "text/html"}
RELEASED = "SB26-H01-SU"  # released, shipped to Urumqi
CONTACT = "13800138000"


@pytest.fixture(scope="module")
def season(tmp_path_factory: pytest.TempPathFactory) -> SeasonWorld:
    return build_season_world(tmp_path_factory.mktemp("complaints") / "season")


@pytest.fixture
def world(season: SeasonWorld, tmp_path: Path) -> SeasonWorld:
    return season.copy(tmp_path / "season")


def client_for(world: SeasonWorld, **options: Any) -> TestClient:
    settings = world.settings().model_copy(update={"complaint_min_seconds": 0, **options})
    return TestClient(create_app(settings))


@pytest.fixture
def client(world: SeasonWorld) -> Iterator[TestClient]:
    with client_for(world) as client:
        yield client


def form(client: TestClient, gtin: str, lot: str = RELEASED, lang: str = "zh") -> str:
    page = client.get(f"/report/01/{gtin}/10/{lot}?lang={lang}")
    assert page.status_code == 200, page.text
    found = re.search(r'name="token" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def send(client: TestClient, gtin: str, token: str, lot: str = RELEASED, **fields: str) -> Any:
    data = {
        "token": token,
        "lang": "zh",
        "category": "spoiled",
        "text": "草莓发霉了",
        "contact": "",
        "serial": "",
        "website": "",
    } | fields
    return client.post(f"/report/01/{gtin}/10/{lot}", data=data)


def size(client: TestClient) -> int:
    return int(client.get("/api/v1/log/entries", params={"count": 1}).json()["size"])


def complaint_entry(answer: Any) -> int:
    found = re.search(r'data-complaint="(\d+)"', answer.text)
    assert found is not None, answer.text
    return int(found.group(1))


def test_complaint_reaches_the_regulator_leads_to_a_recall_and_shows_on_the_page(
    world: SeasonWorld, client: TestClient
) -> None:
    gtin = world.season.gtin
    scan = client.get(f"/01/{gtin}/10/{RELEASED}?lang=en", headers=HTML)
    link = re.search(r'href="(/report/[^"]+)"', scan.text)
    assert link is not None, "the scan page links to the report form"
    page = client.get(link.group(1).replace("&amp;", "&"))
    token = re.search(r'name="token" value="([^"]+)"', page.text)
    assert token is not None
    sent = send(client, gtin, token.group(1), lang="en", text="Mouldy inside", contact=CONTACT)
    assert sent.status_code == 201
    seq = complaint_entry(sent)
    entry = client.get("/api/v1/log/entries", params={"start": seq, "count": 1}).json()
    statement = entry["entries"][0]["record"]["statement"]
    assert statement["kind"] == "trace.complaint"
    assert CONTACT not in str(statement)  # only the salted hash is signed

    csrf = world.sign_in(client, "regulator")
    queue = client.get("/regulator/complaints")
    assert f'data-complaint="{seq}"' in queue.text
    detail = client.get(f"/regulator/complaints/{seq}")
    assert CONTACT in detail.text  # the regulator sees the contact
    assert "Aysha" in detail.text or "YK-F" in detail.text  # the grower / farm it came from
    key = re.search(r'name="idempotency_key" value="([^"]+)"', detail.text)
    assert key is not None
    decided = client.post(
        f"/regulator/complaints/{seq}/decide",
        data={
            "csrf": csrf,
            "idempotency_key": key.group(1),
            "action": "recall",
            "rule": "《农产品质量安全法》第四十二条",
            "reason": "mould confirmed in the cold store",
        },
        follow_redirects=False,
    )
    assert decided.status_code == 303
    assert appended_since(client, seq + 1)[:2] == ["trace.recall", "trace.decision"]

    for lang, word in (("zh", "召回"), ("ug", "قايتۇرۇۋېلىندى"), ("en", "Recalled")):
        scan = client.get(f"/01/{gtin}/10/{RELEASED}?lang={lang}", headers=HTML)
        assert 'data-action="recall"' in scan.text
        assert word in scan.text
    scanned = client.get(f"/01/{gtin}/10/{RELEASED}", headers={"Accept": "application/json"})
    (decision,) = scanned.json()["decisions"]
    assert (decision["complaint"], decision["action"]) == (seq, "recall")
    assert decision["entry"] in [e["seq"] for e in scanned.json()["lot"]["entries"]]
    feed = client.get("/alerts.json").json()
    kinds = {(a["kind"], a["entry"]) for a in feed["alerts"]}
    assert ("complaint", seq) in kinds
    assert any(k == "decision" for k, _ in kinds)
    assert any(k == "recall" for k, _ in kinds)
    assert CONTACT not in str(feed)


def test_decision_shows_on_the_staff_and_regulator_lot_pages(
    world: SeasonWorld, client: TestClient
) -> None:
    gtin, lot = world.season.gtin, world.season.complained  # the demo's warning
    world.sign_in(client, "cooperative")
    staff = client.get(f"/staff/lots/{gtin}/{lot}")
    assert 'data-action="warning"' in staff.text
    assert 'data-open="0"' in staff.text  # one complaint, decided
    world.sign_in(client, "regulator")
    trace = client.get(f"/regulator/trace?gtin={gtin}&lot={lot}")
    assert 'data-action="warning"' in trace.text


def test_form_token_is_spent_once(world: SeasonWorld, client: TestClient) -> None:
    gtin = world.season.gtin
    token = form(client, gtin)
    first = complaint_entry(send(client, gtin, token))
    before = size(client)
    again = send(client, gtin, token)
    assert complaint_entry(again) == first
    assert size(client) == before


def test_token_of_another_lot_is_refused(world: SeasonWorld, client: TestClient) -> None:
    gtin = world.season.gtin
    token = form(client, gtin, world.season.complained)
    before = size(client)
    refused = send(client, gtin, token)
    assert refused.status_code == 422
    assert "token" in refused.text
    assert size(client) == before


def test_forged_token_is_refused(world: SeasonWorld, client: TestClient) -> None:
    gtin = world.season.gtin
    token = form(client, gtin)
    issued, nonce, _ = token.split(".")
    before = size(client)
    assert send(client, gtin, f"{issued}.{nonce}.{'0' * 64}").status_code == 422
    assert send(client, gtin, "").status_code == 422
    assert size(client) == before


def test_form_sent_at_once_is_refused(world: SeasonWorld) -> None:
    with client_for(world, complaint_min_seconds=30) as client:
        gtin = world.season.gtin
        before = size(client)
        refused = send(client, gtin, form(client, gtin))
        assert refused.status_code == 422
        assert size(client) == before


def test_honeypot_records_nothing(world: SeasonWorld, client: TestClient) -> None:
    gtin = world.season.gtin
    before = size(client)
    answer = send(client, gtin, form(client, gtin), website="http://spam.example")
    assert answer.status_code == 200
    assert size(client) == before


def test_complaints_are_rate_limited_per_address(world: SeasonWorld) -> None:
    with client_for(world, complaint_burst=2, complaints_per_hour=1) as client:
        gtin = world.season.gtin
        assert send(client, gtin, form(client, gtin)).status_code == 201
        assert send(client, gtin, form(client, gtin)).status_code == 201
        before = size(client)
        limited = send(client, gtin, form(client, gtin))
        assert limited.status_code == 429
        assert "Retry-After" in limited.headers
        assert size(client) == before


def test_oversize_and_foreign_origin_are_refused(world: SeasonWorld, client: TestClient) -> None:
    gtin = world.season.gtin
    token = form(client, gtin)
    before = size(client)
    assert send(client, gtin, token, text="x" * 20_000).status_code == 413
    other = client.post(
        f"/report/01/{gtin}/10/{RELEASED}",
        data={"token": token, "category": "spoiled", "text": "x"},
        headers={"Origin": "https://evil.example"},
    )
    assert other.status_code == 403
    assert size(client) == before


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"text": "x" * 1001}, "text"),
        ({"text": "bad\u202etext"}, "text"),
        ({"category": "hate"}, "category"),
        ({"contact": "138\x07"}, "contact"),
    ],
)
def test_bad_fields_come_back_with_the_form(
    world: SeasonWorld, client: TestClient, fields: dict[str, str], field: str
) -> None:
    gtin = world.season.gtin
    before = size(client)
    refused = send(client, gtin, form(client, gtin), **fields)
    assert refused.status_code == 422
    assert f'data-problem="{field}"' in refused.text  # explained in the reader's language
    assert 'name="token"' in refused.text  # the form again, with a fresh token
    assert size(client) == before


def test_unknown_lot_has_no_form(world: SeasonWorld, client: TestClient) -> None:
    assert client.get(f"/report/01/{world.season.gtin}/10/NOPE1").status_code == 404


def test_server_without_an_intake_key_takes_no_complaints(world: SeasonWorld) -> None:
    (world.folder / "keys" / "complaint-intake.pem").unlink()
    with client_for(world) as client:
        page = client.get(f"/report/01/{world.season.gtin}/10/{RELEASED}?lang=en")
        assert page.status_code == 404
        assert "12315" in page.text
        offer = client.get(
            "/api/v1/complaints/form", params={"gtin": world.season.gtin, "lot": RELEASED}
        )
        assert offer.json()["error"]["code"] == "complaints_closed"


def test_json_api_takes_a_complaint_once(world: SeasonWorld, client: TestClient) -> None:
    gtin = world.season.gtin
    offer = client.get("/api/v1/complaints/form", params={"gtin": gtin, "lot": RELEASED}).json()
    assert "spoiled" in offer["categories"]
    body = {
        "gtin": gtin,
        "lot": RELEASED,
        "category": "illness",
        "text": "stomach ache after eating",
        "language": "en",
        "token": offer["token"],
    }
    first = client.post("/api/v1/complaints", json=body)
    assert first.status_code == 201, first.text
    again = client.post("/api/v1/complaints", json=body)
    assert again.json()["complaint"] == first.json()["complaint"]
    bad = client.post("/api/v1/complaints", json=body | {"language": "fr", "token": "x"})
    assert bad.status_code in (400, 422)


def test_only_a_regulator_opens_the_queue_and_decides(
    world: SeasonWorld, client: TestClient
) -> None:
    csrf = world.sign_in(client, "cooperative")
    assert client.get("/regulator/complaints").status_code == 403
    seq = client.get("/alerts.json", params={"kind": "complaint"}).json()["alerts"][0]["entry"]
    before = size(client)
    answer = client.post(
        f"/regulator/complaints/{seq}/decide",
        data={"csrf": csrf, "action": "warning", "rule": "r", "reason": "r"},
    )
    assert answer.status_code == 403
    assert size(client) == before


def test_second_decision_is_refused_on_the_page(world: SeasonWorld, client: TestClient) -> None:
    csrf = world.sign_in(client, "regulator")
    decided = [
        a["entry"] for a in client.get("/alerts.json", params={"kind": "decision"}).json()["alerts"]
    ]
    assert decided
    complaint = client.get("/regulator/complaints?show=all")
    seq = int(re.findall(r'data-complaint="(\d+)"', complaint.text)[-1])  # the demo's decided one
    before = size(client)
    answer = client.post(
        f"/regulator/complaints/{seq}/decide",
        data={"csrf": csrf, "action": "dismiss", "rule": "r", "reason": "again"},
    )
    assert answer.status_code == 422
    assert size(client) == before


def test_atom_feed_parses_and_filters(world: SeasonWorld, client: TestClient) -> None:
    answer = client.get("/alerts.atom")
    assert answer.headers["content-type"].startswith("application/atom+xml")
    root = ElementTree.fromstring(answer.content)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    terms = {c.get("term") for c in root.findall("a:entry/a:category", ns)}
    assert {"complaint", "decision", "recall", "hold"} <= terms
    latest = max(a["entry"] or 0 for a in client.get("/alerts.json").json()["alerts"])
    assert client.get("/alerts.json", params={"since": latest}).json()["alerts"] == [
        a for a in client.get("/alerts.json").json()["alerts"] if a["entry"] is None
    ]
    assert client.get("/alerts.json", params={"kind": "nonsense"}).status_code == 422


class _Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[bytes]] = []
    answer = 204

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        type(self).received.append(self.rfile.read(length))
        self.send_response(type(self).answer)
        self.end_headers()

    def log_message(self, *_: Any) -> None:
        return


def test_webhook_sends_new_alerts_once_and_retries_after_a_failure(
    world: SeasonWorld,
) -> None:
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    _Receiver.received.clear()
    try:
        with client_for(world, alert_webhook=url, alert_webhook_seconds=3600) as client:
            hook = client.app.state.alert_webhook  # type: ignore[attr-defined]
            assert hook.send_new() == 0  # first start: begins at the log's end
            gtin = world.season.gtin
            _Receiver.answer = 500
            seq = complaint_entry(send(client, gtin, form(client, gtin)))
            with pytest.raises(OSError, match="500"):
                hook.send_new()
            _Receiver.answer = 204
            assert hook.send_new() == 1
            assert hook.send_new() == 0  # sent once
            body = json.loads(_Receiver.received[-1])
            assert [(a["kind"], a["entry"]) for a in body["alerts"]] == [("complaint", seq)]
            # Told to stop, it sends nothing more (the next sender picks the alert up).
            hook._lock.stopping.set()
            complaint_entry(send(client, gtin, form(client, gtin)))
            assert hook.send_new() == 0
            assert len(_Receiver.received) == 2
    finally:
        server.shutdown()
        server.server_close()


# No literal "%" here: Starlette's test client decodes a request path twice (httpx's
# ``url.path`` is decoded already); tests/verifier_app/test_lot_codes.py checks "%" links.
@pytest.mark.parametrize("lot", ["SB/26-H9", "Q/?&=1"])
def test_a_lot_code_with_gs1_punctuation_can_be_reported_from_its_scan_page(
    world: SeasonWorld, client: TestClient, lot: str
) -> None:
    # GS1 set 82 admits "/", "%", "?", "&" and "=" in a lot code; the scan page links to
    # the form with the code escaped, and the form must open, post back and link back to
    # this lot (it answered 404 for "/" and posted to another path for "?").
    gtin = world.season.gtin
    harvest = {
        "lot": {"gtin": gtin, "lot": lot},
        "plot": "KS-F01-P1",
        "variety": "Hongyan",
        "quantity": "10",
        "time": (datetime.now(UTC) - timedelta(minutes=30)).isoformat(),
    }
    with Ledger.open(world.settings().db) as ledger:  # the packing shed signs its own
        shed = KeyFolder(world.folder / "keys").load("packing-shed")
        Recorder(ledger).record(Harvest.from_body(harvest), shed)
    code = quote(lot, safe="")
    scan = client.get(f"/01/{gtin}/10/{code}?lang=en", headers=HTML)
    assert scan.status_code == 200, scan.text
    link = re.search(r'href="(/report/[^"]+)"', scan.text)
    assert link is not None
    page = client.get(html.unescape(link.group(1)))
    assert page.status_code == 200, page.text
    action = re.search(r'<form class="report" method="post" action="([^"]+)"', page.text)
    back = re.search(r'<a href="([^"]+)\?lang=en">', page.text)
    assert action is not None
    assert back is not None
    assert html.unescape(action.group(1)) == f"/report/01/{gtin}/10/{code}"
    assert html.unescape(back.group(1)) == f"/01/{gtin}/10/{code}"
    token = re.search(r'name="token" value="([^"]+)"', page.text)
    assert token is not None
    sent = client.post(
        html.unescape(action.group(1)),
        data={"token": token.group(1), "lang": "en", "category": "spoiled", "text": "mould",
              "contact": "", "serial": "", "website": ""},
    )  # fmt: skip
    assert sent.status_code == 201, sent.text
    seq = complaint_entry(sent)
    entry = client.get("/api/v1/log/entries", params={"start": seq, "count": 1}).json()
    assert entry["entries"][0]["record"]["statement"]["body"]["lot"] == {"gtin": gtin, "lot": lot}
