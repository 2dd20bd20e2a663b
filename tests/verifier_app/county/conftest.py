"""A tiny app mounting the county pages over two cooperatives and the alliance's centre."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.traceability.alliance_world import County, build_county
from verifier_app._auth import hash_token
from verifier_app.county import router_for

#: The county regulator's token (in the deployment's county token file).
COUNTY_TOKEN = "county-regulator-token-0123456789"
#: A cooperative's staff token and its own regulator's: in the members' files, not this one.
STAFF_TOKEN = "coop-a-packer-token-0123456789"
#: A token in the county file without the regulator role (a misconfigured entry).
CLERK_TOKEN = "county-clerk-token-0123456789"
HTML = {"Accept": "text/html"}


def token_file(path: Path, entries: list[tuple[str, str, str]]) -> Path:
    """Write a token file of (token, actor, role) entries."""
    path.write_text(
        "".join(
            f'[[token]]\nsha256 = "{hash_token(token)}"\nactor = "{actor}"\nroles = ["{role}"]\n\n'
            for token, actor, role in entries
        ),
        encoding="utf-8",
    )
    return path


@dataclass
class CountyApp:
    """The county pages mounted under /county/ over the county's three members."""

    county: County
    app: FastAPI
    tokens: Path

    def client(self) -> TestClient:
        return TestClient(self.app, base_url="http://testserver")


def sign_in(client: TestClient, token: str = COUNTY_TOKEN, next: str = "/county/") -> str:
    """Sign ``client`` in on the county sign-in page; return the pages' csrf value."""
    form = client.get("/county/sign-in", headers=HTML)
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf is not None, form.text
    answer = client.post(
        "/county/sign-in",
        data={"token": token, "csrf": csrf.group(1), "next": next},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    page = client.get(answer.headers["location"], headers=HTML)
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found is not None, page.text
    return found.group(1)


def build_county_app(folder: Path, urls: tuple[str, str, str] | None = None) -> CountyApp:
    """Three members (on SQLite files in ``folder``, or ``urls``), county pages at /county/."""
    a, b, centre = urls or [f"sqlite:///{folder / name}.db" for name in ("a", "b", "centre")]
    county = build_county(a, b, centre)
    tokens = token_file(
        folder / "county-tokens.toml",
        [(COUNTY_TOKEN, "county-inspector", "regulator"), (CLERK_TOKEN, "clerk", "lab")],
    )
    app = FastAPI()
    app.include_router(router_for(lambda: county.alliance().members, tokens), prefix="/county")
    return CountyApp(county, app, tokens)


@pytest.fixture
def county_app(tmp_path: Path) -> Iterator[CountyApp]:
    built = build_county_app(tmp_path)
    yield built
    for coop in (built.county.a, built.county.b, built.county.centre):
        coop.ledger.close()
