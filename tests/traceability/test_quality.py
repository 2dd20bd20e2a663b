"""Commodity profiles beyond strawberries (issue 14): qualification, quality thresholds, kinds.

Jujubes grade by count per kg with Brix thresholds, walnuts by size with mycotoxin and heavy
metal analyses, honey by quality alone with veterinary drugs; none of them has a cold chain.
A harvest needs a qualified grower; the grading refuses a grade whose thresholds a reading
misses. Every control is tried by the wrong actor, out of order, twice, and in the database.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import jsonschema
import pytest
from sqlalchemy import insert, update

from tests.traceability.conftest import DATA, Coop, at, ev
from traceability import (
    Assessment,
    Farm,
    GradedLot,
    Grading,
    Harvest,
    InputApplication,
    LifecycleError,
    Product,
    Release,
    ResidueTest,
    Role,
    RoleError,
    SubstanceResult,
    Training,
    ValidationError,
    check_projection,
    derive_analyses,
    import_epcis,
    load_profile,
)
from traceability.projection import _schema as t

JUJUBE = "06912345678933"
WALNUT = "06912345678940"
HONEY = "06912345678957"
C, P, L = Role.COOPERATIVE, Role.PACKING_STATION, Role.LAB


def lot(code: str, gtin: str) -> dict[str, str]:
    return {"gtin": gtin, "lot": code}


@pytest.fixture(params=["sqlite", "postgresql"])
def farm(request: pytest.FixtureRequest, make_coop: Callable[[str], Coop], sqlite_url: str) -> Coop:
    """The cooperative with jujube, walnut and honey products, profiles and a second farm.

    On SQLite and on PostgreSQL (the new tables and their queries on both engines).
    """
    url = sqlite_url if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    coop = make_coop(url)
    for gtin, commodity, name in (
        (JUJUBE, "jujube", "红枣"),
        (WALNUT, "walnut", "核桃"),
        (HONEY, "honey", "蜂蜜"),
    ):
        coop.record(C, ev(Product, gtin=gtin, commodity=commodity, name=name))
        coop.record(C, load_profile(DATA / f"{commodity}.toml"))
    coop.record(
        C,
        ev(
            Farm,
            farm="KS-F2",
            grower="Memet Ali",
            village="Beshkent",
            county="Shufu",
            plots=["KS-P7", "KS-AP1"],
        ),
    )
    return coop


def assess(coop: Coop, outcome: str = "pass", **kw: Any) -> int:
    fields: dict[str, Any] = {
        "farm": "KS-F2",
        "grower": "Memet Ali",
        "assessment": "GAP-2026-017",
        "topic": "gap_basics",
        "outcome": outcome,
        "assessor": "Kashgar agricultural extension station",
        "time": at(-60 * 24 * 30),
    }
    if outcome == "pass":
        fields["valid_until"] = "2027-03-31"
    return coop.record(C, ev(Assessment, **(fields | kw)))


def harvest(coop: Coop, code: str, gtin: str, plot: str = "KS-P7", minutes: float = 0) -> int:
    return coop.record(
        P,
        ev(
            Harvest,
            lot=lot(code, gtin),
            plot=plot,
            variety="Junzao",
            quantity="500",
            time=at(minutes),
        ),
    )


def grade(coop: Coop, source: str, gtin: str, outputs: list[dict[str, Any]]) -> int:
    graded = [ev(GradedLot, **({"quantity": "100"} | o)) for o in outputs]
    return coop.record(
        P, ev(Grading, input=lot(source, gtin), outputs=graded, site="PS1", time=at(90))
    )


def lab_results(coop: Coop, code: str, gtin: str, values: dict[str, str]) -> int:
    results = [ev(SubstanceResult, substance=s, value=v, loq="0.0001") for s, v in values.items()]
    return coop.record(
        L,
        ev(
            ResidueTest,
            lot=lot(code, gtin),
            sample_id=f"S-{code}",
            lab="Xinjiang Product Quality Inspection Institute",
            method="GB 5009.22 / GB 31658",
            results=results,
            time=at(120),
        ),
    )


def refused(call: Callable[[], object]) -> LifecycleError:
    with pytest.raises(LifecycleError) as caught:
        call()
    return caught.value


# --- grower qualification --------------------------------------------------------------------


def test_harvest_by_a_never_assessed_grower_is_refused_naming_the_grower(farm: Coop) -> None:
    size = farm.ledger.size()
    error = refused(lambda: harvest(farm, "J1", JUJUBE))
    assert error.key == "grower-qualified/none"
    assert error.params["grower"] == "Memet Ali"
    assert error.params["topic"] == "gap_basics"
    assert farm.ledger.size() == size  # nothing appended


def test_harvest_after_a_failed_assessment_names_it(farm: Coop) -> None:
    assess(farm)
    assess(farm, "fail", assessment="GAP-2026-031", time=at(-60 * 24))
    error = refused(lambda: harvest(farm, "J1", JUJUBE))
    assert error.key == "grower-qualified/failed"
    assert error.params["assessment"] == "GAP-2026-031"
    assert "Memet Ali" in str(error)
    assert "GAP-2026-031" in str(error)


def test_harvest_after_the_assessment_expired_names_it_and_the_day(farm: Coop) -> None:
    assess(farm, valid_until="2026-05-31")  # the harvest is on 2026-06-01
    error = refused(lambda: harvest(farm, "J1", JUJUBE))
    assert error.key == "grower-qualified/expired"
    assert (error.params["assessment"], error.params["day"]) == ("GAP-2026-017", "2026-05-31")


def test_a_pass_on_its_last_day_qualifies_and_the_harvest_is_recorded(farm: Coop) -> None:
    assess(farm, valid_until="2026-06-01")
    harvest(farm, "J1", JUJUBE)
    assert farm.projection.lot(JUJUBE, "J1").status.value == "active"


def test_an_assessment_recorded_after_the_harvest_time_does_not_qualify_it(farm: Coop) -> None:
    assess(farm, time=at(30))  # assessed half an hour after the fruit was picked
    assert refused(lambda: harvest(farm, "J1", JUJUBE)).key == "grower-qualified/none"


def test_a_pass_on_another_topic_does_not_qualify(farm: Coop) -> None:
    assess(farm, topic="beekeeping_basics")
    assert refused(lambda: harvest(farm, "J1", JUJUBE)).key == "grower-qualified/none"
    harvest(farm, "HN1", HONEY, plot="KS-AP1")  # honey asks for exactly that topic


def test_only_the_cooperative_records_assessments(farm: Coop) -> None:
    for role in (Role.GROWER, Role.PACKING_STATION, Role.LAB):
        with pytest.raises(RoleError):
            farm.record(role, ev(Assessment, **_assessment_body()))


def _assessment_body() -> dict[str, Any]:
    return {
        "farm": "KS-F2",
        "grower": "Memet Ali",
        "assessment": "GAP-1",
        "topic": "gap_basics",
        "outcome": "pass",
        "valid_until": "2027-01-01",
        "assessor": "x",
        "time": at(-10),
    }


def test_an_assessment_for_someone_the_farm_does_not_register_is_refused(farm: Coop) -> None:
    with pytest.raises(ValidationError, match=r"^grower: expected the grower farm KS-F2"):
        assess(farm, grower="Somebody Else")
    with pytest.raises(ValidationError, match=r"^farm: expected a farm registered"):
        assess(farm, farm="NO-SUCH")


def test_a_pass_without_a_term_or_ending_before_it_began_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"^valid_until"):
        ev(Assessment, **(_assessment_body() | {"valid_until": None}))
    with pytest.raises(ValidationError, match=r"^valid_until"):
        ev(Assessment, **(_assessment_body() | {"valid_until": "2026-01-01"}))


def test_an_assessment_written_straight_into_the_database_is_reported_as_drift(
    farm: Coop,
) -> None:
    with farm.ledger.engine.begin() as conn:
        conn.execute(
            insert(t.assessments),
            {
                "seq": 999_999,
                "farm": "KS-F2",
                "grower": "Memet Ali",
                "assessment": "FORGED",
                "topic": "gap_basics",
                "outcome": "pass",
                "valid_until": "2099-01-01",
                "assessor": "nobody",
                "time": at(-100),
            },
        )
    report = check_projection(farm.ledger)
    assert report.verdict == "drift"
    assert any(d.table == "trace_assessments" for d in report.drifts), report.drifts


def test_training_records_are_kept_and_counted_on_the_lot(farm: Coop) -> None:
    farm.record(
        C,
        ev(
            Training,
            farm="KS-F2",
            grower="Memet Ali",
            course="Integrated pest management for jujubes",
            hours="6",
            trainer="Yarkant extension station",
            time=at(-60 * 24 * 40),
        ),
    )
    assess(farm)
    harvest(farm, "J1", JUJUBE)
    (line,) = farm.projection.quality(JUJUBE, "J1").qualifications
    assert (line.grower, line.topic, line.outcome, line.trainings) == (
        "Memet Ali",
        "gap_basics",
        "pass",
        1,
    )


# --- quality thresholds per grade -------------------------------------------------------------


def _jujube(code: str, grade_name: str, counts: list[str], brix: str) -> dict[str, Any]:
    return {
        "lot": lot(code, JUJUBE),
        "grade": grade_name,
        "measures": counts,
        "quality": [
            {"indicator": "brix", "value": brix},
            {"indicator": "moisture", "value": "22"},
            {"indicator": "defects", "value": "1"},
        ],
    }


def test_brix_below_the_grade_threshold_refuses_that_grade(farm: Coop) -> None:
    assess(farm)
    harvest(farm, "J1", JUJUBE)
    size = farm.ledger.size()
    error = refused(lambda: grade(farm, "J1", JUJUBE, [_jujube("J1S", "super", ["95"], "26.5")]))
    assert error.key == "grade-quality"
    assert error.params["indicator"] == "brix"
    assert error.params["value"] == "26.5 °Bx"
    assert error.params["needs"] == ">= 28 °Bx"
    assert farm.ledger.size() == size
    # The same fruit is grade_1 (Brix >= 25): accepted, with the reading kept.
    grade(farm, "J1", JUJUBE, [_jujube("J1A", "grade_1", ["110"], "26.5")])
    brix = [m for m in farm.projection.quality(JUJUBE, "J1A").measurements if m.indicator == "brix"]
    assert [(m.value, m.unit, m.needs) for m in brix] == [("26.5", "°Bx", ">= 25 °Bx")]


def test_a_grade_with_a_threshold_and_no_reading_is_refused(farm: Coop) -> None:
    assess(farm)
    harvest(farm, "J1", JUJUBE)
    out = _jujube("J1S", "super", ["95"], "30") | {
        "quality": [{"indicator": "moisture", "value": "20"}]
    }
    error = refused(lambda: grade(farm, "J1", JUJUBE, [out]))
    assert error.key == "grade-quality/missing"
    assert error.params["indicator"] == "brix"


def test_a_count_outside_the_grade_band_is_refused_in_its_unit(farm: Coop) -> None:
    assess(farm)
    harvest(farm, "J1", JUJUBE)
    error = refused(lambda: grade(farm, "J1", JUJUBE, [_jujube("J1S", "super", ["120"], "30")]))
    assert error.key == "grade-band"
    assert error.params["unit"] == "/kg"


def test_a_count_graded_lot_without_counts_is_refused_naming_the_field(farm: Coop) -> None:
    assess(farm)
    harvest(farm, "J1", JUJUBE)
    out = _jujube("J1S", "super", ["95"], "30") | {"measures": None, "sizes_mm": ["40"]}
    with pytest.raises(ValidationError, match=r"^outputs\[0\]\.measures"):
        grade(farm, "J1", JUJUBE, [out])


def test_a_reading_of_an_undeclared_indicator_is_refused(farm: Coop) -> None:
    assess(farm)
    harvest(farm, "J1", JUJUBE)
    out = _jujube("J1P", "processing", ["200"], "30")
    out["quality"] = [{"indicator": "firmness", "value": "3"}]
    with pytest.raises(ValidationError, match=r"^quality\[0\]\.indicator"):
        grade(farm, "J1", JUJUBE, [out])


def test_a_grading_twice_of_the_same_lot_is_refused(farm: Coop) -> None:
    assess(farm)
    harvest(farm, "J1", JUJUBE)
    grade(farm, "J1", JUJUBE, [_jujube("J1A", "grade_1", ["110"], "26")])
    error = refused(lambda: grade(farm, "J1", JUJUBE, [_jujube("J1B", "grade_1", ["110"], "26")]))
    assert error.key == "grade-only-active-or-released"


def test_a_threshold_naming_an_undeclared_indicator_is_refused_at_load() -> None:
    body = load_profile(DATA / "jujube.toml").to_body()
    body["grades"][0]["thresholds"] = [{"indicator": "sweetness", "min": "1"}]
    with pytest.raises(ValidationError, match="sweetness"):
        type(load_profile(DATA / "jujube.toml")).from_body(body)


def test_a_precool_stage_without_limits_is_refused_at_load() -> None:
    body = load_profile(DATA / "walnut.toml").to_body() | {"cold_chain_stages": ["precool"]}
    with pytest.raises(ValidationError, match=r"^precool_min_celsius"):
        type(load_profile(DATA / "walnut.toml")).from_body(body)


# --- walnut and honey lots from harvest to release, no cold chain ---------------------------


def test_a_walnut_lot_goes_from_harvest_to_release_without_a_cold_chain(farm: Coop) -> None:
    assess(farm)
    harvest(farm, "W1", WALNUT)
    out = {
        "lot": lot("W1S", WALNUT),
        "grade": "super",
        "sizes_mm": ["35", "36.5"],
        "quality": [
            {"indicator": "moisture", "value": "7"},
            {"indicator": "defects", "value": "2"},
        ],
    }
    grade(farm, "W1", WALNUT, [out])
    lab_results(
        farm, "W1S", WALNUT, {"carbendazim": "<LOQ", "aflatoxin_b1": "0.002", "lead": "0.05"}
    )
    farm.record(C, ev_release("W1S", WALNUT))
    assert farm.projection.lot(WALNUT, "W1S").status.value == "released"
    kinds = {
        g.kind: [r.substance for r in g.results]
        for g in farm.projection.quality(WALNUT, "W1S").analyses
    }
    assert kinds == {
        "pesticide_residue": ["carbendazim"],
        "mycotoxin": ["aflatoxin_b1"],
        "heavy_metal": ["lead"],
    }


def test_a_honey_lot_goes_from_harvest_to_release_graded_by_quality_alone(farm: Coop) -> None:
    assess(farm, topic="beekeeping_basics")
    harvest(farm, "HN1", HONEY, plot="KS-AP1")
    out = {
        "lot": lot("HN1A", HONEY),
        "grade": "grade_1",
        "quality": [
            {"indicator": "moisture", "value": "18.5"},
            {"indicator": "fructose_glucose", "value": "68"},
        ],
    }
    grade(farm, "HN1", HONEY, [out])
    lab_results(farm, "HN1A", HONEY, {"chloramphenicol": "<LOQ", "lead": "0.1"})
    farm.record(C, ev_release("HN1A", HONEY))
    assert farm.projection.lot(HONEY, "HN1A").status.value == "released"
    (group_vet, group_metal) = farm.projection.quality(HONEY, "HN1A").analyses
    assert (group_vet.kind, group_vet.results[0].substance) == (
        "veterinary_drug",
        "chloramphenicol",
    )
    assert group_metal.kind == "heavy_metal"


def test_wet_honey_is_refused_grade_1(farm: Coop) -> None:
    assess(farm, topic="beekeeping_basics")
    harvest(farm, "HN1", HONEY, plot="KS-AP1")
    out = {
        "lot": lot("HN1A", HONEY),
        "grade": "grade_1",
        "quality": [
            {"indicator": "moisture", "value": "21"},
            {"indicator": "fructose_glucose", "value": "68"},
        ],
    }
    error = refused(lambda: grade(farm, "HN1", HONEY, [out]))
    assert (error.key, error.params["needs"]) == ("grade-quality", "<= 20 %")


def test_honey_with_chloramphenicol_above_the_limit_is_held(farm: Coop) -> None:
    assess(farm, topic="beekeeping_basics")
    harvest(farm, "HN1", HONEY, plot="KS-AP1")
    lab_results(farm, "HN1", HONEY, {"chloramphenicol": "0.001", "lead": "0.1"})
    assert farm.projection.lot(HONEY, "HN1").status.value == "on_hold"


def ev_release(code: str, gtin: str) -> Release:
    return ev(Release, lot=lot(code, gtin), note="tests passed", time=at(150))


# --- inputs against the profile ----------------------------------------------------------------


def _fertilise(coop: Coop, dose: str, minutes: float) -> None:
    coop.record(
        C,
        ev(
            InputApplication,
            plot="KS-P7",
            category="fertiliser",
            product_name="sheep manure compost",
            active_substance="organic matter",
            dose=dose,
            dose_unit="kg/ha",
            time=at(minutes),
            operator="Memet Ali",
        ),
    )


def test_the_seasons_organic_fertiliser_is_added_up_against_the_profile(farm: Coop) -> None:
    assess(farm)
    _fertilise(farm, "20000", -60 * 24 * 120)  # 2026-02-01: before the season (03-01)
    _fertilise(farm, "18000", -60 * 24 * 60)
    _fertilise(farm, "9000", -60 * 24 * 30)
    harvest(farm, "J1", JUJUBE)
    _fertilise(farm, "5000", 60)  # after the harvest: not toward it
    (finding,) = farm.projection.quality(JUJUBE, "J1").inputs
    assert (finding.total, finding.needed, finding.met) == (Decimal(27000), Decimal(30000), False)
    _fertilise(farm, "4000", -60 * 24 * 10)  # recorded late, applied before the harvest
    (finding,) = farm.projection.quality(JUJUBE, "J1").inputs
    assert (finding.total, finding.met) == (Decimal(31000), True)


# --- the derivation from the entries agrees with the projection ------------------------------


def test_derive_analyses_groups_as_the_projection_does(farm: Coop) -> None:
    assess(farm)
    harvest(farm, "W1", WALNUT)
    out = {
        "lot": lot("W1S", WALNUT),
        "grade": "super",
        "sizes_mm": ["35"],
        "quality": [
            {"indicator": "moisture", "value": "7"},
            {"indicator": "defects", "value": "2"},
        ],
    }
    grade(farm, "W1", WALNUT, [out])
    lab_results(
        farm, "W1", WALNUT, {"carbendazim": "<LOQ", "aflatoxin_b1": "0.002", "lead": "0.05"}
    )
    entries = [
        {"seq": e.seq, "kind": e.statement.kind, "body": e.statement.body}
        for e in farm.ledger.entries(0, farm.ledger.size())
        if e.statement.kind.startswith("trace.")
    ]
    derived = derive_analyses(entries, WALNUT, "W1S").value
    shown = farm.projection.quality(WALNUT, "W1S")
    assert [(g["kind"], [r["substance"] for r in g["results"]]) for g in derived["groups"]] == [
        (g.kind, [r.substance for r in g.results]) for g in shown.analyses
    ]
    assert [(q["indicator"], q["value"], q["needs"]) for q in derived["quality"]] == [
        (m.indicator, m.value, m.needs) for m in shown.measurements
    ]


# --- EPCIS ---------------------------------------------------------------------------------------


def test_assessments_quality_readings_and_analysis_kinds_export_as_valid_epcis(
    farm: Coop,
) -> None:
    schema = json.loads((DATA / "epcis-json-schema-2.0.1.json").read_text(encoding="utf-8"))
    checker = jsonschema.Draft7Validator.FORMAT_CHECKER
    assess(farm)
    harvest(farm, "W1", WALNUT)
    out = {
        "lot": lot("W1S", WALNUT),
        "grade": "super",
        "sizes_mm": ["35"],
        "quality": [
            {"indicator": "moisture", "value": "7"},
            {"indicator": "defects", "value": "2"},
        ],
    }
    grade(farm, "W1", WALNUT, [out])
    lab_results(farm, "W1S", WALNUT, {"aflatoxin_b1": "0.002"})
    document = farm.epcis()
    validator = jsonschema.Draft7Validator(schema, format_checker=checker)
    assert [e.message for e in validator.iter_errors(document)] == []
    events = document["epcisBody"]["eventList"]
    assessing = [e for e in events if str(e.get("bizStep", "")).endswith("/voc/assessing")]
    assert [(e["agt:assessment"], e["agt:outcome"], e["agt:validUntil"]) for e in assessing] == [
        ("GAP-2026-017", "pass", "2027-03-31")
    ]
    (grading,) = [e for e in events if e["type"] == "TransformationEvent"]
    assert grading["ilmd"]["agt:quality"] == {
        f"(01){WALNUT}(10)W1S": {"moisture": "7", "defects": "2"}
    }
    (inspecting,) = [e for e in events if e.get("bizStep") == "inspecting"]
    assert inspecting["agt:residueResults"][0]["agt:analysisKind"] == "mycotoxin"


def test_the_export_of_a_walnut_chain_imports_back_to_the_same_events(farm: Coop) -> None:
    assess(farm)
    harvest(farm, "W1", WALNUT)
    out = {
        "lot": lot("W1S", WALNUT),
        "grade": "super",
        "sizes_mm": ["35"],
        "quality": [
            {"indicator": "moisture", "value": "7.5"},
            {"indicator": "defects", "value": "2"},
        ],
    }
    grade(farm, "W1", WALNUT, [out])
    document = farm.epcis()
    imported = import_epcis(json.dumps(document), origin=farm.ledger.origin)
    sent = document["epcisBody"]["eventList"]
    assert len(imported.events) == len(sent)
    kinds = set()
    for event, original_event in zip(imported.events, sent, strict=True):
        original = farm.ledger.entry(int(original_event["agt:ledgerEntry"].rsplit("/", 1)[1]))
        assert (event.KIND, event.to_body()) == (original.statement.kind, original.statement.body)
        kinds.add(event.KIND)
    assert {"trace.assessment", "trace.grading"} <= kinds


def test_an_assessment_recorded_twice_is_refused_so_a_fail_cannot_be_overwritten(
    farm: Coop,
) -> None:
    seq = assess(farm, "fail", assessment="GAP-2026-031", time=at(-60 * 24))
    error = refused(lambda: assess(farm, assessment="GAP-2026-031"))
    assert error.key == "assessment-ids-unique"
    assert error.params == {"assessment": "GAP-2026-031", "entry": str(seq)}


def test_a_quality_reading_changed_in_the_database_is_reported_as_drift(farm: Coop) -> None:
    assess(farm)
    harvest(farm, "J1", JUJUBE)
    grade(farm, "J1", JUJUBE, [_jujube("J1S", "super", ["95"], "29")])
    with farm.ledger.engine.begin() as conn:
        conn.execute(
            update(t.measurements).where(t.measurements.c.indicator == "brix").values(value="35")
        )
    report = check_projection(farm.ledger)
    assert [(d.table, d.field, d.stored, d.replayed) for d in report.drifts] == [
        ("trace_measurements", "value", "35", "29")
    ]
