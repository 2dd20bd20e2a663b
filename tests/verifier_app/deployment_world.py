"""Two cooperatives for a deployment: each its own log, keys, tokens, prefix and products.

Each member is built like ``staff_world`` (keys held by the server, one token per role), on
SQLite in its folder or on a given database URL, and declares its GS1 company prefix on its
own ledger. Both record a harvest lot with the same lot code, so only the GTIN tells them
apart.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from labels import gs1_check_digit
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
from tests.verifier_app.staff_world import ACTORS, DATA
from traceability import (
    Cooperative,
    Farm,
    Harvest,
    Product,
    Recorder,
    enrol_lab,
    load_mrl_csv,
    load_profile,
)
from verifier_app import hash_token

#: The lot code both members record (a code is the cooperative's own: codes collide).
SHARED_LOT = "L2026-001"


def gtin_of(prefix: str, item: str = "001") -> str:
    """A GTIN-14 (indicator 0) under the GS1 company prefix ``prefix``."""
    body = "0" + prefix + item.rjust(12 - len(prefix), "0")
    return body + gs1_check_digit(body)


@dataclass
class Member:
    """One member's folder, ledger URL, tokens and what it recorded."""

    slug: str
    folder: Path
    url: str
    origin: str
    prefix: str
    gtin: str
    tokens: dict[str, str]
    name_zh: str

    @property
    def keys(self) -> Path:
        return self.folder / "keys"

    @property
    def token_file(self) -> Path:
        return self.folder / "tokens.toml"

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


def build_member(
    folder: Path,
    slug: str,
    prefix: str,
    name_zh: str,
    url: str | None = None,
    *,
    declare: bool = True,
) -> Member:
    """Create member ``slug``'s ledger and folder; record its master data and one lot.

    Its GTIN is under ``prefix``; ``declare=False`` leaves the prefix off its ledger (a
    cooperative from before prefixes were master data).
    """
    folder.mkdir(parents=True, exist_ok=True)
    origin = f"{slug}.coop.example/log"
    keys = KeyFolder(folder / "keys")
    root = keys.create("root")
    url = url or f"sqlite:///{folder / 'ledger.db'}"
    ledger = Ledger.create(
        url, origin, root, keys.create_log_signer(origin), checkpoint_interval=timedelta(0)
    )
    try:
        root_id = key_id_for(root.public_key().public_bytes_raw())
        when = format_time(datetime.now(UTC) - timedelta(days=30))
        for actor, roles in ACTORS.values():
            public = keys.create(actor).public_key().public_bytes_raw()
            body = register_body(public, actor, roles)
            ledger.append(
                sign_statement(Statement(origin, KEY_REGISTER, body, root_id, when), root)
            )
        tokens = {role: secrets.token_urlsafe(24) for role in ACTORS}
        lines = [
            f'[[token]]\nsha256 = "{hash_token(token)}"\nactor = "{ACTORS[role][0]}"\n'
            f'roles = ["{role}"]\nkey = "{ACTORS[role][0]}"\n'
            for role, token in tokens.items()
        ]
        (folder / "tokens.toml").write_text("\n".join(lines), encoding="utf-8")
        coop = keys.load("coop-admin")
        recorder = Recorder(ledger)
        enrol_lab(
            recorder,
            keys.load("kashgar-lab"),
            keys.load("market-regulator"),
            lab="KS-LAB",
            name="Kashgar Agri Testing Lab",
            accreditation="211234567890",
            at=datetime.now(UTC) - timedelta(days=29),
        )
        cooperative = {
            "name_zh": name_zh,
            "address": "托克扎克镇",
            "county": "疏附县",
        }
        if declare:
            cooperative["company_prefixes"] = [prefix]  # type: ignore[assignment]
        recorder.record(Cooperative.from_body(cooperative), coop)
        gtin = gtin_of(prefix)
        product = {"gtin": gtin, "commodity": "strawberry", "name": f"{name_zh} 草莓"}
        recorder.record(Product.from_body(product), coop)
        farm = {
            "farm": f"{slug.upper()}-F1",
            "grower": f"{name_zh} 社员",
            "village": "Ayagh Village",
            "county": "Yarkant",
            "plots": [f"{slug.upper()}-P1"],
        }
        recorder.record(Farm.from_body(farm), coop)
        recorder.record(load_profile(DATA / "strawberry.toml"), coop)
        recorder.record(load_mrl_csv(DATA / "mrl-sample.csv"), coop)
        harvest = {
            "lot": {"gtin": gtin, "lot": SHARED_LOT},
            "plot": f"{slug.upper()}-P1",
            "variety": "Hongyan",
            "quantity": "100",
            "time": (datetime.now(UTC) - timedelta(hours=2)).isoformat(),
        }
        recorder.record(Harvest.from_body(harvest), keys.load("packing-shed"))
        ledger.checkpoint()
    finally:
        ledger.close()
    return Member(slug, folder, url, origin, prefix, gtin, tokens, name_zh)


def write_deployment(
    path: Path, members: list[Member], *, regulator_tokens: Path | None = None
) -> Path:
    """Write a deployment file naming ``members`` (paths absolute, resolver https)."""
    lines = ["[deployment]", 'name = "疏附县农产品溯源平台"']
    if regulator_tokens is not None:
        lines.append(f'regulator_tokens = "{regulator_tokens}"')
    lines += ["", "[defaults]", 'resolver = "https://id.shufu.example"', ""]
    for m in members:
        lines += [
            "[[members]]",
            f'slug = "{m.slug}"',
            f'name = "{m.name_zh}"',
            f'db = "{m.url}"',
            f'keys = "{m.keys}"',
            f'tokens = "{m.token_file}"',
            "",
        ]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
