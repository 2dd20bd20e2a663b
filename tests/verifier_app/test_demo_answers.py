"""The facts every demo lot's scan answers, pinned: moving code around must not change them.

``data/demo_answers.json`` holds the JSON answer (proofs left out: they carry this run's keys)
for every lot the demo season records, as answered before the domain and the app were
regrouped (commit 4b8d801). A change that means to change an answer regenerates the file with
``AGRITRACE_UPDATE_ANSWERS=1 pytest tests/verifier_app/test_demo_answers.py`` and shows the
difference in review; any other difference is a regression.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ledger import KeyFolder, Ledger
from traceability.demo import build_season
from verifier_app import Settings, create_app

ANSWERS = Path(__file__).parent / "data" / "demo_answers.json"
ORIGIN = "golden.kashgar-coop.example/log"


def _lots(value: Any, found: set[tuple[str, str]]) -> None:
    # Every (gtin, lot) pair any statement body names, at any depth.
    if isinstance(value, dict):
        if isinstance(value.get("gtin"), str) and isinstance(value.get("lot"), str):
            found.add((value["gtin"], value["lot"]))
        for item in value.values():
            _lots(item, found)
    elif isinstance(value, list):
        for item in value:
            _lots(item, found)


@pytest.fixture(scope="module")
def answers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("golden")
    keys = KeyFolder(folder / "keys")
    root = keys.create("root")
    url = f"sqlite:///{folder / 'ledger.db'}"
    found: set[tuple[str, str]] = set()
    with Ledger.create(url, ORIGIN, root, keys.create_log_signer(ORIGIN)) as ledger:
        build_season(ledger, root, keys.create)
        ledger.checkpoint()
        for record in ledger.entries(0, ledger.size()):
            _lots(record.statement.body, found)
    settings = Settings(
        db=url, keys=folder / "keys", resolver="https://id.example", demo=True, rate_burst=1000
    )
    out: dict[str, Any] = {}
    with TestClient(create_app(settings)) as client:
        for gtin, lot in sorted(found):
            answer = client.get(f"/01/{gtin}/10/{lot}", headers={"Accept": "application/json"})
            body = answer.json()
            body.pop("proof", None)
            out[f"{gtin}/{lot}"] = {"status_code": answer.status_code, "body": body}
    return out


def test_every_demo_lot_answers_the_pinned_facts(answers: dict[str, Any]) -> None:
    if os.environ.get("AGRITRACE_UPDATE_ANSWERS") == "1":
        text = json.dumps(answers, ensure_ascii=False, indent=1, sort_keys=True)
        ANSWERS.write_text(text, encoding="utf-8")
    pinned = json.loads(ANSWERS.read_text(encoding="utf-8"))
    assert sorted(answers) == sorted(pinned)
    for lot, answer in answers.items():
        assert answer == pinned[lot], lot


def test_the_pinned_answers_cover_every_kind_of_lot(answers: dict[str, Any]) -> None:
    statuses = {answer["body"].get("status") for answer in answers.values()}
    assert {"on_hold", "recalled"} <= statuses
    assert len(answers) >= 20
