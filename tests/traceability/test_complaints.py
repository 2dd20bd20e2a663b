"""Complaints and decisions: who signs them, what they must name, one decision, its action.

Adversarial: the wrong signer, a decision on a missing complaint or another lot, twice, a
hold or recall decision with no hold or recall before it, one appended straight to the
ledger; the contact never signed, erasable, and checked against the signed digest.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import insert, update

from tests.ledger.conftest import Actor
from tests.traceability.conftest import STRAWBERRY, Coop, at, ev, ref
from traceability import (
    BatchError,
    Complaint,
    Decision,
    Hold,
    LifecycleError,
    LotStatus,
    Recall,
    Role,
    RoleError,
    UnknownError,
    ValidationError,
    check_projection,
    forget_contact,
    keep_contact,
    reindex,
)
from traceability.projection import _schema as t


def complaint(lot: str = "H1", **kw: Any) -> Complaint:
    fields: dict[str, Any] = {
        "lot": ref(lot),
        "category": "spoiled",
        "text": "草莓发霉了\n买回来第二天就坏了",
        "language": "zh",
        "time": at(200),
    }
    return ev(Complaint, **(fields | kw))


def decision(seq: int, action: str = "warning", lot: str = "H1", **kw: Any) -> Decision:
    fields: dict[str, Any] = {
        "complaint": seq,
        "lot": ref(lot),
        "action": action,
        "rule": "《农产品质量安全法》第四十二条",
        "reason": "mould reported by a buyer; lot inspected",
        "time": at(240),
    }
    return ev(Decision, **(fields | kw))


def complained(coop: Coop) -> int:
    coop.harvest()
    coop.test("H1")
    coop.release("H1")
    return coop.record(Role.INTAKE, complaint())


def refused(coop: Coop, rule: str, step: Any) -> LifecycleError:
    size = coop.ledger.size()
    with pytest.raises(LifecycleError) as caught:
        step()
    assert caught.value.rule == rule, caught.value
    assert coop.ledger.size() == size
    return caught.value


def test_complaint_is_recorded_against_its_lot(coop: Coop) -> None:
    seq = complained(coop)
    (found,) = coop.projection.complaints(open_only=True)
    assert (found.seq, found.lot, found.category, found.is_open) == (seq, "H1", "spoiled", True)
    assert found.text == "草莓发霉了\n买回来第二天就坏了"
    assert found.actor == "intake-1"
    assert coop.projection.complaint_counts().open == 1
    assert coop.projection.complaint_counts(STRAWBERRY, "H1").open == 1


def test_complaint_about_an_unknown_lot_is_refused(coop: Coop) -> None:
    coop.harvest()
    with pytest.raises(ValidationError) as caught:
        coop.record(Role.INTAKE, complaint("NOPE1"))
    assert caught.value.field == "lot"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("text", "x" * 1001),
        ("text", "bad\u202etext"),
        ("text", ""),
        ("category", "hate"),
        ("language", "fr"),
        ("contact_sha256", "not-a-hash"),
    ],
)
def test_bad_complaint_names_the_field(field: str, value: str) -> None:
    with pytest.raises(ValidationError) as caught:
        complaint(**{field: value})
    assert caught.value.field == field


def test_only_intake_or_cooperative_keys_sign_complaints(coop: Coop) -> None:
    coop.harvest()
    for role in (Role.REGULATOR, Role.LAB, Role.PACKING_STATION, Role.GROWER):
        with pytest.raises(RoleError):
            coop.record(role, complaint())
    coop.record(Role.COOPERATIVE, complaint())  # taken by phone


def test_intake_key_signs_nothing_but_complaints(coop: Coop) -> None:
    coop.harvest()
    with pytest.raises(RoleError):
        coop.record(Role.INTAKE, ev(Hold, lot=ref("H1"), reason="spam", time=at(10)))


def test_warning_decision_closes_the_complaint(coop: Coop) -> None:
    seq = complained(coop)
    decided = coop.record(Role.REGULATOR, decision(seq))
    found = coop.projection.complaint(seq)
    assert found.decision is not None
    assert (found.decision.seq, found.decision.action) == (decided, "warning")
    assert found.decision.actor == "regulator-1"
    assert found.decision.action_seq is None
    assert coop.projection.complaints(open_only=True) == []
    assert [d.seq for d in coop.projection.decisions(STRAWBERRY, "H1")] == [decided]


def test_only_a_regulator_decides(coop: Coop) -> None:
    seq = complained(coop)
    for role in (Role.COOPERATIVE, Role.INTAKE, Role.LAB):
        with pytest.raises(RoleError):
            coop.record(role, decision(seq))


def test_decision_on_a_missing_complaint_is_refused(coop: Coop) -> None:
    seq = complained(coop)
    with pytest.raises(UnknownError) as caught:
        coop.record(Role.REGULATOR, decision(seq - 1))  # the release, not a complaint
    assert caught.value.field == "complaint"


def test_second_decision_is_refused(coop: Coop) -> None:
    seq = complained(coop)
    first = coop.record(Role.REGULATOR, decision(seq))
    error = refused(coop, "decision-once", lambda: coop.record(Role.REGULATOR, decision(seq)))
    assert error.params["entry"] == str(first)


def test_decision_about_another_lot_is_refused(coop: Coop) -> None:
    seq = complained(coop)
    coop.harvest("H2", minutes=1)
    refused(coop, "decision-same-lot", lambda: coop.record(Role.REGULATOR, decision(seq, lot="H2")))


def test_recall_decision_without_its_recall_is_refused(coop: Coop) -> None:
    seq = complained(coop)
    refused(
        coop,
        "decision-follows-action",
        lambda: coop.record(Role.REGULATOR, decision(seq, "recall")),
    )
    assert coop.projection.lot(STRAWBERRY, "H1").status is LotStatus.RELEASED


def test_recall_decision_recorded_with_its_recall(coop: Coop) -> None:
    seq = complained(coop)
    key = coop.keys[Role.REGULATOR]
    recall = ev(Recall, lot=ref("H1"), reason="complaint: mould", time=at(230))
    receipts = coop.recorder.record_batch([(recall, key), (decision(seq, "recall"), key)])
    assert coop.projection.lot(STRAWBERRY, "H1").status is LotStatus.RECALLED
    found = coop.projection.complaint(seq).decision
    assert found is not None
    assert (found.seq, found.action_seq) == (receipts[1].seq, receipts[0].seq)


def test_hold_decision_needs_the_regulators_own_hold(coop: Coop) -> None:
    seq = complained(coop)
    # The cooperative's hold just before: not the regulator's action.
    coop.record(Role.COOPERATIVE, ev(Hold, lot=ref("H1"), reason="checking", time=at(220)))
    refused(
        coop, "decision-follows-action", lambda: coop.record(Role.REGULATOR, decision(seq, "hold"))
    )
    key = coop.keys[Role.REGULATOR]
    hold = ev(Hold, lot=ref("H1"), reason="complaint: mould", time=at(230))
    receipts = coop.recorder.record_batch([(hold, key), (decision(seq, "hold"), key)])
    found = coop.projection.complaint(seq).decision
    assert found is not None
    assert found.action_seq == receipts[0].seq


def test_recall_decision_separated_from_its_recall_is_refused(coop: Coop) -> None:
    seq = complained(coop)
    coop.record(Role.REGULATOR, ev(Recall, lot=ref("H1"), reason="mould", time=at(230)))
    coop.record(Role.INTAKE, complaint(time=at(231)))  # another entry in between
    refused(
        coop,
        "decision-follows-action",
        lambda: coop.record(Role.REGULATOR, decision(seq, "recall")),
    )


def test_refused_decision_in_a_batch_rolls_back_its_recall(coop: Coop) -> None:
    seq = complained(coop)
    coop.record(Role.REGULATOR, decision(seq))
    key = coop.keys[Role.REGULATOR]
    recall = ev(Recall, lot=ref("H1"), reason="again", time=at(230))
    size = coop.ledger.size()
    with pytest.raises(BatchError) as caught:
        coop.recorder.record_batch([(recall, key), (decision(seq, "recall"), key)])
    assert isinstance(caught.value.error, LifecycleError)
    assert caught.value.error.rule == "decision-once"
    assert coop.ledger.size() == size
    assert coop.projection.lot(STRAWBERRY, "H1").status is LotStatus.RELEASED


def test_decision_appended_straight_to_the_ledger_is_an_anomaly(coop: Coop) -> None:
    seq = complained(coop)
    # Signed by the cooperative's key, past the recorder: no role to decide.
    actor = Actor("cooperative-1", coop.keys[Role.COOPERATIVE])
    receipt = coop.ledger.append(actor.sign("trace.decision", decision(seq).to_body()))
    coop.recorder.catch_up()
    assert coop.projection.complaint(seq).decision is None
    with coop.ledger.engine.connect() as conn:
        rows = conn.execute(t.anomalies.select()).all()
    assert [r.seq for r in rows] == [receipt.seq]
    reindex(coop.ledger)
    assert coop.projection.complaint(seq).decision is None


def test_reindex_rebuilds_complaints_and_decisions(coop: Coop) -> None:
    seq = complained(coop)
    coop.record(Role.REGULATOR, decision(seq, "dismiss"))
    before = coop.projection.complaints()
    reindex(coop.ledger)
    assert coop.projection.complaints() == before


def test_contact_is_kept_apart_and_checked_against_the_signed_digest(coop: Coop) -> None:
    coop.harvest()
    digest = keep_contact(coop.ledger.engine, " 13800138000 ")
    seq = coop.record(Role.INTAKE, complaint(contact_sha256=digest))
    body = coop.ledger.entry(seq).statement.body
    assert "13800138000" not in str(body)
    # Salted: the digest of the bare number is not what is signed (no guess-and-check).
    assert hashlib.sha256(b"13800138000").hexdigest() != body["contact_sha256"]
    found = coop.projection.complaint(seq)
    assert found.has_contact
    assert coop.projection.contact(found) == "13800138000"
    # A row edited in the database no longer matches the signed digest: not answered.
    with coop.ledger.engine.begin() as conn:
        conn.execute(update(t.complaint_contacts).values(contact="13900000000"))
    assert coop.projection.contact(found) is None
    assert forget_contact(coop.ledger.engine, digest)
    assert coop.projection.contact(found) is None
    assert coop.ledger.entry(seq).statement.body == body  # the log is untouched


def test_contact_with_a_control_character_is_refused(coop: Coop) -> None:
    with pytest.raises(ValidationError) as caught:
        keep_contact(coop.ledger.engine, "138\x00")
    assert caught.value.field == "contact"


def test_alerts_cover_complaints_decisions_holds_and_recalls(coop: Coop) -> None:
    seq = complained(coop)
    key = coop.keys[Role.REGULATOR]
    recall = ev(Recall, lot=ref("H1"), reason="complaint: mould", time=at(230))
    receipts = coop.recorder.record_batch([(recall, key), (decision(seq, "recall"), key)])
    alerts = coop.projection.alerts()
    kinds = [(a.kind, a.seq) for a in alerts]
    assert ("complaint", seq) in kinds
    assert ("recall", receipts[0].seq) in kinds
    assert ("decision", receipts[1].seq) in kinds
    assert all(a.time for a in alerts)
    newer = coop.projection.alerts(since=receipts[0].seq)
    assert [(a.kind, a.seq) for a in newer] == [("decision", receipts[1].seq)]
    with pytest.raises(ValidationError):
        coop.projection.alerts(kinds=["nonsense"])


def test_failed_residue_and_cold_chain_are_alerts(coop: Coop) -> None:
    coop.harvest()
    failed = coop.test("H1", {"chlorpyrifos": "0.5"})
    coop.harvest("H2", minutes=1)
    warm = coop.cool("H2", celsius="15", minutes=50)
    kinds = {(a.kind, a.seq) for a in coop.projection.alerts()}
    assert ("residue_failed", failed) in kinds
    assert ("cold_chain", warm) in kinds


def test_time_is_the_logs_not_the_clients(coop: Coop) -> None:
    seq = complained(coop)
    (alert,) = coop.projection.alerts(kinds=["complaint"])
    assert alert.time == coop.ledger.entry(seq).log_time
    assert datetime.fromisoformat(alert.time.replace("Z", "+00:00")) <= datetime.now(UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def coop_on(request: pytest.FixtureRequest, make_coop: Any) -> Coop:
    """The cooperative on a SQLite file, then on PostgreSQL."""
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    coop: Coop = make_coop(url)
    return coop


def test_complaint_to_recall_decision_on_both_engines(coop_on: Coop) -> None:
    coop = coop_on
    seq = complained(coop)
    key = coop.keys[Role.REGULATOR]
    recall = ev(Recall, lot=ref("H1"), reason="complaint: mould", time=at(230))
    receipts = coop.recorder.record_batch([(recall, key), (decision(seq, "recall"), key)])
    assert coop.projection.complaints(open_only=True) == []
    assert coop.projection.complaint_counts().decided == 1
    kinds = {(a.kind, a.seq) for a in coop.projection.alerts()}
    assert {("recall", receipts[0].seq), ("decision", receipts[1].seq)} <= kinds
    assert ("complaint", seq) in kinds
    reindex(coop.ledger)
    assert coop.projection.complaint(seq).decision is not None


def test_an_entry_number_beyond_any_log_is_no_complaint_on_both_engines(coop_on: Coop) -> None:
    # PostgreSQL's int4 columns would refuse the bound itself (a 500 on the regulator's page);
    # the answer is the same "no such complaint" as for any other entry that is none.
    for seq in (2**31, 2**40, -1):
        with pytest.raises(UnknownError):
            coop_on.projection.complaint(seq)
    assert all(a.seq is None for a in coop_on.projection.alerts(since=2**40))


def test_decision_written_straight_into_the_database_is_drift(coop: Coop) -> None:
    seq = complained(coop)
    report = check_projection(coop.ledger)
    assert report.verdict == "clean", [d.describe() for d in report.drifts]
    # A dismissal no regulator signed, inserted into the projection: the page would show it.
    row = {
        "seq": seq + 1,
        "complaint": seq,
        "lot": "(01)06912345678902(10)H1",
        "action": "dismiss",
        "rule": "none",
        "reason": "forged",
        "actor": "regulator-1",
        "action_seq": None,
        "time": at(300),
    }
    with coop.ledger.engine.begin() as conn:
        conn.execute(insert(t.decisions), row)
        conn.execute(update(t.complaints).values(text="edited"))
    drifts = {(d.table, d.field) for d in check_projection(coop.ledger).drifts}
    assert ("trace_decisions", "(row)") in drifts
    assert ("trace_complaints", "text") in drifts
