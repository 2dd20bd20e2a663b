"""Certificates and label runs are ledger entries, allowed only through the one sale gate."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from labels import parse_digital_link
from tests.labels.conftest import decode_all, pdf_pages
from tests.traceability.conftest import STRAWBERRY, Coop, Staff, at, ev, ref
from tests.traceability.test_cli_session import season
from traceability import (
    CertificateIssued,
    Hold,
    LabelRun,
    LifecycleError,
    Recall,
    Role,
    RoleError,
    ValidationError,
    issued_serials,
)
from traceability.events._ids import lot_key
from traceability.projection import _schema as t


def certificate(lot: str, minutes: float = 200) -> CertificateIssued:
    return ev(CertificateIssued, lot=ref(lot), basis=["委托检测"], quantity="100 kg",
              time=at(minutes))  # fmt: skip


def refused(coop: Coop, rule: str, step: Callable[[], Any]) -> LifecycleError:
    size = coop.ledger.size()
    with pytest.raises(LifecycleError) as caught:
        step()
    assert caught.value.rule.startswith(rule), caught.value
    assert coop.ledger.size() == size
    return caught.value


def released(coop: Coop, cooled: bool = True) -> None:
    coop.harvest()
    if cooled:
        coop.cool("H1", minutes=40)
    coop.test("H1")
    coop.release("H1")


def test_certificate_for_a_lot_without_a_precooling_record_is_refused(coop: Coop) -> None:
    released(coop, cooled=False)
    error = refused(coop, "cold-chain-incomplete",
                    lambda: coop.record(Role.COOPERATIVE, certificate("H1")))  # fmt: skip
    assert "no pre-cooling record" in str(error)


def test_certificate_for_a_released_lot_is_recorded(coop: Coop) -> None:
    released(coop)
    seq = coop.record(Role.COOPERATIVE, certificate("H1"))
    with coop.ledger.engine.connect() as conn:
        (row,) = conn.execute(select(t.issued)).all()
    assert (row.seq, row.kind, row.lot) == (seq, "certificate", f"(01){STRAWBERRY}(10)H1")


def test_certificate_for_a_lot_held_for_residue_is_refused(coop: Coop) -> None:
    coop.harvest()
    coop.test("H1", {"chlorpyrifos": "0.08", "carbendazim": "0.1", "imidacloprid": "<LOQ"})
    refused(coop, "label-requires-released",
            lambda: coop.record(Role.COOPERATIVE, certificate("H1")))  # fmt: skip


def test_certificate_for_a_recalled_lot_is_refused(coop: Coop) -> None:
    released(coop)
    coop.record(Role.REGULATOR, ev(Recall, lot=ref("H1"), reason="complaint", time=at(160)))
    refused(coop, "label-requires-released",
            lambda: coop.record(Role.COOPERATIVE, certificate("H1")))  # fmt: skip


def test_certificate_for_an_unknown_lot_is_refused(coop: Coop) -> None:
    size = coop.ledger.size()
    with pytest.raises(ValidationError, match="a lot recorded on this ledger"):
        coop.record(Role.COOPERATIVE, certificate("NOPE"))
    assert coop.ledger.size() == size


def test_only_the_cooperative_issues_certificates(coop: Coop) -> None:
    released(coop)
    with pytest.raises(RoleError):
        coop.record(Role.PACKING_STATION, certificate("H1"))


def test_label_run_for_a_held_lot_is_refused(coop: Coop) -> None:
    released(coop)
    coop.record(Role.COOPERATIVE, ev(Hold, lot=ref("H1"), reason="bruised", time=at(160)))
    run = ev(LabelRun, lot=ref("H1"), count=24, time=at(170))
    refused(coop, "label-requires-released", lambda: coop.record(Role.PACKING_STATION, run))
    with pytest.raises(LifecycleError):
        coop.projection.check_label(STRAWBERRY, "H1")  # the page's check is the same gate


def test_cli_certificate_refused_for_a_held_lot_writes_nothing(staff: Staff) -> None:
    season(staff)
    staff.ok("record", "hold", "G1", "--reason", "bruised", "--signer", "cooperative")
    pdf = staff.folder / "g1.pdf"
    size = staff.size()
    error = staff.refused("lot", "certificate", "G1", "--signer", "cooperative",
                          "--contact", "0998-1234567", "--out", str(pdf))  # fmt: skip
    assert "label-requires-released" in error
    assert not pdf.exists()
    assert staff.size() == size


def test_cli_certificate_for_a_released_lot_is_recorded_and_rendered(staff: Staff) -> None:
    staff.ok(
        "record", "harvest", "--signer", "packing_station", "--lot", "H9", "--gtin", STRAWBERRY,
        "--plot", "YK-P1", "--variety", "Hongyan", "--quantity", "100", "--time", at(0),
    )  # fmt: skip
    cooling = {"lot": ref("H9"), "site": "PS1", "readings": [{"time": at(30), "celsius": "5"}],
               "time": at(30)}  # fmt: skip
    staff.ok("record", "cooling", "--signer", "packing_station",
             "--file", staff.write_json("c.json", cooling))  # fmt: skip
    results = [
        {"substance": s, "value": "<LOQ", "loq": "0.01"}
        for s in ("chlorpyrifos", "carbendazim", "imidacloprid")
    ]
    body = {"lot": ref("H9"), "sample_id": "S9", "lab": "Lab", "method": "GB 23200.113-2018",
            "results": results, "time": at(60)}  # fmt: skip
    staff.ok("record", "residue", "--signer", "lab", "--file", staff.write_json("r.json", body))
    staff.ok("record", "release", "H9", "--note", "tests passed", "--signer", "cooperative",
             "--time", at(90))  # fmt: skip
    pdf: Path = staff.folder / "h9.pdf"
    size = staff.size()
    printed = staff.ok("lot", "certificate", "H9", "--signer", "cooperative",
                       "--contact", "0998-1234567", "--out", str(pdf)).stdout  # fmt: skip
    assert f"certificate recorded at entry {size}" in printed
    assert pdf.read_bytes().startswith(b"%PDF")
    assert staff.size() == size + 1
    # Its code names the entry it was recorded in (?cert=N): a scan checks this certificate.
    (uri,) = decode_all(pdf_pages(pdf.read_bytes(), 600)[0])
    assert parse_digital_link(uri).certificate == str(size)


def test_a_label_run_row_moved_to_another_lot_issues_no_serials_there(coop: Coop) -> None:
    # A database editor points the run's row at another lot: the signed run names H1, so its
    # serials stay H1's and a label of H2 with one of them is still a serial never issued.
    released(coop)
    run = ev(LabelRun, lot=ref("H1"), count=2, serials=["000001", "000002"], time=at(170))
    seq = coop.record(Role.PACKING_STATION, run)
    assert issued_serials(coop.ledger, STRAWBERRY, "H1") == frozenset({"000001", "000002"})
    with coop.ledger.engine.begin() as conn:
        conn.execute(
            update(t.issued).where(t.issued.c.seq == seq).values(lot=lot_key(STRAWBERRY, "H2"))
        )
    assert issued_serials(coop.ledger, STRAWBERRY, "H2") == frozenset()
