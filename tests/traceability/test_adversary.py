"""An adversarial cooperative: random event sequences through the recorder, invariants after each.

A Hypothesis state machine records events of every kind, signed by any role, on any lot, in
any order, at any time (bounded to the season and a little beyond), through the
:class:`~traceability.Recorder`. A refused event must append nothing. After every step the
invariants documented in docs/traceability.md ("Invariants") are checked against the
projection and the log, with naive reference code of their own (not the gate's code):

1. no released, labelled or certified lot has an input contributing mass that did not pass
   its required tests (unless the lot itself passed);
2. no event is dated before the lot it concerns was made; no receiving before its shipping;
3. every lifted hold was lifted by its authority with evidence its rule accepts;
4. every lot downstream of a failing result or a recall is held (or was lifted by its
   authority) or recalled, or was consumed before;
5. the projection equals a replay of the log (``reindex``).

CI runs a bounded number of examples; ``AGRITRACE_ADVERSARY_EXAMPLES=500`` runs more (the
``slow`` test reads it too).
"""

from __future__ import annotations

import os
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import select

from ledger import KEY_REGISTER, Ledger, NoteSigner, register_body
from tests.ledger.conftest import ORIGIN, Actor
from tests.traceability.conftest import DATA, JAM, STRAWBERRY, T0, ev
from traceability import (
    CertificateIssued,
    Cooling,
    Farm,
    GradedLot,
    Grading,
    Harvest,
    Hold,
    InputApplication,
    LabelRun,
    Processing,
    Product,
    Profile,
    Recall,
    Receiving,
    Recorder,
    Release,
    ResidueTest,
    Role,
    Shipping,
    TraceError,
    enrol_lab,
    load_mrl_csv,
    load_profile,
    reindex,
)
from traceability.events._model import Model
from traceability.projection import _schema as t

LOTS = ("H1", "H2", "h1", "G1", "G2", "G3")
REQUIRED = ("chlorpyrifos", "carbendazim", "imidacloprid")


def role(usual: Role) -> st.SearchStrategy[Role]:
    """Usually the role that may record the event (so the sequence goes somewhere), else any."""
    return st.sampled_from([*[usual] * 8, *Role])


# H1 and G1 come up most, so chains grow; 'h1' is a look-alike of 'H1'.
lots = st.sampled_from(["H1", "H1", "H1", "H2", "h1", "G1", "G1", "G2"])
# Minutes after the machine's clock (which moves 10 min a step): mostly a little after,
# sometimes before, sometimes weeks away (still in the past).
minutes = st.one_of(
    st.integers(-20, 60), st.integers(-20, 60), st.integers(-60 * 24 * 40, 60 * 24 * 5)
)


def at_minutes(m: int) -> str:
    return (T0 + timedelta(minutes=m)).isoformat()


def ref(lot: str, gtin: str = STRAWBERRY) -> dict[str, str]:
    return {"gtin": gtin, "lot": lot}


class Adversary(RuleBasedStateMachine):
    """A cooperative that tries every event in every order; the rules must hold."""

    def __init__(self) -> None:
        super().__init__()
        self.folder = tempfile.TemporaryDirectory()
        url = f"sqlite:///{Path(self.folder.name) / 'ledger.db'}"
        root = Actor("root")
        self.ledger = Ledger.create(url, ORIGIN, root.key, NoteSigner.generate(ORIGIN))
        self.keys: dict[Role, Any] = {}
        for role in Role:
            actor = Actor(f"{role.value}-1")
            self.ledger.append(
                root.sign(KEY_REGISTER, register_body(actor.public_key, actor.name, (role,)))
            )
            self.keys[role] = actor.key
        self.recorder = Recorder(self.ledger)
        enrol_lab(
            self.recorder,
            self.keys[Role.LAB],
            self.keys[Role.REGULATOR],
            lab="KS-LAB",
            name="Kashgar Agri Testing Lab",
            accreditation="211234567890",
            at=T0 - timedelta(days=30),
        )
        c = Role.COOPERATIVE
        strawberry = load_profile(DATA / "strawberry.toml")
        jam = strawberry.to_body() | {"name": "jam", "commodity": "strawberry_jam"}
        for event in (
            ev(Product, gtin=STRAWBERRY, commodity="strawberry", name="草莓"),
            ev(Product, gtin=JAM, commodity="strawberry_jam", name="草莓酱"),
            ev(Farm, farm="F1", grower="A", village="V", county="C", plots=["P1", "P2"]),
            strawberry,
            Profile.from_body(jam),
            load_mrl_csv(DATA / "mrl-sample.csv"),
        ):
            self.recorder.record(event, self.keys[c])
        self.tests: list[int] = []
        self.shipments = 0
        self.clock = 0

    def when(self, m: int) -> str:
        """A time ``m`` minutes after the machine's clock, which moves on 10 min a call."""
        self.clock += 10
        return at_minutes(self.clock + m)

    def teardown(self) -> None:
        self.ledger.close()
        self.folder.cleanup()

    def _try(self, role: Role, build: Any) -> int | None:
        """Build and record an event; a refusal (or a malformed event) appends nothing."""
        try:
            event: Model = build()
        except TraceError:
            return None  # malformed: never reaches the recorder
        size = self.ledger.size()
        try:
            return self.recorder.record(event, self.keys[role]).seq
        except TraceError:
            assert self.ledger.size() == size, "a refused event appended something"
            return None

    # --- the events ------------------------------------------------------------------------

    @initialize(small=st.sampled_from(["10", "500"]))
    def two_harvests(self, small: str) -> None:
        """Start from two harvest lots, so that chains grow within a few steps."""
        for lot, plot, qty in (("H1", "P1", small), ("H2", "P2", "500")):
            event = ev(Harvest, lot=ref(lot), plot=plot, variety="Hongyan", quantity=qty,
                       time=self.when(0))  # fmt: skip
            self.recorder.record(event, self.keys[Role.PACKING_STATION])

    @rule(role=role(Role.PACKING_STATION), lot=lots, plot=st.sampled_from(["P1", "P2"]), m=minutes,
          qty=st.sampled_from(["10", "500"]))  # fmt: skip
    def harvest(self, role: Role, lot: str, plot: str, m: int, qty: str) -> None:
        self._try(role, lambda: ev(Harvest, lot=ref(lot), plot=plot, variety="Hongyan",
                                   quantity=qty, time=self.when(m)))  # fmt: skip

    @rule(role=role(Role.COOPERATIVE), plot=st.sampled_from(["P1", "P2"]), m=minutes)
    def spray(self, role: Role, plot: str, m: int) -> None:
        self._try(role, lambda: ev(InputApplication, plot=plot, category="pesticide",
                                   product_name="X", active_substance="imidacloprid",
                                   dose="1", dose_unit="l/ha", time=self.when(m),
                                   operator="O"))  # fmt: skip

    @rule(
        role=role(Role.PACKING_STATION), lot=lots, m=minutes, celsius=st.sampled_from(["5", "12"])
    )
    def cool(self, role: Role, lot: str, m: int, celsius: str) -> None:
        self._try(role, lambda: ev(Cooling, lot=ref(lot), site="S",
                                   readings=[{"time": self.when(m), "celsius": celsius}],
                                   time=self.when(m)))  # fmt: skip

    @rule(role=role(Role.PACKING_STATION), lot=lots,
          outs=st.lists(lots, min_size=1, max_size=2, unique=True),
          grade=st.sampled_from([("super", "36"), ("processing", "20")]), m=minutes)  # fmt: skip
    def grade(self, role: Role, lot: str, outs: list[str], grade: tuple[str, str], m: int) -> None:
        graded = [
            ev(GradedLot, lot=ref(o), grade=grade[0], quantity="5", sizes_mm=[grade[1]])
            for o in outs
        ]
        self._try(role, lambda: ev(Grading, input=ref(lot), outputs=graded, time=self.when(m)))

    @rule(role=role(Role.LAB), lot=st.sampled_from([*LOTS, "H1", "G1", "J1"]), m=minutes,
          fail=st.booleans(), partial=st.booleans())  # fmt: skip
    def test(self, role: Role, lot: str, m: int, fail: bool, partial: bool) -> None:
        substances = REQUIRED[:1] if partial else REQUIRED
        results = [
            {"substance": s, "value": "0.5" if fail else "<LOQ", "loq": "0.01"} for s in substances
        ]
        gtin = JAM if lot == "J1" else STRAWBERRY
        seq = self._try(role, lambda: ev(ResidueTest, lot=ref(lot, gtin), sample_id="S",
                                         lab="L", method="M", results=results,
                                         time=self.when(m)))  # fmt: skip
        if seq is not None:
            self.tests.append(seq)

    @rule(
        role=role(Role.PACKING_STATION),
        inputs=st.lists(lots, min_size=1, max_size=3, unique=True),
        m=minutes,
    )
    def process(self, role: Role, inputs: list[str], m: int) -> None:
        self._try(role, lambda: ev(Processing, inputs=[ref(x) for x in inputs],
                                   output=ref("J1", JAM), quantity="100", process="jam",
                                   time=self.when(m)))  # fmt: skip

    @rule(role=role(Role.LOGISTICS), lot=st.sampled_from([*LOTS, "J1"]), m=minutes,
          point=st.sampled_from(["5", "20"]))  # fmt: skip
    def ship(self, role: Role, lot: str, m: int, point: str) -> None:
        self.shipments += 1
        gtin = JAM if lot == "J1" else STRAWBERRY
        self._try(role, lambda: ev(Shipping, shipment=f"SH{self.shipments}",
                                   lots=[ref(lot, gtin)], origin="PS", destination="DC",
                                   set_point_celsius=point, time=self.when(m)))  # fmt: skip

    @rule(role=role(Role.LOGISTICS), n=st.integers(1, 5), m=minutes)
    def receive(self, role: Role, n: int, m: int) -> None:
        self._try(role, lambda: ev(Receiving, shipment=f"SH{n}", receiver="DC", time=self.when(m)))

    @rule(role=role(Role.REGULATOR), lot=st.sampled_from([*LOTS, "J1"]), m=minutes)
    def hold(self, role: Role, lot: str, m: int) -> None:
        gtin = JAM if lot == "J1" else STRAWBERRY
        self._try(role, lambda: ev(Hold, lot=ref(lot, gtin), reason="r", time=self.when(m)))

    @rule(
        role=role(Role.COOPERATIVE),
        lot=st.sampled_from([*LOTS, "J1"]),
        m=minutes,
        cite=st.booleans(),
    )
    def release(self, role: Role, lot: str, m: int, cite: bool) -> None:
        gtin = JAM if lot == "J1" else STRAWBERRY
        extra = {"evidence": self.tests[-1]} if cite and self.tests else {}
        self._try(role, lambda: ev(Release, lot=ref(lot, gtin), note="ok", time=self.when(m),
                                   **extra))  # fmt: skip

    @rule(role=role(Role.COOPERATIVE), lot=st.sampled_from([*LOTS, "J1"]), m=minutes)
    def recall(self, role: Role, lot: str, m: int) -> None:
        gtin = JAM if lot == "J1" else STRAWBERRY
        self._try(role, lambda: ev(Recall, lot=ref(lot, gtin), reason="r", time=self.when(m)))

    @rule(
        role=role(Role.COOPERATIVE),
        lot=st.sampled_from([*LOTS, "J1"]),
        m=minutes,
        cert=st.booleans(),
    )
    def issue(self, role: Role, lot: str, m: int, cert: bool) -> None:
        gtin = JAM if lot == "J1" else STRAWBERRY
        if cert:
            seq = self._try(role, lambda: ev(CertificateIssued, lot=ref(lot, gtin), basis=["b"],
                                             quantity="q", time=self.when(m)))  # fmt: skip
        else:
            seq = self._try(role, lambda: ev(LabelRun, lot=ref(lot, gtin), count=3,
                                             time=self.when(m)))  # fmt: skip
        if seq is not None:  # issued: covered at that moment
            key = f"(01){gtin}(10){lot}"
            assert self._covered(key, self._rows(t.results), self._rows(t.edges)), key

    # --- the invariants --------------------------------------------------------------------

    def _rows(self, table: Any) -> list[Any]:
        with self.ledger.engine.connect() as conn:
            return list(conn.execute(select(table)).all())

    def _covered(self, key: str, results: list[Any], edges: list[Any]) -> bool:
        """Naive reference: the lot's latest results pass every required test, or all inputs do."""
        latest: dict[str, str] = {}
        for r in sorted((r for r in results if r.lot == key), key=lambda r: r.seq):
            latest[r.substance] = r.outcome
        if all(latest.get(s) == "pass" for s in REQUIRED):
            return True
        parents = [e.parent for e in edges if e.child == key]
        return bool(parents) and all(self._covered(p, results, edges) for p in parents)

    @invariant()
    def sold_lots_have_no_untested_input(self) -> None:
        results, edges = self._rows(t.results), self._rows(t.edges)
        for lot in self._rows(t.lots):
            if lot.status == "released":
                assert self._covered(lot.key, results, edges), lot.key

    @invariant()
    def no_event_precedes_what_it_depends_on(self) -> None:
        made: dict[str, str] = {}
        left: dict[str, str] = {}
        for record in self.ledger.entries():
            body, kind = record.statement.body, record.statement.kind
            if kind == "trace.harvest":
                made[f"{body['lot']['gtin']}/{body['lot']['lot']}"] = body["time"]
            for out in body.get("outputs", []):
                made[f"{out['lot']['gtin']}/{out['lot']['lot']}"] = body["time"]
            if kind == "trace.processing":
                made[f"{body['output']['gtin']}/{body['output']['lot']}"] = body["time"]
            if kind == "trace.shipping":
                left[body["shipment"]] = body["time"]
            if kind == "trace.receiving":
                assert body["time"] >= left[body["shipment"]], record.seq
            named = [body[k] for k in ("lot", "input") if isinstance(body.get(k), dict)]
            named += body.get("lots", []) + body.get("inputs", [])
            for lot in named:
                created = made[f"{lot['gtin']}/{lot['lot']}"]
                # Same offset everywhere (T0's), so the ISO strings order as the times do.
                assert body["time"] >= created, (record.seq, kind)

    @invariant()
    def holds_lifted_only_by_their_authority_with_evidence(self) -> None:
        results = self._rows(t.results)
        for hold in self._rows(t.holds):
            if hold.lifted_seq is None:
                continue
            if hold.lifted_by == "regulator-1":
                continue  # the regulator's decision lifts any hold
            assert hold.authority != "regulator", hold
            if hold.authority == "rule":
                cited = [r for r in results if r.seq == hold.evidence and r.lot == hold.lot]
                assert hold.evidence is not None, hold
                assert hold.evidence > hold.seq, hold
                assert cited, hold
                assert all(r.outcome == "pass" for r in cited), hold

    @invariant()
    def downstream_of_failure_or_recall_is_stopped(self) -> None:
        lots = {r.key: r for r in self._rows(t.lots)}
        edges = self._rows(t.edges)
        holds = {(h.seq, h.lot) for h in self._rows(t.holds)}
        failures = {(r.seq, r.lot) for r in self._rows(t.results) if r.outcome == "fail"}

        def below(key: str) -> set[str]:
            found, todo = {key}, [key]
            while todo:
                k = todo.pop()
                for e in edges:
                    if e.parent == k and e.child not in found:
                        found.add(e.child)
                        todo.append(e.child)
            return found

        for seq, key in failures:
            for k in below(key):
                lot = lots[k]
                if lot.created_seq > seq:
                    continue  # made later, from a lot its authority had released by then
                held = (seq, k) in holds  # the failing entry placed a hold on it
                consumed_before = lot.status == "consumed" and lot.status_seq < seq
                assert held or consumed_before or lot.status == "recalled", (seq, k, lot)
        for lot in lots.values():
            if lot.status == "recalled":
                for k in below(lot.key):
                    assert lots[k].status == "recalled", (lot.key, k)

    @invariant()
    def projection_equals_a_replay_of_the_log(self) -> None:
        tables = [tb for tb in t.metadata.sorted_tables if tb.name != "trace_state"]

        def snapshot() -> dict[str, list[tuple[Any, ...]]]:
            with self.ledger.engine.connect() as conn:
                return {
                    tb.name: sorted(tuple(map(str, r)) for r in conn.execute(select(tb)))
                    for tb in tables
                }

        before = snapshot()
        reindex(self.ledger)
        assert snapshot() == before


def _examples(default: int) -> int:
    return int(os.environ.get("AGRITRACE_ADVERSARY_EXAMPLES", default))


TestAdversary = Adversary.TestCase
TestAdversary.settings = settings(
    max_examples=_examples(10),
    stateful_step_count=20,
    suppress_health_check=[HealthCheck.too_slow],
    deadline=None,
)


@pytest.mark.slow
@pytest.mark.skipif(
    "AGRITRACE_ADVERSARY_EXAMPLES" not in os.environ,
    reason="long adversary runs: set AGRITRACE_ADVERSARY_EXAMPLES",
)
def test_adversary_long() -> None:
    """More and longer runs (``pytest -m slow``; scale with AGRITRACE_ADVERSARY_EXAMPLES)."""
    from hypothesis.stateful import run_state_machine_as_test

    run_state_machine_as_test(
        Adversary,
        settings=settings(
            max_examples=_examples(60),
            stateful_step_count=60,
            suppress_health_check=[HealthCheck.too_slow],
            deadline=None,
        ),
    )
