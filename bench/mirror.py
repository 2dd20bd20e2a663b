"""Mirror benchmark: catching up a tiled log, entries per second next to the raw verify rate.

Run: ``python -m bench.mirror`` (100,000 entries) or ``--entries 1000000``; ``--db URL`` for
the mirror's database (default: a SQLite file). The source log is built, exported with
``export_tiles`` and read back from the folder (no HTTP: this measures the mirror's own
work, fetching aside), then the mirror catches up from empty.

The limit it is judged against, measured in the same run: raw Ed25519 verifies per second
on one core, times the cores (issue 15's target: >= 80% of cores x verify). Raw verify is
measured right before and after the catch-up, since rates move on a shared machine.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from bench.ledger import build, verify_rate
from ledger import Mirror, NoteVerifier, export_tiles


def catch_up(source_url: str, mirror_url: str, entries: int, folder: Path) -> dict[str, float]:
    """Build the source log, export it, mirror it; return the figures."""
    cores = os.cpu_count() or 1
    ledger, _ = build(source_url, entries, cores)
    ledger.checkpoint()
    start = time.perf_counter()
    export_tiles(ledger, folder / "tiles")
    export_seconds = time.perf_counter() - start
    key = NoteVerifier.from_key_string(ledger.entry(0).statement.body["log_key"])
    size = ledger.size()
    ledger.close()

    def fetch(path: str) -> bytes:
        return (folder / "tiles" / path).read_bytes()

    mirror = Mirror.open(mirror_url, key, fetch, folder / "state")
    before = verify_rate()[0]
    start = time.perf_counter()
    progress = mirror.sync()
    seconds = time.perf_counter() - start
    after = verify_rate()[0]
    assert progress.after == size
    mirror.store.engine.dispose()
    return {
        "entries": size,
        "export_per_s": size / export_seconds,
        "mirror_per_s": size / seconds,
        "verify_per_s": (before + after) / 2,
        "cores": cores,
    }


def main() -> None:
    """Run the benchmark and print its figures beside the machine's limits."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--db", help="the mirror's database URL (default: a SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        mirror_url = args.db or f"sqlite:///{folder / 'mirror.db'}"
        r = catch_up(f"sqlite:///{folder / 'source.db'}", mirror_url, args.entries, folder)
    limit = r["verify_per_s"] * r["cores"]
    print(f"\nentries                      {r['entries']:>12,.0f}")
    print(f"static export (tiles)        {r['export_per_s']:>12,.0f} entries/s")
    print(f"mirror catch-up              {r['mirror_per_s']:>12,.0f} entries/s")
    print(f"raw Ed25519 verify, 1 core   {r['verify_per_s']:>12,.0f} /s")
    print(f"limit: {r['cores']:.0f} cores x verify      {limit:>12,.0f} /s")
    print(f"mirror / limit               {r['mirror_per_s'] / limit:>12.0%}  (target >= 80%)")


if __name__ == "__main__":
    main()
