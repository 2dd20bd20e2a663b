"""An alliance reads its members' logs together; a lot moving between logs is traced both ways.

Two cooperatives and the alliance's packing centre, each on its own SQLite file (and, in the
last test, on two PostgreSQL databases): lists, counts, dashboards and audits name every
member; the centre's lot traces back into co-op A's log to A's farm and grower, and A's
lot forward into the centre's lots and shipments. A link that does not match the source
log, step by step, is flagged and never crossed.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
import sqlalchemy

from tests.conftest import SHARED
from tests.traceability.alliance_world import (
    A_ORIGIN,
    CENTRE_ORIGIN,
    CENTRE_SITE,
    County,
    build_county,
    fresh_databases,
    intake_of,
    make_member,
)
from tests.traceability.conftest import JAM, STRAWBERRY, at, ev, ref
from traceability import (
    Alliance,
    AllianceMember,
    Intake,
    LifecycleError,
    Processing,
    Recall,
    Role,
    RoleError,
    UnknownError,
    ValidationError,
    import_epcis,
    trace_across,
)

SCHEMA = SHARED / "standards" / "epcis" / "schema" / "epcis-json-schema-2.0.1.json"


@pytest.fixture
def county(tmp_path: Path) -> County:
    return build_county(*(f"sqlite:///{tmp_path / name}.db" for name in ("a", "b", "centre")))


def _keys(lots: object) -> set[tuple[str, str]]:
    return {(x.member, x.state.lot) for x in lots}  # type: ignore[attr-defined]


# --- lists, counts, dashboards, audits ------------------------------------------------------


def test_the_alliance_lists_every_members_lots_naming_the_member(county: County) -> None:
    alliance = county.alliance()
    every = _keys(alliance.lots())
    assert every == {
        ("coop-a", "H1"), ("coop-a", "G1"), ("coop-a", "G2"), ("coop-b", "BH1"), ("centre", "C-G1"),
    }  # fmt: skip
    assert _keys(alliance.lots("on_hold")) == {("coop-b", "BH1")}
    assert _keys(alliance.lots("failed")) == {("coop-b", "BH1")}
    assert _keys(alliance.lots("shipped")) == {("coop-a", "G1"), ("centre", "C-G1")}
    assert _keys(alliance.find("C-G1")) == {("centre", "C-G1")}
    with pytest.raises(ValidationError, match="status"):
        alliance.lots("lost")


def test_counts_per_member_equal_each_projections_own_lists(county: County) -> None:
    counts = {c.member: c for c in county.alliance().counts()}
    for slug, coop in (("coop-a", county.a), ("coop-b", county.b), ("centre", county.centre)):
        lots = coop.projection.lots(limit=1000)
        assert counts[slug].counts.total == len(lots)
        assert counts[slug].counts.failed == sum(1 for s in lots if s.failed)
        for status in ("released", "on_hold", "recalled", "shipped"):
            assert counts[slug].counts.of(status) == sum(1 for s in lots if s.status == status)
        assert counts[slug].entries == coop.ledger.size()
    assert counts["coop-b"].counts.of("on_hold") == 1


def test_the_dashboard_sums_the_members_figures(county: County) -> None:
    board = county.alliance().monitoring()
    each = [county.a, county.b, county.centre]
    figures = [c.projection.monitoring() for c in each]
    assert [slug for slug, _ in board.members] == ["coop-a", "coop-b", "centre"]
    assert board.total.failing_tests == sum(f.failing_tests for f in figures) == 1
    assert board.total.recalled == sum(f.recalled for f in figures)
    assert sum(w.tests for w in board.total.weeks) == sum(w.tests for f in figures for w in f.weeks)
    assert {h.rule: h.lots for h in board.total.holds} == {"residue-above-mrl": 1}
    # Routes keep their member: two members' site ids never merge into one route.
    assert {r.origin for r in board.total.routes} == {"coop-a:PS1", "centre:PC1"}


def test_the_audit_covers_every_member(county: County) -> None:
    audits = {a.member: a for a in county.alliance().audit()}
    assert set(audits) == {"coop-a", "coop-b", "centre"}
    for slug, coop in (("coop-a", county.a), ("coop-b", county.b), ("centre", county.centre)):
        assert audits[slug].ledger_verdict == "valid"
        assert audits[slug].entries == coop.ledger.size()
        assert audits[slug].projection_verdict == "clean"
        assert audits[slug].verdict == "valid"
    assert [link.verdict for link in audits["centre"].links] == ["verified"]


def test_an_edited_projection_row_fails_that_members_audit(county: County) -> None:
    with county.b.ledger.engine.begin() as conn:
        conn.execute(sqlalchemy.text("UPDATE trace_lots SET status = 'released'"))
    audits = {a.member: a for a in county.alliance().audit()}
    assert audits["coop-b"].projection_verdict == "drift"
    assert audits["coop-b"].verdict == "invalid"
    assert any("status stored 'released'" in d for d in audits["coop-b"].drifts)
    assert audits["coop-a"].verdict == "valid"


def test_members_must_differ(county: County) -> None:
    a = AllianceMember("coop-a", county.a.ledger, county.a.projection)
    with pytest.raises(ValidationError, match="slug"):
        Alliance([a, AllianceMember("coop-a", county.b.ledger, county.b.projection)])
    with pytest.raises(ValidationError, match="log no other member"):
        Alliance([a, AllianceMember("other", county.a.ledger, county.a.projection)])
    with pytest.raises(ValidationError, match="slug"):
        AllianceMember("Coop A", county.a.ledger, county.a.projection)
    with pytest.raises(UnknownError, match="member"):
        county.alliance().member("coop-z")


# --- the trace across logs ------------------------------------------------------------------


def test_the_centres_lot_traces_back_to_coop_a_farm_and_grower(county: County) -> None:
    traced = trace_across(county.alliance(), "centre", STRAWBERRY, "C-G1")
    assert _keys(traced.back) == {("coop-a", "G1"), ("coop-a", "H1")}
    [(member, farm)] = traced.origins
    assert (member, farm.farm, farm.grower, farm.plot) == (
        "coop-a",
        "YK-F1",
        "Aysha Tursun",
        "YK-P1",
    )
    [link] = traced.links
    assert (link.verdict, link.source_member, link.intake.source_seq) == (
        "verified",
        "coop-a",
        county.shipped_seq,
    )
    assert traced.focus.alarm is None


def test_coop_a_lot_traces_forward_into_the_centres_lots_and_shipments(county: County) -> None:
    traced = trace_across(county.alliance(), "coop-a", STRAWBERRY, "H1")
    assert _keys(traced.forward) == {("coop-a", "G1"), ("coop-a", "G2"), ("centre", "C-G1")}
    shipped = {(member, s.shipment, s.destination) for member, s in traced.shipments}
    assert shipped == {("coop-a", "SH-A1", "PC1"), ("centre", "SH-C1", "URUMQI-DC")}
    assert all(x.alarm is None for x in traced.forward)


def test_a_recall_in_coop_a_reaches_the_centres_lots_in_the_trace(county: County) -> None:
    county.a.record(Role.REGULATOR, ev(Recall, lot=ref("H1"), reason="illegal spray", time=at(400)))
    alliance = county.alliance()
    forward = trace_across(alliance, "coop-a", STRAWBERRY, "H1")
    [centre_lot] = [x for x in forward.forward if x.member == "centre"]
    # The centre's own log says nothing yet: the alarm comes across the verified link.
    assert centre_lot.state.status == "shipped"
    assert (centre_lot.alarm, centre_lot.alarm_from) == (
        "recalled",
        f"coop-a:(01){STRAWBERRY}(10)G1",
    )
    back = trace_across(alliance, "centre", STRAWBERRY, "C-G1")
    assert back.focus.alarm == "recalled"


def test_a_recall_in_coop_a_reaches_what_the_centre_made_of_the_lot(county: County) -> None:
    a, centre = county.a, county.centre
    a.test("G2", minutes=200)
    a.release("G2", minutes=210)
    shipped = a.ship("SH-A2", ["G2"], minutes=220, destination=CENTRE_SITE)
    centre.record(Role.PACKING_STATION, intake_of(a, shipped, "G2", time=at(310)))
    jam = {"inputs": [ref("C-G2")], "output": ref("J1", JAM), "quantity": "12"}
    centre.record(Role.PACKING_STATION, ev(Processing, **jam, process="jam", time=at(350)))
    a.record(Role.REGULATOR, ev(Recall, lot=ref("H1"), reason="illegal spray", time=at(400)))
    forward = trace_across(county.alliance(), "coop-a", STRAWBERRY, "H1")
    alarms = {(x.member, x.state.lot): x.alarm for x in forward.forward}
    assert alarms[("centre", "C-G2")] == "recalled"
    assert alarms[("centre", "J1")] == "recalled"  # made in the centre's log from C-G2
    back = trace_across(county.alliance(), "centre", JAM, "J1")
    assert back.focus.alarm == "recalled"
    assert ("coop-a", "H1") in _keys(back.back)


def test_a_failing_result_in_coop_a_after_shipping_flags_the_centres_lot(county: County) -> None:
    county.a.test("G1", {"chlorpyrifos": "0.9"}, minutes=390)
    back = trace_across(county.alliance(), "centre", STRAWBERRY, "C-G1")
    assert back.focus.alarm == "on_hold"


# --- links verified, not trusted -------------------------------------------------------------


def _link_of(county: County, lot: str) -> tuple[str, str | None, str]:
    [link] = [c for c in county.alliance().links() if c.intake.lot.endswith(f"(10){lot}")]
    return link.verdict, link.problem, link.detail


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"source_leaf": "ab" * 32}, "leaf-hash-differs"),
        ({"source_seq": 999}, "no-such-entry"),
        ({"source_lot": ref("G2")}, "lot-not-shipped"),  # A never shipped G2
        ({"site": "PC9"}, "other-destination"),  # A shipped to PC1, not here
        ({"source_shipment": "SH-OTHER"}, "other-shipment"),
        ({"time": at(100)}, "taken-in-before-shipped"),  # A shipped at minute 180
    ],
)
def test_a_link_that_does_not_match_the_source_log_is_broken(
    county: County, change: dict[str, object], problem: str
) -> None:
    # Co-op B claims A's shipment, pointing wrong in one way each. B's own log accepts it
    # (it cannot see A's log); the alliance's check names what does not match.
    intake = intake_of(county.a, county.shipped_seq, "G1", lot=ref("C-X1"), **change)
    county.b.record(Role.PACKING_STATION, intake)
    verdict, found, detail = _link_of(county, "C-X1")
    assert (verdict, found) == ("broken", problem), detail
    traced = trace_across(county.alliance(), "coop-b", STRAWBERRY, "C-X1")
    # A broken link is never crossed.
    assert traced.back == ()
    assert traced.origins == ()


def test_a_link_pointing_at_an_entry_that_is_no_shipping_is_broken(county: County) -> None:
    harvest_seq = next(
        r.seq for r in county.a.ledger.entries() if r.statement.kind == "trace.harvest"
    )
    intake = intake_of(county.a, harvest_seq, "H1", lot=ref("C-X2"), source_shipment="SH-A1")
    county.b.record(Role.PACKING_STATION, intake)
    assert _link_of(county, "C-X2")[:2] == ("broken", "not-a-shipping")


def test_the_same_lot_claimed_by_two_members_is_broken_for_both(
    county: County, tmp_path: Path
) -> None:
    other = make_member(f"sqlite:///{tmp_path / 'other.db'}", "other-centre.example/log")
    other.record(Role.PACKING_STATION, intake_of(county.a, county.shipped_seq, "G1"))
    alliance = Alliance(
        [*county.alliance().members, AllianceMember("other", other.ledger, other.projection)]
    )
    verdicts = {(c.member, c.verdict, c.problem) for c in alliance.links()}
    assert verdicts == {("centre", "broken", "claimed-twice"), ("other", "broken", "claimed-twice")}


def test_one_log_refuses_the_same_source_lot_taken_in_twice(county: County) -> None:
    before = county.centre.ledger.size()
    again = intake_of(county.a, county.shipped_seq, "G1", lot=ref("C-G1B"))
    with pytest.raises(LifecycleError, match="taken in at entry") as refused:
        county.centre.record(Role.PACKING_STATION, again)
    assert refused.value.rule == "intake-once-per-source-lot"
    assert county.centre.ledger.size() == before


def test_only_receiving_roles_may_take_a_lot_in(county: County) -> None:
    intake = intake_of(county.a, county.shipped_seq, "G1", lot=ref("C-G1L"))
    with pytest.raises(RoleError, match=r"trace\.intake must be signed by a key with role"):
        county.centre.record(Role.LAB, intake)


def test_a_source_log_outside_the_alliance_is_unverified_not_trusted(county: County) -> None:
    intake = intake_of(county.a, county.shipped_seq, "G1", lot=ref("C-X3"))
    elsewhere = Intake.from_body(intake.to_body() | {"source_log": "elsewhere.example/log"})
    county.centre.record(Role.PACKING_STATION, elsewhere)
    verdict, problem, _ = _link_of(county, "C-X3")
    assert (verdict, problem) == ("unverified", "source-not-a-member")


def test_a_link_edited_in_the_database_is_read_from_the_entry_and_flagged(county: County) -> None:
    # Point the centre's projection row at another entry of A: the entry still says the truth.
    with county.centre.ledger.engine.begin() as conn:
        conn.execute(sqlalchemy.text("UPDATE trace_intakes SET source_seq = source_seq - 1"))
    [link] = county.alliance().links()
    assert (link.verdict, link.problem) == ("broken", "row-differs-from-entry")
    audits = {a.member: a for a in county.alliance().audit()}
    assert audits["centre"].projection_verdict == "drift"


def test_a_rewritten_source_entry_breaks_the_link(county: County) -> None:
    # Someone with A's database rewrites A's shipping entry (the destination): its leaf hash
    # changes, so the centre's link no longer matches (and A's own audit fails too).
    record = county.a.ledger.entry(county.shipped_seq)
    leaf = record.leaf().replace(b'"destination":"PC1"', b'"destination":"PC2"')
    with county.a.ledger.engine.begin() as conn:
        conn.execute(
            sqlalchemy.text("UPDATE ledger_entry SET leaf = :leaf WHERE seq = :seq"),
            {"leaf": leaf, "seq": county.shipped_seq},
        )
    assert _link_of(county, "C-G1")[:2] == ("broken", "leaf-hash-differs")


# --- the event kind's exports ---------------------------------------------------------------


def test_the_intake_exports_as_valid_epcis_and_imports_back(county: County) -> None:
    document = county.centre.epcis()
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(
        schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )
    assert [e.message for e in validator.iter_errors(document)] == []
    [event] = [e for e in document["epcisBody"]["eventList"] if "agt:sourceEntry" in e]
    assert event["agt:sourceEntry"] == f"https://{A_ORIGIN}/entry/{county.shipped_seq}"
    imported = import_epcis({**document, "epcisBody": {"eventList": [event]}}, origin=CENTRE_ORIGIN)
    recorded = county.centre.ledger.entry(county.intake_seq).statement.body
    assert imported.events[0] == Intake.from_body(recorded)


def test_the_intake_is_the_centres_fsma_receiving_row(county: County) -> None:
    rows = list(csv.DictReader(io.StringIO(county.centre.fsma204().lstrip("\ufeff"))))
    [row] = [r for r in rows if r["cte"] == "receiving"]
    assert row["traceability_lot_code"].endswith("C-G1")
    assert A_ORIGIN in row["immediate_previous_source"]
    assert "SH-A1" in row["immediate_previous_source"]


# --- PostgreSQL: members on two databases ------------------------------------------------------


@pytest.fixture
def two_databases(postgres_server: str) -> Iterator[tuple[str, str]]:
    """Fresh databases county_a and county_b on the real server, dropped afterwards."""
    with fresh_databases(postgres_server, "county_a", "county_b") as (a, b):
        yield a, b


@pytest.mark.postgres
def test_members_on_two_postgresql_databases_trace_across(
    two_databases: tuple[str, str], tmp_path: Path
) -> None:
    a_url, centre_url = two_databases
    county = build_county(a_url, f"sqlite:///{tmp_path / 'b.db'}", centre_url)
    try:
        alliance = county.alliance()
        back = trace_across(alliance, "centre", STRAWBERRY, "C-G1")
        assert _keys(back.back) == {("coop-a", "G1"), ("coop-a", "H1")}
        assert [a.verdict for a in alliance.audit()] == ["valid", "valid", "valid"]
    finally:
        for coop in (county.a, county.b, county.centre):
            coop.ledger.close()
