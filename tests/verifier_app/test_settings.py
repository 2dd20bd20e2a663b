"""Settings refuse insecure values outside demo mode, with a message naming the variable."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import ValidationError

from ledger import Cosigner, NoteSigner
from tests.verifier_app.conftest import RESOLVER, write_token_file
from verifier_app import Settings, TokenTable

DB = "sqlite:///unused.db"


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    return write_token_file(tmp_path / "tokens.toml", {"s3cret-token-1": ("lab-1", ["lab"])})


def test_no_token_file_is_refused_outside_demo() -> None:
    with pytest.raises(ValidationError, match="AGRITRACE_TOKENS: no token file configured"):
        Settings(db=DB, resolver=RESOLVER)


def test_demo_token_in_the_file_is_refused(tmp_path: Path) -> None:
    tokens = write_token_file(tmp_path / "t.toml", {"demo-lab-token": ("lab", ["lab"])})
    with pytest.raises(ValidationError, match="accepts a published demo token"):
        Settings(db=DB, resolver=RESOLVER, tokens=tokens)


def test_empty_token_file_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.toml"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(ValidationError, match="holds no tokens"):
        Settings(db=DB, resolver=RESOLVER, tokens=empty)


def test_plain_http_resolver_is_refused(token_file: Path) -> None:
    with pytest.raises(ValidationError, match="AGRITRACE_RESOLVER: expected an https:// URL"):
        Settings(db=DB, resolver="http://id.kashgar-coop.example", tokens=token_file)


def test_example_resolver_is_refused(token_file: Path) -> None:
    with pytest.raises(ValidationError, match="still the example"):
        Settings(db=DB, tokens=token_file)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('[[token]]\nsha256 = "abc"\nactor = "x"\nroles = ["lab"]\n', "64 lowercase hex"),
        (f'[[token]]\nsha256 = "{"a" * 64}"\nactor = "x"\nroles = ["chef"]\n', "roles"),
        (f'[[token]]\nsha256 = "{"a" * 64}"\nactor = "x"\n', "expected sha256, actor and roles"),
        ("this is not toml =", "token file"),
    ],
)
def test_malformed_token_file_is_refused_with_the_reason(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValidationError, match=message):
        Settings(db=DB, resolver=RESOLVER, tokens=path)


def test_demo_mode_accepts_defaults_and_serves_demo_tokens() -> None:
    settings = Settings(db=DB, demo=True)
    table = settings.token_table()
    assert table.holds_demo_tokens()
    caller = table.caller("demo-regulator-token")
    assert caller is not None
    assert caller.roles == {"regulator"}


def test_secure_settings_are_accepted(token_file: Path) -> None:
    settings = Settings(db=DB, resolver=RESOLVER, tokens=token_file)
    assert settings.token_table().caller("s3cret-token-1") is not None
    assert settings.token_table().caller("demo-lab-token") is None


def test_settings_come_from_agritrace_environment_variables(
    monkeypatch: pytest.MonkeyPatch, token_file: Path
) -> None:
    monkeypatch.setenv("AGRITRACE_DB", "sqlite:///from-env.db")
    monkeypatch.setenv("AGRITRACE_TOKENS", str(token_file))
    monkeypatch.setenv("AGRITRACE_RESOLVER", RESOLVER)
    witness = Cosigner("w.example", Ed25519PrivateKey.generate()).verifier_key()
    monkeypatch.setenv("AGRITRACE_WITNESSES", json.dumps([witness]))
    settings = Settings()
    assert settings.db == "sqlite:///from-env.db"
    assert settings.tokens == token_file
    assert settings.witnesses == (witness,)


def test_token_file_holds_no_token_in_clear(token_file: Path) -> None:
    assert "s3cret-token-1" not in token_file.read_text(encoding="utf-8")
    assert TokenTable.load(token_file).caller("s3cret-token-1") is not None


def test_malformed_witness_key_is_refused_at_once(token_file: Path) -> None:
    with pytest.raises(ValidationError, match="AGRITRACE_WITNESSES: 'not-a-key'"):
        Settings(db=DB, resolver=RESOLVER, tokens=token_file, witnesses=("not-a-key",))


def test_demo_mode_still_refuses_an_unreadable_token_file(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="AGRITRACE_TOKENS"):
        Settings(db=DB, demo=True, tokens=tmp_path / "missing.toml")


def test_witness_urls_name_a_url_and_a_valid_key_which_is_then_trusted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = Cosigner.generate("witness.regulator.test").verifier_key()
    monkeypatch.setenv("AGRITRACE_WITNESS_URLS", json.dumps({"https://w.test/witness": key}))
    settings = Settings(db=DB, demo=True)
    assert settings.witness_urls == {"https://w.test/witness": key}
    assert key in settings.witness_keys()
    with pytest.raises(ValidationError, match="AGRITRACE_WITNESS_URLS: expected an http"):
        Settings(db=DB, demo=True, witness_urls={"ftp://w.test": key})
    with pytest.raises(ValidationError, match=r"AGRITRACE_WITNESS_URLS: https://w\.test"):
        Settings(db=DB, demo=True, witness_urls={"https://w.test": "not a key"})


def test_serving_as_a_witness_needs_all_four_settings(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="AGRITRACE_WITNESS_KEY, AGRITRACE_WITNESS_STATE"):
        Settings(db=DB, demo=True, witness_name="w.test")
    with pytest.raises(ValidationError, match="AGRITRACE_WITNESS_LOGS: 'not a log key'"):
        Settings(db=DB, demo=True, witness_logs=("not a log key",))
    three: dict[str, Any] = {
        "witness_name": "w.test",
        "witness_key": tmp_path / "w.pem",
        "witness_state": tmp_path / "state",
    }
    with pytest.raises(ValidationError, match="needs AGRITRACE_WITNESS_LOGS too"):
        Settings(db=DB, demo=True, **three)
    log = NoteSigner.generate("coop.test/log").verifier_key()
    assert Settings(db=DB, demo=True, witness_logs=(log,), **three).is_witness()
    assert not Settings(db=DB, demo=True).is_witness()
