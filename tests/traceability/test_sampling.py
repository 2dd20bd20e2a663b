"""Sampling plans and independent labs (issue 14, docs/adr/0020).

A weekly plan that goes without a third-party sample blocks release and is listed by
``Projection.overdue_samples``; a residue result counts only when signed by a lab key that
enrolled itself and that a regulator approved; samples name who took them.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import jsonschema
import pytest
from sqlalchemy import select

from tests.traceability.conftest import LAB_ID, T0, Coop, at, ev, ref
from traceability import (
    LabApproval,
    LabEnrolment,
    LifecycleError,
    Release,
    ResidueTest,
    Role,
    RoleError,
    Sample,
    SamplingPlan,
    SubstanceResult,
    ValidationError,
)
from traceability.projection import _schema as t

DAY = 24 * 60  # minutes
STRAWBERRY = "06912345678902"


def plan(**kw: Any) -> SamplingPlan:
    fields: dict[str, Any] = {
        "plan": "SP-SB-WEEKLY",
        "gtin": STRAWBERRY,
        "every_days": 7,
        "analyses": ["pesticide_residues"],
        "time": at(-60),
    }
    return ev(SamplingPlan, **(fields | kw))


def sample(lot: str, minutes: float, sample_id: str = "SMP-1", **kw: Any) -> Sample:
    fields: dict[str, Any] = {
        "sample_id": sample_id,
        "lot": ref(lot),
        "taken_by": "lab",
        "lab": LAB_ID,
        "sampler": "Tursun Ali",
        "analyses": ["pesticide_residues"],
        "time": at(minutes),
    }
    return ev(Sample, **(fields | kw))


def residue(lot: str, minutes: float, sample_id: str) -> ResidueTest:
    values = {"chlorpyrifos": "<LOQ", "carbendazim": "0.1", "imidacloprid": "<LOQ"}
    results = [ev(SubstanceResult, substance=s, value=v, loq="0.01") for s, v in values.items()]
    return ev(
        ResidueTest,
        lot=ref(lot),
        sample_id=sample_id,
        lab="Kashgar Agri Testing Lab",
        method="GB 23200.113-2018",
        results=results,
        time=at(minutes),
    )


def release(lot: str, minutes: float) -> Release:
    return ev(Release, lot=ref(lot), note="tests passed", time=at(minutes))


def sampled_and_tested(coop: Coop, lot: str = "H1") -> None:
    """A harvest lot, pre-cooled and tested (a sample taken by the lab first)."""
    coop.harvest(lot)
    coop.cool(lot)
    coop.record(Role.LAB, sample(lot, 100, f"SMP-{lot}"))
    coop.record(Role.LAB, residue(lot, 120, f"SMP-{lot}"))


# --- the plan and the release gate ---------------------------------------------------------


def test_overdue_weekly_sample_blocks_release_and_raises_an_alert(coop: Coop) -> None:
    coop.record(Role.COOPERATIVE, plan())
    sampled_and_tested(coop)
    eight_days = 8 * DAY
    with pytest.raises(LifecycleError) as refused:
        coop.record(Role.COOPERATIVE, release("H1", eight_days))
    assert refused.value.key == "sampling-plan-overdue"
    assert refused.value.params["plan"] == "SP-SB-WEEKLY"
    assert refused.value.params["due"] == (T0 + timedelta(minutes=100, days=7)).isoformat()
    (alert,) = coop.projection.overdue_samples(T0 + timedelta(minutes=eight_days))
    assert (alert.plan, alert.gtin, alert.last_sample) == ("SP-SB-WEEKLY", STRAWBERRY, "SMP-H1")
    assert alert.days_overdue == 0  # due a day minus 100 minutes before
    # The cooperative's page reads the same list; after a new sample the alert is gone and
    # the release passes.
    coop.record(Role.LAB, sample("H1", eight_days + 10, "SMP-H1-B"))
    assert coop.projection.overdue_samples(T0 + timedelta(minutes=eight_days + 20)) == []
    coop.record(Role.COOPERATIVE, release("H1", eight_days + 20))
    assert coop.projection.lot(STRAWBERRY, "H1").status == "released"


def test_release_within_the_week_passes_and_nothing_is_overdue(coop: Coop) -> None:
    coop.record(Role.COOPERATIVE, plan())
    sampled_and_tested(coop)
    coop.record(Role.COOPERATIVE, release("H1", 5 * DAY))
    assert coop.projection.overdue_samples(T0 + timedelta(days=5)) == []
    (info,) = coop.projection.sampling_plans(T0 + timedelta(days=5))
    assert info.next_due == T0 + timedelta(minutes=100, days=7)


def test_a_plan_with_no_sample_yet_is_due_one_interval_after_it_starts(coop: Coop) -> None:
    coop.record(Role.COOPERATIVE, plan(every_days=2))
    coop.harvest("H1")
    coop.cool("H1")
    coop.test("H1")  # a result naming no recorded sample: the plan has no sample yet
    with pytest.raises(LifecycleError, match="sampling-plan-overdue"):
        coop.record(Role.COOPERATIVE, release("H1", 3 * DAY))
    (alert,) = coop.projection.overdue_samples(T0 + timedelta(days=3))
    assert alert.last_sample is None


def test_a_plan_for_another_farm_or_product_does_not_block(coop: Coop) -> None:
    coop.record(Role.COOPERATIVE, plan(plan="SP-P2", plot="YK-P2"))
    coop.record(Role.COOPERATIVE, plan(plan="SP-JAM", gtin="06912345678919"))
    sampled_and_tested(coop)
    coop.record(Role.COOPERATIVE, release("H1", 30 * DAY))
    assert {a.plan for a in coop.projection.overdue_samples(T0 + timedelta(days=30))} == {
        "SP-P2",
        "SP-JAM",
    }


def test_a_plan_of_the_lots_farm_blocks_its_graded_lots(coop: Coop) -> None:
    coop.record(Role.COOPERATIVE, plan(plan="SP-F1", farm="YK-F1", every_days=1))
    coop.harvest("H1")
    coop.cool("H1")
    coop.grade("H1", {"G1": ("super", "50", ["36"])})
    coop.test("G1")
    with pytest.raises(LifecycleError, match="sampling-plan-overdue"):
        coop.record(Role.COOPERATIVE, release("G1", 2 * DAY))


def test_a_sample_missing_an_analysis_does_not_count(coop: Coop) -> None:
    coop.record(Role.COOPERATIVE, plan(analyses=["pesticide_residues", "heavy_metals"]))
    sampled_and_tested(coop)
    with pytest.raises(LifecycleError, match="sampling-plan-overdue"):
        coop.record(Role.COOPERATIVE, release("H1", 8 * DAY))


def test_an_ended_plan_no_longer_blocks(coop: Coop) -> None:
    coop.record(Role.COOPERATIVE, plan(ends=at(2 * DAY)))
    sampled_and_tested(coop)
    coop.record(Role.COOPERATIVE, release("H1", 9 * DAY))


def test_a_plan_for_an_unknown_product_or_plot_is_refused(coop: Coop) -> None:
    with pytest.raises(ValidationError, match="gtin"):
        coop.record(Role.COOPERATIVE, plan(gtin="06912345678926"))
    with pytest.raises(ValidationError, match="plot"):
        coop.record(Role.COOPERATIVE, plan(plot="NOPE"))
    with pytest.raises(ValidationError, match="a farm or a plot"):
        plan(farm="YK-F1", plot="YK-P1")


def test_only_the_cooperative_or_the_regulator_states_a_plan(coop: Coop) -> None:
    with pytest.raises(RoleError):
        coop.record(Role.PACKING_STATION, plan())
    coop.record(Role.REGULATOR, plan())


# --- labs are independent parties ----------------------------------------------------------


def test_lab_result_signed_with_a_key_the_cooperative_registered_for_itself_is_refused(
    coop: Coop,
) -> None:
    coop.harvest("H1")
    # The cooperative registers a key with the lab role and signs results with it.
    own = coop.world.actor("our-lab", ("lab",)).key
    with pytest.raises(RoleError, match="approved"):
        coop.recorder.record(residue("H1", 120, "S-1"), own)
    # Enrolling it itself is not enough: only a regulator's approval makes a lab's key.
    coop.recorder.record(
        ev(LabEnrolment, lab="OUR-LAB", name="Our lab", accreditation="219999999999", time=at(0)),
        own,
    )
    with pytest.raises(RoleError, match="approved"):
        coop.recorder.record(residue("H1", 120, "S-1"), own)
    # Nor can the cooperative approve it.
    from ledger import key_id_for

    own_id = key_id_for(own.public_key().public_bytes_raw())
    approval = ev(LabApproval, lab="OUR-LAB", key_id=own_id, time=at(1))
    with pytest.raises(RoleError):
        coop.record(Role.COOPERATIVE, approval)
    assert coop.projection.results(STRAWBERRY, "H1") == ()


def test_a_key_with_the_cooperative_role_cannot_enrol_as_a_lab(coop: Coop) -> None:
    both = coop.world.actor("coop-and-lab", ("cooperative", "lab")).key
    enrolment = ev(LabEnrolment, lab="X", name="X lab", accreditation="218888888888", time=at(0))
    with pytest.raises(RoleError, match="lab role only"):
        coop.recorder.record(enrolment, both)


def test_a_lab_is_recorded_once_and_a_key_enrols_once(coop: Coop) -> None:
    second = coop.world.actor("lab-2", ("lab",)).key
    renamed = ev(LabEnrolment, lab=LAB_ID, name="Other", accreditation="211234567890", time=at(0))
    with pytest.raises(ValidationError, match="name"):
        coop.recorder.record(renamed, second)
    again = ev(LabEnrolment, lab="KS-LAB2", name="Lab 2", accreditation="212222222222", time=at(0))
    with pytest.raises(ValidationError, match="not enrolled before"):
        coop.record(Role.LAB, again)


def test_approval_names_an_enrolment_and_comes_once(coop: Coop) -> None:
    lab_id = coop.projection.labs()[0].key_id
    with pytest.raises(ValidationError, match="not approved yet"):
        coop.record(Role.REGULATOR, ev(LabApproval, lab=LAB_ID, key_id=lab_id, time=at(0)))
    with pytest.raises(ValidationError, match="enrolled for lab OTHER"):
        coop.record(Role.REGULATOR, ev(LabApproval, lab="OTHER", key_id=lab_id, time=at(0)))


def test_every_result_names_the_lab_party_the_sample_and_who_took_it(coop: Coop) -> None:
    sampled_and_tested(coop)
    with coop.ledger.engine.connect() as conn:
        (source,) = conn.execute(select(t.result_sources)).all()
    assert (source.lab, source.sample_id, source.taken_by, source.sampler) == (
        LAB_ID,
        "SMP-H1",
        "lab",
        "Tursun Ali",
    )
    (line,) = coop.projection.samples(STRAWBERRY, "H1")
    assert (line.taken_by, line.lab_name, len(line.result_seqs)) == (
        "lab",
        "Kashgar Agri Testing Lab",
        1,
    )


# --- samples -------------------------------------------------------------------------------


def test_regulator_pre_sampling_is_recorded_as_such_and_shown(coop: Coop) -> None:
    coop.harvest("H1")
    coop.cool("H1")
    pre = sample("H1", 60, "REG-1", taken_by="regulator", sampler="市场监管局 王明")
    coop.record(Role.REGULATOR, pre)
    coop.record(Role.LAB, residue("H1", 120, "REG-1"))
    (line,) = coop.projection.samples(STRAWBERRY, "H1")
    assert (line.taken_by, line.sampler, line.actor) == (
        "regulator",
        "市场监管局 王明",
        "regulator-1",
    )
    with coop.ledger.engine.connect() as conn:
        (source,) = conn.execute(select(t.result_sources)).all()
    assert source.taken_by == "regulator"


def test_the_cooperative_cannot_take_a_third_party_sample(coop: Coop) -> None:
    coop.harvest("H1")
    with pytest.raises(RoleError):
        coop.record(Role.COOPERATIVE, sample("H1", 60))
    # A lab key cannot claim the regulator's pre-sampling, nor another lab's sample.
    with pytest.raises(RoleError, match="regulator"):
        coop.record(Role.LAB, sample("H1", 60, taken_by="regulator"))
    with pytest.raises(ValidationError, match="signing lab"):
        coop.record(Role.LAB, sample("H1", 60, lab="OTHER-LAB"))


def test_a_sample_is_recorded_once_and_results_match_its_lot(coop: Coop) -> None:
    coop.harvest("H1")
    coop.harvest("H2", minutes=5)
    coop.record(Role.LAB, sample("H1", 60))
    with pytest.raises(ValidationError, match="not recorded before"):
        coop.record(Role.LAB, sample("H2", 61))
    with pytest.raises(ValidationError, match="a sample of lot H2"):
        coop.record(Role.LAB, residue("H2", 120, "SMP-1"))
    with pytest.raises(ValidationError, match="at or after the sample"):
        coop.record(Role.LAB, residue("H1", 30, "SMP-1"))


def test_a_result_from_an_unapproved_key_written_straight_into_the_ledger_is_an_anomaly(
    coop: Coop,
) -> None:
    coop.harvest("H1")
    rogue = coop.world.actor("rogue-lab", ("lab",))
    statement = rogue.sign(ResidueTest.KIND, residue("H1", 120, "S-9").to_body())
    coop.ledger.append(statement)  # around the recorder: the ledger only checks signatures
    coop.projection.catch_up()
    with coop.ledger.engine.connect() as conn:
        anomalies = conn.execute(select(t.anomalies)).all()
    assert any("approved" in a.error for a in anomalies)
    assert coop.projection.results(STRAWBERRY, "H1") == ()


def test_overdue_decisions_replay_the_same_after_reindex(coop: Coop) -> None:
    from traceability import reindex

    coop.record(Role.COOPERATIVE, plan())
    sampled_and_tested(coop)
    coop.record(Role.COOPERATIVE, release("H1", 2 * DAY))
    before = coop.projection.sampling_plans(T0 + timedelta(days=20))
    reindex(coop.ledger)
    assert coop.projection.sampling_plans(T0 + timedelta(days=20)) == before
    assert coop.projection.lot(STRAWBERRY, "H1").status == "released"


# --- EPCIS ---------------------------------------------------------------------------------


def test_samples_labs_and_plans_export_to_epcis_and_validate(coop: Coop) -> None:
    from tests.traceability.test_epcis import SCHEMA, errors

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(
        schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )
    coop.record(Role.COOPERATIVE, plan(farm="YK-F1"))
    coop.harvest("H1")
    coop.cool("H1")
    pre = sample("H1", 60, "REG-1", taken_by="regulator", sampler="市场监管局 王明")
    coop.record(Role.REGULATOR, pre)
    coop.record(Role.LAB, residue("H1", 120, "REG-1"))
    document = coop.epcis(gtin=STRAWBERRY, lot="H1")
    assert errors(validator, document) == []
    events = document["epcisBody"]["eventList"]
    (sampled,) = [e for e in events if e.get("bizStep") == "sampling"]
    assert (sampled["agt:sampleID"], sampled["agt:takenBy"]) == ("REG-1", "regulator")
    (tested,) = [e for e in events if e.get("bizStep") == "inspecting"]
    assert tested["agt:takenBy"] == "regulator"
    assert tested["agt:labParty"].endswith(f"/party/{LAB_ID}")
    vocabularies = {
        v["type"]: v["vocabularyElementList"]
        for v in document["epcisHeader"]["epcisMasterData"]["vocabularyList"]
    }
    parties = [p["id"] for p in vocabularies["urn:epcglobal:epcis:vtype:Party"]]
    assert any(p.endswith(f"/party/{LAB_ID}") for p in parties)
    (plan_element,) = next(v for k, v in vocabularies.items() if k.endswith("/voc/SamplingPlan"))
    assert plan_element["id"].endswith("/plan/SP-SB-WEEKLY")


def test_a_lab_enrols_and_reports_with_statements_it_signed_itself(coop: Coop) -> None:
    from ledger import key_id_for

    coop.harvest("H1")
    lab = coop.world.actor("urumqi-lab", ("lab",))  # the cooperative holds only its public key
    enrolment = ev(
        LabEnrolment, lab="URC-LAB", name="Urumqi lab", accreditation="236500000002", time=at(1)
    )
    coop.recorder.record_signed([lab.sign(LabEnrolment.KIND, enrolment.to_body())])
    lab_id = key_id_for(lab.public_key)
    coop.record(Role.REGULATOR, ev(LabApproval, lab="URC-LAB", key_id=lab_id, time=at(2)))
    taken = sample("H1", 60, "URC-1", lab="URC-LAB")
    result = residue("H1", 120, "URC-1")
    coop.recorder.record_signed(
        [lab.sign(Sample.KIND, taken.to_body()), lab.sign(ResidueTest.KIND, result.to_body())]
    )
    (line,) = coop.projection.samples(STRAWBERRY, "H1")
    assert (line.lab, line.lab_name, len(line.result_seqs)) == ("URC-LAB", "Urumqi lab", 1)


def test_in_a_batch_a_sample_before_the_release_counts_and_one_after_does_not(coop: Coop) -> None:
    from traceability import BatchError

    coop.record(Role.COOPERATIVE, plan())
    sampled_and_tested(coop)
    late = 9 * DAY
    lab, cooperative = coop.keys[Role.LAB], coop.keys[Role.COOPERATIVE]
    with pytest.raises(BatchError) as refused:
        coop.recorder.record_batch(
            [(release("H1", late), cooperative), (sample("H1", late + 5, "SMP-L"), lab)]
        )
    assert refused.value.index == 0
    assert "sampling-plan-overdue" in str(refused.value.error)
    coop.recorder.record_batch(
        [(sample("H1", late - 5, "SMP-L"), lab), (release("H1", late), cooperative)]
    )
    assert coop.projection.lot(STRAWBERRY, "H1").status == "released"
