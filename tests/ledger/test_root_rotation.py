"""Rotating the cooperative's root key: both the old and the new root must sign."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from ledger import (
    KEY_REGISTER,
    KEY_REVOKE,
    ROOT_ROTATE,
    KeyFolder,
    KeyStateError,
    Ledger,
    SignatureError,
    register_body,
    revoke_body,
    rotate_root_body,
)
from tests.ledger.conftest import ORIGIN, Actor, LogWorld, notes
from tests.ledger.test_cli import Cli, cli, coop, plain

__all__ = ["cli", "coop"]  # the command-line fixtures, shared with test_cli


def _rotate(world: LogWorld, new: Actor, ledger: Ledger | None = None) -> int:
    body = rotate_root_body(ORIGIN, world.root.key_id, new.key)
    return (ledger or world.ledger).append(world.root.sign(ROOT_ROTATE, body)).seq


def test_rotated_root_signs_key_entries_and_the_old_one_cannot(world: LogWorld) -> None:
    packer = world.actor("packer")
    new = Actor("new root")
    seq = _rotate(world, new)
    lab = Actor("lab")
    with pytest.raises(KeyStateError, match="revoked"):
        world.ledger.append(
            world.root.sign(KEY_REGISTER, register_body(lab.public_key, "lab", ["lab"]))
        )
    world.ledger.append(new.sign(KEY_REGISTER, register_body(lab.public_key, "lab", ["lab"])))
    world.ledger.append(new.sign(KEY_REVOKE, revoke_body(packer.key_id, "left")))
    world.ledger.append_batch(notes(lab, 3))
    keys = world.reopen().keys()  # replayed from the entries by a fresh process
    assert keys[new.key_id].roles == ("root",)
    assert keys[new.key_id].registered_seq == seq
    assert keys[world.root.key_id].revoked_seq == seq + 1  # it signed the rotation itself
    report = world.ledger.audit()
    assert report.verdict == "valid", report.failure
    assert report.drift == ()  # the key table followed the rotation


def test_verifier_pinned_to_any_root_in_the_chain_reaches_the_current_one(
    world: LogWorld,
) -> None:
    second, third = Actor("second"), Actor("third")
    _rotate(world, second)
    world.ledger.append(
        second.sign(ROOT_ROTATE, rotate_root_body(ORIGIN, second.key_id, third.key))
    )
    world.ledger.append(third.sign(KEY_REGISTER, register_body(Actor("x").public_key, "x", ["x"])))
    for pinned in (world.root, second, third):
        report = world.ledger.audit(trusted_root_key=pinned.public_key)
        assert report.verdict == "valid", (pinned.name, report.failure)
    stranger = world.ledger.audit(trusted_root_key=Actor("stranger").public_key)
    assert stranger.verdict == "invalid"
    assert "chain of roots" in str(stranger.failure)


def test_rotation_without_the_new_roots_signature_is_refused(world: LogWorld) -> None:
    new, impostor = Actor("new"), Actor("impostor")
    body = rotate_root_body(ORIGIN, world.root.key_id, impostor.key)
    body["new_root_key"] = base64.b64encode(new.public_key).decode()  # not new's signature
    size = world.ledger.size()
    with pytest.raises(SignatureError) as caught:
        world.ledger.append(world.root.sign(ROOT_ROTATE, body))
    assert caught.value.field == "body.new_root_signature"
    assert world.ledger.size() == size


def test_rotation_signed_by_the_new_root_alone_is_refused(world: LogWorld) -> None:
    world.actor("packer")  # registered keys are not roots either
    new = Actor("new")
    body = rotate_root_body(ORIGIN, world.root.key_id, new.key)
    with pytest.raises(KeyStateError):
        world.ledger.append(new.sign(ROOT_ROTATE, body))  # new is not registered at all
    packer = world.actor("packer2")
    with pytest.raises(KeyStateError, match="must be signed by the root key"):
        world.ledger.append(packer.sign(ROOT_ROTATE, body))


def test_new_roots_signature_for_another_log_or_old_root_is_refused(world: LogWorld) -> None:
    new = Actor("new")
    for body in (
        rotate_root_body("other.example/log", world.root.key_id, new.key),
        rotate_root_body(ORIGIN, "0" * 32, new.key),
    ):
        with pytest.raises(SignatureError):
            world.ledger.append(world.root.sign(ROOT_ROTATE, body))


def test_rotating_to_a_registered_key_is_refused(world: LogWorld) -> None:
    packer = world.actor("packer")
    body = rotate_root_body(ORIGIN, world.root.key_id, packer.key)
    with pytest.raises(KeyStateError, match="already registered"):
        world.ledger.append(world.root.sign(ROOT_ROTATE, body))


def test_cli_rotate_root_moves_the_key_files_and_register_uses_the_new_root(coop: Cli) -> None:
    coop.ok("keygen", "root2")
    folder = KeyFolder(coop.keys)
    new_public = folder.load("root2").public_key().public_bytes_raw()
    old_public = folder.load("root").public_key().public_bytes_raw()
    out = coop.ok("rotate-root", "--new", "root2").stdout
    assert out.startswith("root rotated from ")
    assert folder.load("root").public_key().public_bytes_raw() == new_public
    assert not folder.exists("root2")
    retired = [p.stem for p in Path(coop.keys).glob("root-retired-*.pem")]
    assert len(retired) == 1
    assert folder.load(retired[0]).public_key().public_bytes_raw() == old_public
    coop.ok("keygen", "truck")
    coop.ok("register", "truck", "--actor", "Truck", "--role", "logistics")
    audited = coop.ok("audit", "--root-key", base64.b64encode(old_public).decode())
    assert plain(audited.stdout).startswith("VALID")


def test_stolen_old_root_cannot_rotate_again(world: LogWorld) -> None:
    new, thief_choice = Actor("new"), Actor("thief")
    _rotate(world, new)
    body = rotate_root_body(ORIGIN, world.root.key_id, thief_choice.key)
    with pytest.raises(KeyStateError):
        world.ledger.append(world.root.sign(ROOT_ROTATE, body))
