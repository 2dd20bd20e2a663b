"""Which member's log a GTIN belongs to: the company prefixes the members' ledgers declare.

Every member's cooperative declares its GS1 company prefixes on its own ledger
(``trace.cooperative`` ``company_prefixes``); a scan goes to the member declaring the longest
prefix of the GTIN (:func:`traceability.matching_prefix`). The table is read from the members'
projections at start, where two members claiming one prefix stop the server
(:class:`PrefixConflictError` names both), and read again when a member's log has grown
(the deployment's lifespan calls :meth:`PrefixTable.refresh` every ``refresh_seconds``, off
the scans' path), so a cooperative that records its prefix is routed to without a restart.
A claim made later on a prefix another member already holds is not taken: the earlier
holder keeps it and the conflict is logged (one log cannot refuse an entry for what another
log holds).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ledger import Ledger
from traceability import matching_prefix

__all__ = ["PrefixConflictError", "PrefixSource", "PrefixTable"]

_log = logging.getLogger("verifier_app")


class PrefixConflictError(ValueError):
    """Two members declare the same company prefix: a scan could not tell them apart."""


@dataclass(frozen=True)
class PrefixSource:
    """Where one member's prefixes come from.

    Attributes:
        slug: The member.
        ledger: Its open ledger (its size tells when to read again).
        prefixes: Reads the prefixes its projection holds (catching it up first).
    """

    slug: str
    ledger: Ledger
    prefixes: Callable[[], tuple[str, ...]]


class PrefixTable:
    """GTIN -> member slug by the longest declared company prefix; refreshed as logs grow.

    Args:
        sources: The members, in the deployment file's order.
        refresh_seconds: The least time between two looks at the members' log sizes.

    Raises:
        PrefixConflictError: two members declare one prefix (at construction).
    """

    def __init__(self, sources: Sequence[PrefixSource], refresh_seconds: float = 1.0) -> None:
        self._sources = tuple(sources)
        self.refresh_seconds = refresh_seconds
        self._lock = threading.Lock()
        self._sizes: dict[str, int] = {}
        self._declared: dict[str, tuple[str, ...]] = {}
        self._owner: dict[str, str] = {}
        self._checked = 0.0
        for source in self._sources:
            self._sizes[source.slug] = source.ledger.size()
            self._declared[source.slug] = source.prefixes()
        owner: dict[str, str] = {}
        for source in self._sources:
            for prefix in self._declared[source.slug]:
                if prefix in owner:
                    raise PrefixConflictError(
                        f"members {owner[prefix]!r} and {source.slug!r} both declare the GS1 "
                        f"company prefix {prefix} on their ledgers: a scan of its GTINs could "
                        "not tell them apart; correct the cooperative entry of the one it "
                        "does not belong to"
                    )
                owner[prefix] = source.slug
        self._owner = owner
        self._checked = time.monotonic()

    def owners(self) -> dict[str, str]:
        """Return prefix -> member slug, as routed now."""
        return dict(self._owner)

    def prefixes_of(self, slug: str) -> tuple[str, ...]:
        """Return the prefixes routed to member ``slug``, sorted."""
        return tuple(sorted(p for p, owner in self._owner.items() if owner == slug))

    def member_for(self, gtin: str) -> str | None:
        """Return the slug of the member whose log holds ``gtin`` (a GTIN-14), or None.

        A lookup in the table as last refreshed (no database is read).
        """
        prefix = matching_prefix(gtin, self._owner)
        return None if prefix is None else self._owner[prefix]

    def refresh(self, *, force: bool = False) -> None:
        """Read again the prefixes of members whose logs grew, at most every interval.

        Blocking (it reads the members' databases): call it from a worker thread.
        """
        now = time.monotonic()
        if not force and now - self._checked < self.refresh_seconds:
            return
        with self._lock:
            if not force and now - self._checked < self.refresh_seconds:
                return
            changed = False
            for source in self._sources:
                size = source.ledger.size()
                if size != self._sizes[source.slug]:
                    self._sizes[source.slug] = size
                    declared = source.prefixes()
                    changed |= declared != self._declared[source.slug]
                    self._declared[source.slug] = declared
            if changed:
                self._owner = self._rebuild()
            self._checked = time.monotonic()

    def _rebuild(self) -> dict[str, str]:
        owner: dict[str, str] = {}
        # Prefixes held before keep their holder; a new claim on one is refused (logged).
        for prefix, slug in self._owner.items():
            if prefix in self._declared[slug]:
                owner[prefix] = slug
        for source in self._sources:
            for prefix in self._declared[source.slug]:
                holder = owner.setdefault(prefix, source.slug)
                if holder != source.slug:
                    _log.error(
                        "member %r declares the company prefix %s that member %r holds; "
                        "its scans stay routed to %r",
                        source.slug,
                        prefix,
                        holder,
                        holder,
                    )
        return owner
