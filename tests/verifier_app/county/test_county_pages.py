"""The county regulator's pages: members, lots, trace across logs, dashboard, audit, sign-in."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy
from fastapi.testclient import TestClient

from tests.traceability.alliance_world import fresh_databases
from tests.traceability.conftest import STRAWBERRY, at, ev, ref
from tests.verifier_app.county.conftest import (
    CLERK_TOKEN,
    COUNTY_TOKEN,
    HTML,
    STAFF_TOKEN,
    CountyApp,
    build_county_app,
    sign_in,
    token_file,
)
from traceability import Recall, Role

TRACE = f"/county/trace?member=centre&gtin={STRAWBERRY}&lot=C-G1"


def _rows(page: str, table: str) -> list[str]:
    body = page.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.S)


def test_not_signed_in_is_sent_to_the_county_sign_in(county_app: CountyApp) -> None:
    with county_app.client() as client:
        for path in ("/county/", "/county/lots", TRACE, "/county/dashboard", "/county/audit"):
            answer = client.get(path, headers=HTML, follow_redirects=False)
            assert answer.status_code == 303, path
            assert answer.headers["location"].startswith("/county/sign-in?next=/county/")


def test_a_script_is_told_where_its_token_works(county_app: CountyApp) -> None:
    with county_app.client() as client:
        for headers in ({"Authorization": "Bearer x"}, {"Accept": "application/json"}):
            answer = client.get("/county/lots", headers=headers, follow_redirects=False)
            assert answer.status_code == 401, headers
            assert answer.headers["www-authenticate"].startswith("Bearer")
            assert "/c/<member>/api/v1" in answer.json()["error"]["message"]


def test_a_members_staff_token_is_refused(county_app: CountyApp) -> None:
    # The member's token file holds this token; the deployment's county file does not.
    token_file(
        county_app.tokens.with_name("coop-a-tokens.toml"), [(STAFF_TOKEN, "p", "packing_station")]
    )
    with county_app.client() as client:
        form = client.get("/county/sign-in", headers=HTML)
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert csrf is not None
        refused = client.post(
            "/county/sign-in",
            data={"token": STAFF_TOKEN, "csrf": csrf.group(1)},
            follow_redirects=False,
        )
        assert refused.status_code == 401
        assert "not a county regulator" in refused.text or "不是县级监管" in refused.text
        assert "agritrace_county" not in refused.cookies
        assert client.get("/county/", headers=HTML, follow_redirects=False).status_code == 303


def test_a_county_token_without_the_regulator_role_is_refused(county_app: CountyApp) -> None:
    with county_app.client() as client:
        form = client.get("/county/sign-in", headers=HTML)
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert csrf is not None
        refused = client.post("/county/sign-in", data={"token": CLERK_TOKEN, "csrf": csrf.group(1)})
        assert refused.status_code == 403
        assert client.get("/county/", headers=HTML, follow_redirects=False).status_code == 303


def test_a_sign_in_posted_from_another_site_is_refused(county_app: CountyApp) -> None:
    with county_app.client() as client:
        # No pre-session cookie (a foreign page's post): refused whatever the token.
        answer = client.post("/county/sign-in", data={"token": COUNTY_TOKEN, "csrf": "x" * 32})
        assert answer.status_code == 403
        client.get("/county/sign-in")
        foreign = client.post(
            "/county/sign-in",
            data={"token": COUNTY_TOKEN, "csrf": "x"},
            headers={"Origin": "https://evil.example"},
        )
        assert foreign.status_code == 403
        assert client.get("/county/", follow_redirects=False).status_code == 303


def test_a_token_removed_from_the_file_ends_its_session(county_app: CountyApp) -> None:
    with county_app.client() as client:
        sign_in(client)
        assert client.get("/county/", headers=HTML).status_code == 200
        token_file(county_app.tokens, [(CLERK_TOKEN, "clerk", "lab")])
        assert client.get("/county/", headers=HTML, follow_redirects=False).status_code == 303


def test_sign_out_needs_the_pages_form_value(county_app: CountyApp) -> None:
    with county_app.client() as client:
        csrf = sign_in(client)
        assert client.post("/county/sign-out", data={"csrf": "forged"}).status_code == 403
        assert client.get("/county/", headers=HTML).status_code == 200
        out = client.post("/county/sign-out", data={"csrf": csrf}, follow_redirects=False)
        assert out.status_code == 303
        assert client.get("/county/", follow_redirects=False).status_code == 303


def test_the_members_page_counts_every_members_lots(county_app: CountyApp) -> None:
    with county_app.client() as client:
        sign_in(client)
        page = client.get("/county/?lang=en", headers=HTML).text
    rows = _rows(page, "members")
    by_member = {re.search(r'class="member">([^<]+)<', r).group(1): r for r in rows[1:-1]}  # type: ignore[union-attr]
    assert set(by_member) == {"coop-a", "coop-b", "centre"}
    counts = county_app.county.b.projection.status_counts()
    cells = re.findall(r"<a href=\"/county/lots\?status=(\w+)\">(\d+)</a>", by_member["coop-b"])
    assert dict(cells) == {
        "released": str(counts.of("released")),
        "on_hold": str(counts.of("on_hold")),
        "recalled": str(counts.of("recalled")),
        "failed": str(counts.failed),
    }
    assert "Every link between logs matches" not in page  # not audited yet: not claimed


def test_the_lot_search_finds_lots_across_logs(county_app: CountyApp) -> None:
    with county_app.client() as client:
        sign_in(client)
        held = client.get("/county/lots?status=on_hold&lang=en", headers=HTML).text
        found = client.get("/county/lots?code=C-G1&lang=en", headers=HTML).text
        shipped = client.get("/county/lots?status=shipped&lang=en", headers=HTML).text
    assert re.findall(r'data-member="([^"]+)" data-lot="([^"]+)"', held) == [("coop-b", "BH1")]
    assert re.findall(r'data-member="([^"]+)" data-lot="([^"]+)"', found) == [("centre", "C-G1")]
    assert set(re.findall(r'data-member="([^"]+)" data-lot="([^"]+)"', shipped)) == {
        ("coop-a", "G1"),
        ("centre", "C-G1"),
    }


def test_the_trace_page_crosses_from_the_centre_into_coop_a(county_app: CountyApp) -> None:
    with county_app.client() as client:
        sign_in(client)
        page = client.get(f"{TRACE}&lang=en", headers=HTML).text
        forward = client.get(
            f"/county/trace?member=coop-a&gtin={STRAWBERRY}&lot=H1&lang=en", headers=HTML
        ).text
        unknown = client.get(
            f"/county/trace?member=coop-b&gtin={STRAWBERRY}&lot=C-G1&lang=en", headers=HTML
        )
    back = page.split('id="back"', 1)[1].split("</ol>", 1)[0]
    assert re.findall(r'class="member">([^<]+)</code> <bdi>([^<]+)</bdi>', back) == [
        ("coop-a", "G1"),
        ("coop-a", "H1"),
    ]
    assert "Aysha Tursun" in page.split('id="farms"', 1)[1]
    assert "verified against the source log" in page
    ahead = forward.split('id="forward"', 1)[1].split("</ol>", 1)[0]
    assert ("centre", "C-G1") in re.findall(
        r'class="member">([^<]+)</code> <bdi>([^<]+)</bdi>', ahead
    )
    assert "SH-C1" in forward.split('id="shipments"', 1)[1]
    assert unknown.status_code == 404


def test_a_recall_in_coop_a_is_flagged_on_the_centres_trace(county_app: CountyApp) -> None:
    county_app.county.a.record(
        Role.REGULATOR, ev(Recall, lot=ref("H1"), reason="illegal spray", time=at(400))
    )
    with county_app.client() as client:
        sign_in(client)
        page = client.get(f"{TRACE}&lang=en", headers=HTML).text
    assert 'class="banner recalled"' in page
    focus = page.split('id="focus"', 1)[1].split("</p>", 1)[0]
    assert "Recalled upstream in" in focus


def test_a_broken_link_is_named_on_the_members_and_trace_pages(county_app: CountyApp) -> None:
    with county_app.county.centre.ledger.engine.begin() as conn:
        conn.execute(sqlalchemy.text("UPDATE trace_intakes SET site = 'PC9'"))
    with county_app.client() as client:
        csrf = sign_in(client)
        before = client.get("/county/?lang=en", headers=HTML).text
        client.post("/county/audit", data={"csrf": csrf})
        home = client.get("/county/?lang=en", headers=HTML).text
        page = client.get(f"{TRACE}&lang=en", headers=HTML).text
    assert "Broken links" not in before  # the members page shows the last audit's links
    assert "Broken links between logs: 1" in home
    assert "BROKEN: not followed: the database row differs from its ledger entry" in page
    assert 'id="back"' not in page  # nothing crossed


def test_the_dashboard_sums_the_members(county_app: CountyApp) -> None:
    with county_app.client() as client:
        sign_in(client)
        page = client.get("/county/dashboard?lang=en", headers=HTML).text
    rows = _rows(page, "figures")
    cells = [re.findall(r"<td>([^<]*)</td>", r) for r in rows[1:]]
    members = cells[:-1]  # the member's cell holds markup: not matched
    total = cells[-1][1:]  # the sum's first cell is its name
    for column in range(5):  # holds, failing tests, recalled, tests, passed
        assert int(total[column]) == sum(int(m[column]) for m in members), column
    assert total[1] == "1"  # co-op B's failing residue test


def test_the_audit_page_runs_and_shows_each_members_verdict(county_app: CountyApp) -> None:
    with county_app.client() as client:
        csrf = sign_in(client)
        assert client.post("/county/audit", data={"csrf": "forged"}).status_code == 403
        ran = client.post("/county/audit", data={"csrf": csrf}, follow_redirects=False)
        assert ran.status_code == 303
        page = client.get("/county/audit?lang=en", headers=HTML).text
        home = client.get("/county/?lang=en", headers=HTML).text
    verdicts = dict(re.findall(r'data-member="([^"]+)" data-verdict="([^"]+)"', page))
    assert verdicts == {"coop-a": "valid", "coop-b": "valid", "centre": "valid"}
    assert "not audited" not in home
    assert "Every link between logs matches its source log" in home


def test_member_pages_of_one_deployment_do_not_share_the_county_session(
    county_app: CountyApp,
) -> None:
    with county_app.client() as client:
        sign_in(client)
        cookie = client.cookies.get("agritrace_county")
    assert cookie
    with TestClient(county_app.app) as other:
        other.cookies.set("agritrace_session", cookie)  # a member's cookie name: not ours
        assert other.get("/county/", follow_redirects=False).status_code == 303


def test_refused_tokens_are_rate_limited_per_address(county_app: CountyApp) -> None:
    with county_app.client() as client:
        form = client.get("/county/sign-in", headers=HTML)
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert csrf is not None
        codes = [
            client.post(
                "/county/sign-in", data={"token": f"guess-{i}", "csrf": csrf.group(1)}
            ).status_code
            for i in range(12)
        ]
        assert codes[:10] == [401] * 10
        assert codes[10:] == [429, 429]
        # Even the right token waits now: the address spent its tries.
        right = client.post("/county/sign-in", data={"token": COUNTY_TOKEN, "csrf": csrf.group(1)})
        assert right.status_code == 429


def test_sign_in_goes_on_only_to_a_county_page(county_app: CountyApp) -> None:
    with county_app.client() as client:
        form = client.get("/county/sign-in", headers=HTML)
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert csrf is not None
        for target, expected in (
            ("//evil.example/x", "/county/"),
            ("/staff", "/county/"),
            ("/county/lots?status=on_hold", "/county/lots?status=on_hold"),
        ):
            client.cookies.clear()
            client.get("/county/sign-in")
            fresh = re.search(r'name="csrf" value="([^"]+)"', client.get("/county/sign-in").text)
            assert fresh is not None
            answer = client.post(
                "/county/sign-in",
                data={"token": COUNTY_TOKEN, "csrf": fresh.group(1), "next": target},
                follow_redirects=False,
            )
            assert answer.headers["location"] == expected, target


@pytest.mark.postgres
def test_the_pages_over_members_on_two_postgresql_databases(
    postgres_server: str, tmp_path: Path
) -> None:
    with fresh_databases(postgres_server, "county_pages_a", "county_pages_centre") as urls:
        built = build_county_app(
            tmp_path, urls=(urls[0], f"sqlite:///{tmp_path / 'b.db'}", urls[1])
        )
        try:
            with built.client() as client:
                csrf = sign_in(client)
                page = client.get(f"{TRACE}&lang=en", headers=HTML).text
                client.post("/county/audit", data={"csrf": csrf})
                audit = client.get("/county/audit?lang=en", headers=HTML).text
            back = page.split('id="back"', 1)[1].split("</ol>", 1)[0]
            assert "coop-a" in back
            assert "H1" in back
            verdicts = set(re.findall(r'data-verdict="([^"]+)"', audit))
            assert verdicts == {"valid"}
        finally:
            for coop in (built.county.a, built.county.b, built.county.centre):
                coop.ledger.close()
