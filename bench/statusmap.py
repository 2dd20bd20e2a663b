"""Lot-status map benchmark: what sealing a checkpoint with the map costs.

Run: ``python -m bench.statusmap`` (a 100,000-event season) or ``--events N``; ``--db URL``
for PostgreSQL. Builds a season through the recorder (``bench/trace.py``'s chains), then:

- the first seal: the map built for every lot at once (the cost of turning the map on for
  an existing ledger, paid once);
- seals after each further batch (each batch touches a few hundred lots): the time of
  ``Ledger.checkpoint()`` with the seal, per checkpoint and per touched lot, beside the same
  checkpoint without the seal;
- reading one lot's map proof (as each scan answer does), mean and p99.

Figures are printed, never asserted: the machine is shared and the load is printed too;
read them as ratios.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

from bench.trace import BATCH, EVENTS_PER_CHAIN, GTIN, chain, season, setup
from traceability import seal_with_status_map, status_map_proof
from traceability.projection import _schema as t
from traceability.projection._status_map import map_size
from traceability.rules._actors import Role

ROUNDS = 10


def main() -> None:
    """Build the season, measure, print."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    url = args.db or f"sqlite:///{Path(tempfile.mkdtemp()) / 'statusmap.db'}"
    print(f"{os.cpu_count()} cores, load {os.getloadavg()}, database {url}")
    ledger, recorder, keys = setup(url)
    ledger.checkpoint_interval = ledger.checkpoint_interval * 10**6  # explicit ones only
    season(recorder, keys, args.events)
    chains = (ledger.size()) // EVENTS_PER_CHAIN
    with ledger.engine.connect() as conn:
        lots = len(conn.execute(select(t.lots.c.key)).all())
    print(f"season: {ledger.size():,} entries, {lots:,} lots")

    seal_with_status_map(ledger, keys[Role.COOPERATIVE])
    start = time.perf_counter()
    ledger.checkpoint()
    first = time.perf_counter() - start
    print(f"first seal (map of all {lots:,} lots): {first:.2f} s ({first / lots * 1e6:.0f} µs/lot)")

    sealed, bare, touched = [], [], []
    per_batch = BATCH // EVENTS_PER_CHAIN
    for r in range(ROUNDS):
        for with_seal in (False, True):
            base = chains + (2 * r + with_seal) * per_batch
            batch = [p for i in range(base, base + per_batch) for p in chain(i, keys)]
            recorder.record_batch(batch)
            with ledger.engine.connect() as conn:
                since = map_size(conn)
                query = select(t.lots.c.key).where(t.lots.c.status_seq >= since)
                changed = len(conn.execute(query).all())
            saved, ledger.seal = ledger.seal, ledger.seal if with_seal else None
            start = time.perf_counter()
            ledger.checkpoint()
            spent = time.perf_counter() - start
            ledger.seal = saved
            if with_seal:
                sealed.append(spent)
                touched.append(changed)
            else:
                bare.append(spent)
    per_lot = [s / max(1, n) for s, n in zip(sealed, touched, strict=True)]
    print(
        f"checkpoint after a {BATCH}-event batch: with the seal "
        f"{statistics.median(sealed) * 1000:.1f} ms median, without "
        f"{statistics.median(bare) * 1000:.1f} ms; lots touched per sealed batch "
        f"~{statistics.median(touched):.0f} (the unsealed batch's lots are in it too), "
        f"{statistics.median(per_lot) * 1e6:.0f} µs per touched lot"
    )
    size = ledger.size()
    samples = []
    for i in range(0, min(chains, 2000), 10):
        start = time.perf_counter()
        status_map_proof(ledger, GTIN, f"H{i:07d}A", size)
        samples.append(time.perf_counter() - start)
    samples.sort()
    p99 = samples[int(len(samples) * 0.99) - 1]
    print(f"map proof read: {statistics.mean(samples) * 1000:.2f} ms mean, p99 {p99 * 1000:.2f} ms")
    print(f"load average at the end {os.getloadavg()}")
    ledger.close()


if __name__ == "__main__":
    main()
