"""The lot-status map's proofs and page claims: one set of vectors, Python and JavaScript.

``vectors/statusmap.json`` (made by ``vectors/make_statusmap.py`` from a naively built map)
holds proofs of presence and absence, wrong siblings, wrong bucket contents, and page claims
(fresh, stale, a left-out recall, another lot's proof). ``traceability/_map_proof.py`` and
``_map_claim.py`` must give exactly each case's outcome, and ``static/statusmap.js`` (under
node) the same. The projection's incrementally kept map must equal the naive one.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from ledger import KeyFolder, Ledger
from tests.verifier_app.vectors.make_statusmap import build
from traceability import Hold, Recorder, check_map_claim
from traceability._map_proof import MapProofError, proof_from_json, verify_map_proof
from traceability.demo import build_season
from traceability.projection import _schema as t
from traceability.projection._status_map import map_proof, map_root

NOW = datetime.now(UTC).isoformat(timespec="seconds")
REPO = Path(__file__).resolve().parents[2]
VECTORS = json.loads((Path(__file__).parent / "vectors" / "statusmap.json").read_text())
STATUSMAP_JS = REPO / "verifier_app" / "static" / "statusmap.js"
CASES, CLAIMS = VECTORS["cases"], VECTORS["claims"]


def test_the_vectors_hold_presence_absence_and_many_negative_cases() -> None:
    assert sum("want_err" in c for c in CASES) >= 8
    assert sum(c["value"] is None and "want_err" not in c for c in CASES) >= 2
    assert {c["want"] for c in CLAIMS} == {"checked", "not_checked", "mismatch"}


def _python_case(case: dict[str, Any]) -> str:
    try:
        proof = proof_from_json(case["proof"])
        verify_map_proof(proof, base64.b64decode(case["root"]), case["value"])
    except MapProofError as e:
        return str(e) or "error"
    return ""


@pytest.mark.parametrize("case", CASES, ids=[c["desc"] for c in CASES])
def test_python_proof_outcome(case: dict[str, Any]) -> None:
    error = _python_case(case)
    if "want_err" in case:
        assert case["want_err"] in error
    else:
        assert error == ""


def _proven(claim: dict[str, Any]) -> dict[int, tuple[str, Any]]:
    return {int(k): (v["kind"], v["body"]) for k, v in claim["proven"].items()}


@pytest.mark.parametrize("claim", CLAIMS, ids=[c["desc"] for c in CLAIMS])
def test_python_claim_outcome(claim: dict[str, Any]) -> None:
    verdict = check_map_claim(
        claim["statusMap"],
        claim["size"],
        _proven(claim),
        claim["gtin"],
        claim["lot"],
        claim["shown"],
    )
    assert verdict.state == claim["want"], verdict.reason
    assert claim["want_reason"] in verdict.reason
    if verdict.state == "mismatch":
        assert verdict.reason.startswith("status: ")  # the page names the fact


NODE_RUNNER = """
const sm = require(process.argv[1]);
const vectors = JSON.parse(require("fs").readFileSync(0, "utf8"));
(async () => {
  const cases = [];
  for (const c of vectors.cases) {
    try {
      const root = Uint8Array.from(Buffer.from(c.root, "base64"));
      await sm.verifyMapProof(sm.proofFromJson(c.proof), root, c.value);
      cases.push("");
    } catch (e) {
      cases.push(e.message || "error");
    }
  }
  const claims = [];
  for (const c of vectors.claims) {
    const proven = new Map(Object.entries(c.proven).map(([k, v]) => [Number(k), v]));
    claims.push(await sm.checkMapClaim(c.statusMap, c.size, proven, c.gtin, c.lot, c.shown));
  }
  process.stdout.write(JSON.stringify({ cases, claims }));
})();
"""


@pytest.fixture(scope="module")
def node_outcomes() -> dict[str, Any]:
    """Every case's and claim's outcome from statusmap.js under node."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node not installed (the browser tests still run statusmap.js in Chromium)")
    done = subprocess.run(
        [node, "-e", NODE_RUNNER, str(STATUSMAP_JS)],
        input=json.dumps(VECTORS),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    outcomes: dict[str, Any] = json.loads(done.stdout)
    return outcomes


@pytest.mark.parametrize("index", range(len(CASES)), ids=[c["desc"] for c in CASES])
def test_javascript_proof_outcome_agrees(index: int, node_outcomes: dict[str, Any]) -> None:
    case, error = CASES[index], node_outcomes["cases"][index]
    if "want_err" in case:
        assert case["want_err"] in error
    else:
        assert error == ""


@pytest.mark.parametrize("index", range(len(CLAIMS)), ids=[c["desc"] for c in CLAIMS])
def test_javascript_claim_outcome_agrees(index: int, node_outcomes: dict[str, Any]) -> None:
    claim, got = CLAIMS[index], node_outcomes["claims"][index]
    assert got["state"] == claim["want"], got
    assert claim["want_reason"] in got["reason"]


def test_the_projections_incremental_map_equals_the_naive_one(tmp_path: Path) -> None:
    # The season's map, then a hold and a second map: a partial update of the first.
    keys = KeyFolder(tmp_path / "keys")
    root = keys.create("root")
    origin = "map.kashgar-coop.example/log"
    with Ledger.create(
        f"sqlite:///{tmp_path / 'l.db'}", origin, root, keys.create_log_signer(origin)
    ) as ledger:
        season = build_season(ledger, root, keys.create)
        ledger.checkpoint()
        first = ledger.size() - 1
        lot = {"gtin": season.gtin, "lot": season.released}
        hold = Hold.from_body({"lot": lot, "reason": "t", "time": NOW})
        Recorder(ledger).record(hold, keys.load("coop-admin"))
        ledger.checkpoint()
        assert ledger.entry(first).statement.kind == "trace.status_map"
        with ledger.engine.connect() as conn:
            rows = conn.execute(select(t.map_lots.c.key, t.map_lots.c.value)).all()
            lots = conn.execute(select(t.lots.c.key)).scalars().all()
            values = {r.key: json.loads(r.value) for r in rows}
            got_root, count = map_root(conn)
            proof, value = map_proof(conn, f"(01){season.gtin}(10){season.recalled}")
        naive_root, _ = build(values)
        assert sorted(values) == sorted(lots)  # every lot is in the map
        assert count == len(lots)
        assert got_root == naive_root
        last = ledger.entry(ledger.size() - 1).statement
        assert last.kind == "trace.status_map"
        assert base64.b64decode(last.body["root"]) == naive_root
        verify_map_proof(proof, naive_root, value)
        assert value is not None
        assert value["status"] == "recalled"
        with ledger.engine.connect() as conn:
            _, held = map_proof(conn, f"(01){season.gtin}(10){season.released}")
        assert held is not None
        assert held["status"] == "on_hold"
        assert ledger.size() - 2 in held["entries"]  # the hold itself
