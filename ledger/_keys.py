"""Keys as ledger entries: who may sign, from which position, until which.

The cooperative's root key signs the genesis entry and every ``ledger.*`` entry. A key is
valid for entries after its registration and before its revocation, so verification uses
the keys that were valid at each entry's position, and a revoked key cannot sign anything
new. The rules here are pure: the log applies them inside its append lock, and the audit
replays them from the entries alone, trusting no key table.

Root rotation (as TUF rotates root metadata): a ``ledger.root.rotate`` entry is signed by
the current root and carries the new root's public key and the new root's signature over
:func:`rotation_message` (the log, the old root's id, the new key). Both signatures must
verify, so neither a stolen old root alone nor a key that merely claims to be the new root
can move the root. The old root may sign up to and including its rotation entry; the new
one from the entry after. A verifier pinned to any root in the chain follows the entries
to the current root.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger._canonical import canonical_bytes
from ledger._errors import KeyStateError, SignatureError, StatementError
from ledger._statement import Statement, key_id_for

__all__ = [
    "GENESIS",
    "KEY_REGISTER",
    "KEY_REVOKE",
    "LEDGER_KINDS",
    "ROOT_ROTATE",
    "KeyInfo",
    "KeyRing",
    "genesis_body",
    "register_body",
    "revoke_body",
    "rotate_root_body",
    "rotation_message",
]

GENESIS = "ledger.genesis"
KEY_REGISTER = "ledger.key.register"
KEY_REVOKE = "ledger.key.revoke"
ROOT_ROTATE = "ledger.root.rotate"
#: Every kind that changes key state.
LEDGER_KINDS = (GENESIS, KEY_REGISTER, KEY_REVOKE, ROOT_ROTATE)
_LEDGER_PREFIX = "ledger."
_ROOT_ROLE = "root"


@dataclass(frozen=True)
class KeyInfo:
    """A registered key and the span of positions it may sign."""

    key_id: str
    public_key: bytes
    actor: str
    roles: tuple[str, ...]
    registered_seq: int
    revoked_seq: int | None = None

    def valid_at(self, seq: int) -> bool:
        """Whether this key may sign the entry at position ``seq``."""
        return self.registered_seq < seq and (self.revoked_seq is None or seq < self.revoked_seq)


def genesis_body(origin: str, root_public_key: bytes, log_verifier_key: str) -> dict[str, Any]:
    """Return the body of a log's first entry: its name, root key and checkpoint key."""
    return {
        "origin": origin,
        "root_key": base64.b64encode(root_public_key).decode(),
        "log_key": log_verifier_key,
    }


def register_body(public_key: bytes, actor: str, roles: Iterable[str]) -> dict[str, Any]:
    """Return the body of a ``ledger.key.register`` entry."""
    return {
        "public_key": base64.b64encode(public_key).decode(),
        "actor": actor,
        "roles": sorted(set(roles)),
    }


def revoke_body(key_id: str, reason: str) -> dict[str, Any]:
    """Return the body of a ``ledger.key.revoke`` entry."""
    return {"key_id": key_id, "reason": reason}


def rotation_message(origin: str, old_root_key_id: str, new_root_public_key: bytes) -> bytes:
    """The bytes the new root signs to accept the root of ``origin`` from the old one.

    RFC 8785 bytes of four members; a statement's signing bytes always have five, so the
    new root's signature can never be taken for a statement's, nor used for another log or
    another old root.
    """
    return canonical_bytes(
        {
            "kind": ROOT_ROTATE,
            "log": origin,
            "old_root": old_root_key_id,
            "new_root": base64.b64encode(new_root_public_key).decode(),
        }
    )


def rotate_root_body(
    origin: str, old_root_key_id: str, new_root: Ed25519PrivateKey
) -> dict[str, Any]:
    """Return the body of a ``ledger.root.rotate`` entry, signed by the new root.

    The entry itself must then be signed by the old (current) root.
    """
    public = new_root.public_key().public_bytes_raw()
    signature = new_root.sign(rotation_message(origin, old_root_key_id, public))
    return {
        "new_root_key": base64.b64encode(public).decode(),
        "new_root_signature": base64.b64encode(signature).decode(),
    }


@dataclass
class KeyRing:
    """The keys known at some position of the log, and the rules for changing them."""

    keys: dict[str, KeyInfo] = field(default_factory=dict)
    root_key_id: str | None = None
    log_key: str | None = None
    origin: str | None = None
    roots: tuple[str, ...] = ()  # the chain of root key ids, genesis first

    def copy(self) -> KeyRing:
        """Return a ring that can be changed without changing this one."""
        return KeyRing(dict(self.keys), self.root_key_id, self.log_key, self.origin, self.roots)

    def signer(self, seq: int, statement: Statement) -> KeyInfo:
        """Return the key that may sign ``statement`` at position ``seq``, or raise.

        Raises:
            KeyStateError: the key is unknown, not yet valid, revoked, or the statement is a
                ledger statement not signed by the root key.
        """
        if seq == 0:
            return self._genesis_signer(statement)
        return self.signer_of(seq, statement.kind, statement.key_id)

    def signer_of(self, seq: int, kind: str, key_id: str) -> KeyInfo:
        """Like :meth:`signer` for entries after genesis, from the statement's kind and key."""
        if self.root_key_id is None:
            raise KeyStateError("the log has no genesis entry")
        info = self.keys.get(key_id)
        if info is None:
            raise KeyStateError(f"key {key_id} is not registered in this log")
        if info.revoked_seq is not None and seq >= info.revoked_seq:
            raise KeyStateError(
                f"key {key_id} ({info.actor}) was revoked at entry {info.revoked_seq}"
            )
        if not info.valid_at(seq):
            raise KeyStateError(f"key {key_id} is not valid at entry {seq}")
        # The root of this position: after a rotation the old root's span has ended, so
        # only the root valid here has the role (the audit checks old entries this way).
        if kind.startswith(_LEDGER_PREFIX) and _ROOT_ROLE not in info.roles:
            raise KeyStateError(
                f"{kind} must be signed by the root key {self.root_key_id}, "
                f"not {info.key_id} ({info.actor})"
            )
        if kind == GENESIS:
            raise KeyStateError(f"{GENESIS} is only allowed as entry 0, got it at entry {seq}")
        return info

    def apply(self, seq: int, statement: Statement) -> KeyInfo | None:
        """Apply a ledger statement accepted at ``seq``; return the key it added or changed."""
        body = statement.body
        if statement.kind == GENESIS:
            info = self._genesis_signer(statement)
            self.root_key_id = info.key_id
            self.log_key = str(body["log_key"])
            self.origin = statement.log
            self.roots = (info.key_id,)
            self.keys[info.key_id] = info
            return info
        if statement.kind == KEY_REGISTER:
            public_key = _public_key(body.get("public_key"), "body.public_key")
            key_id = key_id_for(public_key)
            if key_id in self.keys:
                raise KeyStateError(f"key {key_id} is already registered")
            actor = body.get("actor")
            roles = body.get("roles")
            if not isinstance(actor, str) or not actor.strip():
                raise StatementError(
                    "body.actor: expected the actor's name or id", field="body.actor"
                )
            if not isinstance(roles, list) or not all(isinstance(r, str) and r for r in roles):
                raise StatementError(
                    "body.roles: expected a list of role names", field="body.roles"
                )
            if _ROOT_ROLE in roles:
                raise KeyStateError(
                    "body.roles: the root role belongs to the genesis key only", field="body.roles"
                )
            info = KeyInfo(key_id, public_key, actor, tuple(roles), seq)
            self.keys[key_id] = info
            return info
        if statement.kind == KEY_REVOKE:
            target = body.get("key_id")
            if not isinstance(target, str) or target not in self.keys:
                raise KeyStateError(
                    f"body.key_id: no registered key {target!r} to revoke", field="body.key_id"
                )
            key_id = target
            if key_id == self.root_key_id:
                raise KeyStateError("the root key cannot be revoked (it would orphan the log)")
            if self.keys[key_id].revoked_seq is not None:
                raise KeyStateError(f"key {key_id} is already revoked")
            if not isinstance(body.get("reason"), str):
                raise StatementError(
                    "body.reason: expected why the key is revoked", field="body.reason"
                )
            self.keys[key_id] = replace(self.keys[key_id], revoked_seq=seq)
            return self.keys[key_id]
        if statement.kind == ROOT_ROTATE:
            return self._rotate(seq, statement)
        if statement.kind.startswith(_LEDGER_PREFIX):
            raise StatementError(f"kind: unknown ledger statement {statement.kind!r}", field="kind")
        return None

    def _rotate(self, seq: int, statement: Statement) -> KeyInfo:
        body = statement.body
        if set(body) != {"new_root_key", "new_root_signature"}:
            raise StatementError(
                "body: expected exactly new_root_key and new_root_signature", field="body"
            )
        old = self.root_key_id
        if old is None or statement.key_id != old:
            raise KeyStateError(
                f"{ROOT_ROTATE} must be signed by the current root {old}", field="key_id"
            )
        public_key = _public_key(body["new_root_key"], "body.new_root_key")
        key_id = key_id_for(public_key)
        if key_id in self.keys:
            raise KeyStateError(
                f"body.new_root_key: key {key_id} is already registered; a new root must be new",
                field="body.new_root_key",
            )
        try:
            signature = base64.b64decode(str(body["new_root_signature"]), validate=True)
            Ed25519PublicKey.from_public_bytes(public_key).verify(
                signature, rotation_message(statement.log, old, public_key)
            )
        except (binascii.Error, ValueError, InvalidSignature) as e:
            raise SignatureError(
                "body.new_root_signature: the new root's signature over the rotation does "
                f"not verify with key {key_id}",
                field="body.new_root_signature",
            ) from e
        # The old root signed this entry, so its span ends just after it.
        self.keys[old] = replace(self.keys[old], revoked_seq=seq + 1)
        info = KeyInfo(key_id, public_key, "root", (_ROOT_ROLE,), seq)
        self.keys[key_id] = info
        self.root_key_id = key_id
        self.roots = (*self.roots, key_id)
        return info

    def _genesis_signer(self, statement: Statement) -> KeyInfo:
        if statement.kind != GENESIS:
            raise KeyStateError(f"entry 0 must be {GENESIS}, got {statement.kind}")
        body = statement.body
        if set(body) != {"origin", "root_key", "log_key"}:
            raise StatementError(
                "body: expected exactly origin, root_key and log_key", field="body"
            )
        if body["origin"] != statement.log:
            raise StatementError(
                f"body.origin: expected the log's origin {statement.log!r}, got {body['origin']!r}",
                field="body.origin",
            )
        if not isinstance(body["log_key"], str):
            raise StatementError(
                "body.log_key: expected a note verifier key string", field="body.log_key"
            )
        public_key = _public_key(body["root_key"], "body.root_key")
        key_id = key_id_for(public_key)
        if statement.key_id != key_id:
            raise KeyStateError(
                f"the genesis entry must be signed by its own root key {key_id}, "
                f"not {statement.key_id}"
            )
        return KeyInfo(key_id, public_key, "root", (_ROOT_ROLE,), -1)


def _public_key(value: Any, field_name: str) -> bytes:
    try:
        raw = base64.b64decode(value, validate=True) if isinstance(value, str) else b""
    except binascii.Error:
        raw = b""
    if len(raw) != 32:
        raise StatementError(f"{field_name}: expected a base64 32-byte Ed25519 public key")
    return raw
