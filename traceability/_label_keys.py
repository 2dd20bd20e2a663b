"""The cooperative's label keys, on the ledger: which public keys may sign a label's ``s=``.

A label key is an ordinary ledger key registration (``ledger.key.register``, signed by the
root) with the role :data:`LABEL_ROLE`. It is not one of the actors' roles
(:class:`traceability.Role`): a key holding only it may sign no event (the role table
refuses it), and no API token carries it. Being on the ledger, a label key follows the
ledger's key rules: it is valid from the entry after its registration until its revocation
(``agritrace ledger revoke``), and rotating it means registering the new key and, once the
old labels are off the shelves (or at once, if the key leaked), revoking the old one.
Because the registration is a log entry, anyone holding a checkpoint can be given an
inclusion proof of it: the scan answer carries it, so the phone and ``agritrace verify``
check a label's signature against a key the log committed to, not the server's word.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger import KEY_REGISTER, Ledger, Statement, format_time, key_id_for, register_body
from ledger import sign_statement as sign

__all__ = ["LABEL_ROLE", "LabelKey", "label_keys", "register_label_key"]

#: The key role that signs labels (and nothing else).
LABEL_ROLE = "label"


@dataclass(frozen=True)
class LabelKey:
    """A label public key and the ledger entry that registered it.

    Attributes:
        key_id: The key's id (as the ledger names keys).
        public_key: The raw 32-byte Ed25519 public key.
        seq: The position of its ``ledger.key.register`` entry (what a proof covers).
    """

    key_id: str
    public_key: bytes
    seq: int

    def verifier(self) -> Ed25519PublicKey:
        """The key as a ``cryptography`` public key (for :func:`labels.verify_link`)."""
        return Ed25519PublicKey.from_public_bytes(self.public_key)


def label_keys(ledger: Ledger, at: int | None = None) -> tuple[LabelKey, ...]:
    """The label keys valid at position ``at`` (default: for the next entry), oldest first.

    Read from the signature-checked key entries (``Ledger.keys``), never the key table.
    """
    position = ledger.size() if at is None else at
    return tuple(
        LabelKey(info.key_id, info.public_key, info.registered_seq)
        for info in sorted(ledger.keys().values(), key=lambda k: k.registered_seq)
        if LABEL_ROLE in info.roles and info.valid_at(position)
    )


def register_label_key(
    ledger: Ledger,
    root: Ed25519PrivateKey,
    key: Ed25519PublicKey,
    actor: str,
    when: str | None = None,
) -> int:
    """Register ``key`` as a label key, signed by the root; return the entry's position.

    Args:
        ledger: The cooperative's log.
        root: The log's current root key.
        key: The label key's public half (its private half stays with the label printer).
        actor: Who holds the key, for the record (e.g. "packing shed label printer").
        when: The statement time (RFC 3339); default now.
    """
    root_id = key_id_for(root.public_key().public_bytes_raw())
    body = register_body(key.public_bytes_raw(), actor, [LABEL_ROLE])
    at = when if when is not None else format_time(datetime.now(UTC))
    signed = sign(Statement(ledger.origin, KEY_REGISTER, body, root_id, at), root)
    return ledger.append(signed).seq
