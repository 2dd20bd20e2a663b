"""Bad input gets a clear error naming the field, and nothing is appended."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger import KEY_REVOKE, revoke_body
from tests.traceability.conftest import STRAWBERRY, Coop, at, ev, ref
from traceability import (
    Harvest,
    InputApplication,
    LifecycleError,
    Packing,
    Release,
    ResidueTest,
    Role,
    RoleError,
    Shipping,
    TraceError,
    ValidationError,
)


def nothing_appended(coop: Coop, error: type[TraceError], step: Callable[[], Any]) -> TraceError:
    size = coop.ledger.size()
    with pytest.raises(error) as caught:
        step()
    assert coop.ledger.size() == size
    return caught.value


def harvest_fields(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "lot": ref("H1"),
        "plot": "YK-P1",
        "variety": "Hongyan",
        "quantity": "100",
        "time": at(0),
    }
    return fields | changes


@pytest.mark.parametrize(
    ("changes", "field", "got"),
    [
        ({"lot": ref("H1", gtin="06912345678903")}, "lot.gtin", "06912345678903"),
        ({"lot": ref("H1", gtin="6912345")}, "lot.gtin", "6912345"),
        ({"lot": ref("KS 2026")}, "lot.lot", "KS 2026"),
        ({"lot": ref("KS-2026-0001-TOO-LONG-X")}, "lot.lot", "KS-2026-0001-TOO-LONG-X"),
        ({"lot": ref("草莓")}, "lot.lot", "草莓"),
        ({"quantity": "-5"}, "quantity", "-5"),
        ({"quantity": "0"}, "quantity", "0"),
        ({"quantity": 5.5}, "quantity", 5.5),
        ({"quantity": "1e3"}, "quantity", "1e3"),
        ({"time": "2099-06-01T08:00:00+08:00"}, "time", "2099-06-01T08:00:00+08:00"),
        ({"time": "2026-06-01T08:00:00"}, "time", "2026-06-01T08:00:00"),
        ({"plot": "plot 1"}, "plot", "plot 1"),
        ({"colour": "red"}, "colour", "red"),
    ],
)
def test_malformed_harvest_names_field_expected_and_got(
    changes: dict[str, Any], field: str, got: object
) -> None:
    with pytest.raises(ValidationError) as caught:
        ev(Harvest, **harvest_fields(**changes))
    assert caught.value.field == field
    assert caught.value.got == got
    assert str(caught.value).startswith(f"{field}: expected ")


def test_missing_field_is_named() -> None:
    fields = harvest_fields()
    del fields["variety"]
    with pytest.raises(
        ValidationError, match=r"^variety: expected a value \(the field is required\), got None$"
    ):
        ev(Harvest, **fields)


def test_residue_value_below_loq_must_be_written_as_loq() -> None:
    result = {"substance": "chlorpyrifos", "value": "0", "loq": "0.01"}
    with pytest.raises(ValidationError) as caught:
        ev(
            ResidueTest,
            lot=ref("H1"),
            sample_id="S1",
            lab="L",
            method="M",
            results=[result],
            time=at(1),
        )
    assert caught.value.field == "results[0].value"


def test_unknown_gtin_is_refused_and_nothing_appended(coop: Coop) -> None:
    unknown = "06912345678926"  # valid check digit, never registered
    error = nothing_appended(coop, ValidationError, lambda: coop.harvest(gtin=unknown))
    assert "trace.product" in str(error)


def test_unknown_plot_is_refused(coop: Coop) -> None:
    error = nothing_appended(coop, ValidationError, lambda: coop.harvest(plot="NO-SUCH-PLOT"))
    assert "NO-SUCH-PLOT" in str(error)


def test_event_on_unknown_lot_is_refused(coop: Coop) -> None:
    error = nothing_appended(coop, ValidationError, lambda: coop.test("NEVER-HARVESTED"))
    assert "NEVER-HARVESTED" in str(error)


def test_result_from_non_lab_key_is_refused(coop: Coop) -> None:
    coop.harvest()
    event = ev(
        ResidueTest,
        lot=ref("H1"),
        sample_id="S1",
        lab="Kashgar Agri Testing Lab",
        method="M",
        results=[{"substance": "chlorpyrifos", "value": "<LOQ", "loq": "0.01"}],
        time=at(60),
    )
    for role in (Role.PACKING_STATION, Role.COOPERATIVE, Role.REGULATOR):
        error = nothing_appended(coop, RoleError, partial(coop.record, role, event))
        assert "role lab" in str(error)


def test_only_the_cooperative_releases(coop: Coop) -> None:
    coop.harvest()
    coop.test("H1")
    release = ev(Release, lot=ref("H1"), note="ok", time=at(150))
    for role in (Role.LAB, Role.PACKING_STATION):
        error = nothing_appended(coop, RoleError, partial(coop.record, role, release))
        assert "trace.release" in str(error)
    # The regulator's release is a decision that lifts holds, never a release for sale.
    error = nothing_appended(coop, LifecycleError, partial(coop.record, Role.REGULATOR, release))
    assert "regulator-release-lifts-holds" in str(error)


def test_unregistered_key_is_refused(coop: Coop) -> None:
    stranger = Ed25519PrivateKey.generate()
    event = ev(Harvest, **harvest_fields())
    size = coop.ledger.size()
    with pytest.raises(RoleError, match="not registered"):
        coop.recorder.record(event, stranger)
    assert coop.ledger.size() == size


def test_revoked_lab_key_is_refused(coop: Coop) -> None:
    coop.harvest()
    lab = coop.keys[Role.LAB]
    from ledger import key_id_for

    key_id = key_id_for(lab.public_key().public_bytes_raw())
    coop.ledger.append(coop.world.root.sign(KEY_REVOKE, revoke_body(key_id, "lost tablet")))
    error = nothing_appended(coop, RoleError, lambda: coop.test("H1"))
    assert key_id in str(error)


def test_pre_harvest_interval_not_respected_refuses_harvest(coop: Coop) -> None:
    spray = ev(
        InputApplication,
        plot="YK-P1",
        category="pesticide",
        product_name="Imida 20SL",
        active_substance="imidacloprid",
        dose="0.3",
        dose_unit="l/ha",
        time="2026-05-28T07:00:00+08:00",
        operator="Aysha Tursun",
    )
    coop.record(Role.GROWER, spray)
    error = nothing_appended(coop, LifecycleError, lambda: coop.harvest())
    assert isinstance(error, LifecycleError)
    assert error.rule.startswith("pre-harvest-interval (profile entry ")
    assert "imidacloprid" in str(error)
    coop.harvest(plot="YK-P2")  # the other plot was not sprayed


def test_pre_harvest_interval_respected_allows_harvest(coop: Coop) -> None:
    spray = ev(
        InputApplication,
        plot="YK-P1",
        category="pesticide",
        product_name="Imida 20SL",
        active_substance="imidacloprid",
        dose="0.3",
        dose_unit="l/ha",
        time="2026-05-20T07:00:00+08:00",
        operator="Aysha Tursun",
    )
    coop.record(Role.GROWER, spray)
    size = coop.ledger.size()
    coop.harvest()
    assert coop.ledger.size() == size + 1
    assert coop.projection.lot(STRAWBERRY, "H1").status == "active"


def test_pesticide_without_listed_interval_is_not_a_silent_pass(coop: Coop) -> None:
    spray = ev(
        InputApplication,
        plot="YK-P1",
        category="pesticide",
        product_name="Unknown EC",
        active_substance="bifenthrin",
        dose="0.1",
        dose_unit="l/ha",
        time="2026-03-01T07:00:00+08:00",
        operator="Aysha Tursun",
    )
    coop.record(Role.GROWER, spray)
    error = nothing_appended(coop, LifecycleError, lambda: coop.harvest())
    assert "no pre-harvest interval listed for bifenthrin" in str(error)


def test_repeated_lot_in_a_shipment_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        ev(
            Shipping,
            shipment="SH1",
            lots=[ref("G1"), ref("G1")],
            origin="PS1",
            destination="DC",
            time=at(5),
        )
    assert caught.value.field == "lots[1]"


def test_two_results_for_one_substance_in_one_test_are_refused() -> None:
    results = [
        {"substance": "chlorpyrifos", "value": "<LOQ", "loq": "0.01"},
        {"substance": "Chlorpyrifos", "value": "0.2", "loq": "0.01"},
    ]
    with pytest.raises(ValidationError) as caught:
        ev(
            ResidueTest,
            lot=ref("H1"),
            sample_id="S1",
            lab="L",
            method="M",
            results=results,
            time=at(1),
        )
    assert caught.value.field == "results[1]"


def test_unknown_grade_names_the_output(coop: Coop) -> None:
    coop.harvest()
    error = nothing_appended(
        coop, ValidationError, lambda: coop.grade("H1", {"G1": ("extra", "10", ["40"])})
    )
    assert isinstance(error, ValidationError)
    assert error.field == "outputs[0].grade"


def test_core_reading_before_harvest_is_refused(coop: Coop) -> None:
    coop.harvest(minutes=60)
    error = nothing_appended(coop, ValidationError, lambda: coop.cool("H1", minutes=30))
    assert isinstance(error, ValidationError)
    assert error.field == "readings"


def test_serial_with_forbidden_character_is_refused() -> None:
    unit = {"gtin": "06912345678902", "lot": "H1", "serial": "A B"}
    with pytest.raises(ValidationError) as caught:
        ev(Packing, unit_id="PAL-1", lots=[ref("H1")], units=[unit], site="PS1", time=at(1))
    assert caught.value.field == "units[0].serial"


def test_unit_of_a_lot_not_in_the_unit_is_refused() -> None:
    unit = {"gtin": "06912345678902", "lot": "H2", "serial": "0001"}
    with pytest.raises(ValidationError) as caught:
        ev(Packing, unit_id="PAL-1", lots=[ref("H1")], units=[unit], site="PS1", time=at(1))
    assert caught.value.field == "units[0]"


def test_grower_may_record_only_on_own_farm(coop: Coop) -> None:
    neighbour = coop.world.actor("grower-2", ("grower",)).key
    spray = ev(
        InputApplication,
        plot="YK-P1",
        category="fertiliser",
        product_name="Urea",
        active_substance="urea",
        dose="100",
        dose_unit="kg/ha",
        time="2026-05-01T07:00:00+08:00",
        operator="Neighbour",
    )
    error = nothing_appended(coop, RoleError, lambda: coop.recorder.record(spray, neighbour))
    assert "belongs to farm YK-F1" in str(error)
    coop.record(Role.GROWER, spray)  # the farm's own grower
    coop.record(Role.COOPERATIVE, spray)  # the cooperative records for its members
