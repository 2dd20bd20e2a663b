"""Facts of a lot whose profile has no cold-chain limits agree in Python and JavaScript.

A walnut lot (walnut.toml: no pre-cooling or transport limits) that is nonetheless cooled
warm and shipped with a logger far off its set point: neither derivation holds it (there is
nothing to judge against), neither fails on the absent limits, and both derive the same facts
as the projection shows. Built on a real ledger, so the entries are the recorded bodies.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.traceability.conftest import DATA, Coop, at, ev
from traceability import (
    FACT_NAMES,
    Assessment,
    Cooling,
    Farm,
    GradedLot,
    Grading,
    Harvest,
    Product,
    Receiving,
    Release,
    ResidueTest,
    Role,
    Shipping,
    compare_facts,
    derive_facts,
    load_profile,
)

WALNUT = "06912345678940"
FACTS_JS = Path(__file__).resolve().parents[2] / "verifier_app" / "static" / "facts.js"
RUNNER = """
const facts = require(process.argv[1]);
const c = JSON.parse(require("fs").readFileSync(0, "utf8"));
const derived = facts.deriveFacts(c.entries, c.gtin, c.lot);
const values = {};
for (const name of facts.FACT_NAMES) values[name] = derived[name][0];
process.stdout.write(JSON.stringify(values));
"""


def _ref(lot: str) -> dict[str, str]:
    return {"gtin": WALNUT, "lot": lot}


def _walnut_chain(coop: Coop) -> None:
    c, p, lab, t = Role.COOPERATIVE, Role.PACKING_STATION, Role.LAB, Role.LOGISTICS
    coop.record(c, ev(Product, gtin=WALNUT, commodity="walnut", name="核桃"))
    coop.record(c, load_profile(DATA / "walnut.toml"))
    coop.record(
        c,
        ev(Farm, farm="KS-F9", grower="Ali", village="V", county="Yecheng", plots=["KS-P9"]),
    )
    coop.record(
        c,
        ev(
            Assessment,
            farm="KS-F9",
            grower="Ali",
            assessment="GAP-9",
            topic="gap_basics",
            outcome="pass",
            valid_until="2099-01-01",
            assessor="station",
            time=at(-600),
        ),
    )
    coop.record(
        p,
        ev(Harvest, lot=_ref("W1"), plot="KS-P9", variety="Wen 185", quantity="100", time=at(0)),
    )
    warm = [{"time": at(30), "celsius": "24"}]
    coop.record(p, ev(Cooling, lot=_ref("W1"), site="PS1", readings=warm, time=at(30)))
    out = ev(
        GradedLot,
        lot=_ref("W1S"),
        grade="super",
        quantity="80",
        sizes_mm=["35"],
        quality=[{"indicator": "moisture", "value": "7"}, {"indicator": "defects", "value": "1"}],
    )
    coop.record(p, ev(Grading, input=_ref("W1"), outputs=[out], site="PS1", time=at(60)))
    results = [
        {"substance": s, "value": v, "loq": "0.001"}
        for s, v in (("carbendazim", "<LOQ"), ("aflatoxin_b1", "0.002"), ("lead", "0.05"))
    ]
    coop.record(
        lab,
        ev(
            ResidueTest,
            lot=_ref("W1S"),
            sample_id="S-W1S",
            lab="lab",
            method="m",
            results=results,
            time=at(90),
        ),
    )
    coop.record(c, ev(Release, lot=_ref("W1S"), note="ok", time=at(100)))
    shipping = ev(
        Shipping,
        shipment="SH-W1",
        lots=[_ref("W1S")],
        origin="PS1",
        destination="DC",
        set_point_celsius="5",
        time=at(120),
    )
    coop.record(t, shipping)
    hot = [{"time": at(200), "celsius": "30"}]
    coop.record(t, ev(Receiving, shipment="SH-W1", receiver="DC", readings=hot, time=at(240)))


def test_a_lot_without_cold_chain_limits_derives_the_same_facts_everywhere(coop: Coop) -> None:
    _walnut_chain(coop)
    entries = [
        {"seq": e.seq, "kind": e.statement.kind, "body": e.statement.body}
        for e in coop.ledger.entries(0, coop.ledger.size())
        if e.statement.kind.startswith("trace.")
    ]
    derived = derive_facts(entries, WALNUT, "W1S")
    assert derived["status"].value == "received"  # never held: no limits to miss
    assert coop.projection.lot(WALNUT, "W1S").status.value == "received"
    summary = coop.projection.summary(WALNUT, "W1S")
    assert summary is not None
    node = shutil.which("node")
    if node is None:
        pytest.skip("node not installed (the browser tests run facts.js in Chromium)")
    done = subprocess.run(
        [node, "-e", RUNNER, str(FACTS_JS)],
        input=json.dumps({"entries": entries, "gtin": WALNUT, "lot": "W1S"}),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    in_js: dict[str, Any] = json.loads(done.stdout)
    assert in_js == {name: derived[name].value for name in FACT_NAMES}
    shown = {name: derived[name].value for name in FACT_NAMES}
    assert compare_facts(shown, derived) == []
