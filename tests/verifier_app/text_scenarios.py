"""How each statement kind is sent through the write API, for the text property test.

A :class:`Scenario` knows, for one kind, a valid body (every free-text field present, so
the walk's paths land somewhere), the route that takes it, what must be on the ledger
before it is accepted (a lot, a farm whose grower a training names, a lab key) and what
shows it afterwards (a lot whose pages and exports carry the text). Ids are fresh per
example (``Run.n``), so one example never depends on another.

Besides the kinds' own routes (``POST /api/v1/events/<kind>``, and ``/api/v1/statements``
for what a caller signs itself: lab enrolments and rule tables), three routes take a
free-text value on their own body: the regulator's ``/api/v1/holds`` and ``/recalls`` and
the public ``/api/v1/complaints`` (whose ``contact`` never reaches the ledger).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from labels import gs1_check_digit
from ledger import (
    KEY_REGISTER,
    Statement,
    StatementError,
    format_time,
    key_id_for,
    register_body,
    sign_statement,
)
from tests.verifier_app.free_text import Path
from tests.verifier_app.staff_world import (
    JAM,
    ORIGIN,
    STRAWBERRY,
    StaffWorld,
    ago,
    cooling_body,
    harvest_body,
    ref,
    residue_body,
)

__all__ = ["EXTRA", "SCENARIOS", "Run", "Scenario", "Sent"]

Body = dict[str, Any]
Texts = dict[Path, str]
_HTML = {"Accept": "text/html"}


@dataclass
class Run:
    """One example's client, world and fresh ids; the lots it made, for the pages."""

    client: TestClient
    world: StaffWorld
    n: int
    complaint: int = 1  # the complaint entry a decision answers (set by its setup)
    lab_key: Ed25519PrivateKey | None = None  # a fresh lab's key (set by its setup)
    #: Signed-in browsers by role, for the pages (they take a session, not a token).
    browsers: dict[str, TestClient] = field(default_factory=dict)

    @property
    def lot(self) -> str:
        """This example's lot code."""
        return f"TP{self.n}"

    @property
    def farm(self) -> str:
        """This example's farm (and ``plot``)."""
        return f"TPF{self.n}"

    @property
    def plot(self) -> str:
        """The plot of this example's farm."""
        return f"TPP{self.n}"

    @property
    def gtin(self) -> str:
        """A product GTIN of this example's own."""
        digits = f"0698765{self.n:06d}"
        return digits + gs1_check_digit(digits)

    @property
    def commodity(self) -> str:
        """A commodity name of this example's own (letters only, as profiles name them)."""
        letters, n = "", self.n
        while True:
            letters, n = chr(ord("a") + n % 26) + letters, n // 26
            if n == 0:
                return f"tp_{letters}"

    @property
    def lab(self) -> str:
        """A lab id of this example's own."""
        return f"TPLAB{self.n}"

    # --- sending ---------------------------------------------------------------------

    def event(self, route: str, role: str, body: Any) -> Any:
        """POST to the event API (by hand: a lone surrogate travels as a JSON escape)."""
        return self.client.post(
            f"/api/v1/events/{route}",
            content=json.dumps(body).encode(),
            headers={**self.world.auth(role), "Content-Type": "application/json"},
        )

    def ok(self, route: str, role: str, body: Any) -> dict[str, Any]:
        """POST a setup event that must be recorded."""
        answer = self.event(route, role, body)
        assert answer.status_code == 201, f"setup {route}: {answer.text}"
        out: dict[str, Any] = answer.json()
        return out

    def signed(
        self, kind: str, body: Body, key: Ed25519PrivateKey, role: str = "cooperative"
    ) -> Any:
        """POST a statement signed by ``key`` to ``/api/v1/statements``.

        A body the ledger cannot even encode (a lone surrogate, a NUL) cannot be signed
        either; it is sent with a signature of zeros, as a careless client would.
        """
        key_id = key_id_for(key.public_key().public_bytes_raw())
        try:
            statement = Statement(ORIGIN, kind, body, key_id, format_time(datetime.now(UTC)))
            wire = sign_statement(statement, key).to_json()
        except StatementError:
            wire = {
                "statement": {
                    "body": body,
                    "key": key_id,
                    "kind": kind,
                    "log": ORIGIN,
                    "time": format_time(datetime.now(UTC)),
                },
                "signature": base64.b64encode(bytes(64)).decode(),
            }
        return self.client.post(
            "/api/v1/statements",
            content=json.dumps(wire).encode(),
            headers={**self.world.auth(role), "Content-Type": "application/json"},
        )

    def signed_ok(self, kind: str, body: Body, key: Ed25519PrivateKey) -> int:
        """Send a setup statement that must be recorded; return its entry."""
        answer = self.signed(kind, body, key)
        assert answer.status_code == 201, f"setup {kind}: {answer.text}"
        seq: int = answer.json()["receipts"][0]["seq"]
        return seq

    def coop_key(self) -> Ed25519PrivateKey:
        """The cooperative's key, which signs rule tables."""
        return self.world.keys.load("coop-admin")

    # --- setup -----------------------------------------------------------------------

    def harvest(self, lot: str | None = None, gtin: str = STRAWBERRY, plot: str = "YK-P1") -> None:
        """Harvest ``lot`` (this example's by default)."""
        body = harvest_body(lot or self.lot, plot=plot) | {"lot": ref(lot or self.lot, gtin)}
        self.ok("harvest", "packing_station", body)

    def tested(self) -> None:
        """Harvest, cool and test this example's lot (it passes the sale gate)."""
        self.harvest()
        self.ok("cooling", "packing_station", cooling_body(self.lot))
        self.ok("residue", "lab", residue_body(self.lot))

    def new_farm(self, grower: str = "Aysha") -> None:
        """Record this example's farm with one plot."""
        farm = {"farm": self.farm, "grower": grower, "village": "V", "county": "C"}
        self.ok("farm", "cooperative", farm | {"plots": [self.plot]})

    def new_lab(self, name: str = "Tarim Lab") -> None:
        """Register a fresh key with the lab role; enrol it as this example's lab."""
        key = self.lab_key = Ed25519PrivateKey.generate()
        root = self.world.keys.load("root")
        public = key.public_key().public_bytes_raw()
        self.signed_ok(KEY_REGISTER, register_body(public, f"lab-{self.n}", ["lab"]), root)
        enrol = {"lab": self.lab, "name": name, "accreditation": "CNAS-L1234", "time": ago(3)}
        self.signed_ok("trace.lab", enrol, key)

    def lab_key_id(self) -> str:
        """The fresh lab key's id (a placeholder before :meth:`new_lab`)."""
        if self.lab_key is None:
            return "0" * 32
        return key_id_for(self.lab_key.public_key().public_bytes_raw())

    def approve_and_test(self) -> None:
        """Have the regulator approve the fresh lab; it tests this example's lot."""
        approval = {"lab": self.lab, "key_id": self.lab_key_id(), "time": ago(2)}
        self.ok("lab_approval", "regulator", approval)
        self.tested_by_fresh_lab()

    def tested_by_fresh_lab(self) -> None:
        """Harvest this example's lot; the fresh lab signs its results."""
        assert self.lab_key is not None
        self.harvest()
        result = residue_body(self.lot) | {"time": ago(1)}
        self.signed_ok("trace.residue", result, self.lab_key)


@dataclass(frozen=True)
class Sent:
    """What a route answered: the status, the error's field, the entry it recorded."""

    status: int
    field: str | None
    seq: int | None
    text: str


def _event_answer(response: Any) -> Sent:
    data = response.json() if response.headers.get("content-type", "").startswith("app") else {}
    error = data.get("error") or {}
    seq = data.get("seq")
    if seq is None and data.get("receipts"):
        seq = data["receipts"][0]["seq"]
    if seq is None and data.get("complaint"):
        seq = data["complaint"]
    return Sent(response.status_code, error.get("field"), seq, response.text)


def _nothing(run: Run, texts: Texts) -> None:
    """No setup."""


def _no_follow_up(run: Run, body: Body) -> None:
    """Nothing to record afterwards."""


@dataclass(frozen=True)
class Scenario:
    """How one statement kind carries text through one route, and where it shows after.

    Attributes:
        kind: the statement kind (``trace.harvest``).
        route: the route, as a report names it.
        body: a valid body (placeholders where setup supplies ids).
        send: how the body is sent; answers what came back.
        before: setup given the texts the body will carry (a farm named by a training).
        after: what makes the text visible (a lot harvested on a new farm).
        lot: the lot whose pages and exports show the text: (GTIN, lot code).
    """

    kind: str
    route: str
    body: Callable[[Run], Body]
    send: Callable[[Run, Body], Sent]
    before: Callable[[Run, Texts], None] = _nothing
    after: Callable[[Run, Body], None] = _no_follow_up
    lot: Callable[[Run], tuple[str, str]] = lambda run: (STRAWBERRY, run.lot)
    paths: tuple[Path, ...] = field(default=())  # extra boundaries: the paths they take
    #: Set up even for a refused text: the route checks the signer before the body.
    always_before: bool = False
    #: The server signs, so it normalises (NFC, trimmed); a statement the caller signed
    #: must come normalised, or it is refused (the server cannot re-sign it).
    normalises: bool = True


def _events(route: str, role: str) -> Callable[[Run, Body], Sent]:
    return lambda run, body: _event_answer(run.event(route, role, body))


def _by_coop(kind: str) -> Callable[[Run, Body], Sent]:
    return lambda run, body: _event_answer(run.signed(kind, body, run.coop_key()))


def _by_fresh_lab(run: Run, body: Body) -> Sent:
    assert run.lab_key is not None, "the key is registered first (always_before)"
    return _event_answer(run.signed("trace.lab", body, run.lab_key, role="lab"))


# --- bodies -----------------------------------------------------------------------------


def _profile(run: Run, edition: str, requirement: bool = True) -> Body:
    """A profile for this example's commodity: one open grade, each free-text field set."""
    body: Body = {
        "name": "tp profile",
        "commodity": run.commodity,
        "source": "cooperative practice",
        "grades": [{"name": "all"}],
        "mrl_edition": edition,
        "required_substances": ["chlorpyrifos"],
        "phi_policy": "refuse",
        "pre_harvest_interval_days": {"chlorpyrifos": 21},
        "indicators": [{"name": "brix", "unit": "°Bx", "description": "soluble solids"}],
        "analysis_kinds": {"aflatoxin_b1": "mycotoxin"},
    }
    if requirement:
        body["input_requirements"] = [
            {
                "label": "compost",
                "substance": "organic matter",
                "min_dose": "1",
                "dose_unit": "kg/ha",
            }
        ]
    return body


def _mrl(run: Run) -> Body:
    row = {"commodity": "strawberry", "substance": "chlorpyrifos", "limit_mg_per_kg": "0.5"}
    return {"edition": f"TP-E{run.n}", "source": "sample", "sample": True, "rows": [row]}


def _profile_setup(run: Run, texts: Texts) -> None:
    # The profile names an MRL edition that must be on the ledger, and asks for an input
    # on every harvested plot: the edition's table and this example's farm come first.
    mrl = _mrl(run) | {"edition": texts.get(("mrl_edition",), f"TP-E{run.n}")}
    run.signed_ok("trace.mrl", mrl, run.coop_key())
    run.new_farm()


def _profile_lot(run: Run, body: Body) -> None:
    # A product of the new commodity, the input the profile requires, a harvest.
    run.ok("product", "cooperative", {"gtin": run.gtin, "commodity": run.commodity, "name": "p"})
    (required,) = body["input_requirements"]
    spray = {
        "plot": run.plot,
        "category": "fertiliser",
        "product_name": "compost",
        "active_substance": required["substance"],
        "dose": "2",
        "dose_unit": "kg/ha",
        "time": ago(120),
        "operator": "Ali",
    }
    run.ok("input", "cooperative", spray)
    run.harvest(gtin=run.gtin, plot=run.plot)


def _mrl_lot(run: Run, body: Body) -> None:
    # A profile judging by this edition, a product, a lot tested for the row's substance.
    profile = _profile(run, body["edition"], requirement=False)
    run.signed_ok("trace.profile", profile, run.coop_key())
    run.ok("product", "cooperative", {"gtin": run.gtin, "commodity": run.commodity, "name": "p"})
    run.harvest(gtin=run.gtin)
    result = {"substance": body["rows"][0]["substance"], "value": "<LOQ", "loq": "0.01"}
    residue = residue_body(run.lot) | {"lot": ref(run.lot, run.gtin), "results": [result]}
    run.ok("residue", "lab", residue)


def _farm_body(run: Run) -> Body:
    return {
        "farm": run.farm,
        "grower": "Aysha",
        "village": "Ayagh",
        "county": "Yarkant",
        "plots": [run.plot],
        "grower_actor": "aysha-phone",
        "phone": "+86 998 555 0199",
    }


def _grower_farm(run: Run, texts: Texts) -> None:
    run.new_farm(grower=texts.get(("grower",), "Aysha"))


def _harvest_on_farm(run: Run, body: Body) -> None:
    run.harvest(plot=run.plot)


def _harvested(run: Run, texts: Texts) -> None:
    run.harvest()


def _tested(run: Run, texts: Texts) -> None:
    run.tested()


def _released(run: Run, texts: Texts) -> None:
    run.tested()
    run.ok("release", "cooperative", {"lot": ref(run.lot), "note": "ok", "time": ago(1.5)})


def _complained(run: Run, texts: Texts) -> None:
    run.harvest()
    taken = {"lot": ref(run.lot), "category": "spoiled", "text": "mould", "language": "zh"}
    run.complaint = run.ok("complaint", "cooperative", taken | {"time": ago(0.5)})["seq"]


def _fresh_lab(run: Run, texts: Texts) -> None:
    run.new_lab()


def _key_registered(run: Run, texts: Texts) -> None:
    # Only the key: the enrolment under test is signed by it.
    key = run.lab_key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes_raw()
    root = run.world.keys.load("root")
    run.signed_ok(KEY_REGISTER, register_body(public, f"lab-{run.n}", ["lab"]), root)


def _enrolment_body(run: Run) -> Body:
    return {"lab": run.lab, "name": "Tarim Lab", "accreditation": "CNAS-L1234", "time": ago(3)}


def _tested_by_new_lab(run: Run, body: Body) -> None:
    run.tested_by_fresh_lab()


def _approved(run: Run, body: Body) -> None:
    run.approve_and_test()


def _site_lot(run: Run, body: Body) -> None:
    run.harvest()
    run.ok("cooling", "packing_station", cooling_body(run.lot) | {"site": body["site"]})


def _jam(run: Run) -> tuple[str, str]:
    return JAM, f"TPJ{run.n}"


#: One scenario per statement kind that carries free text.
SCENARIOS: dict[str, Scenario] = {
    s.kind: s
    for s in (
        Scenario(
            "trace.cooperative",
            "POST /api/v1/events/cooperative",
            lambda run: {
                "name_zh": "叶城果农合作社",
                "name_ug": "قاغىلىق",
                "name_en": "Coop",
                "address": "1 Rd",
                "county": "叶城",
                "phone": "+86 998 1",
            },
            _events("cooperative", "cooperative"),
            before=_harvested,
        ),
        Scenario(
            "trace.product",
            "POST /api/v1/events/product",
            lambda run: {"gtin": run.gtin, "commodity": "strawberry", "name": "草莓"},
            _events("product", "cooperative"),
            after=lambda run, body: run.harvest(gtin=run.gtin),
            lot=lambda run: (run.gtin, run.lot),
        ),
        Scenario(
            "trace.farm",
            "POST /api/v1/events/farm",
            _farm_body,
            _events("farm", "cooperative"),
            after=_harvest_on_farm,
        ),
        Scenario(
            "trace.site",
            "POST /api/v1/events/site",
            lambda run: {
                "site": f"TPS{run.n}",
                "business_name": "Shed",
                "address": "1 Rd",
                "phone": "+86 998 1",
            },
            _events("site", "cooperative"),
            after=_site_lot,
        ),
        Scenario(
            "trace.input",
            "POST /api/v1/events/input",
            lambda run: {
                "plot": run.plot,
                "category": "fertiliser",
                "product_name": "compost",
                "active_substance": "organic matter",
                "dose": "2",
                "dose_unit": "kg/ha",
                "time": ago(120),
                "operator": "Ali",
            },
            _events("input", "cooperative"),
            before=lambda run, texts: run.new_farm(),
            after=_harvest_on_farm,
        ),
        Scenario(
            "trace.training",
            "POST /api/v1/events/training",
            lambda run: {
                "farm": run.farm,
                "grower": "Aysha",
                "course": "IPM",
                "hours": "4",
                "trainer": "extension station",
                "time": ago(700),
            },
            _events("training", "cooperative"),
            before=_grower_farm,
            after=_harvest_on_farm,
        ),
        Scenario(
            "trace.assessment",
            "POST /api/v1/events/assessment",
            lambda run: {
                "farm": run.farm,
                "grower": "Aysha",
                "assessment": f"A{run.n}",
                "topic": "gap_basics",
                "outcome": "pass",
                "valid_until": "2099-01-01",
                "assessor": "X",
                "time": ago(700),
            },
            _events("assessment", "cooperative"),
            before=_grower_farm,
            after=_harvest_on_farm,
        ),
        Scenario(
            "trace.harvest",
            "POST /api/v1/events/harvest",
            lambda run: harvest_body(run.lot),
            _events("harvest", "packing_station"),
        ),
        Scenario(
            "trace.residue",
            "POST /api/v1/events/residue",
            lambda run: residue_body(run.lot),
            _events("residue", "lab"),
            before=_harvested,
        ),
        Scenario(
            "trace.processing",
            "POST /api/v1/events/processing",
            lambda run: {
                "inputs": [ref(run.lot)],
                "output": ref(f"TPJ{run.n}", JAM),
                "quantity": "10",
                "process": "jam",
                "time": ago(0.4),
            },
            _events("processing", "packing_station"),
            before=_harvested,
            lot=_jam,
        ),
        Scenario(
            "trace.hold",
            "POST /api/v1/events/hold",
            lambda run: {"lot": ref(run.lot), "reason": "bruised", "time": ago(1)},
            _events("hold", "cooperative"),
            before=_harvested,
        ),
        Scenario(
            "trace.release",
            "POST /api/v1/events/release",
            lambda run: {"lot": ref(run.lot), "note": "ok", "time": ago(1)},
            _events("release", "cooperative"),
            before=_tested,
        ),
        Scenario(
            "trace.recall",
            "POST /api/v1/events/recall",
            lambda run: {"lot": ref(run.lot), "reason": "listeria", "time": ago(0.5)},
            _events("recall", "cooperative"),
            before=_harvested,
        ),
        Scenario(
            "trace.certificate",
            "POST /api/v1/events/certificate",
            lambda run: {
                "lot": ref(run.lot),
                "basis": ["委托检测"],
                "quantity": "100 kg",
                "time": ago(1.2),
            },
            _events("certificate", "cooperative"),
            before=_released,
        ),
        Scenario(
            "trace.complaint",
            "POST /api/v1/events/complaint",
            lambda run: {
                "lot": ref(run.lot),
                "category": "spoiled",
                "text": "mould",
                "language": "ug",
                "time": ago(0.5),
            },
            _events("complaint", "cooperative"),
            before=_harvested,
        ),
        Scenario(
            "trace.decision",
            "POST /api/v1/events/decision",
            lambda run: {
                "complaint": run.complaint,
                "lot": ref(run.lot),
                "action": "warning",
                "rule": "GB 2763",
                "reason": "packaging",
                "time": ago(0.2),
            },
            _events("decision", "regulator"),
            before=_complained,
        ),
        Scenario(
            "trace.intake",
            "POST /api/v1/events/intake",
            lambda run: {
                "lot": ref(run.lot),
                "quantity": "5",
                "site": "PS1",
                "source_seq": 21,
                "source_log": "coop-a.example/log",
                "source_lot": ref(f"A{run.n}"),
                "source_shipment": f"SH{run.n}",
                "source_leaf": "ab" * 32,
                "time": ago(0.1),
            },
            _events("intake", "packing_station"),
        ),
        Scenario(
            "trace.sample",
            "POST /api/v1/events/sample",
            lambda run: {
                "sample_id": f"SMP{run.n}",
                "lot": ref(run.lot),
                "taken_by": "lab",
                "lab": "KS-LAB",
                "sampler": "Ali",
                "analyses": ["pesticide_residues"],
                "time": ago(0.1),
            },
            _events("sample", "lab"),
            before=_harvested,
        ),
        Scenario(
            "trace.lab",
            "POST /api/v1/statements (trace.lab, signed by the lab's new key)",
            _enrolment_body,
            _by_fresh_lab,
            before=_key_registered,
            after=_approved,
            always_before=True,
            normalises=False,
        ),
        Scenario(
            "trace.lab_approval",
            "POST /api/v1/events/lab_approval",
            lambda run: {
                "lab": run.lab,
                "key_id": run.lab_key_id(),
                "note": "checked",
                "time": ago(2),
            },
            _events("lab_approval", "regulator"),
            before=_fresh_lab,
            after=_tested_by_new_lab,
        ),
        Scenario(
            "trace.profile",
            "POST /api/v1/statements (trace.profile, signed by the cooperative)",
            lambda run: _profile(run, f"TP-E{run.n}"),
            _by_coop("trace.profile"),
            before=_profile_setup,
            after=_profile_lot,
            lot=lambda run: (run.gtin, run.lot),
            normalises=False,
        ),
        Scenario(
            "trace.mrl",
            "POST /api/v1/statements (trace.mrl, signed by the cooperative)",
            _mrl,
            _by_coop("trace.mrl"),
            after=_mrl_lot,
            lot=lambda run: (run.gtin, run.lot),
            normalises=False,
        ),
    )
}


# --- routes that take free text on a body of their own ------------------------------------


def _lot_action(path: str) -> Callable[[Run, Body], Sent]:
    def send(run: Run, body: Body) -> Sent:
        sent = {"gtin": STRAWBERRY, "lot": run.lot, "reason": body["reason"]}
        response = run.client.post(
            path,
            content=json.dumps(sent).encode(),
            headers={**run.world.auth("regulator"), "Content-Type": "application/json"},
        )
        return _event_answer(response)

    return send


def _public_complaint(run: Run, body: Body) -> Sent:
    form = run.client.get("/api/v1/complaints/form", params={"gtin": STRAWBERRY, "lot": run.lot})
    assert form.status_code == 200, form.text
    sent = {
        "gtin": STRAWBERRY,
        "lot": run.lot,
        "category": "spoiled",
        "text": body["text"],
        "language": "ug",
        "contact": body["contact"],
        "token": form.json()["token"],
    }
    response = run.client.post(
        "/api/v1/complaints",
        content=json.dumps(sent).encode(),
        headers={"Content-Type": "application/json"},
    )
    return _event_answer(response)


#: Routes whose own body carries a kind's free text (and, for complaints, a contact).
EXTRA: tuple[Scenario, ...] = (
    Scenario(
        "trace.hold",
        "POST /api/v1/holds (the regulator)",
        lambda run: {"reason": "inspection"},
        _lot_action("/api/v1/holds"),
        before=_harvested,
        paths=(("reason",),),
        always_before=True,  # the route finds the lot before it reads the reason
    ),
    Scenario(
        "trace.recall",
        "POST /api/v1/recalls (the regulator)",
        lambda run: {"reason": "listeria"},
        _lot_action("/api/v1/recalls"),
        before=_harvested,
        paths=(("reason",),),
        always_before=True,  # the route finds the lot before it reads the reason
    ),
    Scenario(
        "trace.complaint",
        "POST /api/v1/complaints (public)",
        lambda run: {"text": "mould", "contact": "13800138000"},
        _public_complaint,
        before=_harvested,
        paths=(("text",), ("contact",)),
        always_before=True,  # a form token is issued for a recorded lot only
    ),
)
