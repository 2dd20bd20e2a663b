"""The one text policy at the staff forms: a hostile character is refused naming the field.

The forms build the same event models as the API, CSV imports and the command line
(traceability/_text.py); the page says which field to fix and nothing is appended.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.verifier_app.staff_world import (  # noqa: F401
    STRAWBERRY,
    StaffWorld,
    staff_client,
    staff_world,
)
from tests.verifier_app.test_staff_pages import submit
from verifier_app.staff._forms import local_now

HOSTILE = {"NUL": "\x00", "RLO": "\u202e", "isolate": "\u2066", "zero-width": "\u200b"}


@pytest.mark.parametrize("bad", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_form_field_holding_a_forbidden_character_is_refused_and_named(
    staff_client: TestClient,  # noqa: F811
    staff_world: StaffWorld,  # noqa: F811
    bad: str,
) -> None:
    size = staff_world.size()
    values = {
        "product": STRAWBERRY,
        "lot_code": "F1",
        "plot": "YK-P1",
        "variety": f"Hong{bad}yan",
        "quantity": "80",
        "time": local_now(),
    }
    response = submit(staff_client, staff_world, "packing_station", "harvest", values)
    assert response.status_code == 422, response.text
    # The page says, in the person's language, which field to fix and why.
    assert 'id="f-variety-error"' in response.text
    assert "invisible control characters" in response.text
    assert staff_world.size() == size
