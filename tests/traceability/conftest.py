"""Traceability fixtures: a cooperative's ledger with actors, products, a farm and rules."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner, Result

from agritrace.cli import app as agritrace_app
from ledger import KeyFolder, Ledger, key_id_for
from tests.ledger.conftest import LogWorld, db_url, make_log, postgres_server, postgres_url
from traceability import (
    Cooling,
    ExportSelection,
    Farm,
    GradedLot,
    Grading,
    Harvest,
    Hold,
    Packing,
    Processing,
    Product,
    Profile,
    Projection,
    Reading,
    Recall,
    Receiving,
    Recorder,
    Release,
    ResidueTest,
    Role,
    Shipping,
    SubstanceResult,
    enrol_lab,
    export_epcis,
    export_fsma204,
    load_mrl_csv,
    load_profile,
)
from traceability.events._model import Model

M = TypeVar("M", bound=Model)


def ev(model: type[M], **fields: Any) -> M:
    """Build an event from JSON-like fields, as a device or file would send it."""
    return model.from_body(fields)


__all__ = ["db_url", "ev", "make_log", "postgres_server", "postgres_url"]

DATA = Path(__file__).resolve().parents[2] / "traceability" / "data"
STRAWBERRY = "06912345678902"  # bulk strawberries (harvest and graded lots)
JAM = "06912345678919"  # strawberry jam
#: The test lab: enrolled by its own key, approved by the regulator (docs/adr/0020).
LAB_ID, LAB_NAME, LAB_CMA = "KS-LAB", "Kashgar Agri Testing Lab", "211234567890"
T0 = datetime.fromisoformat("2026-06-01T08:00:00+08:00")


def at(minutes: float) -> str:
    """A time ``minutes`` after the first harvest, as the events write it."""
    return (T0 + timedelta(minutes=minutes)).isoformat()


def ref(lot: str, gtin: str = STRAWBERRY) -> dict[str, str]:
    return {"gtin": gtin, "lot": lot}


@dataclass
class Coop:
    """A cooperative's log with one key per role and the recorder."""

    world: LogWorld
    recorder: Recorder
    keys: dict[Role, Ed25519PrivateKey]

    @property
    def ledger(self) -> Ledger:
        return self.world.ledger

    @property
    def projection(self) -> Projection:
        """The read API over this cooperative's projection."""
        return Projection(self.ledger)

    def record(self, role: Role, event: Model) -> int:
        return self.recorder.record(event, self.keys[role]).seq

    def epcis(self, **selection: Any) -> dict[str, Any]:
        """The EPCIS export of ``ExportSelection(**selection)`` (default: everything)."""
        return export_epcis(self.projection, self.ledger, ExportSelection(**selection))

    def fsma204(self, **selection: Any) -> str:
        """The FSMA 204 export of ``ExportSelection(**selection)`` (default: everything)."""
        return export_fsma204(self.projection, self.ledger, ExportSelection(**selection))

    # --- the usual steps, with defaults a test can override --------------------------------

    def harvest(
        self, lot: str = "H1", minutes: float = 0, gtin: str = STRAWBERRY, **kw: Any
    ) -> int:
        fields: dict[str, Any] = {
            "lot": ref(lot, gtin),
            "plot": "YK-P1",
            "variety": "Hongyan",
            "quantity": "100",
            "time": at(minutes),
        }
        return self.record(Role.PACKING_STATION, ev(Harvest, **(fields | kw)))

    def cool(self, lot: str = "H1", celsius: str = "5", minutes: float = 45) -> int:
        readings = [ev(Reading, time=at(minutes), celsius=celsius)]
        return self.record(
            Role.PACKING_STATION,
            ev(Cooling, lot=ref(lot), site="PS1", readings=readings, time=at(minutes)),
        )

    def grade(
        self, lot: str, outputs: dict[str, tuple[str, str, list[str]]], minutes: float = 90
    ) -> int:
        graded = [
            ev(GradedLot, lot=ref(name), grade=grade, quantity=qty, sizes_mm=sizes)
            for name, (grade, qty, sizes) in outputs.items()
        ]
        return self.record(
            Role.PACKING_STATION,
            ev(Grading, input=ref(lot), outputs=graded, site="PS1", time=at(minutes)),
        )

    def test(self, lot: str, values: dict[str, str] | None = None, minutes: float = 120) -> int:
        values = values or {"chlorpyrifos": "<LOQ", "carbendazim": "0.1", "imidacloprid": "<LOQ"}
        results = [ev(SubstanceResult, substance=s, value=v, loq="0.01") for s, v in values.items()]
        event = ev(
            ResidueTest,
            lot=ref(lot),
            sample_id=f"S-{lot}",
            lab="Kashgar Agri Testing Lab",
            method="GB 23200.113-2018",
            results=results,
            time=at(minutes),
        )
        return self.record(Role.LAB, event)

    def release(self, lot: str, minutes: float = 150) -> int:
        return self.record(
            Role.COOPERATIVE, ev(Release, lot=ref(lot), note="tests passed", time=at(minutes))
        )

    def ship(self, shipment: str, lots: list[str], minutes: float = 180, **kw: Any) -> int:
        fields: dict[str, Any] = {
            "shipment": shipment,
            "lots": [ref(x) for x in lots],
            "origin": "PS1",
            "destination": "URUMQI-DC",
            "set_point_celsius": "5",
            "time": at(minutes),
        }
        return self.record(Role.LOGISTICS, ev(Shipping, **(fields | kw)))


def setup_coop(world: LogWorld) -> Coop:
    """Make ``world``'s log a cooperative: a key per role, the lab, products, a farm, rules."""
    keys: dict[Role, Ed25519PrivateKey] = {}
    for role in Role:
        keys[role] = world.actor(f"{role.value}-1", (role.value,)).key
    recorder = Recorder(world.ledger)
    coop = Coop(world, recorder, keys)
    # Residue results are refused unless the lab's key is enrolled and approved.
    enrol_lab(
        recorder,
        keys[Role.LAB],
        keys[Role.REGULATOR],
        lab=LAB_ID,
        name=LAB_NAME,
        accreditation=LAB_CMA,
        at=T0 - timedelta(days=30),
    )
    c = Role.COOPERATIVE
    coop.record(c, ev(Product, gtin=STRAWBERRY, commodity="strawberry", name="草莓 bulk"))
    coop.record(c, ev(Product, gtin=JAM, commodity="strawberry_jam", name="草莓酱"))
    coop.record(
        c,
        ev(
            Farm,
            farm="YK-F1",
            grower="Aysha Tursun",
            village="Ayagh Village",
            county="Yarkant",
            plots=["YK-P1", "YK-P2"],
            grower_actor="grower-1",
        ),
    )
    strawberry = load_profile(DATA / "strawberry.toml")
    coop.record(c, strawberry)
    jam = strawberry.to_body() | {"name": "strawberry jam 2026", "commodity": "strawberry_jam"}
    coop.record(c, Profile.from_body(jam))
    coop.record(c, load_mrl_csv(DATA / "mrl-sample.csv"))
    return coop


@pytest.fixture
def make_coop(make_log: Callable[[str], LogWorld]) -> Callable[[str], Coop]:
    def make(url: str) -> Coop:
        return setup_coop(make_log(url))

    return make


@pytest.fixture
def coop(make_coop: Callable[[str], Coop], sqlite_url: str) -> Coop:
    """A fresh cooperative on a SQLite file."""
    return make_coop(sqlite_url)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ledger.db'}"


# --- the command line ----------------------------------------------------------------------

# Wide terminals, so that rich does not wrap messages; no colour codes in the output.
RUNNER = CliRunner(env={"COLUMNS": "250", "TERMINAL_WIDTH": "250", "NO_COLOR": "1"})
SAMPLES = DATA / "samples"


def plain(text: str) -> str:
    """Text without rich's box drawing and tree guides, whitespace runs collapsed."""
    return " ".join(re.sub(r"[│╭╮╰╯─├└┬┴┼]", " ", text).split())


@dataclass
class Staff:
    """The ``agritrace`` command line pointed at one test's database and key folder."""

    folder: Path

    @property
    def db(self) -> str:
        return f"sqlite:///{self.folder / 'ledger.db'}"

    @property
    def keys(self) -> Path:
        return self.folder / "keys"

    def __call__(self, *args: str) -> Result:
        env = {"AGRITRACE_DB": self.db, "AGRITRACE_KEYS": str(self.keys)}
        return RUNNER.invoke(agritrace_app, list(args), env=env)

    def ok(self, *args: str) -> Result:
        """Run a command that must succeed."""
        result = self(*args)
        assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
        return result

    def refused(self, *args: str) -> str:
        """Run a command that must fail as bad input; return its one error line."""
        result = self(*args)
        assert result.exit_code == 2, (result.stdout, result.stderr, result.exception)
        assert "Traceback" not in result.output
        return plain(result.stderr)

    def size(self) -> int:
        with Ledger.open(self.db) as ledger:
            return ledger.size()

    def write_json(self, name: str, body: dict[str, Any]) -> str:
        path = self.folder / name
        path.write_text(json.dumps(body), encoding="utf-8")
        return str(path)


@pytest.fixture
def staff(tmp_path: Path) -> Staff:
    """A cooperative set up from the command line: a key per role, products, farm, rules."""
    s = Staff(tmp_path)
    s.ok("ledger", "init", "--origin", "kashgar-coop.example/log")
    for role in Role:
        s.ok("ledger", "keygen", role.value)
        s.ok("ledger", "register", role.value, "--actor", f"{role.value} 1", "--role", role.value)
    enrolment = {"lab": LAB_ID, "name": LAB_NAME, "accreditation": LAB_CMA, "time": at(-60 * 24)}
    s.ok("record", "lab", "--signer", "lab", "--file", s.write_json("lab.json", enrolment))
    lab_key = KeyFolder(s.keys).load("lab").public_key().public_bytes_raw()
    approval = {"lab": LAB_ID, "key_id": key_id_for(lab_key), "time": at(-60 * 24)}
    s.ok(
        "record",
        "lab_approval",
        "--signer",
        "regulator",
        "--file",
        s.write_json("la.json", approval),
    )
    product = {"gtin": STRAWBERRY, "commodity": "strawberry", "name": "草莓 bulk"}
    s.ok("record", "product", "--signer", "cooperative", "--file", s.write_json("p.json", product))
    farm = {
        "farm": "YK-F1",
        "grower": "Aysha Tursun",
        "village": "Ayagh Village",
        "county": "Yarkant",
        "plots": ["YK-P1", "YK-P2"],
    }
    s.ok("record", "farm", "--signer", "cooperative", "--file", s.write_json("f.json", farm))
    s.ok("rules", "load-profile", str(DATA / "strawberry.toml"), "--signer", "cooperative")
    s.ok(
        "rules",
        "load-mrl",
        str(DATA / "mrl-sample.csv"),
        "--edition",
        "GB 2763-2026 SAMPLE",
        "--signer",
        "cooperative",
    )
    return s


@pytest.fixture
def season(coop: Coop) -> Coop:
    """A lot chain with every event kind: harvest to recall, grading, packing, jam."""
    coop.harvest("H1")
    coop.cool("H1", minutes=40)
    coop.test(
        "H1",
        {
            "chlorpyrifos": "<LOQ",
            "carbendazim": "0.1",
            "imidacloprid": "<LOQ",
            "bifenthrin": "0.02",
        },
    )
    coop.grade("H1", {"G/1": ("super", "30", ["36"]), "G2": ("processing", "20", ["22"])})
    coop.record(
        Role.PACKING_STATION,
        ev(
            Packing,
            unit_id="PAL-1",
            lots=[ref("G/1")],
            units=[{"gtin": STRAWBERRY, "lot": "G/1", "serial": s} for s in ("0001", "0002")],
            site="PS1",
            time=at(100),
        ),
    )
    coop.release("G/1")
    coop.ship("SH1", ["G/1"], readings=[{"time": at(200), "celsius": "5"}])
    coop.record(
        Role.LOGISTICS,
        ev(
            Receiving,
            shipment="SH1",
            receiver="URUMQI-DC",
            readings=[{"time": at(300), "celsius": "5.5"}],
            time=at(400),
        ),
    )
    coop.record(
        Role.PACKING_STATION,
        ev(
            Processing,
            inputs=[ref("G2")],
            output=ref("J1", JAM),
            quantity="8",
            process="jam cooking",
            time=at(300),
        ),
    )
    coop.record(Role.REGULATOR, ev(Hold, lot=ref("J1", JAM), reason="label check", time=at(310)))
    coop.record(Role.COOPERATIVE, ev(Recall, lot=ref("H1"), reason="complaint", time=at(500)))
    return coop
