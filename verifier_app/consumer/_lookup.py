"""What the resolver asks the domain about a scanned code: one function.

The consumer routes depend on a :class:`LotLookup`; ``create_app`` uses the domain's
(:class:`~verifier_app.consumer._domain_lookup.TraceLookup`) unless a test passes its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from labels import DigitalLink
from traceability import CertificateCheck

__all__ = ["Banner", "LotLookup", "LotView"]

#: The page's status banner for a known lot (the domain's ``LotStatus`` mapped to four).
#: "unverified": the lot would be "verified" but the server's projection disagrees with its
#: log (verifier_app._drift), so it claims nothing.
Banner = Literal["verified", "unverified", "on_hold", "recalled"]


@dataclass(frozen=True)
class LotView:
    """What a consumer's scan shows about a known lot.

    Attributes:
        status: ``verified``, ``on_hold`` or ``recalled``: the page's banner.
        product: The product's name as the cooperative writes it.
        facts: ``(name, value)`` pairs in display order. Names the page knows (``origin``,
            ``grade``, ``harvested``, ``packed``, ``residue``, ``cold_chain``) are
            translated; others are shown as given. Values are shown as given, escaped.
        entries: Ledger positions of the entries these facts come from; the page links
            each to its inclusion proof.
        claims: The facts as values (``traceability.FACT_NAMES`` -> JSON
            value), from the same source as ``facts``: what the check re-derives from the
            entries and compares. Empty when the lookup makes no checkable claims.
        missing_stages: Cold-chain stages the lot's profile requires that it has no record
            of (``"precool"``): the page warns, in every language, that it is not
            cold-chain compliant.
        certificate: The certificate the scanned link names (``?cert=N``) checked against
            the ledger, or None when the link names none.
    """

    status: Banner
    product: str
    facts: tuple[tuple[str, str], ...] = ()
    entries: tuple[int, ...] = ()
    claims: Mapping[str, Any] = field(default_factory=dict)
    missing_stages: tuple[str, ...] = ()
    certificate: CertificateCheck | None = None


class LotLookup(Protocol):
    """Find the lot a scanned Digital Link names."""

    def __call__(self, link: DigitalLink) -> LotView | None:
        """Return the lot's view, or None when the code is unknown (possible counterfeit)."""
        ...
