"""C2SP signed notes (c2sp.org/signed-note, golang.org/x/mod/sumdb/note), Ed25519 only.

A signed note is a text ending in a newline, a blank line, then one or more signature lines
``— <key name> <base64(4-byte key ID ‖ signature)>``. Verification follows the spec and the
Go reference: signatures from unknown keys are kept but ignored; a signature whose name and
key ID match a trusted key MUST verify or the whole note is rejected; and at least one
trusted signature must verify. Pure code: bytes and strings in, a value or NoteError out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger._errors import NoteError
from ledger._note_format import (
    SIG_PREFIX,
    NamedEd25519Key,
    NamedEd25519PublicKey,
    b64decode_strict,
    check_name,
    check_text,
    signature_line,
)

__all__ = [
    "Note",
    "NoteSignature",
    "NoteSigner",
    "NoteVerifier",
    "open_note",
    "parse_note",
    "sign_note",
]

# Signature type byte for Ed25519 notes (signed-note, "Signature types": 0x01).
ALG_ED25519 = 0x01
# Go's note.Open refuses more than 100 signature lines; the spec requires accepting ≥ 16.
MAX_SIGNATURES = 100
# Defensive cap on the whole note (the spec allows one on "the overall size of a note"):
# 100 post-quantum signatures of ~5 kB each still fit.
MAX_NOTE_BYTES = 1 << 20

_LINE_GRAMMAR = "expected '— <name> <base64>'"


@dataclass(frozen=True)
class NoteSigner(NamedEd25519Key):
    """An Ed25519 note signing key (signature type 0x01) under a key name.

    Attributes:
        name: The key name, usually a schema-less URL such as ``example.com/log``.
        private_key: The Ed25519 private key.
    """

    ALGORITHM: ClassVar[int] = ALG_ED25519

    def sign(self, text: str) -> str:
        """Sign a note text and return its signature line, ending in a newline.

        Raises:
            NoteError: ``text`` is not a valid note text.
        """
        check_text(text)
        return signature_line(self.name, self.key_id, self.private_key.sign(text.encode()))


@dataclass(frozen=True)
class NoteVerifier(NamedEd25519PublicKey):
    """A trusted Ed25519 note key (type 0x01): the name and key ID it signs under, its key."""

    ALGORITHM: ClassVar[int] = ALG_ED25519

    def verify(self, text: bytes | str, signature: bytes) -> bool:
        """Return whether ``signature`` (without key ID) is this key's signature of ``text``."""
        message = text.encode() if isinstance(text, str) else text
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class NoteSignature:
    """One well-formed signature line of a note.

    Attributes:
        name: The key name on the line.
        key_id: The 4-byte key ID that starts the decoded signature.
        signature: The decoded bytes after the key ID.
    """

    name: str
    key_id: bytes
    signature: bytes

    def __post_init__(self) -> None:
        check_name(self.name)
        if len(self.key_id) != 4:
            raise NoteError(f"expected 4-byte key ID, got {len(self.key_id)}")


@dataclass(frozen=True)
class Note:
    """A parsed signed note.

    Attributes:
        text: The note text, including its final newline.
        signatures: Every signature line, in order, trusted or not.
        verified: The signatures that verified against a trusted key (empty if only parsed).
    """

    text: str
    signatures: tuple[NoteSignature, ...]
    verified: tuple[NoteSignature, ...] = ()

    def __post_init__(self) -> None:
        check_text(self.text)


def sign_note(text: str, signers: Sequence[NoteSigner]) -> str:
    """Sign ``text`` with every signer and return the whole signed note.

    Raises:
        NoteError: the text is invalid, no signer is given, two signers share a name and key
            ID, or the note would exceed what :func:`open_note` accepts.
    """
    check_text(text)
    if not signers:
        raise NoteError("a signed note needs at least one signer")
    if len(signers) > MAX_SIGNATURES:
        raise NoteError(f"expected at most {MAX_SIGNATURES} signers, got {len(signers)}")
    keys = [(s.name, s.key_id) for s in signers]
    if len(set(keys)) != len(keys):
        raise NoteError("two signers share a key name and key ID")
    note = text + "\n" + "".join(s.sign(text) for s in signers)
    if len(note.encode()) > MAX_NOTE_BYTES:
        raise NoteError(f"signed note exceeds {MAX_NOTE_BYTES} bytes")
    return note


def parse_note(message: bytes) -> Note:
    """Parse a signed note strictly, without verifying any signature.

    Raises:
        NoteError: the message is not a well-formed signed note.
    """
    if len(message) > MAX_NOTE_BYTES:
        raise NoteError(f"note is {len(message)} bytes, limit {MAX_NOTE_BYTES}")
    try:
        decoded = message.decode("utf-8")
    except UnicodeDecodeError as e:
        raise NoteError(f"note is not valid UTF-8 (byte {e.start})") from e
    for i, c in enumerate(decoded):
        if ord(c) < 0x20 and c != "\n":
            raise NoteError(f"note contains control character U+{ord(c):04X} at {i}")
    # The text is separated from the signatures by the last empty line (spec "Format").
    split = decoded.rfind("\n\n")
    if split < 0:
        raise NoteError("note has no blank line before its signature lines")
    text, block = decoded[: split + 1], decoded[split + 2 :]
    if not block:
        raise NoteError("note has no signature lines")
    if not block.endswith("\n"):
        raise NoteError("note's last signature line does not end in a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"note has more than {MAX_SIGNATURES} signature lines")
    return Note(text, tuple(_parse_line(n, line) for n, line in enumerate(lines, 1)))


def _parse_line(number: int, line: str) -> NoteSignature:
    """Parse ``— <name> <base64>`` (line ``number`` of the signature block)."""
    where = f"signature line {number}"
    if not line.startswith(SIG_PREFIX):
        raise NoteError(f"{where}: {_LINE_GRAMMAR}")
    name, space, b64 = line[len(SIG_PREFIX) :].partition(" ")
    if not space or not b64:
        raise NoteError(f"{where}: {_LINE_GRAMMAR}")
    try:
        check_name(name)
        raw = b64decode_strict(b64, "signature")
    except NoteError as e:
        raise NoteError(f"{where}: {_LINE_GRAMMAR}: {e}") from e
    if len(raw) < 5:  # Go: a 4-byte key ID and at least one signature byte
        raise NoteError(f"{where}: expected key ID and signature, got {len(raw)} bytes")
    return NoteSignature(name, raw[:4], raw[4:])


def open_note(message: bytes, verifiers: Sequence[NoteVerifier]) -> Note:
    """Parse a signed note and verify it against trusted keys, as Go's ``note.Open`` does.

    Lines from unknown keys (name or key ID differ) are kept but ignored. The first line
    from each trusted key must verify; later lines from the same key are skipped.

    Raises:
        NoteError: the note is malformed, a trusted key's signature fails, two trusted keys
            share the name and key ID on a line, or no trusted signature verified.
    """
    note = parse_note(message)
    text = note.text.encode()
    seen: set[tuple[str, bytes]] = set()
    verified: list[NoteSignature] = []
    for sig in note.signatures:
        matches = [v for v in verifiers if (v.name, v.key_id) == (sig.name, sig.key_id)]
        label = f"{sig.name}+{sig.key_id.hex()}"
        if not matches:
            continue  # spec: "Verifiers MUST ignore signatures from unknown keys"
        if len(matches) > 1:
            raise NoteError(f"ambiguous key {label}: {len(matches)} trusted keys match")
        if (sig.name, sig.key_id) in seen:
            continue  # Go: "Drop repeated signatures by a single verifier"
        seen.add((sig.name, sig.key_id))
        # Spec: "If a signature from a known key fails to verify, clients SHOULD reject
        # the whole note"; Go does.
        if not matches[0].verify(text, sig.signature):
            raise NoteError(f"invalid signature for key {label}")
        verified.append(sig)
    if not verified:
        raise NoteError("no signature by a trusted key verified")
    return Note(note.text, note.signatures, tuple(verified))
