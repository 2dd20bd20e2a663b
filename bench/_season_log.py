"""A season's log for the mirror benchmark, built fast and kept between runs.

The mirror's catch-up and its replay into the projection are measured on realistic
``trace.*`` statements: the very lot chains ``bench/trace.py`` records (harvest, cooling,
residue test signed by the enrolled lab, grading, releases, packing, shipping, receiving),
after the same master data (role keys, lab enrolment, product, profile, MRL table, 2,000
farms). Recording a million events through the domain takes about ten minutes here; this
builder records only the master data through the domain, signs the season's statements on
every core and appends them with the ledger's raw ``append_batch`` (signatures and keys are
still checked by the ledger; the domain rules are checked by the mirror's replay, whose
anomaly count the benchmark prints: it must be 0).

The log is exported as tiles beside it, and the folder is kept: ``<folder>/source.db``,
``<folder>/tiles/``, ``<folder>/keys/`` and ``<folder>/done`` once complete, so a second run
(or a second benchmark) reuses it.
"""

from __future__ import annotations

import os
import shutil
import time
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bench.trace import EVENTS_PER_CHAIN, FARMS, ORIGIN, chain, setup
from ledger import (
    KeyFolder,
    SignedStatement,
    Statement,
    export_tiles,
    format_time,
    key_id_for,
    sign_statement,
)
from traceability import Role

__all__ = ["season_log"]

# Lot chains signed per worker task: large enough to amortise the hand-off.
_CHAINS_PER_TASK = 500
_IN_FLIGHT = 4


def _raw(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


def _sign_chains(
    raw_keys: dict[Role, bytes], first: int, stop: int, at: str
) -> list[SignedStatement]:
    """Sign lot chains ``first <= i < stop`` as their actors (runs in a worker process)."""
    keys = {role: Ed25519PrivateKey.from_private_bytes(raw) for role, raw in raw_keys.items()}
    ids = {id(k): key_id_for(k.public_key().public_bytes_raw()) for k in keys.values()}
    out = []
    for i in range(first, stop):
        for event, key in chain(i, keys):
            statement = Statement(ORIGIN, event.KIND, event.to_body(), ids[id(key)], at)
            out.append(sign_statement(statement, key))
    return out


def season_log(folder: Path, entries: int) -> Path:
    """Return ``folder``, holding a season's log of about ``entries`` entries and its tiles.

    Reuses the folder when a complete build of the same size is there; otherwise builds it.
    """
    done = folder / "done"
    if done.exists() and done.read_text().strip() == str(entries):
        return folder
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    started = time.perf_counter()
    keys_folder = KeyFolder(folder / "keys")
    ledger, _, keys = setup(f"sqlite:///{folder / 'source.db'}", FARMS, keys_folder)
    chains = max(1, (entries - ledger.size()) // EVENTS_PER_CHAIN)
    print(f"source log: master data in {time.perf_counter() - started:.1f} s; signing and "
          f"appending {chains * EVENTS_PER_CHAIN:,} season statements...", flush=True)  # fmt: skip
    raw_keys = {role: _raw(key) for role, key in keys.items()}
    at = format_time(datetime.now(UTC) - timedelta(minutes=1))
    pending: deque[Future[list[SignedStatement]]] = deque()
    tasks = iter(range(0, chains, _CHAINS_PER_TASK))
    with ProcessPoolExecutor(os.cpu_count()) as pool:

        def submit() -> None:
            first = next(tasks, None)
            if first is not None:
                stop = min(first + _CHAINS_PER_TASK, chains)
                pending.append(pool.submit(_sign_chains, raw_keys, first, stop, at))

        for _ in range(_IN_FLIGHT):
            submit()
        while pending:
            signed = pending.popleft().result()
            submit()
            ledger.append_batch(signed)
            if ledger.size() // 100_000 != (ledger.size() - len(signed)) // 100_000:
                print(f"  {ledger.size():>10,} entries", flush=True)
    ledger.checkpoint()
    export_tiles(ledger, folder / "tiles")
    size = ledger.size()
    ledger.close()
    print(f"source log: {size:,} entries built and exported in "
          f"{time.perf_counter() - started:.0f} s", flush=True)  # fmt: skip
    done.write_text(str(entries))
    return folder
