"""A scan's JSON carries the proofs: any client can check the facts' entries without us."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ledger import KeyFolder, Ledger, NoteVerifier, leaf_hash, open_checkpoint, verify_inclusion
from tests.verifier_app.conftest import RESOLVER
from traceability.demo import Season, build_season
from verifier_app import Settings, create_app

ORIGIN = "proofs.kashgar-coop.example/log"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Season]]:
    folder: Path = tmp_path_factory.mktemp("season")
    keys = KeyFolder(folder / "keys")
    root = keys.create("root")
    url = f"sqlite:///{folder / 'ledger.db'}"
    with Ledger.create(url, ORIGIN, root, keys.create_log_signer(ORIGIN)) as ledger:
        season = build_season(ledger, root, keys.create)
        ledger.checkpoint()
    settings = Settings(db=url, keys=folder / "keys", resolver=RESOLVER, demo=True, rate_burst=1000)
    with TestClient(create_app(settings)) as test_client:
        yield test_client, season


def test_every_entry_behind_a_lots_facts_verifies_against_the_signed_checkpoint(
    client: tuple[TestClient, Season],
) -> None:
    test_client, season = client
    body = test_client.get(
        f"/01/{season.gtin}/10/{season.released}", headers={"Accept": "application/json"}
    ).json()
    proof = body["proof"]
    checkpoint, _ = open_checkpoint(
        proof["checkpoint"].encode(), ORIGIN, NoteVerifier.from_key_string(proof["logKey"])
    )
    assert checkpoint.size == proof["size"]
    # The listed entries, and the lot-status map entry that ends the checkpoint.
    listed = [e["seq"] for e in body["lot"]["entries"]]
    assert [e["index"] for e in proof["entries"]] == [*listed, checkpoint.size - 1]
    assert proof["statusMap"]["entry"] == checkpoint.size - 1
    assert body["verification"]["omission"] == "checked"
    for entry in proof["entries"]:
        leaf = base64.b64decode(entry["leaf"])
        hashes = [base64.b64decode(h) for h in entry["proof"]]
        verify_inclusion(
            entry["index"], checkpoint.size, leaf_hash(leaf), hashes, checkpoint.root_hash
        )
    # Each entry is about this lot, or is what its facts were judged by (rules, master data).
    kinds = [json.loads(base64.b64decode(e["leaf"]))["statement"]["kind"] for e in proof["entries"]]
    assert set(kinds) >= {"trace.harvest", "trace.grading", "trace.release", "trace.profile"}
    assert set(kinds) >= {"trace.mrl", "trace.farm", "trace.product", "trace.cooperative"}


def test_the_page_stays_small_for_a_weak_network(client: tuple[TestClient, Season]) -> None:
    test_client, season = client
    url = f"/01/{season.gtin}/10/{season.released}"
    page = test_client.get(url, headers={"Accept-Encoding": "gzip"})
    assert page.status_code == 200
    assert "<script>" in page.text  # the in-browser check, inlined: no second request
    assert "src=" not in page.text  # and no external assets
    # bench/scan.py's bar: under 30 KB (30,000 bytes) as sent, compressed by the server's own
    # gzip, proofs and fact derivation included.
    assert page.headers["content-encoding"] == "gzip"
    assert int(page.headers["content-length"]) < 30_000, len(page.content)
