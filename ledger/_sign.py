"""Signing a large recording batch on the ledger's worker processes (ADR 29).

Ed25519 signing costs about 45 µs a statement, a tenth of a recording batch's main thread.
``cryptography`` releases the GIL while it signs, but a signing thread then waits for the
GIL back after every signature while the recorder's main thread is busy in Python (the
reason verification moved to processes, ADR 28), so threads do not take it off that
thread. The worker processes of ADR 28 do: they sign while the recorder checks the batch
against its projection, and verify each signature with the key the log registered before
handing it back.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger._verify import PROCESS_THRESHOLD
from ledger._verify_processes import sign_on_processes

__all__ = ["SignLater", "sign_later"]

#: Waits for the signatures: all of them in order and None, or none and the first bad index.
SignLater = Callable[[], tuple[list[bytes], "int | None"]]


def sign_later(items: Sequence[tuple[Ed25519PrivateKey, bytes, bytes]]) -> SignLater | None:
    """Start signing ``items`` (key, its registered public key, message) on the workers.

    Returns None when the batch is better signed in line by the caller: fewer than
    ``PROCESS_THRESHOLD`` statements (the hand-off costs more than it saves) or one core.
    """
    if len(items) < PROCESS_THRESHOLD or (os.cpu_count() or 1) < 2:
        return None
    seeds: dict[int, bytes] = {}
    framed = [
        (seeds.setdefault(id(key), key.private_bytes_raw()), public, message)
        for key, public, message in items
    ]
    return sign_on_processes(framed)
