r"""Offline label authenticity: an Ed25519 signature over GTIN, lot and serial in the URI.

Signed bytes (the one canonical encoding; nothing else is signed)::

    b"agritrace-label-v1\n" + gtin14 + b"\n" + lot + b"\n" + serial

with an absent lot or serial as the empty string (GS1 character set 82 holds no newline, so
the fields cannot run into each other). The 64-byte signature travels as query parameter ``s``
written as a 155-digit decimal number: QR numeric mode stores it in 517 bits, where base64url
(86 characters in byte mode) needs 688, which keeps the code a version smaller on small labels.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import replace
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from labels._digital_link import DigitalLink, parse_digital_link
from labels._errors import LabelSignatureError

__all__ = ["load_private_key", "load_public_key", "sign_link", "signed_bytes", "verify_link"]

_DOMAIN = b"agritrace-label-v1\n"
_DIGITS = 155  # len(str(2**512 - 1))


def signed_bytes(link: DigitalLink) -> bytes:
    """The bytes a label signature covers: domain, GTIN-14, lot and serial."""
    return _DOMAIN + "\n".join((link.gtin, link.lot or "", link.serial or "")).encode()


def sign_link(link: DigitalLink, key: Ed25519PrivateKey) -> DigitalLink:
    """Return ``link`` carrying the cooperative's signature over its GTIN, lot and serial.

    A certificate number on the link is kept (and not signed: the ledger vouches for it).
    """
    signature = key.sign(signed_bytes(link))
    return replace(link, signature=str(int.from_bytes(signature, "big")).zfill(_DIGITS))


def verify_link(link: DigitalLink | str, public_key: Ed25519PublicKey) -> DigitalLink:
    """Check a label's signature with the cooperative's public key, offline.

    Args:
        link: The Digital Link or its URI as read from the label.
        public_key: The cooperative's Ed25519 public key (see ``load_public_key``).

    Returns:
        The verified link.

    Raises:
        LabelSignatureError: No signature, a malformed one, or one that does not verify.
        GS1SyntaxError: ``link`` is a URI that is not a GTIN-keyed Digital Link.
    """
    if isinstance(link, str):
        link = parse_digital_link(link)
    if link.signature is None:
        raise LabelSignatureError("signature: expected query parameter 's', got none")
    digits = link.signature
    if len(digits) != _DIGITS or not digits.isdigit() or int(digits) >= 1 << 512:
        raise LabelSignatureError(
            f"signature: expected {_DIGITS} decimal digits below 2**512, got {len(digits)} "
            f"characters"
        )
    try:
        public_key.verify(int(digits).to_bytes(64, "big"), signed_bytes(link))
    except InvalidSignature:
        raise LabelSignatureError(
            f"signature: does not verify for {link.element_string} with this key "
            "(forged, altered, or signed by another cooperative)"
        ) from None
    return link


def load_public_key(value: str | bytes | Path) -> Ed25519PublicKey:
    """Load an Ed25519 public key: raw 32 bytes, their base64, PEM text, or a PEM/raw file.

    Raises:
        LabelSignatureError: The value is none of these, or not an Ed25519 key.
    """
    data = _read(value)
    if b"-----BEGIN" in data:
        try:
            key = serialization.load_pem_public_key(data)
        except ValueError as e:
            raise LabelSignatureError(f"public key: expected a PEM public key: {e}") from e
        if not isinstance(key, Ed25519PublicKey):
            raise LabelSignatureError(f"public key: expected Ed25519, got {type(key).__name__}")
        return key
    raw = data if len(data) == 32 else _b64(data.strip())
    if len(raw) != 32:
        raise LabelSignatureError(f"public key: expected 32 raw bytes, got {len(raw)}")
    return Ed25519PublicKey.from_public_bytes(raw)


def load_private_key(value: str | bytes | Path) -> Ed25519PrivateKey:
    """Load an Ed25519 private key: raw 32-byte seed, its base64, PEM text, or such a file.

    Raises:
        LabelSignatureError: The value is none of these, or not an Ed25519 key.
    """
    data = _read(value)
    if b"-----BEGIN" in data:
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except ValueError as e:
            raise LabelSignatureError(f"private key: expected a PEM private key: {e}") from e
        if not isinstance(key, Ed25519PrivateKey):
            raise LabelSignatureError(f"private key: expected Ed25519, got {type(key).__name__}")
        return key
    raw = data if len(data) == 32 else _b64(data.strip())
    if len(raw) != 32:
        raise LabelSignatureError(f"private key: expected a 32-byte seed, got {len(raw)} bytes")
    return Ed25519PrivateKey.from_private_bytes(raw)


def _read(value: str | bytes | Path) -> bytes:
    if isinstance(value, Path):
        try:
            return value.read_bytes()
        except OSError as e:
            raise LabelSignatureError(f"key file {value}: {e.strerror}") from e
    return value.encode() if isinstance(value, str) else value


def _b64(data: bytes) -> bytes:
    try:
        return base64.b64decode(data + b"=" * (-len(data) % 4), altchars=b"-_")
    except (binascii.Error, ValueError):
        pass
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as e:
        raise LabelSignatureError("key: expected raw bytes, base64 or PEM") from e
