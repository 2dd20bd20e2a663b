"""A certificate's code: the lot's Digital Link carrying the certificate's number (``cert``).

``cert`` is not GS1 data: a GS1 reader ignores it (the element string is the lot's), ours
keeps it through parsing, signing and rendering; a malformed number is refused, naming it.
"""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from labels import (
    Certificate,
    DigitalLink,
    GS1SyntaxError,
    parse_digital_link,
    sign_link,
    verify_link,
)
from labels._certificate import certificate_text

RESOLVER = "https://id.example.coop"


def test_the_number_round_trips_and_is_not_gs1_data() -> None:
    link = DigitalLink(RESOLVER, "06912345678902", lot="H1", certificate="42")
    assert link.uri == f"{RESOLVER}/01/06912345678902/10/H1?cert=42"
    parsed = parse_digital_link(link.uri)
    assert parsed == link
    # What a GS1 reader takes from it: the lot's element string, nothing about "cert".
    assert parsed.element_string == "(01)06912345678902(10)H1"
    with_ai = DigitalLink(RESOLVER, "06912345678902", lot="H1", attributes=(("17", "261231"),))
    both = parse_digital_link(with_ai.uri + "&cert=7")
    assert (both.attributes, both.certificate) == ((("17", "261231"),), "7")


def test_signing_keeps_the_number_and_the_signature_still_verifies() -> None:
    key = Ed25519PrivateKey.generate()
    signed = sign_link(DigitalLink(RESOLVER, "06912345678902", lot="H1", certificate="42"), key)
    assert signed.certificate == "42"
    assert signed.uri.endswith("?cert=42&s=" + (signed.signature or ""))
    verify_link(parse_digital_link(signed.uri), key.public_key())


@pytest.mark.parametrize("bad", ["0", "012", "abc", "1" * 19, "-1"])
def test_a_malformed_number_is_refused_naming_it(bad: str) -> None:
    with pytest.raises(GS1SyntaxError, match="certificate"):
        DigitalLink(RESOLVER, "06912345678902", lot="H1", certificate=bad)
    with pytest.raises(GS1SyntaxError, match="certificate"):
        parse_digital_link(f"{RESOLVER}/01/06912345678902/10/H1?cert={bad}")


def test_the_certificate_prints_its_number_under_the_code() -> None:
    link = DigitalLink(RESOLVER, "06912345678902", lot="H1", certificate="42")
    cert = Certificate("合作社", "0998-1234567", "草莓", "5 kg", "喀什", dt.date(2026, 6, 1), link)
    lines = [text for text, *_ in certificate_text(cert, 100.0, 30.0)]
    assert "合格证编号 No. 42" in lines
    plain = Certificate(
        "合作社",
        "0998-1234567",
        "草莓",
        "5 kg",
        "喀什",
        dt.date(2026, 6, 1),
        DigitalLink(RESOLVER, "06912345678902", lot="H1"),
    )
    assert not any("No." in text for text, *_ in certificate_text(plain, 100.0, 30.0))
