"""Fact derivation: the shared cases pass in Python and in JavaScript, with equal results.

``vectors/facts.json`` (made by ``vectors/make_facts.py`` from the demo season) holds every
demo lot as a genuine case and tampered copies as negative ones. Python
(:func:`~traceability.derive_facts`) and ``static/facts.js`` (under node)
must each find exactly the mismatches a case names, and derive the same values.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from traceability import FACT_NAMES, compare_facts, derive_facts

REPO = Path(__file__).resolve().parents[2]
VECTORS = json.loads((Path(__file__).parent / "vectors" / "facts.json").read_text())
FACTS_JS = REPO / "verifier_app" / "static" / "facts.js"
CASES = VECTORS["cases"]


def entries_of(case: dict[str, Any]) -> list[dict[str, Any]]:
    """The case's entries: its seqs from the shared log, less ``drop``, with ``replace``."""
    log = {**VECTORS["log"], **case.get("replace", {})}
    drop = set(case.get("drop", []))
    return [{"seq": s, **log[str(s)]} for s in case["seqs"] if s not in drop]


def python_outcome(case: dict[str, Any]) -> dict[str, Any]:
    """Derive and compare in Python: ``{"error"}`` or ``{"mismatch", "derived"}``."""
    try:
        derived = derive_facts(entries_of(case), case["gtin"], case["lot"])
    except ValueError as e:
        return {"error": str(e)}
    mismatches = compare_facts(case["shown"], derived)
    return {
        "mismatch": sorted(m["fact"] for m in mismatches),
        "derived": {name: derived[name].value for name in FACT_NAMES},
    }


def test_the_vectors_hold_many_negative_cases() -> None:
    negative = [c for c in CASES if c["want_mismatch"] or c.get("want_err")]
    assert len(negative) >= 15
    assert len(CASES) - len(negative) >= 20  # every demo lot, genuine


@pytest.mark.parametrize("case", CASES, ids=[c["desc"] for c in CASES])
def test_python_finds_exactly_the_mismatches_each_case_names(case: dict[str, Any]) -> None:
    got = python_outcome(case)
    if case.get("want_err"):
        assert case["want_err"] in got.get("error", ""), got
    else:
        assert got.get("mismatch") == sorted(case["want_mismatch"]), got


NODE_RUNNER = """
const facts = require(process.argv[1]);
const vectors = JSON.parse(require("fs").readFileSync(0, "utf8"));
const out = vectors.cases.map((c) => {
  const log = Object.assign({}, vectors.log, c.replace || {});
  const drop = new Set(c.drop || []);
  const entries = c.seqs.filter((s) => !drop.has(s)).map((s) => ({ seq: s, ...log[String(s)] }));
  try {
    const derived = facts.deriveFacts(entries, c.gtin, c.lot);
    const values = {};
    for (const name of facts.FACT_NAMES) values[name] = derived[name][0];
    const mismatch = facts.compareFacts(c.shown, derived).map((m) => m.fact).sort();
    return { mismatch, derived: values };
  } catch (e) {
    return { error: e.message };
  }
});
process.stdout.write(JSON.stringify(out));
"""


@pytest.fixture(scope="module")
def node_outcomes() -> list[dict[str, Any]]:
    """Every case's outcome from facts.js under node."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node not installed (the browser tests still run facts.js in Chromium)")
    done = subprocess.run(
        [node, "-e", NODE_RUNNER, str(FACTS_JS)],
        input=json.dumps(VECTORS),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    outcomes: list[dict[str, Any]] = json.loads(done.stdout)
    return outcomes


@pytest.mark.parametrize("index", range(len(CASES)), ids=[c["desc"] for c in CASES])
def test_javascript_agrees_with_python_on_every_case(
    index: int, node_outcomes: list[dict[str, Any]]
) -> None:
    case, got = CASES[index], node_outcomes[index]
    if case.get("want_err"):
        assert case["want_err"] in got.get("error", ""), got
        return
    assert got.get("mismatch") == sorted(case["want_mismatch"]), got
    # Not only the verdicts: the values derived are the same in both languages.
    assert got["derived"] == python_outcome(case)["derived"]


def _tested_before_grading() -> dict[str, Any]:
    # The released lot's entries renumbered so that its harvest lot's residue test comes
    # before the grading that made the lot: the result still counts for the graded lot.
    case = next(c for c in CASES if c["desc"].startswith("genuine SB26-H01-G1"))
    entries = {e["seq"]: e for e in entries_of(case)}
    grading = next(s for s, e in entries.items() if e["kind"] == "trace.grading")
    residue = next(s for s, e in entries.items() if e["kind"] == "trace.residue")
    moved = [{**e, "seq": s * 10} for s, e in entries.items() if s != residue]
    moved.append({**entries[residue], "seq": grading * 10 - 5})
    log = {str(e["seq"]): {"kind": e["kind"], "body": e["body"]} for e in moved}
    return {
        "desc": "tested before grading",
        "gtin": case["gtin"],
        "lot": case["lot"],
        "seqs": sorted(e["seq"] for e in moved),
        # A certificate's number is its entry's position: renumbered with it.
        "shown": case["shown"]
        | {
            "certificates": [
                c | {"number": c["number"] * 10} for c in case["shown"]["certificates"]
            ]
        },
        "want_mismatch": [],
        "log": log,
    }


def test_a_result_on_the_harvest_lot_before_grading_counts_for_the_graded_lot() -> None:
    case = _tested_before_grading()
    derived = derive_facts(
        [{"seq": s, **case["log"][str(s)]} for s in case["seqs"]], case["gtin"], case["lot"]
    )
    assert derived["residues"].value == case["shown"]["residues"]
    assert derived["status"].value == "released"  # its required passes came before the release
    node = shutil.which("node")
    if node is not None:
        document = {"log": case["log"], "cases": [case]}
        done = subprocess.run(
            [node, "-e", NODE_RUNNER, str(FACTS_JS)],
            input=json.dumps(document),
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        assert json.loads(done.stdout)[0]["mismatch"] == []
