"""A lot taken in from another member's log: the scan page's facts re-derive from its entries.

The consumer's browser re-derives each fact from the verified statement bodies
(traceability/_facts.py and static/facts.js, one specification); a lot made by a
``trace.intake`` (and what the centre makes of it) must derive to what the page claims, in
Python and under node, and a tampered intake body must show as a mismatch.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from labels import parse_digital_link
from ledger import KeyFolder
from tests.traceability.alliance_world import County, build_county
from tests.traceability.conftest import STRAWBERRY
from tests.verifier_app.test_facts import FACTS_JS, NODE_RUNNER
from traceability import compare_facts, derive_facts
from verifier_app._signing import AppRecorder
from verifier_app.consumer._domain_lookup import TraceLookup


def _case(county: County, folder: Path, lot: str) -> dict[str, Any]:
    ledger = county.centre.ledger
    lookup = TraceLookup(ledger, AppRecorder(ledger, KeyFolder(folder / "keys")))
    view = lookup(parse_digital_link(f"https://id.example/01/{STRAWBERRY}/10/{lot}"))
    assert view is not None
    log = {}
    for seq in view.entries:
        statement = ledger.entry(seq).statement
        log[str(seq)] = {"kind": statement.kind, "body": statement.body}
    return {"gtin": STRAWBERRY, "lot": lot, "seqs": list(view.entries), "shown": view.claims,
            "log": log}  # fmt: skip


def _entries(case: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"seq": s, **case["log"][str(s)]} for s in case["seqs"]]


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("intake-facts")
    county = build_county(*(f"sqlite:///{folder / n}.db" for n in ("a", "b", "centre")))
    return _case(county, folder, "C-G1")


def test_the_intake_lot_derives_to_what_the_page_claims(case: dict[str, Any]) -> None:
    assert any(e["kind"] == "trace.intake" for e in _entries(case))
    derived = derive_facts(_entries(case), case["gtin"], case["lot"])
    assert compare_facts(case["shown"], derived) == []
    assert derived["status"].value == "shipped"
    assert derived["quantity"].value == "30 KGM"


def test_a_changed_intake_quantity_is_a_mismatch(case: dict[str, Any]) -> None:
    entries = _entries(case)
    for e in entries:
        if e["kind"] == "trace.intake":
            e["body"] = {**e["body"], "quantity": "300"}
    derived = derive_facts(entries, case["gtin"], case["lot"])
    assert [m["fact"] for m in compare_facts(case["shown"], derived)] == ["quantity"]


def test_javascript_derives_the_same(case: dict[str, Any]) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node not installed (the browser tests still run facts.js in Chromium)")
    vectors = {"log": case["log"], "cases": [{**case, "want_mismatch": []}]}
    done = subprocess.run(
        [node, "-e", NODE_RUNNER, str(FACTS_JS)],
        input=json.dumps(vectors),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    [got] = json.loads(done.stdout)
    assert got["mismatch"] == []
    derived = derive_facts(_entries(case), case["gtin"], case["lot"])
    assert got["derived"]["status"] == derived["status"].value == "shipped"
    assert got["derived"]["quantity"] == derived["quantity"].value
