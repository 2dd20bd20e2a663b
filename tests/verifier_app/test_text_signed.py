"""Text in statements a caller signed itself (``POST /api/v1/statements``): the one policy too.

The server normalises what it signs (NFC, trimmed). A lab signs its own results, so the
server cannot change them: text that is not already as the server would write it would sit
on the log in a second spelling of one value, and is refused naming the field. What the
ledger cannot even encode (NUL, a lone surrogate) is refused naming the field as well, in
the error's ``field`` and not only in its message.
"""

from __future__ import annotations

import base64
import json
import unicodedata
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ledger import Statement, format_time, key_id_for, sign_statement
from tests.verifier_app.staff_world import (
    ORIGIN,
    StaffWorld,
    harvest_body,
    residue_body,
    staff_client,
    staff_world,
)

__all__ = ["staff_client", "staff_world"]  # fixtures used by name


def _send(client: TestClient, world: StaffWorld, wire: dict[str, Any]) -> Any:
    return client.post(
        "/api/v1/statements",
        content=json.dumps(wire).encode(),
        headers={**world.auth("lab"), "Content-Type": "application/json"},
    )


def _results(lab: str) -> dict[str, Any]:
    return residue_body("H1") | {"lab": lab}


def _signed(world: StaffWorld, body: dict[str, Any]) -> dict[str, Any]:
    key = world.keys.load("kashgar-lab")
    key_id = key_id_for(key.public_key().public_bytes_raw())
    statement = Statement(ORIGIN, "trace.residue", body, key_id, format_time(datetime.now(UTC)))
    return sign_statement(statement, key).to_json()


@pytest.mark.parametrize(
    "lab",
    ["Cafe\u0301 lab", " Kashgar lab", "Kashgar lab\t"],
    ids=["decomposed", "leading-space", "trailing-tab"],
)
def test_a_labs_own_signature_over_unnormalised_text_is_refused_naming_the_field(
    staff_client: TestClient, staff_world: StaffWorld, lab: str
) -> None:
    assert staff_client.post(
        "/api/v1/events/harvest", json=harvest_body("H1"), headers=staff_world.auth("cooperative")
    ).is_success
    size = staff_world.size()
    refused = _send(staff_client, staff_world, _signed(staff_world, _results(lab)))
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["field"].removeprefix("body.") == "lab"
    assert "normalise before signing" in refused.json()["error"]["message"]
    assert staff_world.size() == size
    # The same results, written as the server writes text, are recorded as signed.
    normal = unicodedata.normalize("NFC", lab).strip()
    accepted = _send(staff_client, staff_world, _signed(staff_world, _results(normal)))
    assert accepted.status_code == 201, accepted.text
    seq = accepted.json()["receipts"][0]["seq"]
    assert staff_world.ledger.entry(seq).statement.body["lab"] == normal


@pytest.mark.parametrize("char", ["\x00", "\ud800"], ids=["nul", "surrogate"])
def test_text_the_ledger_cannot_hold_is_refused_naming_the_field_in_the_error(
    staff_client: TestClient, staff_world: StaffWorld, char: str
) -> None:
    # No client can sign it (it has no canonical bytes); one that sends it anyway is told
    # where it is, in the structured error.
    key = staff_world.keys.load("kashgar-lab")
    wire = {
        "statement": {
            "body": _results(f"Kashgar{char}lab"),
            "key": key_id_for(key.public_key().public_bytes_raw()),
            "kind": "trace.residue",
            "log": ORIGIN,
            "time": format_time(datetime.now(UTC)),
        },
        "signature": base64.b64encode(bytes(64)).decode(),
    }
    size = staff_world.size()
    refused = _send(staff_client, staff_world, wire)
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["field"] == "body.lab"
    assert staff_world.size() == size
