"""Mirror and map-checking witness settings: refused with the variable named, never half set."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ledger import NoteSigner
from tests.verifier_app.conftest import RESOLVER
from verifier_app import Settings

DB = "sqlite:///unused.db"
LOG_KEY = NoteSigner.generate("coop.example/log").verifier_key()


def test_a_mirror_needs_the_logs_key() -> None:
    with pytest.raises(ValidationError, match="AGRITRACE_MIRROR_LOG_KEY: a mirror needs"):
        Settings(db=DB, resolver=RESOLVER, mirror_of="https://coop.example/log")


def test_a_malformed_log_key_is_named() -> None:
    with pytest.raises(ValidationError, match="AGRITRACE_MIRROR_LOG_KEY"):
        Settings(db=DB, resolver=RESOLVER, mirror_of="https://c/log", mirror_log_key="nope")


def test_a_mirror_url_must_be_http() -> None:
    with pytest.raises(ValidationError, match="AGRITRACE_MIRROR_OF: expected an http"):
        Settings(db=DB, resolver=RESOLVER, mirror_of="file:///etc", mirror_log_key=LOG_KEY)


def test_a_mirror_needs_no_token_file_but_a_real_resolver() -> None:
    settings = Settings(
        db=DB, resolver=RESOLVER, mirror_of="https://coop.example/log", mirror_log_key=LOG_KEY
    )
    assert settings.is_mirror()
    assert settings.mirror_folder().name == "mirror"
    with pytest.raises(ValidationError, match="AGRITRACE_RESOLVER: expected an https"):
        Settings(
            db=DB,
            resolver="http://id.coop.example",
            mirror_of="https://coop.example/log",
            mirror_log_key=LOG_KEY,
        )


def test_the_witness_follows_only_logs_it_witnesses() -> None:
    common = {
        "db": DB,
        "resolver": RESOLVER,
        "demo": True,
        "witness_name": "w.example/w",
        "witness_key": "w.pem",
        "witness_state": "state",
        "witness_logs": (LOG_KEY,),
    }
    with pytest.raises(ValidationError, match=r"'other\.example/log' is not the origin of a log"):
        Settings(**common, witness_follow={"other.example/log": "https://o/log"})  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"AGRITRACE_WITNESS_FOLLOW: 'coop\.example/log'"):
        Settings(**common, witness_follow={"coop.example/log": "ftp://c/log"})  # type: ignore[arg-type]
    ok = Settings(**common, witness_follow={"coop.example/log": "https://c/log"})  # type: ignore[arg-type]
    assert ok.witness_follow == {"coop.example/log": "https://c/log"}
