"""A demo season behind the app, with a token per role (regulator and cooperative hold keys)."""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from fastapi.testclient import TestClient

from ledger import KeyFolder, Ledger
from tests.verifier_app.conftest import RESOLVER
from tests.verifier_app.signing_in import sign_in
from traceability.demo import Season, build_season
from verifier_app import ROLES, Settings, create_app, hash_token

ORIGIN = "test.kashgar-coop.example/log"
#: Role -> the key the server signs that role's recalls and holds with (demo actors).
KEYS = {"regulator": "market-regulator", "cooperative": "coop-admin"}


@dataclass(frozen=True)
class SeasonWorld:
    """A folder holding a season's ledger, its keys and a token file; one token per role."""

    folder: Path
    season: Season
    tokens: dict[str, str]

    def settings(self) -> Settings:
        """The app's settings for this folder."""
        return Settings(
            db=f"sqlite:///{self.folder / 'ledger.db'}",
            keys=self.folder / "keys",
            resolver=RESOLVER,
            tokens=self.folder / "tokens.toml",
            rate_burst=10_000,
        )

    def auth(self, role: str) -> dict[str, str]:
        """The bearer header of ``role``'s token."""
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def copy(self, target: Path) -> SeasonWorld:
        """A copy in ``target`` (for a test that records something)."""
        shutil.copytree(self.folder, target)
        return SeasonWorld(target, self.season, self.tokens)

    @contextmanager
    def client(self) -> Iterator[TestClient]:
        """A running app over this folder."""
        with TestClient(create_app(self.settings())) as client:
            yield client

    def sign_in(self, client: TestClient, role: str) -> str:
        """Sign ``client`` in as ``role``; return the pages' csrf value."""
        return sign_in(client, self.tokens[role])


def appended_since(client: TestClient, start: int) -> list[str]:
    """The kinds of the entries from ``start`` on, leaving out the lot-status maps.

    The server appends a ``trace.status_map`` before each checkpoint it signs (after an
    append, when one is due), so a recorded event may be followed by one.
    """
    page = client.get("/api/v1/log/entries", params={"start": start, "count": 100}).json()
    kinds = [e["record"]["statement"]["kind"] for e in page["entries"]]
    return [k for k in kinds if k != "trace.status_map"]


def log_size(client: TestClient) -> int:
    """The ledger's size as the public entries route reports it."""
    size = client.get("/api/v1/log/entries", params={"count": 1}).json()["size"]
    assert isinstance(size, int)
    return size


def write_tokens(folder: Path) -> dict[str, str]:
    """Write ``tokens.toml`` with one random token per role; return them."""
    tokens = {role: secrets.token_urlsafe(24) for role in sorted(ROLES)}
    lines = []
    for role, token in tokens.items():
        lines += [
            "[[token]]",
            f'sha256 = "{hash_token(token)}"',
            f'actor = "{role}-actor"',
            f'roles = ["{role}"]',
        ]
        if role in KEYS:
            lines.append(f'key = "{KEYS[role]}"')
        lines.append("")
    (folder / "tokens.toml").write_text("\n".join(lines), encoding="utf-8")
    return tokens


def build_season_world(folder: Path) -> SeasonWorld:
    """Record the demo season in ``folder`` and write the token file."""
    keys = KeyFolder(folder / "keys")
    root = keys.create("root")
    ledger = Ledger.create(
        f"sqlite:///{folder / 'ledger.db'}", ORIGIN, root, keys.create_log_signer(ORIGIN)
    )
    try:
        season = build_season(ledger, root, keys.create)
        ledger.checkpoint()  # every entry covered: a released lot can be proven "verified"
    finally:
        ledger.close()
    return SeasonWorld(folder, season, write_tokens(folder))
