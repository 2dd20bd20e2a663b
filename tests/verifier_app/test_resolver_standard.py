"""The resolver to the letter of the GS1-Conformant Resolver standard 1.2.

Link types answered with the target the linkset declares, the JSON-LD context on linksets,
the complete resolver description file, trailing slashes, and a recalled lot's
``gs1:recallStatus`` link.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from tests.verifier_app.conftest import RESOLVER
from tests.verifier_app.test_consumer import GTIN, LINKSET, LOT_PATH, STRAWBERRIES, FakeLookup

VOC = "https://gs1.org/voc/"
CONTEXT = "https://ref.gs1.org/standards/resolver/linkset-context"
BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def linkset(client: TestClient, path: str = LOT_PATH) -> dict[str, list[dict[str, str]]]:
    response = client.get(path + "?linkType=linkset")
    assert response.headers["content-type"].startswith(LINKSET)
    (links,) = response.json()["linkset"]
    return dict(links)


@pytest.mark.parametrize(
    "link_type",
    [
        "gs1:verificationService",
        "gs1:traceability",
        f"{VOC}verificationService",
        "https://ref.gs1.org/voc/traceability",
    ],
)
def test_link_type_is_answered_with_the_json_the_linkset_declares(
    make_client: Callable[..., TestClient], link_type: str
) -> None:
    client = make_client(lot_lookup=FakeLookup(STRAWBERRIES))
    term = link_type.rsplit("/", 1)[-1].removeprefix("gs1:")
    (declared,) = linkset(client)[f"{VOC}{term}"]
    assert declared["type"] == "application/json"
    assert declared["href"] == f"{RESOLVER}{LOT_PATH}"
    # A phone's browser asking for the link type still gets what the linkset promised.
    response = client.get(LOT_PATH, params={"linkType": link_type}, headers=BROWSER)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    # The fake lookup names no ledger entries, so nothing is proven: the JSON answer says so.
    assert response.json()["status"] == "unproven"
    assert response.json()["lot_status"] == "verified"


def test_page_link_type_is_the_page_even_for_a_json_client(
    make_client: Callable[..., TestClient],
) -> None:
    client = make_client(lot_lookup=FakeLookup(STRAWBERRIES))
    response = client.get(
        LOT_PATH, params={"linkType": "gs1:pip"}, headers={"Accept": "application/json"}
    )
    assert response.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(("query", "accept"), [("?linkType=linkset", ""), ("", LINKSET)])
def test_linkset_answers_carry_the_json_ld_context(
    client: TestClient, query: str, accept: str
) -> None:
    response = client.get(LOT_PATH + query, headers={"Accept": accept})
    assert response.headers["content-type"].startswith(LINKSET)
    links = response.headers["link"]
    assert f'<{CONTEXT}>; rel="http://www.w3.org/ns/json-ld#context"' in links
    assert 'rel="linkset"' in links  # the linkset's own link is kept
    page = client.get(LOT_PATH, headers=BROWSER)
    assert CONTEXT not in page.headers["link"]  # only linkset answers are JSON-LD-able


def test_resolver_description_is_complete_per_1_2(client: TestClient) -> None:
    body = client.get("/.well-known/gs1resolver").json()
    assert body["jsonLdContextLocation"] == CONTEXT
    assert body["contact"]["fn"]
    assert body["contact"]["url"] == RESOLVER
    assert "linkTypeDefaultCanBeAll" not in body  # the 1.0 name, dropped by 1.1
    assert body["linkTypeDefaultCanBeLinkset"] is False
    assert set(body) == {
        "name",
        "resolverRoot",
        "supportedPrimaryKeys",
        "supportedLinkType",
        "linkTypeDefaultCanBeLinkset",
        "supportedContextValuesEnumerated",
        "jsonLdContextLocation",
        "contact",
    }


@pytest.mark.parametrize("accept", ["application/json", LINKSET])
def test_trailing_slash_gets_the_same_answer(
    make_client: Callable[..., TestClient], accept: str
) -> None:
    client = make_client(lot_lookup=FakeLookup(STRAWBERRIES))
    plain = client.get(LOT_PATH, headers={"Accept": accept})
    slashed = client.get(LOT_PATH + "/", headers={"Accept": accept})
    assert slashed.status_code == plain.status_code == 200
    assert slashed.json() == plain.json()
    assert client.get(f"/01/{GTIN}/10/NOT-OURS/", headers={"Accept": accept}).status_code == 404


def test_recalled_lot_linkset_has_recall_status(make_client: Callable[..., TestClient]) -> None:
    recalled = dataclasses.replace(STRAWBERRIES, status="recalled")
    links = linkset(make_client(lot_lookup=FakeLookup(recalled)))
    (recall,) = links[f"{VOC}recallStatus"]
    assert (recall["href"], recall["type"]) == (f"{RESOLVER}{LOT_PATH}", "application/json")
    assert f"{VOC}recallStatus" not in linkset(make_client(lot_lookup=FakeLookup(STRAWBERRIES)))
