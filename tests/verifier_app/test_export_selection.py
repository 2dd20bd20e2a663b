"""One export selection: the command line and the app accept and refuse the same selections.

Each case is given to ``agritrace export`` and to ``GET /api/v1/exports/{kind}`` over the
same ledger; the refusal must be the same sentence, each naming its own fields (``--from``
on the command line, ``from`` in the query).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from tests.traceability.conftest import Staff
from tests.verifier_app.regulator_world import SeasonWorld, build_season_world
from traceability import ExportSelection, ValidationError

GTIN = "06912345678904"

#: The selection's fields as each caller names them.
CLI = {"gtin": "--gtin", "lot": "--lot", "start": "--from", "end": "--to"}
APP = {"gtin": "gtin", "lot": "lot", "start": "from", "end": "to"}

#: (selection as generic fields, the field refused, the refusal with {names}, app status)
REFUSALS = [
    (
        {"lot": "SB26-H01", "start": "2026-06-01"},
        "start",
        "{start}: expected either {lot} or {start}/{end}, not both, got '2026-06-01'",
        422,
    ),
    (
        {"lot": "SB26-H01", "end": "2026-06-02"},
        "end",
        "{end}: expected either {lot} or {start}/{end}, not both, got '2026-06-02'",
        422,
    ),
    ({"gtin": "<gtin>"}, "lot", "{lot}: expected a lot code with {gtin}, got None", 422),
    (
        {"start": "June 1"},
        "start",
        "{start}: expected a date (2026-06-01) or RFC 3339 time, got 'June 1'",
        422,
    ),
    (
        {"end": "2026-06-01T00:00:00"},
        "end",
        "{end}: expected a time with a UTC offset, got '2026-06-01T00:00:00'",
        422,
    ),
    (
        {"start": "2026-06-03", "end": "2026-06-02"},
        "end",
        "{end}: expected a time after {start} (2026-06-03), got '2026-06-02'",
        422,
    ),
    (
        {"start": "2026-06-02T08:00:00+08:00", "end": "2026-06-02T00:00:00Z"},
        "end",
        "{end}: expected a time after {start} (2026-06-02T08:00:00+08:00), "
        "got '2026-06-02T00:00:00Z'",
        422,
    ),
    (
        {"gtin": "12345", "lot": "SB26-H01"},
        "gtin",
        "{gtin}: expected a GTIN-8/12/13/14 with a valid check digit, got '12345'",
        422,
    ),
    (
        {"lot": "NO-SUCH-LOT"},
        "lot",
        "{lot}: expected a lot recorded on this ledger, got 'NO-SUCH-LOT'",
        404,
    ),
]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> SeasonWorld:
    return build_season_world(tmp_path_factory.mktemp("selection") / "season")


@pytest.fixture(scope="module")
def client(world: SeasonWorld) -> Iterator[TestClient]:
    with world.client() as client:
        yield client


def _cli_args(selection: dict[str, str]) -> list[str]:
    return [arg for field, value in selection.items() for arg in (CLI[field], value)]


def _app_params(selection: dict[str, str]) -> dict[str, str]:
    return {APP[field]: value for field, value in selection.items()}


def _given(selection: dict[str, str], world: SeasonWorld) -> dict[str, str]:
    return {k: v.replace("<gtin>", world.season.gtin) for k, v in selection.items()}


@pytest.mark.parametrize("kind", ["epcis", "fsma204"])
@pytest.mark.parametrize(("selection", "field", "message", "status"), REFUSALS)
def test_cli_and_app_refuse_the_same_selection_alike(
    world: SeasonWorld,
    client: TestClient,
    kind: str,
    selection: dict[str, str],
    field: str,
    message: str,
    status: int,
) -> None:
    given = _given(selection, world)
    refused = Staff(world.folder).refused("export", kind, *_cli_args(given))
    assert refused == "error: " + message.format(**CLI)

    response = client.get(
        f"/api/v1/exports/{kind}", params=_app_params(given), headers=world.auth("regulator")
    )
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["field"] == APP[field]
    assert error["message"] == message.format(**APP)


@pytest.mark.parametrize(
    "selection",
    [
        {"lot": "SB26-H01-G1"},  # the one product with that code: the app finds it too
        {"start": "2026-06-01", "end": "2026-06-02"},
        {"start": "2026-06-02T08:00:00+08:00"},
        {},
    ],
)
def test_cli_and_app_export_the_same_sheet(
    world: SeasonWorld, client: TestClient, selection: dict[str, str]
) -> None:
    by_cli = Staff(world.folder).ok("export", "fsma204", *_cli_args(selection)).stdout
    response = client.get(
        "/api/v1/exports/fsma204", params=_app_params(selection), headers=world.auth("regulator")
    )
    assert response.status_code == 200, response.text
    assert response.text == by_cli
    assert by_cli.count("\n") > 1  # rows, not only the header


def test_cli_and_app_export_the_same_epcis_events(world: SeasonWorld, client: TestClient) -> None:
    by_cli = json.loads(Staff(world.folder).ok("export", "epcis", "--lot", "SB26-H01-G1").stdout)
    response = client.get(
        "/api/v1/exports/epcis", params={"lot": "SB26-H01-G1"}, headers=world.auth("regulator")
    )
    by_app = response.json()
    assert by_app["epcisBody"] == by_cli["epcisBody"]
    assert by_app["epcisBody"]["eventList"]
    assert f"{world.season.gtin}-SB26-H01-G1" in response.headers["content-disposition"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"gtin": GTIN}, "lot"),
        ({"lot": "H1"}, "gtin"),
        (
            {"gtin": GTIN, "lot": "H1", "start": datetime(2026, 6, 1, tzinfo=UTC)},
            "start",
        ),
        ({"end": datetime(2026, 6, 1)}, "end"),
        (
            {"start": datetime(2026, 6, 2, tzinfo=UTC), "end": datetime(2026, 6, 2, tzinfo=UTC)},
            "end",
        ),
    ],
)
def test_a_selection_that_cannot_be_is_not_made(fields: dict[str, object], field: str) -> None:
    # Built in code (a test, the demo), not parsed: the same rules hold.
    with pytest.raises(ValidationError) as refused:
        ExportSelection(**fields)  # type: ignore[arg-type]
    assert refused.value.field == field
