"""Ledger benchmark: append, audit and proof rates next to this machine's own limits.

Run: ``python -m bench.ledger`` (1,000,000 entries, about 8 minutes on 2 cores) or
``python -m bench.ledger --entries 100000`` for a quick look; ``--db URL`` for PostgreSQL.

Every figure is printed beside the limit it is judged against, measured in the same run:
raw Ed25519 sign and verify per second on one core (``cryptography``), SHA-256 throughput.
Targets (issue 2): batch append >= 50% of raw one-core verify; audit >= 80% of cores x raw
verify; inclusion and consistency proofs at 1M entries under 1 ms.

On a shared machine wall-clock rates move with the load, so raw verify is measured again
right before and after each phase, and each phase also reports its CPU efficiency: entries
per CPU-second (the audit's worker processes report theirs) against raw verifies per
CPU-second. That ratio
does not depend on the load; on an idle machine the wall-clock ratio approaches it.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger import (
    KEY_REGISTER,
    Ledger,
    NoteSigner,
    SignedStatement,
    Statement,
    format_time,
    key_id_for,
    register_body,
    sign_statement,
)

ORIGIN = "bench.agritrace.example/log"
BATCH = 5000


def rate(work: Callable[[], object], count: int) -> float:
    """Calls per second of ``work`` run ``count`` times."""
    start = time.perf_counter()
    for _ in range(count):
        work()
    return count / (time.perf_counter() - start)


def verify_rate() -> tuple[float, float]:
    """Raw Ed25519 verifies per wall-second and per CPU-second, one thread, right now."""
    key = Ed25519PrivateKey.generate()
    public, message = key.public_key(), os.urandom(400)
    signature = key.sign(message)
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(3000):
        public.verify(signature, message)
    return 3000 / (time.perf_counter() - wall), 3000 / (time.process_time() - cpu)


def _verifies_between(start: float, end: float) -> int:
    # One of parallel_verify_rate's processes: count verifies from ``start`` to ``end``.
    key = Ed25519PrivateKey.generate()
    public, message = key.public_key(), os.urandom(400)
    signature = key.sign(message)
    while time.time() < start:
        time.sleep(0.001)
    count = 0
    while time.time() < end:
        for _ in range(100):
            public.verify(signature, message)
        count += 100
    return count


def parallel_verify_rate(processes: int, seconds: float = 2.0) -> float:
    """Raw Ed25519 verifies per second with ``processes`` processes verifying at once.

    What the cores really give together: ``cores x`` one core's rate assumes they scale
    perfectly, which virtual cores sharing a physical one (or a busy host) do not.
    """
    with ProcessPoolExecutor(processes) as pool:
        start = time.time() + 0.5  # every process started and waiting by then
        jobs = [pool.submit(_verifies_between, start, start + seconds) for _ in range(processes)]
        return sum(job.result() for job in jobs) / seconds


def cpu_seconds() -> float:
    """CPU time of this process, every thread included."""
    return time.process_time()


def machine_limits() -> dict[str, float]:
    """Raw primitives on this machine, one core."""
    key = Ed25519PrivateKey.generate()
    public = key.public_key()
    message = os.urandom(400)  # about one statement
    signature = key.sign(message)
    buffer = os.urandom(1 << 20)
    return {
        "sign": rate(lambda: key.sign(message), 4000),
        "verify": rate(lambda: public.verify(signature, message), 4000),
        "sha256_mb": rate(lambda: hashlib.sha256(buffer).digest(), 300),
        "sha256_leaf": rate(lambda: hashlib.sha256(message).digest(), 200_000),
    }


def _body(i: int) -> dict[str, object]:
    # A realistic critical tracking event: lot, farm, quantity, a few readings.
    return {
        "lot": f"SB26-{i // 50:06d}",
        "farm": f"F-{i % 997:04d}",
        "quantity": {"value": str(20 + i % 13), "unit": "KGM"},
        "readings": [{"at": "2026-06-01T06:00:00Z", "celsius": 4.5 + (i % 7) / 10}] * 3,
    }


def _sign_range(key_raw: bytes, start: int, stop: int, at: str) -> list[SignedStatement]:
    key = Ed25519PrivateKey.from_private_bytes(key_raw)
    key_id = key_id_for(key.public_key().public_bytes_raw())
    return [
        sign_statement(Statement(ORIGIN, "bench.event", _body(i), key_id, at), key)
        for i in range(start, stop)
    ]


def signed_statements(key: Ed25519PrivateKey, count: int) -> list[SignedStatement]:
    """Sign ``count`` statements on every core (client-side work, not timed)."""
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    at = format_time(datetime.now(UTC) - timedelta(minutes=1))
    chunks = [(i, min(i + BATCH, count)) for i in range(0, count, BATCH)]
    out: list[SignedStatement] = []
    with ProcessPoolExecutor(os.cpu_count()) as pool:
        futures = [pool.submit(_sign_range, raw, a, b, at) for a, b in chunks]
        for future in futures:
            out.extend(future.result())
    return out


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


Row = tuple[str, str, str, str]


def build(url: str, entries: int, cores: int) -> tuple[Ledger, list[Row]]:
    """Create a ledger of ``entries`` signed statements; measure single and batch appends."""
    root, actor = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    ledger = Ledger.create(url, ORIGIN, root, NoteSigner.generate(ORIGIN))
    root_id = key_id_for(root.public_key().public_bytes_raw())
    at = format_time(datetime.now(UTC) - timedelta(minutes=1))
    body = register_body(actor.public_key().public_bytes_raw(), "bench", ["packer"])
    ledger.append(sign_statement(Statement(ORIGIN, KEY_REGISTER, body, root_id, at), root))

    print(f"\nsigning {entries:,} statements on {cores} cores (client work, not timed)...")
    statements = signed_statements(actor, entries + 300)
    singles, batched = statements[:300], statements[300:]
    start = time.perf_counter()
    for statement in singles:
        ledger.append(statement)
    single = len(singles) / (time.perf_counter() - start)

    before = verify_rate()
    appended, spent, spent_cpu = 0, 0.0, 0.0
    for i in range(0, len(batched), BATCH):
        start, start_cpu = time.perf_counter(), cpu_seconds()
        ledger.append_batch(batched[i : i + BATCH])
        spent += time.perf_counter() - start
        spent_cpu += cpu_seconds() - start_cpu
        appended += len(batched[i : i + BATCH])
        if (i // BATCH) % 40 == 0:
            print(f"  appended {appended:,} / {len(batched):,}", flush=True)
    after = verify_rate()
    wall_verify, cpu_verify = (before[0] + after[0]) / 2, (before[1] + after[1]) / 2
    batch, batch_cpu = appended / spent, appended / spent_cpu
    ledger.checkpoint()
    ratio = batch / wall_verify
    return ledger, [
        ("single append (durable)", f"{single:,.0f} /s", "-", "-"),
        (
            "batch append",
            f"{batch:,.0f} /s (raw verify {wall_verify:,.0f})",
            f"{ratio:.0%} of 1-core verify",
            "met" if ratio >= 0.5 else "MISSED (>= 50%)",
        ),
        (
            "  per CPU-second",
            f"{batch_cpu:,.0f} /cpu-s",
            f"{batch_cpu / cpu_verify:.0%} of verify/cpu-s",
            "-",
        ),
    ]


def measure_audit(ledger: Ledger, cores: int) -> list[Row]:
    """Audit the whole ledger; compare with raw verification measured around it."""
    before = verify_rate()
    report = ledger.audit()
    after = verify_rate()
    if report.failure is not None:
        raise SystemExit(f"audit failed: {report.failure}")
    wall_verify, cpu_verify = (before[0] + after[0]) / 2, (before[1] + after[1]) / 2
    rate, per_cpu = report.entries / report.seconds, report.entries / report.cpu_seconds
    ratio = rate / (cores * wall_verify)
    return [
        (
            "audit",
            f"{rate:,.0f} /s (raw verify {wall_verify:,.0f})",
            f"{ratio:.0%} of {cores} x verify",
            "met" if ratio >= 0.8 else "MISSED (>= 80%)",
        ),
        (
            "  per CPU-second",
            f"{per_cpu:,.0f} /cpu-s",
            f"{per_cpu / cpu_verify:.0%} of verify/cpu-s",
            "-",
        ),
    ]


def measure_proofs(ledger: Ledger) -> list[Row]:
    """Time 2,000 random inclusion and consistency proofs at the ledger's size."""
    size = ledger.size()
    rng = random.Random(1)
    inclusion, consistency = [], []
    for _ in range(2000):
        seq = rng.randrange(size)
        start = time.perf_counter()
        ledger.inclusion_proof(seq, size)
        inclusion.append((time.perf_counter() - start) * 1000)
        old = rng.randrange(1, size)
        start = time.perf_counter()
        ledger.consistency_proof(old, size)
        consistency.append((time.perf_counter() - start) * 1000)
    rows = []
    for name, times in (("inclusion proof", inclusion), ("consistency proof", consistency)):
        mean = statistics.mean(times)
        rows.append(
            (
                name,
                f"{mean:.3f} ms mean, p99 {percentile(times, 99):.3f}",
                "-",
                "met" if mean < 1 else "MISSED (< 1 ms)",
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    parser.add_argument(
        "--reuse", metavar="URL", help="audit and prove an existing bench ledger; append nothing"
    )
    args = parser.parse_args()
    cores = os.cpu_count() or 1

    limits = machine_limits()
    print(f"machine: {cores} cores")
    print(f"  raw Ed25519 sign       {limits['sign']:>12,.0f} /s (1 core)")
    print(f"  raw Ed25519 verify     {limits['verify']:>12,.0f} /s (1 core)")
    print(
        f"  SHA-256                {limits['sha256_mb']:>12,.0f} MB/s, "
        f"{limits['sha256_leaf']:,.0f} 400-byte hashes/s"
    )
    rows: list[Row] = []
    if args.reuse:
        url, ledger = args.reuse, Ledger.open(args.reuse)
    else:
        workdir = Path(tempfile.mkdtemp(prefix="agritrace-bench-"))
        url = args.db or f"sqlite:///{workdir / 'bench.db'}"
        ledger, rows = build(url, args.entries, cores)
    rows += measure_audit(ledger, cores)
    rows += measure_proofs(ledger)
    size = ledger.size()
    ledger.close()

    load = os.getloadavg()[0]
    print(f"\nledger at {size:,} entries ({url.split(':')[0]}), load average {load:.1f}:")
    for name, figure, ratio, verdict in rows:
        print(f"  {name:<24} {figure:<44} {ratio:<28} {verdict}")
    print(f"\n(database: {url})")


if __name__ == "__main__":
    main()
