"""Every rule of the lifecycle table, allowed and refused; a refusal appends nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.traceability.conftest import JAM, STRAWBERRY, Coop, at, ev, ref
from traceability import (
    TABLE,
    Action,
    Hold,
    LifecycleError,
    LotStatus,
    Packing,
    Processing,
    Product,
    Recall,
    Receiving,
    Release,
    ResidueTest,
    Role,
    SubstanceResult,
)


def refused(coop: Coop, rule: str, step: Callable[[], Any]) -> LifecycleError:
    """Run ``step``, expect the named rule to refuse it, and the ledger to be unchanged."""
    size = coop.ledger.size()
    with pytest.raises(LifecycleError) as caught:
        step()
    assert caught.value.rule.startswith(rule), caught.value
    assert coop.ledger.size() == size
    return caught.value


def status(coop: Coop, lot: str) -> LotStatus:
    return coop.projection.lot(ref(lot)["gtin"], lot).status


def released(coop: Coop, lot: str = "H1") -> None:
    coop.harvest(lot)
    coop.test(lot)
    coop.release(lot)


def test_table_covers_every_action() -> None:
    assert set(TABLE) == set(Action)
    assert all(LotStatus.RECALLED not in row.allowed for row in TABLE.values())


def test_harvest_makes_an_active_lot(coop: Coop) -> None:
    coop.harvest()
    assert status(coop, "H1") is LotStatus.ACTIVE


def test_lot_codes_are_unique(coop: Coop) -> None:
    coop.harvest()
    error = refused(coop, "lot-codes-unique", lambda: coop.harvest(minutes=5))
    assert error.rule.startswith("lot-codes-unique")


def test_look_alike_lot_codes_are_refused(coop: Coop) -> None:
    coop.harvest("AB1")
    error = refused(coop, "lot-codes-unique", lambda: coop.harvest("ab1", minutes=5))
    assert "looks like the existing lot (01)06912345678902(10)AB1" in str(error)


def test_release_requires_every_required_test_passed(coop: Coop) -> None:
    coop.harvest()
    coop.test("H1", {"chlorpyrifos": "<LOQ"})
    error = refused(coop, "release-requires-passed-tests", lambda: coop.release("H1"))
    assert "carbendazim" in str(error)
    coop.test("H1", {"carbendazim": "0.2", "imidacloprid": "<LOQ"}, minutes=130)
    coop.release("H1")
    assert status(coop, "H1") is LotStatus.RELEASED


def test_release_only_active_or_held(coop: Coop) -> None:
    released(coop)
    error = refused(coop, "release-only-active-or-held", lambda: coop.release("H1", minutes=160))
    assert error.rule.startswith("release-only-active-or-held")


def test_failing_result_holds_lot_at_once_and_release_is_refused(coop: Coop) -> None:
    coop.harvest()
    coop.test("H1", {"chlorpyrifos": "0.08", "carbendazim": "0.1", "imidacloprid": "<LOQ"})
    state = coop.projection.lot(ref("H1")["gtin"], "H1")
    assert state.status is LotStatus.ON_HOLD
    assert state.failed
    assert state.status_reason is not None
    assert "residue-above-mrl" in state.status_reason
    # A note does not lift a residue hold; the hold's rule and entry are named.
    error = refused(coop, "hold-lift-evidence", lambda: coop.release("H1"))
    assert "residue-above-mrl (entry" in str(error)


def test_unlisted_substance_is_not_assessable_never_pass(coop: Coop) -> None:
    coop.harvest()
    coop.test("H1", {"bifenthrin": "0.3"})  # the sample table lists no MRL for it
    (verdict,) = coop.projection.results(ref("H1")["gtin"], "H1")
    assert verdict.outcome == "not_assessable"
    assert status(coop, "H1") is LotStatus.ACTIVE


def test_loq_above_limit_is_not_assessable_and_not_a_pass(coop: Coop) -> None:
    coop.harvest()
    results = [ev(SubstanceResult, substance="chlorpyrifos", value="<LOQ", loq="0.1")]
    coop.test("H1", {"carbendazim": "0.1", "imidacloprid": "<LOQ"})
    coop.record(
        Role.LAB,
        ev(
            ResidueTest,
            lot=ref("H1"),
            sample_id="S2",
            lab="Lab",
            method="M",
            results=results,
            time=at(125),
        ),
    )
    verdicts = {r.substance: r for r in coop.projection.results(ref("H1")["gtin"], "H1")}
    assert verdicts["chlorpyrifos"].outcome == "not_assessable"
    assert verdicts["chlorpyrifos"].value == "<LOQ"
    assert verdicts["chlorpyrifos"].loq == "0.1"
    refused(coop, "release-requires-passed-tests", lambda: coop.release("H1"))


def test_every_verdict_names_its_rule_entry(coop: Coop) -> None:
    mrl_seq = coop.ledger.size() - 1  # the fixture appends the sample MRL table last
    coop.harvest()
    coop.test("H1")
    for verdict in coop.projection.results(ref("H1")["gtin"], "H1"):
        assert verdict.rule_seq == mrl_seq
        assert verdict.edition == "GB 2763-2026 SAMPLE"


def test_ship_requires_released(coop: Coop) -> None:
    coop.harvest()
    coop.test("H1")
    refused(coop, "ship-requires-released", lambda: coop.ship("SH1", ["H1"]))
    coop.release("H1")
    coop.ship("SH1", ["H1"])
    assert status(coop, "H1") is LotStatus.SHIPPED


def test_label_requires_released(coop: Coop) -> None:
    coop.harvest()
    with pytest.raises(LifecycleError, match="label-requires-released"):
        coop.projection.check_label(ref("H1")["gtin"], "H1")
    coop.test("H1")
    coop.release("H1")
    # Released but with no pre-cooling record: not labelled as compliant.
    with pytest.raises(LifecycleError, match="no pre-cooling record"):
        coop.projection.check_label(ref("H1")["gtin"], "H1")
    coop.cool("H1", minutes=40)
    coop.projection.check_label(ref("H1")["gtin"], "H1")


def test_receive_requires_shipped(coop: Coop) -> None:
    released(coop)
    coop.ship("SH1", ["H1"])
    receive = ev(Receiving, shipment="SH1", receiver="URUMQI-DC", time=at(600))
    coop.record(Role.LOGISTICS, receive)
    assert status(coop, "H1") is LotStatus.RECEIVED
    refused(coop, "receive-requires-shipped", lambda: coop.record(Role.LOGISTICS, receive))


def test_transport_excursion_holds_received_lot(coop: Coop) -> None:
    released(coop)
    coop.ship("SH1", ["H1"])
    readings = [{"time": at(300), "celsius": "5.5"}, {"time": at(400), "celsius": "7.5"}]
    coop.record(
        Role.LOGISTICS,
        ev(Receiving, shipment="SH1", receiver="URUMQI-DC", readings=readings, time=at(600)),
    )
    state = coop.projection.lot(ref("H1")["gtin"], "H1")
    assert state.status is LotStatus.ON_HOLD
    assert state.status_reason is not None
    assert "cold-chain-transport" in state.status_reason


def test_precool_excursion_holds_lot(coop: Coop) -> None:
    coop.harvest()
    coop.cool("H1", celsius="5", minutes=75)  # in band, but after the 60-minute deadline
    state = coop.projection.lot(ref("H1")["gtin"], "H1")
    assert state.status is LotStatus.ON_HOLD
    assert "cold-chain-precool" in (state.status_reason or "")


def test_precool_in_time_keeps_lot_active(coop: Coop) -> None:
    coop.harvest()
    coop.cool("H1", celsius="4.5", minutes=50)
    assert status(coop, "H1") is LotStatus.ACTIVE


def test_cool_only_before_shipping(coop: Coop) -> None:
    released(coop)
    coop.ship("SH1", ["H1"])
    error = refused(coop, "cool-only-before-shipping", lambda: coop.cool("H1", minutes=200))
    assert error.rule.startswith("cool-only-before-shipping")


def test_manual_hold_then_release(coop: Coop) -> None:
    coop.harvest()
    coop.test("H1")
    coop.record(Role.COOPERATIVE, ev(Hold, lot=ref("H1"), reason="inspection", time=at(130)))
    assert status(coop, "H1") is LotStatus.ON_HOLD
    refused(coop, "ship-requires-released", lambda: coop.ship("SH1", ["H1"]))
    coop.release("H1")
    assert status(coop, "H1") is LotStatus.RELEASED


def test_hold_only_movable_lots(coop: Coop) -> None:
    coop.harvest()
    coop.grade("H1", {"G1": ("super", "40", ["36"])})
    hold = ev(Hold, lot=ref("H1"), reason="consumed already", time=at(131))
    error = refused(coop, "hold-only-movable-lots", lambda: coop.record(Role.REGULATOR, hold))
    assert error.rule.startswith("hold-only-movable-lots")


def test_grade_consumes_input_and_refuses_a_second_grading(coop: Coop) -> None:
    coop.harvest()
    coop.grade("H1", {"G1": ("super", "40", ["36", "38.5"])})
    assert status(coop, "H1") is LotStatus.CONSUMED
    assert status(coop, "G1") is LotStatus.ACTIVE
    refused(
        coop,
        "grade-only-active-or-released",
        lambda: coop.grade("H1", {"G2": ("grade_1", "10", ["31"])}, minutes=95),
    )


def test_grade_refuses_size_outside_band(coop: Coop) -> None:
    coop.harvest()
    error = refused(
        coop, "grade-band", lambda: coop.grade("H1", {"G1": ("grade_1", "40", ["31", "35"])})
    )
    assert "35 mm is outside grade_1" in str(error)


def test_grade_refuses_more_output_than_input(coop: Coop) -> None:
    coop.harvest(quantity="10")
    error = refused(
        coop,
        "grading-conserves-mass",
        lambda: coop.grade("H1", {"G1": ("super", "6", ["36"]), "G2": ("grade_1", "5", ["31"])}),
    )
    assert error.rule.startswith("grading-conserves-mass")


def test_pack_only_active_or_released(coop: Coop) -> None:
    coop.harvest()
    coop.record(
        Role.PACKING_STATION,
        ev(Packing, unit_id="PAL-1", lots=[ref("H1")], site="PS1", time=at(60)),
    )
    coop.record(Role.REGULATOR, ev(Hold, lot=ref("H1"), reason="inspection", time=at(130)))
    pack = ev(Packing, unit_id="PAL-2", lots=[ref("H1")], site="PS1", time=at(140))
    error = refused(
        coop, "pack-only-active-or-released", lambda: coop.record(Role.PACKING_STATION, pack)
    )
    assert error.rule.startswith("pack-only-active-or-released")


def test_recalled_lot_accepts_nothing(coop: Coop) -> None:
    released(coop)
    coop.record(Role.COOPERATIVE, ev(Recall, lot=ref("H1"), reason="complaint", time=at(200)))
    assert status(coop, "H1") is LotStatus.RECALLED
    refused(
        coop,
        "recall-once",
        lambda: coop.record(
            Role.REGULATOR, ev(Recall, lot=ref("H1"), reason="again", time=at(201))
        ),
    )
    refused(coop, "test-not-after-recall", lambda: coop.test("H1", minutes=210))
    refused(
        coop,
        "release-only-active-or-held",
        lambda: coop.record(Role.COOPERATIVE, ev(Release, lot=ref("H1"), note="x", time=at(220))),
    )


def test_process_only_active_released_or_received(coop: Coop) -> None:
    coop.harvest()
    coop.record(Role.REGULATOR, ev(Hold, lot=ref("H1"), reason="inspection", time=at(130)))
    jam = ev(
        Processing,
        inputs=[ref("H1")],
        output=ref("J1", JAM),
        quantity="5",
        process="jam",
        time=at(140),
    )
    error = refused(
        coop,
        "process-only-active-released-or-received",
        lambda: coop.record(Role.PACKING_STATION, jam),
    )
    assert error.rule.startswith("process-only-active-released-or-received")


def test_product_commodity_cannot_change(coop: Coop) -> None:
    renamed = ev(Product, gtin=STRAWBERRY, commodity="strawberry", name="草莓 (bulk, 5 kg)")
    coop.record(Role.COOPERATIVE, renamed)
    moved = ev(Product, gtin=STRAWBERRY, commodity="jujube", name="红枣")
    error = refused(coop, "product-commodity-fixed", lambda: coop.record(Role.COOPERATIVE, moved))
    assert error.rule.startswith("product-commodity-fixed")


def test_lot_held_in_transit_arrives_still_held(coop: Coop) -> None:
    released(coop)
    coop.ship("SH1", ["H1"])
    coop.test("H1", {"chlorpyrifos": "0.3"}, minutes=200)  # fails while on the road
    assert status(coop, "H1") is LotStatus.ON_HOLD
    coop.record(Role.LOGISTICS, ev(Receiving, shipment="SH1", receiver="URUMQI-DC", time=at(600)))
    assert status(coop, "H1") is LotStatus.ON_HOLD


def test_a_lot_is_packed_once_per_unit(coop: Coop) -> None:
    coop.harvest()
    pack = ev(Packing, unit_id="PAL-1", lots=[ref("H1")], site="PS1", time=at(60))
    coop.record(Role.PACKING_STATION, pack)
    again = ev(Packing, unit_id="PAL-1", lots=[ref("H1")], site="PS1", time=at(61))
    error = refused(coop, "pack-once-per-unit", lambda: coop.record(Role.PACKING_STATION, again))
    assert error.rule.startswith("pack-once-per-unit")
