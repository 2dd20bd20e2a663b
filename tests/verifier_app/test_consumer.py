"""The Digital Link resolver: unknown codes, languages, JSON, linksets, lookups, rate limits."""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi.testclient import TestClient

from labels import DigitalLink
from tests.verifier_app.conftest import RESOLVER
from verifier_app import LotView, create_app
from verifier_app.consumer._scan_fast import UNKNOWN_LOT_COST

GTIN = "06912345678902"
LOT_PATH = f"/01/{GTIN}/10/KS-2026-0001"
SERIAL_PATH = f"{LOT_PATH}/21/000042"
LINKSET = "application/linkset+json"
PIP = "https://gs1.org/voc/pip"


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def test_unknown_code_gets_the_possible_counterfeit_page_in_chinese(client: TestClient) -> None:
    response = client.get(LOT_PATH)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert '<html lang="zh" dir="ltr">' in response.text
    assert "可能是假冒" in response.text
    assert "KS-2026-0001" in response.text
    assert 'rel="linkset"' in response.headers["link"]


def test_page_has_no_external_assets_and_no_script(client: TestClient) -> None:
    html = client.get(SERIAL_PATH).text
    assert "<script" not in html
    for tag, attrs in tags(html):
        assert tag not in ("link", "img", "iframe"), tag
        href = attrs.get("href") or ""
        assert not href.startswith(("http:", "https:", "//")), href
    assert "000042" in html


@pytest.mark.parametrize(
    ("query", "accept_language", "lang", "direction", "wording"),
    [
        ("?lang=ug", None, "ug", "rtl", "ساختا"),
        ("?lang=en", "zh-CN", "en", "ltr", "possible counterfeit"),
        ("", "en-US,en;q=0.9", "en", "ltr", "possible counterfeit"),
        ("", "fr-FR, ug;q=0.8, en;q=0.5", "ug", "rtl", "ساختا"),
        ("", "fr-FR", "zh", "ltr", "可能是假冒"),
        ("?lang=xx", "en", "en", "ltr", "possible counterfeit"),
    ],
)
def test_language_from_query_then_accept_language_then_chinese(
    client: TestClient,
    query: str,
    accept_language: str | None,
    lang: str,
    direction: str,
    wording: str,
) -> None:
    headers = {"Accept-Language": accept_language} if accept_language else {}
    response = client.get(LOT_PATH + query, headers=headers)
    assert f'<html lang="{lang}" dir="{direction}">' in response.text
    assert wording in response.text
    assert response.headers["content-language"] == lang


def test_unknown_code_as_json(client: TestClient) -> None:
    response = client.get(SERIAL_PATH, headers={"Accept": "application/json"})
    assert response.status_code == 404
    body = response.json()
    assert body["status"] == "unknown"
    assert body["lot"] is None
    assert body["link"] == {
        "uri": f"{RESOLVER}{SERIAL_PATH}",
        "gtin": GTIN,
        "lot": "KS-2026-0001",
        "serial": "000042",
        "element_string": f"(01){GTIN}(10)KS-2026-0001(21)000042",
    }


@pytest.mark.parametrize(
    ("query", "accept"), [("?linkType=linkset", "text/html"), ("", LINKSET), ("?linkType=all", "")]
)
def test_linkset_per_rfc_9264(client: TestClient, query: str, accept: str) -> None:
    response = client.get(LOT_PATH + query, headers={"Accept": accept})
    assert response.headers["content-type"].startswith(LINKSET)
    (links,) = response.json()["linkset"]
    assert links["anchor"] == f"{RESOLVER}{LOT_PATH}"
    assert {link["hreflang"][0] for link in links[PIP]} == {"zh", "ug", "en"}
    assert links["https://gs1.org/voc/defaultLink"][0]["type"] == "text/html"
    assert "https://gs1.org/voc/verificationService" in links


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/01/06912345678903/10/KS-1", "gtin"),
        (f"/01/{GTIN}/10/" + "L" * 21, "lot"),
        (f"/01/{GTIN}/10/KS%201", "lot"),
        (f"/01/{GTIN}/21/1/10/KS", "uri"),
        ("/01/123/10/KS-1", "gtin"),
    ],
)
def test_bad_gs1_syntax_is_400_with_the_reason(client: TestClient, path: str, field: str) -> None:
    response = client.get(path, headers={"Accept": "application/json"})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "bad_gs1_syntax"
    assert error["field"] == field
    assert "expected" in error["message"]


def test_resolver_description_at_the_well_known_location(client: TestClient) -> None:
    body = client.get("/.well-known/gs1resolver").json()
    assert body["resolverRoot"] == RESOLVER
    assert body["supportedPrimaryKeys"] == ["01"]
    assert {"namespace": "https://gs1.org/voc/", "prefix": "gs1:"} in body["supportedLinkType"]


def test_head_is_supported(client: TestClient) -> None:
    response = client.head(LOT_PATH)
    assert response.status_code == 404
    assert response.content == b""


def test_cors_lets_any_origin_read(client: TestClient) -> None:
    response = client.get(LOT_PATH, headers={"Origin": "https://shop.example"})
    assert response.headers["access-control-allow-origin"] == "*"


# --- the lookup the domain will provide ------------------------------------------------


class FakeLookup:
    def __init__(self, view: LotView) -> None:
        self.view = view
        self.asked: list[DigitalLink] = []

    def __call__(self, link: DigitalLink) -> LotView | None:
        self.asked.append(link)
        return self.view if link.lot == "KS-2026-0001" else None


STRAWBERRIES = LotView(
    status="verified",
    product="草莓 قۇلۇپناي",
    facts=(("origin", "新疆喀什"), ("grade", "一级"), ("sugar_brix", "11.5")),
    entries=(3, 7),
)


def test_route_consults_the_lookup_and_renders_what_it_returns(
    make_client: Callable[..., TestClient],
) -> None:
    lookup = FakeLookup(STRAWBERRIES)
    client = make_client(lot_lookup=lookup)
    response = client.get(SERIAL_PATH + "?lang=en")
    assert response.status_code == 200
    assert [link.serial for link in lookup.asked] == ["000042"]
    html = response.text
    # No checkable claims from this lookup: the status, never "verified" (docs/trust.md).
    assert '<span class="word">Released for sale</span>' in html
    assert ">Verified<" not in html
    for text in ("草莓 قۇلۇپناي", "Origin", "新疆喀什", "Grade", "sugar_brix", "11.5"):
        assert text in html
    assert 'href="/api/v1/log/proof/inclusion?seq=7"' in html
    other = client.get(f"/01/{GTIN}/10/OTHER-LOT")
    assert other.status_code == 404


def test_known_lot_as_json_carries_its_facts_and_proof_links(
    make_client: Callable[..., TestClient],
) -> None:
    client = make_client(lot_lookup=FakeLookup(STRAWBERRIES))
    body = client.get(LOT_PATH, headers={"Accept": "application/json"}).json()
    # A released lot whose facts nobody can check is not "verified": no checkpoint, no claims.
    assert body["status"] == "unproven"
    assert body["lot_status"] == "verified"
    assert body["verification"]["state"] == "unproven"
    assert body["lot"]["facts"] == {"origin": "新疆喀什", "grade": "一级", "sugar_brix": "11.5"}
    assert [e["seq"] for e in body["lot"]["entries"]] == [3, 7]


@pytest.mark.parametrize(
    ("status", "banner"), [("on_hold", "暂停销售"), ("recalled", "已召回 — 请勿食用或销售")]
)
def test_status_banner(make_client: Callable[..., TestClient], status: str, banner: str) -> None:
    view = LotView(status=status, product="杏")  # type: ignore[arg-type]
    client = make_client(lot_lookup=FakeLookup(view))
    html = client.get(LOT_PATH).text
    assert re.search(
        rf'<h1 class="banner {status} unchecked"[^>]*><span class="word">{banner}<', html
    )


def test_everything_on_the_page_is_escaped(make_client: Callable[..., TestClient]) -> None:
    evil = LotView(
        status="verified",
        product="<script>alert(1)</script>",
        facts=(("<b>name</b>", '"><img src=x onerror=alert(1)>'),),
    )
    client = make_client(lot_lookup=FakeLookup(evil))
    html = client.get(LOT_PATH).text
    assert "<script>" not in html
    assert "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;name&lt;/b&gt;" in html


# --- rate limiting ---------------------------------------------------------------------


def test_resolver_is_rate_limited_per_client_after_the_burst(
    make_client: Callable[..., TestClient],
) -> None:
    # The first answer, "no such lot", costs UNKNOWN_LOT_COST tokens; its replays one each.
    client = make_client(rate_burst=UNKNOWN_LOT_COST + 2, rate_per_second=0.5)
    statuses = [client.get(LOT_PATH).status_code for _ in range(4)]
    assert statuses == [404, 404, 404, 429]
    refused = client.get("/.well-known/gs1resolver", headers={"Accept": "application/json"})
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.json()["error"]["code"] == "rate_limited"
    # A phone's browser gets a page saying so, with the same status and Retry-After.
    page = client.get(LOT_PATH, headers={"Accept": "text/html"})
    assert page.status_code == 429
    assert page.headers["content-type"].startswith("text/html")
    assert int(page.headers["Retry-After"]) >= 1
    # The regulator API is not behind the resolver's limiter.
    assert client.get("/api/v1/log/checkpoint").status_code == 200


def test_bad_code_scanned_by_a_browser_gets_a_page_with_the_reason(client: TestClient) -> None:
    response = client.get("/01/06912345678903/10/KS-1?lang=ug", headers={"Accept": "text/html"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert '<html lang="ug" dir="rtl">' in response.text
    assert "expected check digit 2" in response.text


def test_openapi_schema_lists_every_audience(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/01/{gtin}/10/{lot}",
        "/01/{gtin}/10/{lot}/21/{serial}",
        "/.well-known/gs1resolver",
        "/api/v1/statements",
        "/api/v1/log/checkpoint",
        "/api/v1/audits/{audit_id}",
    ):
        assert path in paths


def test_head_on_a_serial_link(client: TestClient) -> None:
    response = client.head(SERIAL_PATH)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")


def test_a_crashing_lookup_is_a_plain_500_without_a_stack_trace(app_world: Any) -> None:
    def broken(link: DigitalLink) -> LotView | None:
        raise RuntimeError("secret internals at /srv/agritrace/db.py line 12")

    app = create_app(app_world.settings(), lot_lookup=broken)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get(LOT_PATH)
    assert response.status_code == 500
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text


def test_lot_holding_a_slash_and_data_attributes_keep_their_encoding(
    make_client: Callable[..., TestClient],
) -> None:
    lookup = FakeLookup(STRAWBERRIES)
    client = make_client(lot_lookup=lookup)
    path = f"/01/{GTIN}/10/KS%2F2026?17=261231"
    response = client.get(path, headers={"Accept": LINKSET})
    (link,) = lookup.asked
    assert link.lot == "KS/2026"
    assert link.attributes == (("17", "261231"),)
    (links,) = response.json()["linkset"]
    assert links["anchor"] == f"{RESOLVER}/01/{GTIN}/10/KS%2F2026?17=261231"
    assert links[PIP][0]["href"] == links["anchor"] + "&lang=zh"
    page = client.get(path).text
    assert f'href="/01/{GTIN}/10/KS%2F2026?lang=ug"' in page


@pytest.mark.parametrize("path", [LOT_PATH, SERIAL_PATH, "/.well-known/gs1resolver"])
def test_options_and_head_are_answered(client: TestClient, path: str) -> None:
    response = client.options(path)
    assert response.status_code == 204
    assert response.headers["allow"] == "GET, HEAD, OPTIONS"
    assert client.head(path).status_code in (200, 404)


def test_cors_preflight_is_answered(client: TestClient) -> None:
    response = client.options(
        LOT_PATH,
        headers={"Origin": "https://shop.example", "Access-Control-Request-Method": "GET"},
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
