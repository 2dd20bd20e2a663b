"""Ledger fixtures: a fresh database per test (SQLite file or a PostgreSQL schema), actors."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger import (
    KEY_REGISTER,
    Ledger,
    NoteSigner,
    Receipt,
    SignedStatement,
    Statement,
    format_time,
    key_id_for,
    register_body,
    sign_statement,
)

PG_URL = os.environ.get("AGRITRACE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
ORIGIN = "test.agritrace.example/log"


def _postgres_reachable() -> str | None:
    try:
        engine = sqlalchemy.create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
    except sqlalchemy.exc.OperationalError as e:
        return str(e.orig).strip().splitlines()[0] if e.orig else str(e)
    return None


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The PostgreSQL URL; skip when unreachable, except under CI where that fails."""
    problem = _postgres_reachable()
    if problem is not None:
        message = f"PostgreSQL at {PG_URL} is unreachable: {problem}"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI=true: PostgreSQL tests must run)")
        pytest.skip(message)
    return PG_URL


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty schema on the real server for this test only."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(postgres_server)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in postgres_server else "?"
    yield f"{postgres_server}{separator}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test using this runs once on a SQLite file and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite file for tests that only need one backend."""
    return f"sqlite:///{tmp_path / 'ledger.db'}"


@dataclass
class Actor:
    """A key holder that signs statements for the test log."""

    name: str
    key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)
    origin: str = ORIGIN

    @property
    def public_key(self) -> bytes:
        return self.key.public_key().public_bytes_raw()

    @property
    def key_id(self) -> str:
        return key_id_for(self.public_key)

    def sign(self, kind: str, body: dict[str, Any], at: datetime | None = None) -> SignedStatement:
        time = format_time(at or datetime.now(UTC) - timedelta(seconds=1))
        return sign_statement(Statement(self.origin, kind, body, self.key_id, time), self.key)


@dataclass
class LogWorld:
    """A log with its root, its checkpoint key and a factory for registered actors."""

    url: str
    root: Actor
    log_signer: NoteSigner
    ledger: Ledger
    opened: list[Ledger] = field(default_factory=list)

    def actor(self, name: str, roles: tuple[str, ...] = ("packer",)) -> Actor:
        actor = Actor(name)
        self.ledger.append(
            self.root.sign(KEY_REGISTER, register_body(actor.public_key, name, roles))
        )
        return actor

    def reopen(self, **options: Any) -> Ledger:
        ledger = Ledger.open(self.url, log_signer=self.log_signer, **options)
        self.opened.append(ledger)
        return ledger


@pytest.fixture
def make_log() -> Iterator[Callable[[str], LogWorld]]:
    """Create a log in a given database; checkpoints after every append (interval 0)."""
    worlds: list[LogWorld] = []

    def make(url: str) -> LogWorld:
        root = Actor("root")
        signer = NoteSigner.generate(ORIGIN)
        ledger = Ledger.create(url, ORIGIN, root.key, signer, checkpoint_interval=timedelta(0))
        worlds.append(LogWorld(url, root, signer, ledger))
        return worlds[-1]

    yield make
    for world in worlds:
        for ledger in [world.ledger, *world.opened]:
            ledger.close()


@pytest.fixture
def world(make_log: Callable[[str], LogWorld], db_url: str) -> LogWorld:
    """A fresh log on each backend."""
    return make_log(db_url)


def notes(actor: Actor, count: int, start: int = 0) -> list[SignedStatement]:
    """``count`` distinct signed statements by ``actor``."""
    return [actor.sign("test.note", {"n": i}) for i in range(start, start + count)]


def seqs(receipts: list[Receipt]) -> list[int]:
    """The positions in a list of receipts."""
    return [r.seq for r in receipts]
