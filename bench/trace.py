"""Traceability benchmark: a season recorded through the domain, traces and a recall.

Run: ``python -m bench.trace`` (1,000,000 events) or ``python -m bench.trace --events
100000``; ``--db URL`` for PostgreSQL (the bench works in schemas of its own there), ``--keep
PATH`` to build the SQLite ledger at PATH and keep it with its keys (``PATH-keys/``) for other
benchmarks, ``--reindex`` to time rebuilding the projection from the ledger at the end.
Builds a season ledger (farms, harvest lots, pre-cooling, residue tests, grading
splits, releases, packing, shipments, receipts) with ``Recorder.record_batch`` and prints:

- events recorded per second through the domain (model validation, signing, checking and
  applying each event to the projection in the transaction that appends it); target
  >= 2,000/s;
- beside it, measured in the same run: raw Ed25519 verify per second on one core, and the
  ledger's raw ``append_batch`` rate for the very same signed statements (no domain);
- trace back and forward times at that size (target < 20 ms each);
- recall propagation for a lot with 10,000 descendants (target < 1 s).

Figures are printed, never asserted: the machine is shared and the load is printed too.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import create_engine, text

from bench.ledger import verify_rate
from ledger import (
    KEY_REGISTER,
    KeyFolder,
    Ledger,
    NoteSigner,
    SignedStatement,
    Statement,
    format_time,
    key_id_for,
    register_body,
    sign_statement,
)
from traceability import (
    Cooling,
    Farm,
    Grading,
    Harvest,
    Packing,
    Product,
    Projection,
    Recall,
    Receiving,
    Recorder,
    Release,
    ResidueTest,
    Role,
    Shipping,
    enrol_lab,
    load_mrl_csv,
    load_profile,
    reindex,
)
from traceability.events._model import Model

ORIGIN = "bench.agritrace.example/trace"
GTIN = "06912345678902"
DATA = Path(__file__).resolve().parents[1] / "traceability" / "data"
# The season opens on 1 June in Kashgar (UTC+8); chains start 90 s apart, so a million
# events span about four months, all in the past.
T0 = datetime(2026, 6, 1, 6, 0, tzinfo=timezone(timedelta(hours=8)))
EVENTS_PER_CHAIN = 9
FARMS, PLOTS_PER_FARM = 2000, 4
BATCH = 900  # events per record_batch: 100 lot chains

Pair = tuple[Model, Ed25519PrivateKey]


def setup(
    url: str, farms: int = FARMS, folder: KeyFolder | None = None
) -> tuple[Ledger, Recorder, dict[Role, Ed25519PrivateKey]]:
    """A cooperative's ledger: root, one key per role, product, farms, profile, MRL table.

    With ``folder``, the root, log and role keys are saved there (named as ``agritrace``
    names them: ``root``, ``log``, and each role's name).
    """
    if folder is None:
        root, signer = Ed25519PrivateKey.generate(), NoteSigner.generate(ORIGIN)
    else:
        root, signer = folder.create("root"), folder.create_log_signer(ORIGIN)
    ledger = Ledger.create(url, ORIGIN, root, signer)
    root_id = key_id_for(root.public_key().public_bytes_raw())
    at = format_time(datetime.now(UTC) - timedelta(minutes=1))
    keys: dict[Role, Ed25519PrivateKey] = {}
    for role in (Role.COOPERATIVE, Role.PACKING_STATION, Role.LAB, Role.LOGISTICS, Role.REGULATOR):
        keys[role] = Ed25519PrivateKey.generate() if folder is None else folder.create(role)
        body = register_body(keys[role].public_key().public_bytes_raw(), f"{role}-1", [role])
        ledger.append(sign_statement(Statement(ORIGIN, KEY_REGISTER, body, root_id, at), root))
    recorder = Recorder(ledger)
    # Residue results count only from an enrolled lab key a regulator approved.
    enrol_lab(recorder, keys[Role.LAB], keys[Role.REGULATOR], lab="BENCH-LAB", name="Bench lab",
              accreditation="210000000001")  # fmt: skip
    coop = keys[Role.COOPERATIVE]
    master: list[Pair] = [
        (Product.from_body({"gtin": GTIN, "commodity": "strawberry", "name": "草莓"}), coop),
        (load_profile(DATA / "strawberry.toml"), coop),
        (load_mrl_csv(DATA / "mrl-sample.csv"), coop),
    ]
    for f in range(farms):
        plots = [f"P{f:04d}-{p}" for p in range(PLOTS_PER_FARM)]
        body = {"farm": f"F{f:04d}", "grower": f"Grower {f}", "village": f"Village {f % 97}"}
        body |= {"county": ("Yarkant", "Kargilik", "Peyziwat")[f % 3], "plots": plots}
        master.append((Farm.from_body(body), coop))
    for start in range(0, len(master), BATCH):
        recorder.record_batch(master[start : start + BATCH])
    return ledger, recorder, keys


def chain(
    i: int, keys: dict[Role, Ed25519PrivateKey], farms: int = FARMS, weigh: bool = False
) -> list[Pair]:
    """One harvest lot's season: 9 events, built from JSON-like bodies as devices send them.

    With ``weigh``, the receiving carries what arrived (190 kg shipped, 0-19 kg lost), so
    the dashboards' loss figures have rows to read (bench/dashboards.py).
    """
    t = T0 + timedelta(seconds=90 * i)

    def when(minutes: int) -> str:
        return (t + timedelta(minutes=minutes)).isoformat()

    def lot(suffix: str = "") -> dict[str, str]:
        return {"gtin": GTIN, "lot": f"H{i:07d}{suffix}"}

    ps, lab, coop, haul = (
        keys[Role.PACKING_STATION],
        keys[Role.LAB],
        keys[Role.COOPERATIVE],
        keys[Role.LOGISTICS],
    )
    plot = f"P{i % farms:04d}-{i // farms % PLOTS_PER_FARM}"
    results = [
        {"substance": s, "value": v, "loq": "0.01"}
        for s, v in (("chlorpyrifos", "<LOQ"), ("carbendazim", "0.1"), ("imidacloprid", "<LOQ"))
    ]
    graded = [
        {"lot": lot("A"), "grade": "super", "quantity": "120", "sizes_mm": ["36", "38"]},
        {"lot": lot("B"), "grade": "grade_1", "quantity": "70", "sizes_mm": ["31", "33"]},
    ]
    body: dict[str, Any] = {"lot": lot(), "plot": plot, "variety": "Hongyan"}
    return [
        (Harvest.from_body(body | {"quantity": "200", "time": when(0)}), ps),
        (
            Cooling.from_body(
                {
                    "lot": lot(),
                    "site": "PS1",
                    "readings": [{"time": when(m), "celsius": "5.1"} for m in (20, 30, 40)],
                    "time": when(40),
                }
            ),
            ps,
        ),
        (
            ResidueTest.from_body(
                {
                    "lot": lot(),
                    "sample_id": f"S{i:07d}",
                    "lab": "Kashgar Agri Testing Lab",
                    "method": "GB 23200.113-2018",
                    "results": results,
                    "time": when(60),
                }
            ),
            lab,
        ),
        (
            Grading.from_body({"input": lot(), "outputs": graded, "site": "PS1", "time": when(90)}),
            ps,
        ),
        (Release.from_body({"lot": lot("A"), "note": "tests passed", "time": when(120)}), coop),
        (Release.from_body({"lot": lot("B"), "note": "tests passed", "time": when(121)}), coop),
        (
            Packing.from_body(
                {
                    "unit_id": f"PAL{i:07d}",
                    "lots": [lot("A"), lot("B")],
                    "site": "PS1",
                    "time": when(130),
                }
            ),
            ps,
        ),
        (
            Shipping.from_body(
                {
                    "shipment": f"SH{i:07d}",
                    "lots": [lot("A"), lot("B")],
                    "origin": "PS1",
                    "destination": "URUMQI-DC",
                    "set_point_celsius": "5",
                    "time": when(140),
                }
            ),
            haul,
        ),
        (
            Receiving.from_body(
                {"shipment": f"SH{i:07d}", "receiver": "URUMQI-DC", "time": when(600)}
                | ({"quantity": str(190 - i % 20)} if weigh else {})
            ),
            haul,
        ),
    ]


def season(
    recorder: Recorder,
    keys: dict[Role, Ed25519PrivateKey],
    events: int,
    farms: int = FARMS,
    weigh: bool = False,
) -> float:
    """Record ``events`` (rounded to whole chains); return events per second."""
    chains = max(1, events // EVENTS_PER_CHAIN)
    per_batch = BATCH // EVENTS_PER_CHAIN
    done, started, report = 0, time.perf_counter(), max(1, chains // 20)
    # Process CPU time too (all threads): on a shared machine the wall rate follows the
    # load; events per CPU-second compare two revisions run minutes apart.
    cpu_started = time.process_time()
    for first in range(0, chains, per_batch):
        batch = [
            p
            for i in range(first, min(first + per_batch, chains))
            for p in chain(i, keys, farms, weigh)
        ]
        recorder.record_batch(batch)
        done += len(batch)
        if (first // per_batch) % max(1, report // per_batch) == 0:
            spent = time.perf_counter() - started
            print(f"  {done:>10,} events  {done / spent:,.0f} /s", flush=True)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    print(f"  recorded {done:,} events: {wall:.1f} s wall, {cpu:.1f} CPU-s, "
          f"{done / cpu:,.0f} events/CPU-s", flush=True)  # fmt: skip
    return done / wall


def raw_append_rate(ledger: Ledger, url: str, first: int, count: int) -> float:
    """Append the season's own signed statements to a fresh ledger: the ledger alone."""
    sample: list[SignedStatement] = [r.signed for r in ledger.entries(first, first + count)]
    # The copy has its own root (the original's is not at hand), so it registers the same
    # actor keys again; the season's statements then verify unchanged.
    copy_root = Ed25519PrivateKey.generate()
    copy = Ledger.create(url, ORIGIN, copy_root, NoteSigner.generate(ORIGIN))
    root_id = key_id_for(copy_root.public_key().public_bytes_raw())
    at = format_time(datetime.now(UTC) - timedelta(minutes=1))
    for info in ledger.keys().values():
        if "root" not in info.roles:
            body = register_body(info.public_key, info.actor, list(info.roles))
            statement = Statement(ORIGIN, KEY_REGISTER, body, root_id, at)
            copy.append(sign_statement(statement, copy_root))
    start, cpu_start = time.perf_counter(), time.process_time()
    for i in range(0, len(sample), BATCH):
        copy.append_batch(sample[i : i + BATCH])
    spent, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    print(f"  raw append_batch: {len(sample) / cpu:,.0f} statements/CPU-s", flush=True)
    copy.close()
    return len(sample) / spent


def timed(samples: Iterator[Any]) -> tuple[float, float]:
    """Mean and p99 in ms of calling each sample."""
    times = []
    for call in samples:
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.mean(times), times[min(len(times) - 1, int(len(times) * 0.99))]


def recall_tree(recorder: Recorder, keys: dict[Role, Ed25519PrivateKey]) -> tuple[float, int]:
    """A lot with 10,000 descendants (three grading levels of 20, then 79 more); recall it."""
    ps, when = keys[Role.PACKING_STATION], (T0 - timedelta(days=1)).isoformat()
    recorder.record(
        Harvest.from_body(
            {
                "lot": {"gtin": GTIN, "lot": "R"},
                "plot": "P0000-0",
                "variety": "Hongyan",
                "quantity": "8000000",
                "time": when,
            }
        ),
        ps,
    )
    level, quantity, grades = ["R"], 8_000_000, []
    for _ in range(3):  # three levels of 20: 20 + 400 + 8,000 lots
        quantity //= 20
        nxt = []
        for parent in level:
            outs = [f"{parent}-{k}" for k in range(20)]
            grades.append(_grade(parent, outs, quantity, when))
            nxt += outs
        level = nxt
    grades += [_grade(p, [f"{p}-{k}" for k in range(20)], quantity // 20, when) for p in level[:79]]
    for first in range(0, len(grades), 50):
        recorder.record_batch([(g, ps) for g in grades[first : first + 50]])
    recall = Recall.from_body(
        {"lot": {"gtin": GTIN, "lot": "R"}, "reason": "bench", "time": T0.isoformat()}
    )
    start = time.perf_counter()
    recorder.record(recall, keys[Role.COOPERATIVE])
    spent = time.perf_counter() - start
    return spent, len(Projection(recorder.ledger).trace_forward(GTIN, "R").lots) - 1


def _grade(parent: str, outs: list[str], quantity: int, when: str) -> Grading:
    return Grading.from_body(
        {
            "input": {"gtin": GTIN, "lot": parent},
            "outputs": [
                {
                    "lot": {"gtin": GTIN, "lot": o},
                    "grade": "super",
                    "quantity": str(quantity),
                    "sizes_mm": ["36"],
                }
                for o in outs
            ],
            "time": when,
        }
    )


def _schema_url(url: str, name: str) -> str:
    """A PostgreSQL URL whose tables live in a fresh schema of their own."""
    with create_engine(url).begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {name} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {name}"))
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{name}"


def _urls(args: argparse.Namespace) -> tuple[str, str]:
    """Where the season and the raw-append copy go."""
    if args.db and not args.db.startswith("sqlite"):
        return _schema_url(args.db, "bench_trace"), _schema_url(args.db, "bench_trace_raw")
    workdir = Path(tempfile.mkdtemp(prefix="agritrace-trace-bench-"))
    if args.keep:
        keep = Path(args.keep).resolve()
        if keep.exists():
            raise SystemExit(f"{keep} exists; remove it or choose another --keep path")
        return f"sqlite:///{keep}", f"sqlite:///{workdir / 'raw.db'}"
    return f"sqlite:///{workdir / 'trace.db'}", f"sqlite:///{workdir / 'raw.db'}"


def main() -> None:
    """Build the season, measure, print."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--keep", help="build the SQLite ledger at this path and keep it")
    parser.add_argument("--reindex", action="store_true", help="time a full reindex at the end")
    parser.add_argument(
        "--weigh", action="store_true", help="receivings carry a received quantity (loss)"
    )
    args = parser.parse_args()
    url, raw_url = _urls(args)
    folder = KeyFolder(f"{args.keep}-keys") if args.keep else None
    print(f"{os.cpu_count()} cores, load {os.getloadavg()}, database {url}")
    verify_before = verify_rate()[0]
    ledger, recorder, keys = setup(url, folder=folder)
    first = ledger.size()
    print(f"recording about {args.events:,} events in batches of {BATCH}...")
    domain = season(recorder, keys, args.events, weigh=args.weigh)
    load_after_season = os.getloadavg()
    verify_after = verify_rate()[0]
    count = min(50_000, ledger.size() - first)
    raw = raw_append_rate(ledger, raw_url, first, count)

    chains = (ledger.size() - first) // EVENTS_PER_CHAIN
    rng = random.Random(1)
    picks = [rng.randrange(chains) for _ in range(200)]
    projection = Projection(ledger)
    back = timed(lambda i=i: projection.trace_back(GTIN, f"H{i:07d}A") for i in picks)
    forward = timed(lambda i=i: projection.trace_forward(GTIN, f"H{i:07d}") for i in picks)
    recall_s, descendants = recall_tree(recorder, keys)
    size = ledger.size()
    reindex_s = None
    if args.reindex:
        start = time.perf_counter()
        reindex(ledger)
        reindex_s = time.perf_counter() - start
    ledger.close()

    verify = (verify_before + verify_after) / 2
    print(f"\nledger at {size:,} entries, load average after the season {load_after_season}")
    print(f"  domain record_batch     {domain:>10,.0f} events/s   (target >= 2,000)")
    print(f"  raw Ed25519 verify      {verify:>10,.0f} /s, one core")
    print(f"  raw ledger append_batch {raw:>10,.0f} statements/s ({count:,} of the same)")
    print(f"  trace back  (graded lot) {back[0]:8.2f} ms mean, p99 {back[1]:.2f}   (< 20 ms)")
    print(f"  trace fwd   (harvest)    {forward[0]:8.2f} ms mean, p99 {forward[1]:.2f}   (< 20 ms)")
    print(f"  recall, {descendants:,} descendants  {recall_s * 1000:8.0f} ms   (< 1 s)")
    if reindex_s is not None:
        print(f"  reindex, {size:,} entries    {reindex_s:8.1f} s ({size / reindex_s:,.0f} /s)")
    print(f"  load average at the end {os.getloadavg()}")
    if args.keep:
        print(f"kept: ledger {url}, keys {folder.path if folder else '-'} (origin {ORIGIN})")


if __name__ == "__main__":
    main()
