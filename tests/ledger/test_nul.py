"""U+0000 (NUL) is refused by the ledger itself: PostgreSQL cannot store it in text or jsonb.

The ledger is the last line: whatever a caller skipped (``agritrace ledger append``, a
pre-signed statement, a new client), a statement holding NUL never reaches a store, where
it would make the log unreadable on PostgreSQL (``serve``, ``reindex`` and ``lot show``
crashed on it).
"""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger import Statement, StatementError, key_id_for
from tests.ledger.conftest import ORIGIN
from tests.ledger.test_cli import Cli, cli, coop, plain  # noqa: F401

_KEY_ID = key_id_for(Ed25519PrivateKey.generate().public_key().public_bytes_raw())
_NOW = "2026-06-01T08:30:00.000000Z"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"variety": "Hong\x00yan"}, "body.variety"),
        # A bad member name is named by its object, not echoed into the path.
        ({"a\x00": 1}, "body[key]"),
        ({"results": [{"lab": "ok"}, {"lab": "\x00"}]}, "body.results[1].lab"),
    ],
    ids=["value", "key", "nested"],
)
def test_a_statement_holding_nul_is_refused_naming_the_field(
    body: dict[str, object], field: str
) -> None:
    with pytest.raises(StatementError, match="expected text without U\\+0000") as caught:
        Statement(ORIGIN, "trace.harvest", body, _KEY_ID, _NOW)
    assert str(caught.value).startswith(field)
    assert caught.value.field == field  # the API's error names it too, not only the text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"variety": "Hong\ud800yan"}, "body.variety"),
        ({"a\udfff": 1}, "body[key]"),
        ({"results": [{"lab": "ok"}, {"lab": "\udc00"}]}, "body.results[1].lab"),
    ],
    ids=["value", "key", "nested"],
)
def test_a_statement_holding_a_lone_surrogate_is_refused_naming_the_field(
    body: dict[str, object], field: str
) -> None:
    # Not UTF-8 at all, so it cannot be signed; the error says where it is.
    with pytest.raises(StatementError, match="cannot encode canonically") as caught:
        Statement(ORIGIN, "trace.harvest", body, _KEY_ID, _NOW)
    assert caught.value.field == field
    assert str(caught.value).startswith(field)


def test_text_that_only_spells_the_escape_is_accepted() -> None:
    # A backslash followed by "u0000" is six ordinary characters, not NUL.
    statement = Statement(ORIGIN, "trace.note", {"note": "\\u0000"}, _KEY_ID, _NOW)
    assert statement.body == {"note": "\\u0000"}


def test_ledger_append_refuses_nul_and_appends_nothing(coop: Cli) -> None:  # noqa: F811
    result = coop(
        "append", "--kind", "trace.note", "--body", '{"note": "a\\u0000b"}', "--signer", "lab"
    )
    assert result.exit_code == 2
    assert "body.note: expected text without U+0000 (NUL)" in plain(result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    assert coop.size() == 3
