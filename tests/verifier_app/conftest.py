"""App fixtures: a fresh SQLite ledger, a token file with one random token per role, a client."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ledger import KEY_REGISTER, KeyFolder, Ledger, register_body
from tests.ledger.conftest import ORIGIN, Actor, postgres_server, postgres_url
from verifier_app import ROLES, LotLookup, Settings, create_app, hash_token

RESOLVER = "https://id.kashgar-coop.example"
# Fixtures shared with the ledger's tests: a fresh PostgreSQL schema per test.
__all__ = ["postgres_server", "postgres_url"]


def write_token_file(path: Path, tokens: dict[str, tuple[str, list[str]]]) -> Path:
    """Write a token file: token -> (actor, roles); only hashes are written."""
    lines = []
    for token, (actor, roles) in tokens.items():
        role_list = ", ".join(f'"{r}"' for r in roles)
        lines += [
            "[[token]]",
            f'sha256 = "{hash_token(token)}"',
            f'actor = "{actor}"',
            f"roles = [{role_list}]",
            "",
        ]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@dataclass
class AppWorld:
    """A ledger with a root and a registered packer, the app's settings and token per role."""

    url: str
    keys: Path
    root: Actor
    packer: Actor
    ledger: Ledger
    tokens: dict[str, str]
    token_file: Path
    settings_options: dict[str, Any] = field(default_factory=dict)

    def settings(self, **options: Any) -> Settings:
        values: dict[str, Any] = {
            "db": self.url,
            "keys": self.keys,
            "resolver": RESOLVER,
            "tokens": self.token_file,
        }
        return Settings(**(values | self.settings_options | options))

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def register(self, name: str, roles: tuple[str, ...] = ("packing_station",)) -> Actor:
        actor = Actor(name)
        self.ledger.append(
            self.root.sign(KEY_REGISTER, register_body(actor.public_key, name, roles))
        )
        return actor


def build_world(url: str, folder: Path) -> AppWorld:
    """Create a log at ``url`` with a root and a packer; keys and token file in ``folder``."""
    keys = folder / "keys"
    signer = KeyFolder(keys).create_log_signer(ORIGIN)
    root = Actor("root")
    ledger = Ledger.create(url, ORIGIN, root.key, signer, checkpoint_interval=timedelta(0))
    packer = Actor("packer-1")
    ledger.append(
        root.sign(KEY_REGISTER, register_body(packer.public_key, "packer-1", ("packing_station",)))
    )
    tokens = {role: secrets.token_urlsafe(24) for role in sorted(ROLES)}
    token_file = write_token_file(
        folder / "tokens.toml", {t: (f"{role}-actor", [role]) for role, t in tokens.items()}
    )
    return AppWorld(url, keys, root, packer, ledger, tokens, token_file)


@pytest.fixture
def app_world(tmp_path: Path) -> Iterator[AppWorld]:
    """A fresh SQLite ledger for this test."""
    world = build_world(f"sqlite:///{tmp_path / 'ledger.db'}", tmp_path)
    yield world
    world.ledger.close()


@pytest.fixture
def make_client(app_world: AppWorld) -> Iterator[Callable[..., TestClient]]:
    """Start the app with extra settings (and a lot lookup); closed after the test."""
    clients: list[TestClient] = []

    def make(lot_lookup: LotLookup | None = None, **options: Any) -> TestClient:
        client = TestClient(create_app(app_world.settings(**options), lot_lookup=lot_lookup))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()
