"""Drift-check benchmark: what the projection check costs beside recording and reindexing.

Run: ``python -m bench.drift`` (20,000 events) or ``--events N``; ``--db URL`` for PostgreSQL.
Builds a season with the traceability bench's builder, then prints:

- a full check (replay into scratch tables + compare every row) in entries per second,
  beside the rate the same season was recorded at and a full ``reindex``, measured in
  the same run: the check is a replay plus a comparison, so the ratio to reindex says what
  the comparison adds;
- an incremental check after one chain of appends (the server's per-append cost), beside
  the time recording that chain took.

Figures are printed, never asserted: the machine is shared and the load is printed too.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from bench.trace import EVENTS_PER_CHAIN, chain, season, setup
from traceability import reindex
from traceability.projection._check import ProjectionCheck


def main() -> None:
    """Build the season, measure, print."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="agritrace-drift-")
    url = args.db or f"sqlite:///{Path(folder) / 'ledger.db'}"
    print(f"{os.cpu_count()} cores, load {os.getloadavg()}, database {url}")
    ledger, recorder, keys = setup(url)
    record_rate = season(recorder, keys, args.events)
    size = ledger.size()

    check = ProjectionCheck(ledger)
    start = time.perf_counter()
    report = check.run(full=True)
    full_s = time.perf_counter() - start
    assert report.verdict == "clean", report.drifts[:3]

    chains = size // EVENTS_PER_CHAIN + 10
    appends, incrementals = [], []
    for i in range(chains, chains + 20):
        start = time.perf_counter()
        recorder.record_batch(chain(i, keys))
        appends.append(time.perf_counter() - start)
        start = time.perf_counter()
        check.run(full=False)
        incrementals.append(time.perf_counter() - start)
    check.close()

    start = time.perf_counter()
    reindex(ledger)
    reindex_s = time.perf_counter() - start
    ledger.close()

    append_ms = statistics.median(appends) * 1000
    incremental_ms = statistics.median(incrementals) * 1000
    print(f"\nledger at {size:,} entries, load {os.getloadavg()}")
    print(f"  recorded through the domain  {record_rate:>10,.0f} events/s")
    print(f"  reindex (replay only)        {size / reindex_s:>10,.0f} entries/s")
    print(
        f"  full check (replay+compare)  {size / full_s:>10,.0f} entries/s "
        f"({full_s:.1f} s; {reindex_s / full_s:.2f}x the reindex rate)"
    )
    print(
        f"  one chain of {EVENTS_PER_CHAIN} events: recorded in {append_ms:.1f} ms (median), "
        f"incremental check {incremental_ms:.1f} ms ({incremental_ms / append_ms:.2f}x)"
    )


if __name__ == "__main__":
    main()
