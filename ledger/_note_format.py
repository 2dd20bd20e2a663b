"""The signed-note wire format's small parts: key names, texts, base64, key IDs, vkeys.

Shared by notes, checkpoints and cosignatures (c2sp.org/signed-note, "Format" and
"Signatures"). Pure functions; every failure is a NoteError.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field
from typing import ClassVar, Self

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger._errors import NoteError

__all__ = [
    "SIG_PREFIX",
    "NamedEd25519Key",
    "b64decode_strict",
    "check_name",
    "check_text",
    "compute_key_id",
    "format_vkey",
    "parse_vkey",
    "signature_line",
]

SIG_PREFIX = "— "  # em dash U+2014, then a space (spec: "Format")
_B64 = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")
_HEX8 = re.compile(r"[0-9a-f]{8}")


def b64decode_strict(text: str, what: str) -> bytes:
    """Decode standard padded base64 (RFC 4648 §4), refusing any non-canonical form.

    Raises:
        NoteError: ``text`` is not canonical padded base64.
    """
    if not _B64.fullmatch(text):
        raise NoteError(f"{what}: expected padded standard base64, got {text!r}")
    raw = base64.b64decode(text, validate=True)
    # RFC 4648 §3.5: non-zero pad bits make a second spelling of the same bytes; refuse it.
    if base64.b64encode(raw).decode("ascii") != text:
        raise NoteError(f"{what}: non-canonical base64 {text!r}")
    return raw


def check_name(name: str) -> None:
    """Refuse a key name the spec forbids: empty, a Unicode space, a plus, or a control char.

    Raises:
        NoteError: the name is not a valid key name.
    """
    # signed-note "Format": "Key names MUST be non-empty and MUST NOT contain any Unicode
    # spaces or plus (U+002B) characters". str.isspace() is Go's unicode.IsSpace (the
    # White_Space property) plus U+001C..U+001F, control characters refused anyway.
    if not name:
        raise NoteError("key name must be non-empty")
    bad = next((c for c in name if c.isspace() or c == "+" or ord(c) < 0x20), None)
    if bad is not None:
        raise NoteError(f"key name {name!r}: U+{ord(bad):04X} is not allowed in a key name")


def check_text(text: str) -> None:
    """Refuse a note text that is empty, lacks a final newline, or has a control character.

    Raises:
        NoteError: the text cannot be the text of a signed note.
    """
    if not text.endswith("\n"):
        raise NoteError("note text must be non-empty and end in a newline")
    # signed-note "Format": no ASCII control characters other than newline.
    for i, c in enumerate(text):
        if ord(c) < 0x20 and c != "\n":
            raise NoteError(f"note text contains control character U+{ord(c):04X} at {i}")


def compute_key_id(name: str, alg: int, public_key: bytes) -> bytes:
    """Return SHA-256(name ‖ 0x0A ‖ alg ‖ public key)[:4] (signed-note, "Signatures")."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([alg]) + public_key).digest()[:4]


def format_vkey(name: str, alg: int, public_key: bytes) -> str:
    """Return the verifier key ``name+hex8(key ID)+base64(alg ‖ public key)``."""
    encoded = base64.b64encode(bytes([alg]) + public_key).decode("ascii")
    return f"{name}+{compute_key_id(name, alg, public_key).hex()}+{encoded}"


def parse_vkey(vkey: str, alg: int) -> tuple[str, bytes, bytes]:
    """Parse ``name+hex8(key ID)+base64(alg ‖ 32-byte key)`` into (name, key ID, key).

    Raises:
        NoteError: malformed, wrong key ID, other algorithm, or a key that is not 32 bytes.
    """
    # Split as Go's NewVerifier does: names hold no '+', base64 may.
    name, _, rest = vkey.partition("+")
    hex_id, _, key64 = rest.partition("+")
    check_name(name)
    if not _HEX8.fullmatch(hex_id):
        raise NoteError(f"verifier key {name}: expected 8 lowercase hex key ID, got {hex_id!r}")
    key = b64decode_strict(key64, f"verifier key {name}")
    if not key:
        raise NoteError(f"verifier key {name}: empty key")
    # Go checks the key ID over the whole encoded key before the algorithm.
    if compute_key_id(name, key[0], key[1:]).hex() != hex_id:
        raise NoteError(f"verifier key {name}: key ID {hex_id} does not match the key")
    if key[0] != alg:
        raise NoteError(f"verifier key {name}: expected algorithm 0x{alg:02x}, got 0x{key[0]:02x}")
    if len(key) != 33:
        raise NoteError(f"verifier key {name}: expected 32-byte Ed25519 key, got {len(key) - 1}")
    return name, bytes.fromhex(hex_id), key[1:]


def signature_line(name: str, kid: bytes, signature: bytes) -> str:
    r"""Return the line ``— <name> <base64(key ID ‖ signature)>\n``."""
    return f"{SIG_PREFIX}{name} {base64.b64encode(kid + signature).decode('ascii')}\n"


@dataclass(frozen=True)
class NamedEd25519Key:
    """An Ed25519 private key under a note key name; subclasses fix the signature type.

    Attributes:
        name: The key name, usually a schema-less URL such as ``example.com/log``.
        private_key: The Ed25519 private key.
    """

    ALGORITHM: ClassVar[int]

    name: str
    private_key: Ed25519PrivateKey = field(repr=False)

    def __post_init__(self) -> None:
        check_name(self.name)

    @classmethod
    def generate(cls, name: str) -> Self:
        """Return a key of this kind with a fresh random Ed25519 key."""
        return cls(name, Ed25519PrivateKey.generate())

    @property
    def public_key(self) -> bytes:
        """The raw 32-byte Ed25519 public key."""
        return self.private_key.public_key().public_bytes_raw()

    @property
    def key_id(self) -> bytes:
        """The 4-byte key ID, SHA-256(name ‖ 0x0A ‖ signature type ‖ public key)[:4]."""
        return compute_key_id(self.name, self.ALGORITHM, self.public_key)

    def verifier_key(self) -> str:
        """Return the verifier key string ``name+hex(key ID)+base64(type ‖ public key)``."""
        return format_vkey(self.name, self.ALGORITHM, self.public_key)


@dataclass(frozen=True)
class NamedEd25519PublicKey:
    """A trusted Ed25519 public key under a note key name; subclasses fix the signature type.

    Attributes:
        name: The key name.
        key_id: The 4-byte key ID; must match ``name``, the type and ``public_key``.
        public_key: The raw 32-byte Ed25519 public key.
    """

    ALGORITHM: ClassVar[int]
    NOUN: ClassVar[str] = "key"  # how messages name the holder

    name: str
    key_id: bytes
    public_key: bytes

    def __post_init__(self) -> None:
        check_name(self.name)
        if len(self.public_key) != 32:
            raise NoteError(f"expected 32-byte Ed25519 key, got {len(self.public_key)}")
        if self.key_id != compute_key_id(self.name, self.ALGORITHM, self.public_key):
            raise NoteError(f"key ID {self.key_id.hex()} does not match {self.NOUN} {self.name}")

    @classmethod
    def from_key_string(cls, vkey: str) -> Self:
        """Parse a verifier key ``name+hex8+base64(type ‖ 32-byte key)`` of this type.

        A key of another type is refused even for the same Ed25519 key: its key ID differs,
        and keeping the types apart is the domain separation the spec asks for.

        Raises:
            NoteError: the string is malformed, its key ID does not match, or its type is
                not this class's.
        """
        return cls(*parse_vkey(vkey, cls.ALGORITHM))
