"""Write ``facts.json``: the fact-derivation cases both Python and JavaScript must pass.

Run ``python -m tests.verifier_app.vectors.make_facts`` after changing the demo season or
the derivation rules. The demo season is built in a scratch ledger; every lot becomes a
positive case (the projection's claims must equal what the entries give), and tampered
copies become negative ones: a projection value changed (``shown``), an entry left out or
its body changed (``drop`` / ``replace``), each with the facts that must then disagree.
"""

from __future__ import annotations

import copy
import json
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import text

from labels import parse_digital_link
from ledger import KeyFolder, Ledger
from traceability import compare_facts, derive_facts
from traceability.demo import build_season
from verifier_app._signing import AppRecorder
from verifier_app.consumer._domain_lookup import TraceLookup

OUT = Path(__file__).with_name("facts.json")


def _case(desc: str, lot: dict[str, Any], **change: Any) -> dict[str, Any]:
    case = copy.deepcopy(lot)
    case["desc"] = desc
    case.update(change)
    return case


def main() -> None:
    """Build the season, derive every lot, write the cases."""
    folder = Path(tempfile.mkdtemp())
    keys = KeyFolder(folder / "keys")
    root = keys.create("root")
    origin = "vectors.agritrace.example/log"
    url = f"sqlite:///{folder / 'l.db'}"
    with Ledger.create(url, origin, root, keys.create_log_signer(origin)) as ledger:
        season = build_season(ledger, root, keys.create)
        log = {}
        for seq in range(ledger.size()):
            statement = ledger.entry(seq).statement
            if statement.kind.startswith("trace."):
                log[str(seq)] = {"kind": statement.kind, "body": statement.body}
        lookup = TraceLookup(ledger, AppRecorder(ledger, keys))
        with ledger.engine.connect() as conn:
            codes = conn.execute(text("SELECT gtin, lot FROM trace_lots ORDER BY key")).all()
        lots: dict[str, dict[str, Any]] = {}
        cases = []
        for gtin, code in codes:
            view = lookup(parse_digital_link(f"https://id.example/01/{gtin}/10/{code}"))
            assert view is not None
            entries = [{"seq": s, **log[str(s)]} for s in view.entries]
            assert not compare_facts(view.claims, derive_facts(entries, gtin, code)), code
            lots[code] = {
                "gtin": gtin,
                "lot": code,
                "seqs": list(view.entries),
                "shown": dict(view.claims),
                "want_mismatch": [],
            }
            cases.append(
                _case(f"genuine {code}: the projection agrees with the entries", lots[code])
            )
    cases += _negative(season, lots, log)
    document = {
        "description": "Fact derivation (traceability/_facts.py, static/facts.js): "
        "derive the facts of lot (gtin, lot) from the log entries at seqs (with replace/drop "
        "applied) and compare with shown; want_mismatch names the facts that must disagree, "
        "want_err a substring of the error when derivation must fail.",
        "source": "the demo season (traceability.demo), made by make_facts.py",
        "log": log,
        "cases": cases,
    }
    OUT.write_text(json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True) + "\n")


def _shown(lot: dict[str, Any], name: str, value: Any) -> dict[str, Any]:
    shown: dict[str, Any] = copy.deepcopy(lot["shown"])
    shown[name] = value
    return shown


def _negative(season: Any, lots: dict[str, dict[str, Any]], log: dict[str, Any]) -> list[Any]:
    released, held = lots[season.released], lots[season.residue_hold]
    recalled, cold = lots[season.recalled], lots[season.cold_chain_hold]
    out = []
    for lot, status in ((recalled, "received"), (held, "released"), (cold, "released")):
        out.append(
            _case(
                f"projection says {status} for {lot['lot']} ({lot['shown']['status']})",
                lot,
                shown=_shown(lot, "status", status),
                want_mismatch=["status"],
            )
        )
    residues = released["shown"]["residues"]
    changed = copy.deepcopy(residues)
    changed[1]["value"] = "0.01"
    out.append(
        _case(
            "a residue value lowered",
            released,
            shown=_shown(released, "residues", changed),
            want_mismatch=["residues"],
        )
    )
    failing = lots["SB26-H03-SU"]["shown"]["residues"]
    passed = [dict(r, outcome="pass") for r in failing]
    out.append(
        _case(
            "a failing verdict shown as pass",
            held,
            shown=_shown(held, "residues", passed),
            want_mismatch=["residues"],
        )
    )
    out.append(
        _case(
            "a residue row dropped",
            released,
            shown=_shown(released, "residues", residues[1:]),
            want_mismatch=["residues"],
        )
    )
    out.append(
        _case(
            "grade changed",
            released,
            shown=_shown(released, "grade", "super"),
            want_mismatch=["grade"],
        )
    )
    origins = copy.deepcopy(released["shown"]["origins"])
    origins[0]["grower"] = "someone else"
    out.append(
        _case(
            "grower changed",
            released,
            shown=_shown(released, "origins", origins),
            want_mismatch=["origins"],
        )
    )
    origins = copy.deepcopy(released["shown"]["origins"])
    origins[0]["village"] = "a better-known village"
    out.append(
        _case(
            "origin changed",
            released,
            shown=_shown(released, "origins", origins),
            want_mismatch=["origins"],
        )
    )
    coop = dict(released["shown"]["cooperative"], name_en="Another Cooperative")
    out.append(
        _case(
            "cooperative renamed",
            released,
            shown=_shown(released, "cooperative", coop),
            want_mismatch=["cooperative"],
        )
    )
    out.append(
        _case(
            "quantity changed",
            released,
            shown=_shown(released, "quantity", "420.0 KGM"),
            want_mismatch=["quantity"],
        )
    )
    out.append(
        _case(
            "harvest date changed",
            released,
            shown=_shown(released, "harvested", "2026-06-05"),
            want_mismatch=["harvested"],
        )
    )
    out.append(
        _case(
            "product renamed",
            released,
            shown=_shown(released, "product", "organic strawberries"),
            want_mismatch=["product"],
        )
    )
    chain = released["shown"]["cold_chain"]
    out.append(
        _case(
            "a cold-chain line dropped",
            released,
            shown=_shown(released, "cold_chain", chain[1:]),
            want_mismatch=["cold_chain"],
        )
    )
    recall = next(s for s in recalled["seqs"] if log[str(s)]["kind"] == "trace.recall")
    out.append(
        _case(
            "the recall entry left out: the shown recall rests on nothing",
            recalled,
            drop=[recall],
            want_mismatch=["status", "reason"],
        )
    )
    residue = next(s for s in released["seqs"] if log[str(s)]["kind"] == "trace.residue")
    body = copy.deepcopy(log[str(residue)]["body"])
    body["results"][1]["value"] = "0.9"
    out.append(
        _case(
            "an entry body differs from the log's (a result above the MRL): verdict and status",
            released,
            replace={str(residue): {"kind": "trace.residue", "body": body}},
            want_mismatch=["status", "residues", "reason"],
        )
    )
    mrl = next(s for s in released["seqs"] if log[str(s)]["kind"] == "trace.mrl")
    out.append(
        _case(
            "the MRL table left out",
            released,
            drop=[mrl],
            want_mismatch=[],
            want_err="no entry for",
        )
    )
    release = next(s for s in released["seqs"] if log[str(s)]["kind"] == "trace.release")
    out.append(
        _case(
            "the release left out: not released (tests pending)",
            released,
            drop=[release],
            want_mismatch=["status", "reason"],
        )
    )
    return out + _story_negative(season, lots, log)


def _story_negative(season: Any, lots: dict[str, dict[str, Any]], log: dict[str, Any]) -> list[Any]:
    # The story facts (traceability/_story.py): each changed or left out must disagree.
    released, recalled = lots[season.released], lots[season.recalled]
    out = []
    inputs = copy.deepcopy(released["shown"]["inputs"])
    sprayed = next(i for i in inputs if i["category"] == "pesticide")
    sprayed["days_before_harvest"] = 40
    out.append(
        _case(
            "a spray shown earlier than recorded",
            released,
            shown=_shown(released, "inputs", inputs),
            want_mismatch=["inputs"],
        )
    )
    fed = next(s for s in released["seqs"] if log[str(s)]["body"].get("category") == "fertiliser")
    out.append(
        _case(
            "the fertiliser entry left out: the shown application rests on nothing",
            released,
            drop=[fed],
            want_mismatch=["inputs"],
        )
    )
    precool = copy.deepcopy(released["shown"]["precool"])
    precool[0]["reached_minutes"] = 20
    out.append(
        _case(
            "pre-cooling shown faster than the readings",
            released,
            shown=_shown(released, "precool", precool),
            want_mismatch=["precool"],
        )
    )
    best = dict(released["shown"]["best_before"], date="2026-06-30")
    out.append(
        _case(
            "a later best-before date",
            released,
            shown=_shown(released, "best_before", best),
            want_mismatch=["best_before"],
        )
    )
    ships = copy.deepcopy(recalled["shown"]["shipments"])
    ships[0]["readings"][0]["celsius"] = "2.0"
    out.append(
        _case(
            "a logger reading smoothed",
            recalled,
            shown=_shown(recalled, "shipments", ships),
            want_mismatch=["shipments"],
        )
    )
    reason = dict(recalled["shown"]["reason"], text="precautionary")
    out.append(
        _case(
            "the recall's reason softened",
            recalled,
            shown=_shown(recalled, "reason", reason),
            want_mismatch=["reason"],
        )
    )
    contact = dict(released["shown"]["contact"], phone="+86 400 000 0000")
    out.append(
        _case(
            "the cooperative's phone changed",
            released,
            shown=_shown(released, "contact", contact),
            want_mismatch=["contact"],
        )
    )
    band = dict(released["shown"]["grade_band"], min_mm="35")
    out.append(
        _case(
            "the grade's size band widened",
            released,
            shown=_shown(released, "grade_band", band),
            want_mismatch=["grade_band"],
        )
    )
    tests = copy.deepcopy(released["shown"]["tests"])
    tests[0]["time"] = "2026-06-01T06:00:00+08:00"
    out.append(
        _case(
            "the sample shown as taken earlier",
            released,
            shown=_shown(released, "tests", tests),
            want_mismatch=["tests"],
        )
    )
    return out


if __name__ == "__main__":
    main()
