"""Many cooperatives, one server: scans routed by company prefix, staff kept to their own."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ledger import KeyFolder, Ledger
from tests.verifier_app.deployment_world import (
    SHARED_LOT,
    Member,
    build_member,
    gtin_of,
    write_deployment,
)
from verifier_app import create_deployment_app, load_deployment
from verifier_app._deployment_routing import PrefixConflictError
from verifier_app._i18n import MESSAGES, Language
from verifier_app._session import COOKIE

HTML = {"Accept": "text/html"}
JSON = {"Accept": "application/json"}
WORDS = {
    "zh": "本平台没有任何合作社",
    "ug": "ھېچقانداق كوپېراتىپقا",
    "en": "none of the cooperatives",
}


@pytest.fixture
def members(tmp_path: Path) -> tuple[Member, Member]:
    a = build_member(tmp_path / "a", "kashgar", "691234567", "喀什果农合作社")
    b = build_member(tmp_path / "b", "yarkant", "692345678", "莎车红枣合作社")
    return a, b


@pytest.fixture
def client(tmp_path: Path, members: tuple[Member, Member]) -> Iterator[TestClient]:
    file = write_deployment(tmp_path / "deployment.toml", list(members))
    with TestClient(create_deployment_app(load_deployment(file))) as c:
        yield c


def _origin_of_scan(client: TestClient, gtin: str, lot: str = SHARED_LOT) -> str:
    answer = client.get(f"/01/{gtin}/10/{lot}", headers=JSON)
    assert answer.status_code == 200, answer.text
    note: str = answer.json()["proof"]["checkpoint"]
    return note.split("\n", 1)[0]


def test_one_lot_code_in_both_logs_resolves_by_gtin_to_the_right_log(
    client: TestClient, members: tuple[Member, Member]
) -> None:
    a, b = members
    assert _origin_of_scan(client, a.gtin) == a.origin
    assert _origin_of_scan(client, b.gtin) == b.origin
    page_a = client.get(f"/01/{a.gtin}/10/{SHARED_LOT}", headers=HTML).text
    page_b = client.get(f"/01/{b.gtin}/10/{SHARED_LOT}", headers=HTML).text
    assert a.name_zh in page_a
    assert b.name_zh not in page_a
    assert b.name_zh in page_b
    assert a.name_zh not in page_b


def test_a_case_level_gtin_of_the_same_company_goes_to_the_same_member(
    client: TestClient, members: tuple[Member, Member]
) -> None:
    # Indicator digit 1: a case of the same trade item; the company prefix follows it.
    case = "1" + members[1].gtin[1:13]
    from labels import gs1_check_digit

    case += gs1_check_digit(case)
    answer = client.get(f"/01/{case}/10/{SHARED_LOT}", headers=JSON)
    # Not a lot of B's ledger, but B's resolver answered (its unknown-code answer).
    assert answer.status_code == 404
    assert client.app.state.prefixes.member_for(case) == "yarkant"  # type: ignore[attr-defined]


def test_the_json_links_of_a_scan_stay_within_its_member(
    client: TestClient, members: tuple[Member, Member]
) -> None:
    a, _ = members
    answer = client.get(f"/01/{a.gtin}/10/{SHARED_LOT}", headers=JSON).json()
    assert answer["checkpoint"] == "/c/kashgar/api/v1/log/checkpoint"
    proof = client.get(answer["checkpoint"])
    assert proof.status_code == 200
    assert proof.text.startswith(a.origin)
    assert answer["link"]["lot"] == SHARED_LOT  # values are not links: untouched


def test_every_link_of_a_scanned_page_stays_within_its_member(
    client: TestClient, members: tuple[Member, Member]
) -> None:
    a, _ = members
    page = client.get(f"/01/{a.gtin}/10/{SHARED_LOT}", headers=HTML).text
    links = re.findall(r'(?:href|action|src)="(/[^"]*)"', page)
    assert links
    assert all(link.startswith("/c/kashgar/") for link in links), links
    for link in links:
        if "/api/" in link:
            assert client.get(link).status_code == 200, link


@pytest.mark.parametrize("language", ["zh", "ug", "en"])
def test_a_gtin_of_no_member_gets_the_unknown_code_page(
    client: TestClient, language: Language
) -> None:
    nobody = gtin_of("693456789")
    page = client.get(f"/01/{nobody}/10/{SHARED_LOT}?lang={language}", headers=HTML)
    assert page.status_code == 404
    assert MESSAGES[language]["status_unknown"] in page.text
    assert WORDS[language] in page.text
    assert f'lang="{language}"' in page.text
    answer = client.get(f"/01/{nobody}/10/{SHARED_LOT}", headers=JSON)
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "unknown_gtin"


def test_a_malformed_gtin_is_a_bad_code_not_a_server_error(client: TestClient) -> None:
    page = client.get("/01/06912345670013/10/X", headers=HTML)  # wrong check digit
    assert page.status_code == 400
    assert MESSAGES["zh"]["bad_code"] in page.text


def test_the_landing_page_lists_every_member_with_its_prefixes(
    client: TestClient, members: tuple[Member, Member]
) -> None:
    page = client.get("/?lang=en", headers=HTML)
    assert page.status_code == 200
    for m in members:
        assert f'href="/c/{m.slug}/?lang=en"' in page.text
        assert m.name_zh in page.text
        assert m.prefix in page.text
    assert "content-security-policy" in page.headers


def test_a_member_path_without_its_slash_is_redirected(client: TestClient) -> None:
    answer = client.get("/c/kashgar?lang=ug", follow_redirects=False)
    assert answer.status_code == 308
    assert answer.headers["location"] == "/c/kashgar/?lang=ug"
    assert client.get("/c/nobody/", headers=HTML).status_code == 404


def test_a_scan_answer_keeps_its_etag_and_304_and_is_rewritten_once(
    client: TestClient, members: tuple[Member, Member]
) -> None:
    a, _ = members
    url = f"/01/{a.gtin}/10/{SHARED_LOT}"
    first = client.get(url, headers={**HTML, "Accept-Encoding": "gzip"})
    assert first.headers["content-encoding"] == "gzip"
    tag = first.headers["etag"]
    assert tag.endswith('-kashgar"')  # not the member's tag: the bytes differ from its own
    again = client.get(url, headers={**HTML, "Accept-Encoding": "gzip"})
    assert again.content == first.content
    assert 'href="/c/kashgar/' in again.text
    unchanged = client.get(url, headers={**HTML, "Accept-Encoding": "gzip", "If-None-Match": tag})
    assert unchanged.status_code == 304
    assert unchanged.headers["etag"] == tag
    plain = client.get(url, headers={**HTML, "Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.text == first.text
    assert plain.headers["etag"] != tag


def test_a_lot_code_holding_a_slash_resolves_at_the_root_and_under_the_member(
    client: TestClient, members: tuple[Member, Member]
) -> None:
    a, _ = members
    recorded = client.post(
        "/c/kashgar/api/v1/events/harvest",
        json=_harvest(a, "A/7"),
        headers=a.auth("packing_station"),
    )
    assert recorded.status_code == 201, recorded.text
    for base in ("", "/c/kashgar"):
        answer = client.get(f"{base}/01/{a.gtin}/10/A%2F7", headers=JSON)
        assert answer.status_code == 200, (base, answer.text)
        assert answer.json()["link"]["lot"] == "A/7"


# --- staff isolation --------------------------------------------------------------------------


def _harvest(member: Member, lot: str) -> dict[str, object]:
    return {
        "lot": {"gtin": member.gtin, "lot": lot},
        "plot": f"{member.slug.upper()}-P1",
        "variety": "Hongyan",
        "quantity": "50",
        "time": (datetime.now(UTC) - timedelta(minutes=30)).isoformat(),
    }


def _size(member: Member) -> int:
    ledger = Ledger.open(member.url)
    try:
        return ledger.size()
    finally:
        ledger.close()


def test_a_members_token_records_on_its_own_log_and_is_refused_on_the_other(
    client: TestClient, members: tuple[Member, Member]
) -> None:
    a, b = members
    size_a, size_b = _size(a), _size(b)
    mine = client.post(
        "/c/kashgar/api/v1/events/harvest",
        json=_harvest(a, "A-2"),
        headers=a.auth("packing_station"),
    )
    assert mine.status_code == 201, mine.text
    for role in ("packing_station", "cooperative", "regulator"):
        theirs = client.post(
            "/c/yarkant/api/v1/events/harvest", json=_harvest(b, "A-3"), headers=a.auth(role)
        )
        assert theirs.status_code == 401, theirs.text
    # Nor through the raw statements API, nor by a scan path: B's log is unchanged.
    assert _size(a) == size_a + 1
    assert _size(b) == size_b


def _sign_in(client: TestClient, member: Member, role: str) -> None:
    page = client.get(f"/c/{member.slug}/sign-in", headers=HTML).text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf is not None
    done = client.post(
        f"/c/{member.slug}/sign-in",
        data={"token": member.tokens[role], "csrf": csrf[1]},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text


def test_a_session_at_one_member_is_not_a_session_at_the_other(
    client: TestClient, members: tuple[Member, Member]
) -> None:
    a, b = members
    form = client.get("/c/kashgar/sign-in", headers=HTML)
    assert 'action="/c/kashgar/sign-in' in form.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf is not None
    signed = client.post(
        "/c/kashgar/sign-in",
        data={"token": a.tokens["packing_station"], "csrf": csrf[1]},
        follow_redirects=False,
    )
    assert signed.status_code == 303
    assert signed.headers["location"].startswith("/c/kashgar/")
    assert "path=/c/kashgar/" in signed.headers["set-cookie"].lower()
    assert client.get("/c/kashgar/staff", headers=HTML).status_code == 200
    # The browser does not send A's cookie to B; B sends the person to its own sign-in.
    other = client.get("/c/yarkant/staff", headers=HTML, follow_redirects=False)
    assert other.status_code in (302, 303, 401)
    if other.status_code != 401:
        assert other.headers["location"].startswith("/c/yarkant/sign-in")
    # A cookie copied into a request to B by hand is no session there either.
    session = next(c.value for c in client.cookies.jar if c.name == COOKIE)
    forced = client.get(
        "/c/yarkant/staff",
        headers={**HTML, "Cookie": f"{COOKIE}={session}"},
        follow_redirects=False,
    )
    assert forced.status_code in (302, 303, 401)
    assert b.name_zh not in client.get("/c/kashgar/staff", headers=HTML).text


def test_signing_in_at_the_other_member_keeps_the_first_session(
    client: TestClient, members: tuple[Member, Member]
) -> None:
    for m in members:
        _sign_in(client, m, "packing_station")
    sessions = [c for c in client.cookies.jar if c.name == COOKIE]
    assert sorted(c.path for c in sessions) == ["/c/kashgar/", "/c/yarkant/"]
    for m in members:
        assert client.get(f"/c/{m.slug}/staff", headers=HTML).status_code == 200


def test_one_members_entries_never_appear_in_the_others_pages(
    client: TestClient, members: tuple[Member, Member]
) -> None:
    a, b = members
    recorded = client.post(
        "/c/yarkant/api/v1/events/harvest",
        json=_harvest(b, "ONLY-B"),
        headers=b.auth("packing_station"),
    )
    assert recorded.status_code == 201
    _sign_in(client, a, "packing_station")
    _sign_in(client, b, "packing_station")
    home_a = client.get("/c/kashgar/staff", headers=HTML)
    assert home_a.status_code == 200
    assert "ONLY-B" not in home_a.text
    assert b.gtin not in home_a.text
    assert client.get(f"/c/kashgar/staff/lots/{b.gtin}/ONLY-B", headers=HTML).status_code == 404
    home_b = client.get("/c/yarkant/staff", headers=HTML)
    assert "ONLY-B" in home_b.text  # the page that would show it, does, at its own member
    assert a.gtin not in home_b.text
    lot_b = client.get(f"/c/yarkant/staff/lots/{b.gtin}/ONLY-B", headers=HTML)
    assert lot_b.status_code == 200


# --- routing table ----------------------------------------------------------------------------


def test_two_members_declaring_one_prefix_are_refused_at_start_naming_both(
    tmp_path: Path,
) -> None:
    a = build_member(tmp_path / "a", "kashgar", "691234567", "喀什果农合作社")
    b = build_member(tmp_path / "b", "yengisar", "691234567", "英吉沙合作社")
    file = write_deployment(tmp_path / "deployment.toml", [a, b])
    with pytest.raises(PrefixConflictError) as refused:
        create_deployment_app(load_deployment(file))
    assert "'kashgar'" in str(refused.value)
    assert "'yengisar'" in str(refused.value)
    assert "691234567" in str(refused.value)


def test_a_prefix_recorded_while_serving_is_routed_to_without_a_restart(
    tmp_path: Path, members: tuple[Member, Member]
) -> None:
    a, b = members
    file = write_deployment(tmp_path / "deployment.toml", [a, b])
    app = create_deployment_app(load_deployment(file))
    new_gtin = gtin_of("6987654")
    with TestClient(app) as c:
        assert c.get(f"/01/{new_gtin}/10/{SHARED_LOT}", headers=JSON).status_code == 404
        body = {
            "name_zh": b.name_zh,
            "address": "莎车镇",
            "county": "莎车县",
            "company_prefixes": ["692345678", "6987654"],
        }
        added = c.post(
            "/c/yarkant/api/v1/events/cooperative", json=body, headers=b.auth("cooperative")
        )
        assert added.status_code == 201, added.text
        product = {"gtin": new_gtin, "commodity": "strawberry", "name": "新品"}
        added = c.post(
            "/c/yarkant/api/v1/events/product", json=product, headers=b.auth("cooperative")
        )
        assert added.status_code == 201, added.text
        harvest = _harvest(b, SHARED_LOT) | {"lot": {"gtin": new_gtin, "lot": SHARED_LOT}}
        added = c.post(
            "/c/yarkant/api/v1/events/harvest", json=harvest, headers=b.auth("packing_station")
        )
        assert added.status_code == 201, added.text
        # The deployment's lifespan reads the prefixes again within a second or so.
        deadline = time.monotonic() + 10
        while app.state.prefixes.member_for(new_gtin) is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _origin_of_scan(c, new_gtin) == b.origin
        # A's claim on B's prefix, recorded on A's own ledger, does not take B's scans.
        grab = {"name_zh": a.name_zh, "address": "x", "county": "y"}
        grab["company_prefixes"] = ["691234567", "6987654"]  # type: ignore[assignment]
        refused = c.post(
            "/c/kashgar/api/v1/events/cooperative", json=grab, headers=a.auth("cooperative")
        )
        assert refused.status_code == 201  # A's ledger cannot know what B holds ...
        app.state.prefixes.refresh(force=True)
        assert _origin_of_scan(c, new_gtin) == b.origin  # ... but the routing keeps B's


def test_every_members_background_tasks_run(tmp_path: Path, members: tuple[Member, Member]) -> None:
    # The checkpoint publisher is a member's lifespan task: a statement appended straight to
    # each log (no checkpoint) is covered by a checkpoint soon after, for both members.
    file = write_deployment(tmp_path / "deployment.toml", list(members))
    text = file.read_text(encoding="utf-8").replace(
        'resolver = "https://id.shufu.example"',
        'resolver = "https://id.shufu.example"\ncheckpoint_seconds = 0.2',
    )
    file.write_text(text, encoding="utf-8")
    app = create_deployment_app(load_deployment(file))
    with TestClient(app):
        for m in members:
            folder = KeyFolder(m.keys)
            ledger = Ledger.open(m.url)
            try:
                from traceability import Harvest, Recorder

                Recorder(ledger).record(
                    Harvest.from_body(_harvest(m, "BG-1")), folder.load("packing-shed")
                )
                size = ledger.size()
            finally:
                ledger.close()
        deadline = time.monotonic() + 10
        covered: dict[str, int] = {}
        while time.monotonic() < deadline and len(covered) < 2:
            for m in members:
                member_app = next(x for x in app.state.members if x.slug == m.slug)
                latest = member_app.ledger.latest_checkpoint()
                signed = 0 if latest is None else int(latest.split("\n")[1])
                if signed == member_app.ledger.size():
                    covered[m.slug] = signed
            time.sleep(0.1)
        assert set(covered) == {"kashgar", "yarkant"}
        assert size > 0


# --- wording and the county mount point ---------------------------------------------------------


@pytest.mark.parametrize("language", ["zh", "ug"])
def test_the_deployments_own_pages_show_no_english(client: TestClient, language: str) -> None:
    nobody = gtin_of("693456789")
    for path in (f"/?lang={language}", f"/01/{nobody}/10/X?lang={language}"):
        page = client.get(path, headers=HTML).text
        body = re.sub(r"<style>.*?</style>|<[^>]+>", " ", page, flags=re.S)
        # The language switcher names English in English; GS1 is a code.
        words = set(re.findall(r"[A-Za-z]{2,}", body)) - {"GS", "English"}
        assert not words, (path, words)


def test_the_county_views_are_mounted_with_the_members_and_the_regulator_tokens(
    tmp_path: Path, members: tuple[Member, Member], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Stand-ins for the county helper's package: router_for(members, tokens) -> APIRouter,
    # traceability.AllianceMember(slug, ledger, projection).
    import dataclasses
    import importlib.machinery
    import sys
    import types
    from collections.abc import Callable, Sequence

    from fastapi import APIRouter

    import traceability

    @dataclasses.dataclass(frozen=True)
    class AllianceMember:
        slug: str
        ledger: object
        projection: object

    seen: dict[str, object] = {}

    def router_for(members: Callable[[], Sequence[AllianceMember]], tokens: Path) -> APIRouter:
        router = APIRouter()
        seen["tokens"] = tokens

        @router.get("/sizes")
        def sizes() -> dict[str, int]:
            return {m.slug: m.ledger.size() for m in members()}  # type: ignore[attr-defined]

        return router

    county = types.ModuleType("verifier_app.county")
    county.__spec__ = importlib.machinery.ModuleSpec("verifier_app.county", None)
    county.router_for = router_for  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "verifier_app.county", county)
    monkeypatch.setattr(traceability, "AllianceMember", AllianceMember, raising=False)
    tokens = tmp_path / "county-tokens.toml"
    tokens.write_text("", encoding="utf-8")
    file = write_deployment(tmp_path / "deployment.toml", list(members), regulator_tokens=tokens)
    with TestClient(create_deployment_app(load_deployment(file))) as c:
        sizes = c.get("/county/sizes").json()
        assert set(sizes) == {"kashgar", "yarkant"}
        assert sizes["kashgar"] == _size(members[0])
        assert 'href="/county/?lang=zh"' in c.get("/", headers=HTML).text
    assert seen["tokens"] == tokens


def test_without_a_regulator_token_file_no_county_view_is_mounted(client: TestClient) -> None:
    assert client.get("/county/sizes").status_code == 404
