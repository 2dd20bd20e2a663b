"""Arbitrary Unicode through every free-text field of the event API, on SQLite and PostgreSQL.

Whatever the text, the answer is a clear 4xx naming the field, or the event is stored and
then rendered (staff page, consumer page), exported (EPCIS, FSMA 204) and rebuilt by
``reindex``: never a 500, never a crash afterwards (one NUL used to brick PostgreSQL).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.verifier_app.staff_world import (
    STRAWBERRY,
    StaffWorld,
    ago,
    build_staff_world,
    harvest_body,
    ref,
    residue_body,
)
from tests.verifier_app.test_staff_pages import HTML
from traceability import reindex
from verifier_app import create_app

# Ordinary text with the characters that broke or could break something mixed in.
_NASTY = st.sampled_from(
    ["\x00", "\u202e", "\u2066", "\u200b", "\u200c", "\ufeff", "\r\n", "\x1b", "\ud800",
     "\U0001f353", "e\u0301", "ئ", "草莓", "<b>", "=1+1", "'", '"', "\\", " "]
)  # fmt: skip
TEXT = st.lists(st.one_of(st.text(max_size=6), _NASTY), max_size=8).map("".join)

_COUNTER = itertools.count()


def _fertiliser(operator: str) -> dict[str, Any]:
    return {"plot": "YK-P1", "category": "fertiliser", "product_name": "compost",
            "active_substance": "organic matter", "dose": "2", "dose_unit": "kg/ha",
            "time": ago(120), "operator": operator}  # fmt: skip


def _disposition(field: str, minutes: float) -> Callable[[str, str], dict[str, Any]]:
    return lambda lot, text: {"lot": ref(lot), field: text, "time": ago(minutes)}


#: (route, role, free-text field, body for a fresh lot and the text)
FIELDS: list[tuple[str, str, str, Callable[[str, str], dict[str, Any]]]] = [
    ("harvest", "packing_station", "variety", lambda lot, text: harvest_body(lot, variety=text)),
    # A fertiliser on the lot's plot (no pre-harvest interval) and the lab's name: shown on
    # the consumer page's story and results.
    ("input", "cooperative", "operator", lambda lot, text: _fertiliser(text)),
    ("residue", "lab", "lab", lambda lot, text: residue_body(lot) | {"lab": text}),
    ("hold", "cooperative", "reason", _disposition("reason", 1)),
    ("release", "cooperative", "note", _disposition("note", 0.5)),
    ("recall", "cooperative", "reason", _disposition("reason", 0.2)),
]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StaffWorld]:
    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    built = build_staff_world(tmp_path, url=url)
    yield built
    built.ledger.close()


def _post(client: TestClient, world: StaffWorld, route: str, role: str, body: Any) -> Any:
    # By hand: a lone surrogate must travel as a JSON escape, as a client would send it.
    return client.post(
        f"/api/v1/events/{route}",
        content=json.dumps(body).encode(),
        headers={**world.auth(role), "Content-Type": "application/json"},
    )


def test_any_text_in_any_free_text_field_is_a_4xx_or_a_stored_rendered_exported_value(
    world: StaffWorld,
) -> None:
    with TestClient(create_app(world.settings(api_burst=100_000))) as client:
        world.sign_in(client, "cooperative")

        @settings(
            max_examples=25,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture],
        )
        @given(text=TEXT)
        def one(text: str) -> None:
            lot = f"P{next(_COUNTER)}"
            for route, role, field, body in FIELDS:
                # Every event on the lot carries the text; a refused harvest leaves no lot.
                response = _post(client, world, route, role, body(lot, text))
                assert response.status_code in (201, 409, 422), response.text
                if response.status_code == 422:
                    assert response.json()["error"]["field"].endswith(field)
                if route == "harvest" and response.status_code != 201:
                    return
            page = client.get(f"/staff/lots/{STRAWBERRY}/{quote(lot)}?lang=en", headers=HTML)
            assert page.status_code == 200
            scan = client.get(f"/01/{STRAWBERRY}/10/{quote(lot)}", headers=HTML)
            assert scan.status_code == 200

        one()
        regulator = world.auth("regulator")
        for kind in ("epcis", "fsma204"):
            exported = client.get(f"/api/v1/exports/{kind}", headers=regulator)
            assert exported.status_code == 200, exported.text
    # The projection rebuilds from whatever the ledger now holds.
    assert reindex(world.ledger) == world.ledger.size()
