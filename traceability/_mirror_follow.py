"""A mirror of a cooperative's log whose projection follows it, entry by entry.

:class:`ledger.Mirror` copies and verifies the log (checkpoint, tiles, entries, signatures,
chain) into a database of its own; it knows nothing of the domain. :class:`DomainMirror`
replays what each sync stored into the projection in that same database, so the mirror can
answer scans (``verifier_app`` in mirror mode) and recompute the lot-status map (the
regulator's witness, :class:`~traceability.StatusMapWitnessCheck`). The replay is
incremental: only the entries the projection has not applied yet, also after a sync that
was cut (what it stored was verified against a signed checkpoint first).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from ledger import Ledger, Mirror, MirrorError, MirrorProgress, NoteVerifier
from traceability.projection._read import Projection
from traceability.projection._replay import catch_up

__all__ = ["DomainMirror"]

_log = logging.getLogger("traceability")


class DomainMirror:
    """A verified copy of a log plus its projection, kept up to date together.

    Args:
        mirror: The ledger's mirror (its store is the database the projection lives in).
    """

    def __init__(self, mirror: Mirror) -> None:
        self.mirror = mirror
        self.ledger = Ledger(mirror.store)
        Projection(self.ledger)  # creates the trace_* tables on a fresh mirror

    @classmethod
    def open(
        cls, url: str, log_key: NoteVerifier, fetch: Callable[[str], bytes], state: Path
    ) -> DomainMirror:
        """Open (or create) the mirror database at ``url`` (see :meth:`ledger.Mirror.open`)."""
        return cls(Mirror.open(url, log_key, fetch, state))

    def sync(self) -> MirrorProgress:
        """Catch up with the source log, then replay the new entries into the projection.

        Raises:
            ledger.MirrorNetworkError: the source is unreachable or the transfer was cut (the
                batches stored before the cut are replayed all the same).
            ledger.ForkError: the source log forked.
            ledger.MirrorError: the source served data that does not verify.
        """
        try:
            progress = self.mirror.sync()
        except MirrorError:
            self.replay()
            raise
        self.replay()
        return progress

    def replay(self) -> int:
        """Apply the stored entries the projection lacks; return how many."""
        applied = catch_up(self.ledger)
        if applied:
            _log.info("mirror: replayed %d entries into the projection", applied)
        return applied

    def close(self) -> None:
        """Close the mirror's database."""
        self.ledger.close()
