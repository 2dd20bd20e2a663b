r"""Witness cosignatures on checkpoints (c2sp.org/tlog-cosignature, Ed25519 ``cosignature/v1``).

A cosignature is a note signature line whose key ID uses signature type 0x04 and whose
payload is ``timestamp (u64 big-endian) ‖ Ed25519 signature (64)`` over
``cosignature/v1\ntime <timestamp>\n`` followed by the checkpoint body. Pure code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger._checkpoint import Checkpoint
from ledger._errors import NoteError
from ledger._note import Note
from ledger._note_format import (
    NamedEd25519Key,
    NamedEd25519PublicKey,
    signature_line,
)

__all__ = ["CosignatureVerifier", "Cosigner", "verify_cosignature"]

# signed-note "Signature types": 0x04 is timestamped Ed25519 witness cosignatures.
ALG_COSIGNATURE_V1 = 0x04
# tlog-cosignature "Format": the timestamp "MUST NOT exceed 2^63 - 1".
MAX_TIMESTAMP = 2**63 - 1
_PAYLOAD_SIZE = 8 + 64  # timestamped_signature: u64 timestamp, ed25519_signature[64]


def _signed_message(checkpoint: Checkpoint, timestamp: int) -> bytes:
    """The one encoding a cosigner signs ("Ed25519 signed message")."""
    # Header line for domain separation, then "time", one space, decimal without leading
    # zeroes, then the whole checkpoint body including any extension lines.
    return f"cosignature/v1\ntime {timestamp}\n{checkpoint.body()}".encode()


def _check_timestamp(timestamp: int) -> None:
    if isinstance(timestamp, bool) or not isinstance(timestamp, int):
        raise NoteError(f"timestamp must be an int, got {type(timestamp).__name__}")
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise NoteError(f"expected timestamp in 0..2**63-1, got {timestamp}")


@dataclass(frozen=True)
class Cosigner(NamedEd25519Key):
    """A witness's Ed25519 cosigning key under a cosigner name.

    Attributes:
        name: The cosigner name, usually a schema-less URL.
        private_key: The Ed25519 private key. The spec requires a distinct key per
            cosigner, because the v1 message does not commit to the name.
    """

    ALGORITHM: ClassVar[int] = ALG_COSIGNATURE_V1

    def cosign(self, checkpoint: Checkpoint, timestamp: int) -> str:
        """Cosign ``checkpoint`` as of ``timestamp`` and return the signature line.

        Args:
            checkpoint: The checkpoint whose consistency the witness has checked.
            timestamp: POSIX seconds, 0 ≤ timestamp ≤ 2**63 - 1.

        Raises:
            NoteError: the timestamp is out of range.
        """
        _check_timestamp(timestamp)
        sig = self.private_key.sign(_signed_message(checkpoint, timestamp))
        return signature_line(self.name, self.key_id, timestamp.to_bytes(8, "big") + sig)


@dataclass(frozen=True)
class CosignatureVerifier(NamedEd25519PublicKey):
    """A witness's Ed25519 cosignature key (type 0x04): cosigner name, key ID and key."""

    ALGORITHM: ClassVar[int] = ALG_COSIGNATURE_V1
    NOUN: ClassVar[str] = "cosigner"


def verify_cosignature(checkpoint: Checkpoint, note: Note, verifier: CosignatureVerifier) -> int:
    """Verify the witness's cosignature on ``checkpoint`` and return its timestamp.

    ``note`` is the parsed checkpoint note (from ``open_checkpoint`` or ``parse_note``);
    its text must be exactly this checkpoint's body. As in signed-note, the first line with
    the witness's name and key ID decides; lines from other keys are ignored. A timestamp
    in the future is returned, not refused: the caller knows the clock.

    Raises:
        NoteError: the note is for another checkpoint, has no line by this witness, or the
            witness's line is malformed or does not verify.
    """
    if note.text != checkpoint.body():
        raise NoteError("note text is not this checkpoint's body")
    label = f"{verifier.name}+{verifier.key_id.hex()}"
    sig = next(
        (s for s in note.signatures if (s.name, s.key_id) == (verifier.name, verifier.key_id)),
        None,
    )
    if sig is None:
        raise NoteError(f"no cosignature by {label}")
    if len(sig.signature) != _PAYLOAD_SIZE:
        raise NoteError(
            f"cosignature by {label}: expected {_PAYLOAD_SIZE} bytes after the key ID, "
            f"got {len(sig.signature)}"
        )
    timestamp = int.from_bytes(sig.signature[:8], "big")
    if timestamp > MAX_TIMESTAMP:
        raise NoteError(f"cosignature by {label}: timestamp {timestamp} exceeds 2**63-1")
    key = Ed25519PublicKey.from_public_bytes(verifier.public_key)
    try:
        key.verify(sig.signature[8:], _signed_message(checkpoint, timestamp))
    except InvalidSignature as e:
        raise NoteError(f"invalid cosignature for key {label}") from e
    return timestamp
