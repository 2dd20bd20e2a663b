"""The lab's page: typed results and CSV uploads, signed with the lab's own key, refused
whole (naming the line) when a row is wrong; other roles cannot use it."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ledger import key_id_for
from tests.verifier_app.signing_in import sign_in
from tests.verifier_app.staff_world import (
    STRAWBERRY,
    StaffWorld,
    harvest_body,
    staff_client,
    staff_world,
)
from verifier_app import create_app, hash_token
from verifier_app.staff._forms import lot_value
from verifier_app.staff._zones import DEFAULT_ZONE

__all__ = ["staff_client", "staff_world"]  # fixtures used by name

HTML = {"Accept": "text/html"}


def _harvest(client: TestClient, world: StaffWorld, lot: str) -> None:
    body = harvest_body(lot, minutes_ago=120)
    response = client.post(
        "/api/v1/events/harvest", json=body, headers=world.auth("packing_station")
    )
    assert response.status_code == 201, response.text


def _now() -> str:
    return dt.datetime.now(DEFAULT_ZONE.tz).strftime("%Y-%m-%dT%H:%M")


def _typed(lot: str, **rows: tuple[str, str]) -> dict[str, str]:
    values = {
        "lot": lot_value(STRAWBERRY, lot),
        "sample_id": f"S-{lot}",
        "lab": "Kashgar Agri Testing Lab",
        "method": "GB 23200.113-2018",
        "time": _now(),
    }
    for i, (substance, (value, loq)) in enumerate(rows.items()):
        values |= {f"r{i}_substance": substance, f"r{i}_value": value, f"r{i}_loq": loq}
    return values


def _post(client: TestClient, csrf: str, path: str, values: dict[str, str], **kw: Any) -> Any:
    return client.post(
        f"{path}?lang=en", data={"csrf": csrf} | values, headers=HTML, follow_redirects=False, **kw
    )


def _lab_key_id(world: StaffWorld) -> str:
    return key_id_for(world.keys.load("kashgar-lab").public_key().public_bytes_raw())


@pytest.mark.parametrize("language", ["zh", "ug", "en"])
def test_the_lab_page_lists_lots_to_test_in_each_language(
    staff_client: TestClient, staff_world: StaffWorld, language: str
) -> None:
    _harvest(staff_client, staff_world, "LB1")
    staff_world.sign_in(staff_client, "lab")
    page = staff_client.get(f"/staff/lab?lang={language}", headers=HTML)
    assert page.status_code == 200
    assert f'value="{STRAWBERRY}LB1"' in page.text
    assert 'enctype="multipart/form-data"' in page.text


def test_typed_results_are_signed_with_the_labs_key_and_shown_with_verdicts(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    _harvest(staff_client, staff_world, "LB1")
    csrf = staff_world.sign_in(staff_client, "lab")
    size = staff_world.size()
    values = _typed("LB1", chlorpyrifos=("<LOQ", "0.01"), carbendazim=("0.1", "0.01"))
    response = _post(staff_client, csrf, "/staff/lab/results", values)
    assert response.status_code == 303, response.text
    assert staff_world.size() == size + 1
    statement = staff_world.ledger.entry(size).statement
    assert statement.kind == "trace.residue"
    assert statement.key_id == _lab_key_id(staff_world)  # the lab's key, not the coop's
    coop = staff_world.keys.load("coop-admin").public_key().public_bytes_raw()
    assert statement.key_id != key_id_for(coop)
    assert [r["value"] for r in statement.body["results"]] == ["<LOQ", "0.1"]
    page = staff_client.get(response.headers["location"], headers=HTML).text
    assert 'data-saved="LB1"' in page
    assert "<bdi>&lt;LOQ mg/kg</bdi>" in page


@pytest.mark.parametrize("role", ["packing_station", "cooperative", "logistics", "regulator"])
def test_other_roles_cannot_open_or_post_the_lab_page(
    staff_client: TestClient, staff_world: StaffWorld, role: str
) -> None:
    _harvest(staff_client, staff_world, "LB1")
    csrf = staff_world.sign_in(staff_client, role)
    assert staff_client.get("/staff/lab?lang=en", headers=HTML).status_code == 403
    size = staff_world.size()
    values = _typed("LB1", chlorpyrifos=("<LOQ", "0.01"))
    assert _post(staff_client, csrf, "/staff/lab/results", values).status_code == 403
    files = {"file": ("r.csv", b"lot,sample_id,substance,value,loq\nLB1,S1,x,<LOQ,0.01\n")}
    assert (
        _post(staff_client, csrf, "/staff/lab/upload", {"time": _now()}, files=files).status_code
        == 403
    )
    assert staff_world.size() == size


def test_a_value_below_the_loq_is_refused_at_its_box_in_the_readers_language(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    _harvest(staff_client, staff_world, "LB1")
    csrf = staff_world.sign_in(staff_client, "lab")
    size = staff_world.size()
    values = _typed("LB1", chlorpyrifos=("<LOQ", "0.01"), carbendazim=("0.001", "0.01"))
    for lang, said in (("zh", "低于检出限时请写 <LOQ"), ("en", "<LOQ")):
        response = staff_client.post(
            f"/staff/lab/results?lang={lang}", data={"csrf": csrf} | values, headers=HTML
        )
        assert response.status_code == 422
        assert 'id="f-r1_value-error"' in response.text
        assert said.replace("<", "&lt;") in response.text
        assert 'value="0.001"' in response.text  # what was typed is kept
    assert staff_world.size() == size


def test_typed_results_without_the_forms_csrf_are_refused(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    _harvest(staff_client, staff_world, "LB1")
    staff_world.sign_in(staff_client, "lab")
    size = staff_world.size()
    values = _typed("LB1", chlorpyrifos=("<LOQ", "0.01"))
    response = staff_client.post("/staff/lab/results", data=values, headers=HTML)
    assert response.status_code == 403
    assert staff_world.size() == size


def _csv(*rows: str) -> bytes:
    return ("\ufefflot,sample_id,substance,value,loq\n" + "\n".join(rows) + "\n").encode()


def test_a_csv_upload_records_one_entry_per_lot_and_sample_in_one_batch(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    for lot in ("LB1", "LB2"):
        _harvest(staff_client, staff_world, lot)
    csrf = staff_world.sign_in(staff_client, "lab")
    size = staff_world.size()
    data = _csv(
        "LB1,S-1,chlorpyrifos,<LOQ,0.01",
        "LB1,S-1,carbendazim,0.1,0.01",
        "LB2,S-2,chlorpyrifos,<LOQ,0.01",
    )
    form = {"lab": "Kashgar Agri Testing Lab", "method": "GB 23200.113-2018", "time": _now()}
    form["idempotency_key"] = "upload-1"  # the page's hidden field
    files = {"file": ("results.csv", data, "text/csv")}
    response = _post(staff_client, csrf, "/staff/lab/upload", form, files=files)
    assert response.status_code == 303, response.text
    assert staff_world.size() == size + 2
    entries = [staff_world.ledger.entry(size + i).statement for i in range(2)]
    assert [e.body["lot"]["lot"] for e in entries] == ["LB1", "LB2"]
    assert [len(e.body["results"]) for e in entries] == [2, 1]
    assert {e.key_id for e in entries} == {_lab_key_id(staff_world)}
    page = staff_client.get(response.headers["location"], headers=HTML).text
    assert 'data-saved="LB1"' in page
    assert 'data-saved="LB2"' in page
    # The same form and file sent again (a double click): recorded once.
    again = _post(staff_client, csrf, "/staff/lab/upload", form, files=files)
    assert again.status_code == 303
    assert staff_world.size() == size + 2
    # Another file with the same form (the next day's export): recorded.
    other = {"file": ("next.csv", _csv("LB1,S-3,chlorpyrifos,<LOQ,0.01"), "text/csv")}
    assert _post(staff_client, csrf, "/staff/lab/upload", form, files=other).status_code == 303
    assert staff_world.size() == size + 3


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig"])
def test_a_csv_saved_by_excel_on_chinese_windows_uploads(
    staff_client: TestClient, staff_world: StaffWorld, encoding: str
) -> None:
    # Excel's "CSV" on Chinese Windows is GBK; a lab's export carries Chinese remarks.
    _harvest(staff_client, staff_world, "LB1")
    csrf = staff_world.sign_in(staff_client, "lab")
    size = staff_world.size()
    text = "lot,sample_id,substance,value,loq,备注\nLB1,S-1,chlorpyrifos,<LOQ,0.01,草莓样品 复检\n"
    form = {"lab": "喀什地区农产品质量检测中心", "method": "GB 23200.113-2018", "time": _now()}
    files = {"file": ("results.csv", text.encode(encoding), "text/csv")}
    response = _post(staff_client, csrf, "/staff/lab/upload", form, files=files)
    assert response.status_code == 303, response.text
    assert staff_world.size() == size + 1
    assert staff_world.ledger.entry(size).statement.body["lot"]["lot"] == "LB1"


@pytest.mark.parametrize(
    ("rows", "line", "said"),
    [
        (
            ("LB1,S-1,chlorpyrifos,<LOQ,0.01", "NOPE,S-2,x,<LOQ,0.01"),
            3,
            "No such lot on the ledger",
        ),
        (("LB1,S-1,chlorpyrifos,0.001,0.01",), 2, "&lt;LOQ"),
        (("LB1,S 1,chlorpyrifos,<LOQ,0.01",), 2, "sample_id"),
    ],
)
def test_a_csv_with_a_bad_row_records_nothing_and_names_the_line(
    staff_client: TestClient,
    staff_world: StaffWorld,
    rows: tuple[str, ...],
    line: int,
    said: str,
) -> None:
    _harvest(staff_client, staff_world, "LB1")
    csrf = staff_world.sign_in(staff_client, "lab")
    size = staff_world.size()
    files = {"file": ("r.csv", _csv(*rows), "text/csv")}
    form = {"lab": "Lab", "method": "GB 23200.113-2018", "time": _now()}
    response = _post(staff_client, csrf, "/staff/lab/upload", form, files=files)
    assert response.status_code == 422, response.text
    assert re.search(rf"Line <bdi>{line}</bdi>", response.text), response.text
    assert said in response.text
    assert staff_world.size() == size


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (b"lot,substance,value\nLB1,x,1\n", "The first line must name these columns"),
        (b"\xff\xfe\x00", "not UTF-8 text"),
        (b"", "Choose the CSV file"),
        (b"lot,sample_id,substance,value,loq\n", "no result lines"),
    ],
)
def test_a_file_that_is_no_results_csv_is_refused_saying_why(
    staff_client: TestClient, staff_world: StaffWorld, data: bytes, said: str
) -> None:
    _harvest(staff_client, staff_world, "LB1")
    csrf = staff_world.sign_in(staff_client, "lab")
    size = staff_world.size()
    files = {"file": ("r.csv", data, "text/csv")}
    form = {"lab": "Lab", "method": "M", "time": _now()}
    response = _post(staff_client, csrf, "/staff/lab/upload", form, files=files)
    assert response.status_code == 422
    assert said in response.text
    assert staff_world.size() == size


def test_a_result_for_a_recalled_lot_is_refused_by_the_rule(
    staff_client: TestClient, staff_world: StaffWorld
) -> None:
    _harvest(staff_client, staff_world, "LB1")
    recall = {
        "lot": {"gtin": STRAWBERRY, "lot": "LB1"},
        "reason": "test",
        "time": harvest_body()["time"],
    }
    recall["time"] = dt.datetime.now(dt.UTC).isoformat()
    assert (
        staff_client.post(
            "/api/v1/events/recall", json=recall, headers=staff_world.auth("cooperative")
        ).status_code
        == 201
    )
    csrf = staff_world.sign_in(staff_client, "lab")
    size = staff_world.size()
    files = {"file": ("r.csv", _csv("LB1,S-1,chlorpyrifos,<LOQ,0.01"), "text/csv")}
    form = {"lab": "Lab", "method": "M", "time": _now()}
    response = _post(staff_client, csrf, "/staff/lab/upload", form, files=files)
    assert response.status_code == 409, response.text
    assert "test-not-after-recall" in response.text
    assert staff_world.size() == size


def test_a_lab_token_that_names_the_cooperatives_key_is_refused_by_the_domain(
    staff_world: StaffWorld,
) -> None:
    # A misconfigured token file: role lab, but the server would sign with the coop's key.
    # The key's registered role (cooperative) may not sign residue results: nothing is added.
    token = "lab-with-the-coops-key-0123456789"
    with staff_world.token_file.open("a", encoding="utf-8") as tokens:
        tokens.write(
            f'\n[[token]]\nsha256 = "{hash_token(token)}"\nactor = "odd-lab"\n'
            'roles = ["lab"]\nkey = "coop-admin"\n'
        )
    with TestClient(create_app(staff_world.settings())) as client:
        _harvest(client, staff_world, "LB1")
        csrf = sign_in(client, token)
        size = staff_world.size()
        values = _typed("LB1", chlorpyrifos=("<LOQ", "0.01"))
        typed = _post(client, csrf, "/staff/lab/results", values)
        assert typed.status_code == 403, typed.text
        files = {"file": ("r.csv", _csv("LB1,S-1,chlorpyrifos,<LOQ,0.01"), "text/csv")}
        form = {"lab": "Lab", "method": "M", "time": _now()}
        uploaded = _post(client, csrf, "/staff/lab/upload", form, files=files)
        assert uploaded.status_code == 403, uploaded.text
        assert staff_world.size() == size
