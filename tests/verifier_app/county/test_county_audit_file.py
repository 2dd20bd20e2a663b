"""The county's last audits, shared by the server's workers (verifier_app/county/_audit_file.py).

Kept in the memory of the worker that ran them, the verdicts went missing whenever the
redirect after ``POST /county/audit`` landed on another worker.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.verifier_app.county.conftest import HTML, CountyApp, sign_in
from verifier_app.county import router_for
from verifier_app.county._audit_file import CountyAudits


@pytest.fixture
def second_worker(county_app: CountyApp) -> Iterator[TestClient]:
    """Another worker's app over the same members and token file."""
    app = FastAPI()
    members = county_app.county.alliance
    app.include_router(router_for(lambda: members().members, county_app.tokens), prefix="/county")
    with TestClient(app, base_url="http://testserver") as client:
        yield client


def test_an_audit_run_on_one_worker_shows_on_another(
    county_app: CountyApp, second_worker: TestClient
) -> None:
    sign_in(second_worker)
    with county_app.client() as first:
        csrf = sign_in(first)
        before = second_worker.get("/county/audit?lang=en", headers=HTML).text
        assert "data-verdict" not in before
        ran = first.post("/county/audit", data={"csrf": csrf}, follow_redirects=False)
        assert ran.status_code == 303
    page = second_worker.get("/county/audit?lang=en", headers=HTML).text
    verdicts = dict(re.findall(r'data-member="([^"]+)" data-verdict="([^"]+)"', page))
    assert verdicts == {"coop-a": "valid", "coop-b": "valid", "centre": "valid"}
    assert "not audited" not in second_worker.get("/county/?lang=en", headers=HTML).text


def test_every_field_of_a_members_audit_survives_the_file(
    county_app: CountyApp, tmp_path: Path
) -> None:
    audits = list(county_app.county.alliance().audit())
    assert any(link.source_state is not None for a in audits for link in a.links)
    at = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
    kept = CountyAudits(tmp_path / "county-audits.json")
    kept.record(at, audits[:1])
    kept.record(at, audits[1:])  # a second audit adds to the map, it does not replace it
    assert CountyAudits(kept.path).last() == {a.member: (at, a) for a in audits}


@pytest.mark.parametrize("content", ["{", "[]", '{"coop-a": {"at": "now"}}'])
def test_a_broken_file_reads_as_no_audit_yet(
    tmp_path: Path, content: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "county-audits.json"
    path.write_text(content)
    assert CountyAudits(path).last() == {}
    if content != "[]":
        assert "county audit file" in caplog.text


def test_refused_county_tokens_count_across_workers(
    county_app: CountyApp, second_worker: TestClient
) -> None:
    def guesses(client: TestClient, count: int) -> list[int]:
        form = client.get("/county/sign-in", headers=HTML)
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert csrf is not None
        return [
            client.post(
                "/county/sign-in", data={"token": f"guess-{i}", "csrf": csrf.group(1)}
            ).status_code
            for i in range(count)
        ]

    with county_app.client() as first:
        codes = guesses(first, 6) + guesses(second_worker, 6)
    assert codes == [401] * 10 + [429, 429]  # per-worker budgets would allow 10 in each
