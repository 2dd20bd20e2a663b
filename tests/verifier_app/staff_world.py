"""A small cooperative for the staff pages and the event API: keys held by the server.

Like ``agritrace demo``'s token file, every token names the key (in the server's key folder)
the server signs that person's events with, and each key is registered on the ledger with
the domain role that records what the token's role records. Master data (products, a farm,
the strawberry profile and MRL table) is recorded through the domain.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ledger import (
    KEY_REGISTER,
    KeyFolder,
    Ledger,
    Statement,
    format_time,
    key_id_for,
    register_body,
    sign_statement,
)
from tests.verifier_app.signing_in import sign_in
from traceability import (
    Farm,
    Product,
    Recorder,
    enrol_lab,
    load_mrl_csv,
    load_profile,
    register_label_key,
)
from verifier_app import Settings, create_app, hash_token

DATA = Path(__file__).resolve().parents[2] / "traceability" / "data"
ORIGIN = "staff.kashgar-coop.example/log"
RESOLVER = "https://id.kashgar-coop.example"
STRAWBERRY = "06912345678902"
JAM = "06912345678919"
#: Token role -> (actor and key name, the key's domain roles on the ledger).
ACTORS: dict[str, tuple[str, tuple[str, ...]]] = {
    "packing_station": ("packing-shed", ("packing_station",)),
    "cooperative": ("coop-admin", ("cooperative",)),
    "logistics": ("cold-truck", ("logistics",)),
    "lab": ("kashgar-lab", ("lab",)),
    "regulator": ("market-regulator", ("regulator",)),
}
DEFAULT_GROWER = "Aysha Tursun 阿依夏"


def ago(minutes: float) -> str:
    """A time ``minutes`` before now, as events write it (never in the future)."""
    return (datetime.now(UTC) - timedelta(minutes=minutes)).isoformat()


@dataclass
class StaffWorld:
    """The ledger, its key folder, one token per role and a recorder for direct setup."""

    folder: Path
    ledger: Ledger
    keys: KeyFolder
    tokens: dict[str, str]
    token_file: Path
    db_url: str | None = None  # another database than the folder's SQLite file

    @property
    def url(self) -> str:
        return self.db_url or f"sqlite:///{self.folder / 'ledger.db'}"

    def settings(self, **options: Any) -> Settings:
        values: dict[str, Any] = {
            "db": self.url,
            "keys": self.folder / "keys",
            "resolver": RESOLVER,
            "tokens": self.token_file,
        }
        return Settings(**(values | options))

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def sign_in(self, client: TestClient, role: str) -> str:
        """Put ``role``'s token in the client's session cookie; return the form's csrf."""
        return sign_in(client, self.tokens[role])

    def size(self) -> int:
        return self.ledger.size()


def build_staff_world(
    folder: Path, grower: str = DEFAULT_GROWER, url: str | None = None
) -> StaffWorld:
    """Create the ledger, register one key per role, record master data and rules.

    The ledger is ``url`` when given (e.g. a PostgreSQL schema), else SQLite in ``folder``.
    """
    keys = KeyFolder(folder / "keys")
    root = keys.create("root")
    db_url = url
    url = url or f"sqlite:///{folder / 'ledger.db'}"
    ledger = Ledger.create(
        url, ORIGIN, root, keys.create_log_signer(ORIGIN), checkpoint_interval=timedelta(0)
    )
    root_id = key_id_for(root.public_key().public_bytes_raw())
    when = format_time(datetime.now(UTC) - timedelta(days=30))
    for actor, roles in ACTORS.values():
        public = keys.create(actor).public_key().public_bytes_raw()
        body = register_body(public, actor, roles)
        ledger.append(sign_statement(Statement(ORIGIN, KEY_REGISTER, body, root_id, when), root))
    label = keys.create("label").public_key()
    register_label_key(ledger, root, label, "label printer", when)
    tokens = {role: secrets.token_urlsafe(24) for role in ACTORS}
    lines = []
    for role, token in tokens.items():
        actor = ACTORS[role][0]
        lines.append(
            f'[[token]]\nsha256 = "{hash_token(token)}"\nactor = "{actor}"\n'
            f'roles = ["{role}"]\nkey = "{actor}"\n'
        )
    token_file = folder / "tokens.toml"
    token_file.write_text("\n".join(lines), encoding="utf-8")
    coop = keys.load("coop-admin")
    recorder = Recorder(ledger)
    # Residue results count only from a lab key enrolled by itself and approved by the
    # regulator (docs/adr/0020).
    enrol_lab(
        recorder,
        keys.load("kashgar-lab"),
        keys.load("market-regulator"),
        lab="KS-LAB",
        name="Kashgar Agri Testing Lab",
        accreditation="211234567890",
        at=datetime.now(UTC) - timedelta(days=29),
    )
    recorder.record(
        Product.from_body({"gtin": STRAWBERRY, "commodity": "strawberry", "name": "草莓 bulk"}),
        coop,
    )
    farm = {
        "farm": "YK-F1",
        "grower": grower,
        "village": "Ayagh Village",
        "county": "Yarkant",
        "plots": ["YK-P1", "YK-P2"],
    }
    recorder.record(Farm.from_body(farm), coop)
    recorder.record(load_profile(DATA / "strawberry.toml"), coop)
    recorder.record(load_mrl_csv(DATA / "mrl-sample.csv"), coop)
    return StaffWorld(folder, ledger, keys, tokens, token_file, db_url)


@pytest.fixture
def staff_world(tmp_path: Path) -> Iterator[StaffWorld]:
    """A fresh cooperative for this test."""
    world = build_staff_world(tmp_path)
    yield world
    world.ledger.close()


@pytest.fixture
def staff_client(staff_world: StaffWorld) -> Iterator[TestClient]:
    """The app over the staff world (closed after the test)."""
    with TestClient(create_app(staff_world.settings())) as client:
        yield client


# --- event bodies, as a device or the forms send them ---------------------------------------


def ref(lot: str, gtin: str = STRAWBERRY) -> dict[str, str]:
    return {"gtin": gtin, "lot": lot}


def harvest_body(lot: str = "H1", minutes_ago: float = 100, **kw: Any) -> dict[str, Any]:
    body = {
        "lot": ref(lot),
        "plot": "YK-P1",
        "variety": "Hongyan",
        "quantity": "100",
        "time": ago(minutes_ago),
    }
    return body | kw


def cooling_body(lot: str = "H1", celsius: str = "5", minutes_ago: float = 80) -> dict[str, Any]:
    reading = {"time": ago(minutes_ago), "celsius": celsius}
    return {"lot": ref(lot), "site": "PS1", "readings": [reading], "time": ago(minutes_ago)}


def residue_body(lot: str = "H1", chlorpyrifos: str = "<LOQ") -> dict[str, Any]:
    values = {"chlorpyrifos": chlorpyrifos, "carbendazim": "0.1", "imidacloprid": "<LOQ"}
    return {
        "lot": ref(lot),
        "sample_id": f"S-{lot}",
        "lab": "Kashgar Agri Testing Lab",
        "method": "GB 23200.113-2018",
        "results": [{"substance": s, "value": v, "loq": "0.01"} for s, v in values.items()],
        "time": ago(60),
    }


def grading_body(lot: str = "H1", out: str = "G1") -> dict[str, Any]:
    graded = {"lot": ref(out), "grade": "grade_1", "quantity": "40", "sizes_mm": ["31", "33"]}
    return {"input": ref(lot), "outputs": [graded], "site": "PS1", "time": ago(50)}
