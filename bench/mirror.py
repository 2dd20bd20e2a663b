"""Mirror benchmark: catching up a season's tiled log, and replaying it into the projection.

Run: ``python -m bench.mirror`` (100,000 entries) or ``--entries 1000000``; ``--source DIR``
keeps the source log (and its tiles) in DIR and reuses it on the next run (building a
million entries takes a few minutes: ``bench/_season_log.py``); ``--db URL`` for the
mirror's database (default: a SQLite file). The source log is a season of ``trace.*``
statements as ``bench/trace.py`` records them, exported as tiles and read back from the
folder (no HTTP: this measures the mirror's own work, fetching aside). The mirror catches
up from empty (checkpoint signature, every leaf hash, every entry's signature, chain links,
key state), then replays what it stored into its own projection, as ``agritrace mirror``
does before it serves pages.

The limit the catch-up is judged against, measured in the same run: raw Ed25519 verifies
per second on one core, times the cores (issue 15's target: >= 80% of cores x verify). Raw
verify is measured right before and after the catch-up, since rates move on a shared
machine, and the load average is printed at each step; so is what all cores verify together
when they run at once (which is less than cores x one core when they do not scale
perfectly, and is printed beside the target, not in its place). The replay is a separate figure
(entries per second, and per CPU-second: it runs on one thread). Load-independent too: the
main process's CPU per entry beside one verification's, and the ratio they allow when the
cores are the catch-up's alone (the signatures are verified on worker processes).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

from bench._season_log import season_log
from bench.ledger import parallel_verify_rate, verify_rate
from ledger import Ledger, NoteVerifier
from traceability import DomainMirror
from traceability.projection._schema import anomalies


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def measure(source: Path, mirror_url: str, state: Path) -> None:
    """Mirror the tiled log in ``source`` into ``mirror_url``; print the figures as they come."""
    with Ledger.open(f"sqlite:///{source / 'source.db'}") as ledger:
        key = NoteVerifier.from_key_string(ledger.log_key())
        size = ledger.size()

    def fetch(path: str) -> bytes:
        return (source / "tiles" / path).read_bytes()

    mirror = DomainMirror.open(mirror_url, key, fetch, state)
    load_before = _load()
    print(f"catching up {size:,} entries, load {load_before}", flush=True)
    before, before_cpu = verify_rate()
    start, cpu = time.perf_counter(), time.process_time()
    progress = mirror.mirror.sync()
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    after, after_cpu = verify_rate()
    together = parallel_verify_rate(os.cpu_count() or 1)
    if progress.after != size:
        raise SystemExit(f"the mirror holds {progress.after:,} entries, expected {size:,}")
    cores = os.cpu_count() or 1
    verify = (before + after) / 2
    limit, rate = verify * cores, size / seconds
    ratio = rate / limit
    # The main process's CPU only: the signatures are verified on worker processes.
    main_us, verify_us = cpu_seconds / size * 1e6, 2e6 / (before_cpu + after_cpu)
    # Load-independent: what the catch-up reaches when the cores are its own.
    ceiling = verify_us / (verify_us + main_us)
    print(f"\nentries                        {size:>12,}")
    print(f"mirror catch-up                {rate:>12,.0f} entries/s ({seconds:.1f} s)")
    print(f"raw Ed25519 verify, 1 core     {verify:>12,.0f} /s "
          f"(before {before:,.0f}, after {after:,.0f})")  # fmt: skip
    print(f"cores                          {cores:>12}")
    print(f"limit: cores x verify          {limit:>12,.0f} /s")
    print(f"catch-up / limit               {ratio:>12.0%}  (target >= 80%: "
          f"{'met' if ratio >= 0.8 else 'NOT met'})")  # fmt: skip
    scaling, share = together / verify, rate / together
    print(f"all cores verifying at once    {together:>12,.0f} /s "
          f"({scaling:.2f} x one core; catch-up / this {share:.0%})")  # fmt: skip
    print(f"CPU per entry: main process {main_us:.1f} us, verify {verify_us:.1f} us "
          f"-> ceiling on an idle machine {ceiling:.0%} of cores x verify")  # fmt: skip
    print(f"load average before {load_before}; after the catch-up {_load()}", flush=True)
    print(f"\nreplaying into the projection, load {_load()}", flush=True)
    start, cpu = time.perf_counter(), time.process_time()
    replayed = mirror.replay()
    replay_seconds, replay_cpu = time.perf_counter() - start, time.process_time() - cpu
    with mirror.ledger.engine.connect() as conn:
        refused = conn.execute(select(func.count()).select_from(anomalies)).scalar_one()
    mirror.close()
    print(f"replay into the projection     {replayed / replay_seconds:>12,.0f} entries/s "
          f"({replayed / replay_cpu:,.0f} per CPU-s; {replayed:,} entries in "
          f"{replay_seconds:.0f} s, {refused:,} refused)")  # fmt: skip
    print(f"load average at the end {_load()}")


def main() -> None:
    """Run the benchmark and print its figures beside the machine's limits."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--db", help="the mirror's database URL (default: a SQLite file)")
    parser.add_argument("--source", type=Path, help="keep (and reuse) the source log here")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores, load average {_load()}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = season_log(args.source or folder / "source", args.entries)
        measure(source, args.db or f"sqlite:///{folder / 'mirror.db'}", folder / "state")


if __name__ == "__main__":
    main()
