"""Offline authenticity: a genuine label verifies, a forged or altered one does not."""

from __future__ import annotations

import base64
import dataclasses
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from labels import (
    DigitalLink,
    LabelSignatureError,
    load_public_key,
    parse_digital_link,
    sign_link,
    verify_link,
)
from tests.labels.conftest import RESOLVER


@pytest.fixture
def link() -> DigitalLink:
    return DigitalLink(RESOLVER, "6912345678902", "KS-2026-STR-0001", "000042")


def test_genuine_label_verifies_from_its_uri(link: DigitalLink, key: Ed25519PrivateKey) -> None:
    signed = sign_link(link, key)
    assert verify_link(signed.uri, key.public_key()) == signed


def test_signature_is_not_gs1_data(link: DigitalLink, key: Ed25519PrivateKey) -> None:
    signed = sign_link(link, key)
    assert parse_digital_link(signed.uri).fnc1_element_string == link.fnc1_element_string


@pytest.mark.parametrize("field", ["gtin", "lot", "serial"])
def test_forged_signature_rejected_when_any_signed_field_changes(
    link: DigitalLink, key: Ed25519PrivateKey, field: str
) -> None:
    signed = sign_link(link, key)
    other = {"gtin": "09520123456788", "lot": "KS-2026-STR-0002", "serial": "000043"}[field]
    forged = dataclasses.replace(signed, **{field: other})  # type: ignore[arg-type]
    with pytest.raises(LabelSignatureError, match="does not verify"):
        verify_link(forged.uri, key.public_key())


def test_label_signed_by_another_key_rejected(link: DigitalLink, key: Ed25519PrivateKey) -> None:
    signed = sign_link(link, Ed25519PrivateKey.generate())
    with pytest.raises(LabelSignatureError, match="does not verify"):
        verify_link(signed, key.public_key())


def test_flipped_signature_digit_rejected(link: DigitalLink, key: Ed25519PrivateKey) -> None:
    signed = sign_link(link, key)
    assert signed.signature is not None
    digit = "1" if signed.signature[-1] != "1" else "2"
    tampered = dataclasses.replace(signed, signature=signed.signature[:-1] + digit)
    with pytest.raises(LabelSignatureError):
        verify_link(tampered, key.public_key())


@pytest.mark.parametrize("signature", [None, "123", "9" * 155, "abc"])
def test_missing_or_malformed_signature_rejected(
    link: DigitalLink, key: Ed25519PrivateKey, signature: str | None
) -> None:
    with pytest.raises(LabelSignatureError, match="signature"):
        verify_link(dataclasses.replace(link, signature=signature), key.public_key())


def test_public_key_loads_from_raw_base64_and_pem(
    link: DigitalLink, key: Ed25519PrivateKey, tmp_path: Path
) -> None:
    public = key.public_key()
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    (tmp_path / "coop.pem").write_bytes(pem)
    signed = sign_link(link, key)
    for given in (raw, base64.b64encode(raw).decode(), tmp_path / "coop.pem"):
        assert verify_link(signed, load_public_key(given)) == signed
    with pytest.raises(LabelSignatureError, match="expected 32 raw bytes"):
        load_public_key(base64.b64encode(raw[:31]).decode())
