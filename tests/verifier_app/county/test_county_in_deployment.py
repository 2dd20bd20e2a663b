"""The county pages as a deployment mounts them: the real app, two member cooperatives.

The deployment (verifier_app/_deployment_app.py) mounts ``verifier_app.county`` under
``/county/`` with its own regulator token file; this checks the real package there: a
county token sees both members, a member's own staff or regulator token opens nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.verifier_app.county.conftest import COUNTY_TOKEN, HTML, sign_in, token_file
from tests.verifier_app.deployment_world import Member, build_member, write_deployment
from verifier_app import create_deployment_app, load_deployment


@pytest.fixture
def deployed(tmp_path: Path) -> Iterator[tuple[TestClient, Member, Member]]:
    a = build_member(tmp_path / "a", "kashgar", "691234567", "喀什果农合作社")
    b = build_member(tmp_path / "b", "yarkant", "692345678", "莎车红枣合作社")
    tokens = token_file(tmp_path / "county-tokens.toml", [(COUNTY_TOKEN, "county", "regulator")])
    file = write_deployment(tmp_path / "deployment.toml", [a, b], regulator_tokens=tokens)
    with TestClient(create_deployment_app(load_deployment(file))) as client:
        yield client, a, b


def test_the_deployment_mounts_the_county_pages_over_its_members(
    deployed: tuple[TestClient, Member, Member],
) -> None:
    client, a, b = deployed
    sign_in(client)
    page = client.get("/county/?lang=en", headers=HTML).text
    members = re.findall(r'class="member-row" data-member="([^"]+)"', page)
    assert members == ["kashgar", "yarkant"]
    assert a.name_zh in page
    assert b.name_zh in page
    lots = client.get("/county/lots?code=L2026-001&lang=en", headers=HTML).text
    found = re.findall(r'data-member="([^"]+)" data-lot="([^"]+)"', lots)
    assert sorted(found) == [("kashgar", "L2026-001"), ("yarkant", "L2026-001")]
    trace = client.get(
        f"/county/trace?member=yarkant&gtin={b.gtin}&lot=L2026-001&lang=en", headers=HTML
    ).text
    assert "社员" in trace.split('id="farms"', 1)[1]  # the yarkant farm's grower


@pytest.mark.parametrize("role", ["packing_station", "regulator"])
def test_a_members_own_token_opens_no_county_page(
    deployed: tuple[TestClient, Member, Member], role: str
) -> None:
    client, a, _ = deployed
    form = client.get("/county/sign-in", headers=HTML)
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf is not None
    refused = client.post("/county/sign-in", data={"token": a.tokens[role], "csrf": csrf.group(1)})
    assert refused.status_code == 401
    assert client.get("/county/", follow_redirects=False).status_code == 303
    # Nor does a bearer token or the member's session stand in for the county's.
    bearer = client.get("/county/", headers=a.auth(role), follow_redirects=False)
    assert bearer.status_code == 401  # refused, and told where the token works instead
    assert "/c/<member>/api/v1" in bearer.json()["error"]["message"]
