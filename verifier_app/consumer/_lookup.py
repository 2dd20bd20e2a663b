"""What the resolver asks the domain about a scanned code: one function, filled in later.

The consumer routes depend on a :class:`LotLookup`. Until the domain (``traceability``)
provides one, :func:`no_lots` answers None for every code, so every code is "unknown".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from labels import DigitalLink

__all__ = ["LotLookup", "LotStatus", "LotView", "no_lots"]

# "unverified": the lot would be "verified" but the server's projection disagrees with its
# log (verifier_app._drift), so it claims nothing.
LotStatus = Literal["verified", "unverified", "on_hold", "recalled"]


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
    """

    status: LotStatus
    product: str
    facts: tuple[tuple[str, str], ...] = ()
    entries: tuple[int, ...] = ()


class LotLookup(Protocol):
    """Find the lot a scanned Digital Link names."""

    def __call__(self, link: DigitalLink) -> LotView | None:
        """Return the lot's view, or None when the code is unknown (possible counterfeit)."""
        ...


def no_lots(link: DigitalLink) -> LotView | None:
    """The lookup used until the domain lands: no code is known."""
    return None
