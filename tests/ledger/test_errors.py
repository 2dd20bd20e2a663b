"""Ledger errors carry what went wrong as fields, so callers never parse messages."""

from __future__ import annotations

import pytest

import ledger
from ledger import (
    KEY_REVOKE,
    AppendConflictError,
    KeyStateError,
    LedgerError,
    SignatureError,
    Statement,
    StatementError,
    revoke_body,
)
from ledger._statement import MAX_BODY_BYTES
from tests.ledger.conftest import ORIGIN, LogWorld

KEY = "0" * 32
TIME = "2026-06-01T08:30:00Z"


def test_the_docstring_draws_every_error_class() -> None:
    tree = ledger._errors.__doc__ or ""

    classes: list[type[LedgerError]] = [LedgerError, *LedgerError.__subclasses__()]
    assert len(classes) == 13
    for cls in classes:
        assert f" {cls.__name__} " in tree or f"    {cls.__name__}\n" in tree, cls.__name__


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "Not A Kind"}, "kind"),
        ({"key_id": "short"}, "key_id"),
        ({"time": "yesterday"}, "time"),
        ({"log": ""}, "log"),
    ],
)
def test_malformed_statement_names_its_field(fields: dict[str, str], field: str) -> None:
    values = {"log": ORIGIN, "kind": "test.note", "body": {}, "key_id": KEY, "time": TIME}
    with pytest.raises(StatementError) as caught:
        Statement(**{**values, **fields})  # type: ignore[arg-type]
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")


def test_oversize_body_says_expected_and_got() -> None:
    with pytest.raises(StatementError) as caught:
        Statement(ORIGIN, "test.note", {"x": "a" * MAX_BODY_BYTES}, KEY, TIME)
    error = caught.value
    assert (error.field, error.expected) == ("body", MAX_BODY_BYTES)
    assert error.got > MAX_BODY_BYTES
    assert f"got {error.got}" in str(error)


def test_batch_error_names_the_index_and_keeps_the_field(world: LogWorld) -> None:
    packer = world.actor("packer")
    good = packer.sign("test.note", {"n": 1})
    bad = world.root.sign(KEY_REVOKE, revoke_body("f" * 32, "no such key"))
    with pytest.raises(KeyStateError) as caught:
        world.ledger.append_batch([good, bad])
    assert (caught.value.index, caught.value.field) == (1, "body.key_id")
    assert str(caught.value).startswith("statement 1: body.key_id: ")
    assert world.ledger.size() == 2  # nothing appended


def test_bad_signature_in_a_batch_names_the_index(world: LogWorld) -> None:
    packer = world.actor("packer")
    good = packer.sign("test.note", {"n": 1})
    forged = type(good)(packer.sign("test.note", {"n": 2}).statement, good.signature)
    with pytest.raises(SignatureError) as caught:
        world.ledger.append_batch([good, forged])
    assert (caught.value.index, caught.value.field) == (1, "signature")


def test_append_conflict_says_expected_and_got(world: LogWorld) -> None:
    packer = world.actor("packer")
    with pytest.raises(AppendConflictError) as caught:
        world.ledger.append(packer.sign("test.note", {}), expected_size=1)
    assert (caught.value.field, caught.value.expected, caught.value.got) == (
        "expected_size",
        1,
        2,
    )
