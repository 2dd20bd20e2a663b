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
machine, and the load average is printed at each step. The replay is a separate figure
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
from bench.ledger import verify_rate
from ledger import Ledger, NoteVerifier
from traceability import DomainMirror
from traceability.projection._schema import anomalies


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def measure(source: Path, mirror_url: str, state: Path) -> dict[str, float]:
    """Mirror the tiled log in ``source`` into ``mirror_url``; return the figures."""
    with Ledger.open(f"sqlite:///{source / 'source.db'}") as ledger:
        key = NoteVerifier.from_key_string(ledger.log_key())
        size = ledger.size()

    def fetch(path: str) -> bytes:
        return (source / "tiles" / path).read_bytes()

    mirror = DomainMirror.open(mirror_url, key, fetch, state)
    load_before = os.getloadavg()[0]
    print(f"catching up {size:,} entries, load {_load()}", flush=True)
    before, before_cpu = verify_rate()
    start, cpu = time.perf_counter(), time.process_time()
    progress = mirror.mirror.sync()
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    after, after_cpu = verify_rate()
    load_catch_up = os.getloadavg()[0]
    if progress.after != size:
        raise SystemExit(f"the mirror holds {progress.after:,} entries, expected {size:,}")
    print(f"replaying into the projection, load {_load()}", flush=True)
    start, cpu = time.perf_counter(), time.process_time()
    replayed = mirror.replay()
    replay_seconds, replay_cpu = time.perf_counter() - start, time.process_time() - cpu
    with mirror.ledger.engine.connect() as conn:
        refused = conn.execute(select(func.count()).select_from(anomalies)).scalar_one()
    mirror.close()
    return {
        "entries": size,
        "mirror_per_s": size / seconds,
        # The main process only: the signatures are verified on worker processes.
        "main_us": cpu_seconds / size * 1e6,
        "verify_us": 2e6 / (before_cpu + after_cpu),
        "verify_before": before,
        "verify_after": after,
        "verify_per_s": (before + after) / 2,
        "cores": os.cpu_count() or 1,
        "replayed": replayed,
        "replay_per_s": replayed / replay_seconds,
        "replay_per_cpu_s": replayed / replay_cpu,
        "refused": refused,
        "load_before": load_before,
        "load_catch_up": load_catch_up,
        "load_end": os.getloadavg()[0],
    }


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
        mirror_url = args.db or f"sqlite:///{folder / 'mirror.db'}"
        r = measure(source, mirror_url, folder / "state")
    limit = r["verify_per_s"] * r["cores"]
    ratio = r["mirror_per_s"] / limit
    print(f"\nentries                        {r['entries']:>12,.0f}")
    print(f"mirror catch-up                {r['mirror_per_s']:>12,.0f} entries/s")
    print(f"raw Ed25519 verify, 1 core     {r['verify_per_s']:>12,.0f} /s "
          f"(before {r['verify_before']:,.0f}, after {r['verify_after']:,.0f})")  # fmt: skip
    print(f"cores                          {r['cores']:>12.0f}")
    print(f"limit: cores x verify          {limit:>12,.0f} /s")
    print(f"catch-up / limit               {ratio:>12.0%}  (target >= 80%: "
          f"{'met' if ratio >= 0.8 else 'NOT met'})")  # fmt: skip
    # Load-independent: what the catch-up reaches when nothing else runs, its main process's
    # CPU per entry beside the workers' (one verification each, measured per CPU-second).
    ceiling = r["verify_us"] / (r["verify_us"] + r["main_us"])
    print(f"CPU per entry: main process {r['main_us']:.1f} us, verify {r['verify_us']:.1f} us "
          f"-> ceiling on an idle machine {ceiling:.0%} of cores x verify")  # fmt: skip
    print(f"replay into the projection     {r['replay_per_s']:>12,.0f} entries/s "
          f"({r['replay_per_cpu_s']:,.0f} per CPU-s; {r['replayed']:,.0f} entries, "
          f"{r['refused']:,.0f} refused)")  # fmt: skip
    print(f"load average: before {r['load_before']:.1f}, after the catch-up "
          f"{r['load_catch_up']:.1f}, at the end {r['load_end']:.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
