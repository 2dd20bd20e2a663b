"""``AGRITRACE_READ_ONLY`` settings: no token needed, a real resolver still, never with a mirror."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ledger import NoteSigner
from tests.verifier_app.conftest import RESOLVER
from verifier_app import Settings

DB = "postgresql+psycopg://reader@replica.example/coop"
LOG_KEY = NoteSigner.generate("coop.example/log").verifier_key()


def test_read_only_needs_no_token_file_but_a_real_resolver() -> None:
    assert Settings(db=DB, resolver=RESOLVER, read_only=True).read_only
    with pytest.raises(ValidationError, match="AGRITRACE_RESOLVER: expected an https"):
        Settings(db=DB, resolver="http://id.coop.example", read_only=True)


def test_without_read_only_a_token_file_is_still_required() -> None:
    with pytest.raises(ValidationError, match="AGRITRACE_TOKENS: no token file"):
        Settings(db=DB, resolver=RESOLVER)


def test_read_only_and_a_mirror_are_refused_together() -> None:
    with pytest.raises(ValidationError, match="AGRITRACE_READ_ONLY with AGRITRACE_MIRROR_OF"):
        Settings(
            db=DB,
            resolver=RESOLVER,
            read_only=True,
            mirror_of="https://coop.example/log",
            mirror_log_key=LOG_KEY,
        )


def test_read_only_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGRITRACE_READ_ONLY", "true")
    monkeypatch.setenv("AGRITRACE_RESOLVER", RESOLVER)
    monkeypatch.setenv("AGRITRACE_DB", DB)
    assert Settings().read_only
