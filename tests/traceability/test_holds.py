"""Who may lift what: each hold is lifted only by its authority, with the evidence it needs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from tests.traceability.conftest import JAM, Coop, at, ev, ref
from traceability import Hold, LifecycleError, LotStatus, Processing, Release, Role
from traceability.projection import _schema as t


def refused(coop: Coop, rule: str, step: Callable[[], Any]) -> LifecycleError:
    size = coop.ledger.size()
    with pytest.raises(LifecycleError) as caught:
        step()
    assert caught.value.rule.startswith(rule), caught.value
    assert coop.ledger.size() == size
    return caught.value


def status(coop: Coop, lot: str, gtin: str | None = None) -> LotStatus:
    return coop.projection.lot(gtin or ref(lot)["gtin"], lot).status


def release(coop: Coop, role: Role, lot: str, minutes: float, **kw: Any) -> int:
    return coop.record(role, ev(Release, lot=ref(lot), note="ok", time=at(minutes), **kw))


def failing(coop: Coop) -> int:
    coop.harvest()
    return coop.test("H1", {"chlorpyrifos": "0.08", "carbendazim": "0.1", "imidacloprid": "<LOQ"})


def test_cooperative_cannot_lift_the_regulators_hold(coop: Coop) -> None:
    coop.harvest()
    coop.test("H1")
    held = coop.record(Role.REGULATOR, ev(Hold, lot=ref("H1"), reason="audit", time=at(130)))
    error = refused(coop, "hold-lift-authority", lambda: coop.release("H1"))
    assert f"regulator-hold (entry {held})" in str(error)
    assert status(coop, "H1") is LotStatus.ON_HOLD


def test_regulator_lifts_its_own_hold_without_releasing_for_sale(coop: Coop) -> None:
    coop.harvest()
    coop.test("H1")
    coop.record(Role.REGULATOR, ev(Hold, lot=ref("H1"), reason="audit", time=at(130)))
    release(coop, Role.REGULATOR, "H1", 140)
    assert status(coop, "H1") is LotStatus.ACTIVE  # back where it stood, not for sale
    coop.release("H1")  # the cooperative's own release, with its gate
    assert status(coop, "H1") is LotStatus.RELEASED


def test_held_shipped_lot_returns_to_shipped(coop: Coop) -> None:
    coop.harvest()
    coop.test("H1")
    coop.release("H1")
    coop.ship("SH1", ["H1"])
    coop.record(Role.REGULATOR, ev(Hold, lot=ref("H1"), reason="audit", time=at(190)))
    release(coop, Role.REGULATOR, "H1", 200)
    assert status(coop, "H1") is LotStatus.SHIPPED


def test_residue_hold_not_lifted_by_a_note(coop: Coop) -> None:
    hold = failing(coop)
    error = refused(coop, "hold-lift-evidence", lambda: coop.release("H1"))
    assert f"residue-above-mrl (entry {hold})" in str(error)
    assert "a note is not evidence" in str(error)


def test_residue_hold_lifted_by_a_passing_retest(coop: Coop) -> None:
    failing(coop)
    retest = coop.test("H1", minutes=140)
    release(coop, Role.COOPERATIVE, "H1", 150, evidence=retest)
    assert status(coop, "H1") is LotStatus.RELEASED
    with coop.ledger.engine.connect() as conn:
        (row,) = conn.execute(select(t.holds)).all()
    assert (row.rule, row.evidence, row.lifted_by) == ("residue-above-mrl", retest, "cooperative-1")


def test_evidence_must_pass_and_be_about_the_lot(coop: Coop) -> None:
    first = failing(coop)
    # The failing result itself is no evidence; nor is a test recorded before the hold.
    refused(coop, "hold-lift-evidence", lambda: release(coop, Role.COOPERATIVE, "H1", 150,
                                                       evidence=first))  # fmt: skip
    coop.harvest("H2", minutes=1)
    other = coop.test("H2", minutes=140)
    error = refused(
        coop,
        "hold-lift-evidence",
        lambda: release(coop, Role.COOPERATIVE, "H1", 150, evidence=other),
    )
    assert "not a passing re-test of lot" in str(error)


def test_regulator_decision_lifts_a_residue_hold(coop: Coop) -> None:
    failing(coop)
    release(coop, Role.REGULATOR, "H1", 150)
    state = coop.projection.lot(ref("H1")["gtin"], "H1")
    assert state.status is LotStatus.ACTIVE
    assert not state.failed


def test_cold_chain_hold_needs_evidence(coop: Coop) -> None:
    coop.harvest()
    coop.cool("H1", celsius="9", minutes=90)  # never in band: held
    coop.test("H1", minutes=100)
    error = refused(coop, "hold-lift-evidence", lambda: coop.release("H1"))
    assert "cold-chain-precool" in str(error)
    retest = coop.test("H1", minutes=140)
    release(coop, Role.COOPERATIVE, "H1", 150, evidence=retest)
    assert status(coop, "H1") is LotStatus.RELEASED


def test_both_holds_must_be_lifted(coop: Coop) -> None:
    coop.harvest()
    coop.test("H1")
    coop.record(Role.COOPERATIVE, ev(Hold, lot=ref("H1"), reason="bruised", time=at(130)))
    coop.record(Role.REGULATOR, ev(Hold, lot=ref("H1"), reason="audit", time=at(131)))
    refused(coop, "hold-lift-authority", lambda: coop.release("H1"))
    release(coop, Role.REGULATOR, "H1", 140)
    assert status(coop, "H1") is LotStatus.ACTIVE


def test_failure_holds_what_was_made_and_each_lift_is_separate(coop: Coop) -> None:
    coop.harvest()
    coop.grade("H1", {"G1": ("super", "30", ["36"]), "G2": ("processing", "20", ["22"])})
    coop.record(
        Role.PACKING_STATION,
        ev(Processing, inputs=[ref("G2")], output=ref("J1", JAM), quantity="8",
           process="jam", time=at(100)),
    )  # fmt: skip
    coop.test("H1", {"chlorpyrifos": "0.08"}, minutes=120)
    assert status(coop, "G1") is LotStatus.ON_HOLD
    assert status(coop, "J1", JAM) is LotStatus.ON_HOLD
    release(coop, Role.REGULATOR, "G1", 130)
    assert status(coop, "J1", JAM) is LotStatus.ON_HOLD
