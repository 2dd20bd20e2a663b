"""The regulator's witness pins the regulator's own keys (issue 14: labs are third parties).

The cooperative's root registers every key, so it can make a key with the regulator role
and, with it, approve a "lab" of its own: the rules accept that (the key has the role).
The regulator's witness, configured with the public keys the regulator itself holds
(``AGRITRACE_WITNESS_REGULATOR_KEYS``), refuses to cosign such a log, naming the
registration; the log with only the regulator's own key is cosigned as before.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from ledger import (
    KEY_REGISTER,
    Checkpoint,
    Ledger,
    LedgerError,
    Statement,
    format_time,
    key_id_for,
    parse_note,
    sign_statement,
    verify_cosignature,
)
from ledger._keys import register_body
from tests.verifier_app.conftest import RESOLVER
from tests.verifier_app.test_serve_witness import Coop
from tests.verifier_app.test_witness_replay import World, _refusal, witnessed
from traceability import (
    Projection,
    Recorder,
    RegulatorKeyError,
    check_before_cosigning,
    enrol_lab,
    foreign_regulator_keys,
    seal_with_status_map,
)
from verifier_app import Settings

#: The season's regulator actor: in the field, the key only the regulator holds.
REGULATOR = "market-regulator"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with witnessed(tmp_path, pin=REGULATOR) as made:
        yield made


def _register(coop: Coop, ledger: Ledger, name: str, roles: list[str]) -> int:
    """The cooperative's root registers a new key, as it registers every key."""
    public = coop.keys.create(name).public_key().public_bytes_raw()
    root_id = key_id_for(coop.root.public_key().public_bytes_raw())
    body = register_body(public, name, roles)
    when = format_time(datetime.now(UTC))
    statement = Statement(ledger.origin, KEY_REGISTER, body, root_id, when)
    return ledger.append(sign_statement(statement, coop.root)).seq


def _self_approved_lab(world: World) -> tuple[int, str]:
    """The cooperative makes a "regulator" and approves a "lab" of its own; seals; signs."""
    coop = world.coop
    with Ledger.open(coop.url, log_signer=coop.keys.log_signer()) as ledger:
        fake = _register(coop, ledger, "county-inspector", ["regulator"])
        _register(coop, ledger, "own-lab", ["lab"])
        key_id = enrol_lab(
            Recorder(ledger),
            coop.keys.load("own-lab"),
            coop.keys.load("county-inspector"),
            lab="OWN-LAB",
            name="合作社自检室 the co-op's own test room",
            accreditation="219999999999",
        )
        seal_with_status_map(ledger, coop.keys.load("status-map"))
        ledger.checkpoint()
    return fake, key_id


def test_the_log_with_only_the_regulators_own_key_is_cosigned(world: World) -> None:
    world.submit()
    with Ledger.open(world.coop.url) as ledger:
        cosigned = ledger.cosigned_checkpoint()
    assert cosigned is not None
    assert world.witness_key.name in cosigned


def test_a_regulator_key_the_cooperative_made_is_refused(world: World) -> None:
    world.submit()  # cosigned so far
    fake, _ = _self_approved_lab(world)
    why = _refusal(world)
    assert "422" in why
    assert f"entry {fake} registers key" in why
    assert "(county-inspector) with the regulator role" in why
    # The rules alone accepted the approval (the key holds the role); only the pinned key
    # tells it apart, and the latest checkpoint stays without the regulator's cosignature.
    with Ledger.open(world.coop.url) as ledger:
        assert [k.seq for k in Projection(ledger).labs() if k.lab == "OWN-LAB" and k.approved_seq]
        note = ledger.latest_checkpoint()
        assert note is not None
        checkpoint, parsed = (
            Checkpoint.parse(parse_note(note.encode()).text),
            parse_note(note.encode()),
        )
        with pytest.raises(LedgerError):
            verify_cosignature(checkpoint, parsed, world.witness_key)


def test_check_before_cosigning_names_the_foreign_key(tmp_path: Path) -> None:
    coop = Coop(tmp_path / "coop")
    pinned = {coop.keys.load(REGULATOR).public_key().public_bytes_raw()}
    with Ledger.open(coop.url, log_signer=coop.keys.log_signer()) as ledger:
        seal_with_status_map(ledger, coop.keys.load("status-map"))
        check_before_cosigning(ledger, ledger.checkpoint(), pinned)  # honest: passes
        fake = _register(coop, ledger, "county-inspector", ["regulator", "cooperative"])
        note = ledger.checkpoint()
        assert [k.registered_seq for k in foreign_regulator_keys(ledger, ledger.size(), pinned)]
        assert foreign_regulator_keys(ledger, fake, pinned) == []  # not yet at that size
        with pytest.raises(RegulatorKeyError, match=f"entry {fake} registers key"):
            check_before_cosigning(ledger, note, pinned)
        # Without pinned keys nothing is checked (the witness says so at start).
        check_before_cosigning(ledger, note)


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("not base64!", "'not base64!': expected the base64 of a 32-byte Ed25519 public key"),
        (base64.b64encode(bytes(31)).decode(), "expected the base64 of a 32-byte"),
        # A well-formed key, but no followed log to check it on.
        (base64.b64encode(bytes(32)).decode(), "set AGRITRACE_WITNESS_FOLLOW too"),
    ],
)
def test_bad_regulator_key_settings_are_refused_by_name(
    tmp_path: Path, key: str, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        Settings(
            db=f"sqlite:///{tmp_path / 'x.db'}",
            keys=tmp_path / "keys",
            resolver=RESOLVER,
            witness_regulator_keys=(key,),
        )
