"""Kept scan answers follow cosignatures stored by another process.

Scan answers are kept per log version (size, checkpoint size), and a witness's cosignature
on the latest checkpoint changes neither. ``serve``'s own submitter drops the kept answers
when it stores one; a cosignature stored elsewhere — the regulator running ``agritrace
ledger witness`` against the database, a primary's witness seen by a read-only replica —
would otherwise stay off every kept page ("no witness has cosigned it yet") until the log
grows, and ``agritrace verify`` with that witness in its trust file would fail meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from fastapi.concurrency import run_in_threadpool

from ledger import Ledger, LedgerError, parse_note

__all__ = ["watch_cosignatures"]

_log = logging.getLogger("verifier_app.witnessing")


def cosignatures(ledger: Ledger) -> frozenset[tuple[str, bytes]]:
    """The latest checkpoint's witness signature lines (name, signature), not the log's own."""
    note = ledger.cosigned_checkpoint()
    if note is None:
        return frozenset()
    return frozenset(
        (s.name, s.key_id + s.signature)
        for s in parse_note(note.encode()).signatures
        if s.name != ledger.origin
    )


async def watch_cosignatures(ledger: Ledger, seconds: float, changed: Callable[[], None]) -> None:
    """Call ``changed`` whenever the latest checkpoint's cosignatures differ; until cancelled.

    A server no witness cosigns never calls it (its set stays empty as checkpoints come), so
    its kept answers are dropped only by a new log version, as before.
    """
    seen: frozenset[tuple[str, bytes]] | None = None
    while True:
        try:
            now = await run_in_threadpool(cosignatures, ledger)
        except LedgerError as e:
            _log.error("could not read the latest checkpoint's cosignatures: %s", e)
        else:
            if seen is not None and now != seen:
                changed()
            seen = now
        await asyncio.sleep(seconds)
