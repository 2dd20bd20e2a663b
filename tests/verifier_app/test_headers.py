"""Security headers on every kind of response, including the scan fast path's replays.

Each response is taken with raw ASGI calls (the bytes the server would write), so nothing
between the app and the test could add or drop a header.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.verifier_app.staff_world import STRAWBERRY, StaffWorld, staff_world  # noqa: F401
from tests.verifier_app.test_scan_cache import copy, season  # noqa: F401
from tests.verifier_app.test_scan_fast import World, _world
from tests.verifier_app.test_staff_pages import HTML, released
from traceability.demo import Season
from verifier_app import create_app
from verifier_app._headers import HSTS, script_hash

_ALWAYS = {
    b"x-frame-options": b"DENY",
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"same-origin",
}
# An inline script without src, that the browser runs (not a JSON data block).
_INLINE_SCRIPT = re.compile(
    r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>(.*?)</script>",
    re.S,
)


@pytest.fixture
def world(copy: Path, monkeypatch: pytest.MonkeyPatch) -> World:  # noqa: F811
    return _world(copy, copy / "no-keys", monkeypatch, max_body_bytes=1024)


def _headers(response: tuple[int, list[tuple[bytes, bytes]], bytes]) -> dict[bytes, bytes]:
    return dict(response[1])


def _check(response: tuple[int, list[tuple[bytes, bytes]], bytes]) -> dict[bytes, bytes]:
    headers = _headers(response)
    for name, value in _ALWAYS.items():
        assert headers.get(name) == value, (response[0], name)
    csp = headers[b"content-security-policy"].decode()
    assert "frame-ancestors 'none'" in csp
    assert "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";", 1)[0]
    assert b"strict-transport-security" not in headers  # plain HTTP: no HSTS
    # One of each header: a route's own header is never doubled.
    names = [k for k, _ in response[1]]
    assert len(names) == len(set(names))
    return headers


def _body(response: tuple[int, list[tuple[bytes, bytes]], bytes]) -> str:
    body = response[2]
    if _headers(response).get(b"content-encoding") == b"gzip":
        body = gzip.decompress(body)
    return body.decode()


def test_every_kind_of_response_carries_the_headers(
    world: World,
    season: tuple[Path, Season],  # noqa: F811
) -> None:
    _, s = season
    page = f"/01/{s.gtin}/10/{s.released}"
    html = {"Accept": "text/html"}
    kinds = {
        "scan page (routed)": world.send(page, {"Accept-Encoding": "gzip"}),
        "scan page (fast path)": world.send(page, {"Accept-Encoding": "gzip"}),
        "scan JSON": world.send(page, {"Accept": "application/json"}),
        "unknown code": world.send(f"/01/{s.gtin}/10/NO-SUCH"),
        "bad code page": world.send("/01/123/10/X", html),
        "start page": world.send("/", html),
        "sign-in page": world.send("/sign-in", html),
        "redirect to sign-in": world.send("/staff", html),
        "API 401": world.send("/api/v1/events/harvest", method="POST"),
        "404": world.send("/no/such/path"),
        "405": world.send("/sign-in", method="PUT"),
        "413": world.send("/api/v1/statements", {"Content-Length": "99999"}, "POST"),
        "openapi": world.send("/openapi.json"),
        "well-known": world.send("/.well-known/gs1resolver"),
    }
    statuses = {kind: r[0] for kind, r in kinds.items()}
    assert statuses["redirect to sign-in"] == 303
    assert statuses["413"] == 413
    assert statuses["404"] == 404
    for kind, response in kinds.items():
        try:
            _check(response)
        except AssertionError as e:
            raise AssertionError(f"{kind}: {e}") from e


def test_the_api_docs_page_gets_its_own_policy_and_still_cannot_be_framed(world: World) -> None:
    headers = _headers(world.send("/docs"))
    csp = headers[b"content-security-policy"].decode()
    assert "frame-ancestors 'none'" in csp
    assert "https://cdn.jsdelivr.net" in csp
    assert headers[b"x-frame-options"] == b"DENY"
    # Only there: the app's other pages never allow a CDN or inline script.
    assert b"jsdelivr" not in _headers(world.send("/sign-in"))[b"content-security-policy"]


def test_the_scan_page_keeps_its_caching_and_pages_without_their_own_are_no_store(
    world: World,
    season: tuple[Path, Season],  # noqa: F811
) -> None:
    _, s = season
    page = f"/01/{s.gtin}/10/{s.released}"
    world.send(page)
    replayed = _headers(world.send(page))
    assert replayed[b"cache-control"] != b"no-store"
    assert _headers(world.send("/sign-in"))[b"cache-control"] == b"no-store"


def test_a_signed_in_request_is_never_stored_even_where_the_route_allows_caching(
    world: World,
    season: tuple[Path, Season],  # noqa: F811
) -> None:
    _, s = season
    page = f"/01/{s.gtin}/10/{s.released}"
    for credentials in ({"Cookie": "agritrace_session=abc"}, {"Authorization": "Bearer x"}):
        response = world.send(page, credentials)
        assert response[0] == 200
        headers = [(k, v) for k, v in response[1] if k == b"cache-control"]
        assert headers == [(b"cache-control", b"no-store")]


def test_the_consumer_pages_inline_scripts_are_exactly_the_ones_the_policy_allows(
    world: World,
    season: tuple[Path, Season],  # noqa: F811
) -> None:
    _, s = season
    response = world.send(f"/01/{s.gtin}/10/{s.released}", {"Accept": "text/html"})
    scripts = _INLINE_SCRIPT.findall(_body(response))
    assert scripts, "the consumer page inlines its verifier"
    csp = _check(response)[b"content-security-policy"].decode()
    script_src = csp.split("script-src ", 1)[1].split(";", 1)[0].split()
    for script in scripts:
        assert script_hash(script) in script_src
    # Nothing else inline may run; 'self' admits only the vendored Ed25519 fallback file.
    assert sorted(script_src) == sorted({script_hash(x) for x in scripts} | {"'self'"})


def test_hsts_only_over_https(
    copy: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = _world(copy, copy / "no-keys", monkeypatch)
    assert b"strict-transport-security" not in _headers(world.send("/"))
    # A client claiming HTTPS is not believed without a trusted proxy ...
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.9"}
    assert b"strict-transport-security" not in _headers(world.send("/", forwarded))
    # ... and is when the request comes from one (the test client's 203.0.113.7).
    trusting = _world(copy, copy / "no-keys", monkeypatch, forwarded_allow_ips=("203.0.113.7",))
    headers = _headers(trusting.send("/", forwarded))
    assert headers[b"strict-transport-security"] == HSTS.encode()


def test_signed_in_pages_files_and_refusals_carry_the_headers_and_are_never_stored(
    staff_world: StaffWorld,  # noqa: F811
) -> None:
    # The kinds a signed-in person or an API caller gets, beyond the public ones above:
    # their pages, label files, exports, the static script, a 422, a 429.
    settings = staff_world.settings(api_burst=40, api_rate_per_second=0.01)
    with TestClient(create_app(settings)) as client:
        released(client, staff_world)
        regulator = staff_world.auth("regulator")
        packer = staff_world.auth("packing_station")
        kinds: dict[str, Any] = {}
        csrf = staff_world.sign_in(client, "packing_station")
        kinds["staff page"] = client.get("/staff?lang=en", headers=HTML)
        kinds["staff lot page"] = client.get(f"/staff/lots/{STRAWBERRY}/H1", headers=HTML)
        kinds["label PNG"] = client.post(
            f"/staff/lots/{STRAWBERRY}/H1/labels", data={"csrf": csrf, "format": "png"}
        )
        kinds["staff form refused"] = client.post("/staff/record/harvest", data={"csrf": "x"})
        staff_world.sign_in(client, "regulator")
        kinds["regulator page"] = client.get("/regulator", headers=HTML)
        kinds["regulator export page"] = client.get("/regulator/exports/fsma204")
        kinds["FSMA 204 CSV"] = client.get("/api/v1/exports/fsma204", headers=regulator)
        kinds["EPCIS"] = client.get("/api/v1/exports/epcis", headers=regulator)
        kinds["static script"] = client.get("/static/noble-ed25519-2.3.0.js")
        kinds["API 422"] = client.post("/api/v1/events/harvest", json={}, headers=packer)
        for _ in range(40):
            last = client.post("/api/v1/events/harvest", json={}, headers=packer)
        kinds["API 429"] = last
    assert kinds["API 429"].status_code == 429
    assert kinds["label PNG"].content.startswith(b"\x89PNG")
    assert kinds["FSMA 204 CSV"].content.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8
    for kind, response in kinds.items():
        headers = response.headers
        for name, value in _ALWAYS.items():
            assert headers.get(name.decode()) == value.decode(), (kind, name)
        assert "frame-ancestors 'none'" in headers["content-security-policy"], kind
        if kind != "static script":  # public, immutable: the same bytes for everyone
            assert headers["cache-control"] == "no-store", (kind, headers["cache-control"])
