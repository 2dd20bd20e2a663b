"""County benchmark: reading many members' logs together, and verifying links between them.

Run: ``python -m bench.county`` (1,000 lots shipped from a co-op to the alliance's packing
centre, which takes each in) or ``--lots N``; ``--db-a URL --db-centre URL`` for the two
members' databases (default: SQLite files).

What it measures, with the limit each is judged against in the same run:

- ``Alliance.links()``: intakes verified per second. Each one reads its own entry in the
  receiver's log and the named shipping entry in the source log (two ``Ledger.entry``
  reads, each re-encoded and hashed) and the source lot: the limit is the raw
  ``Ledger.entry`` read rate, halved.
- ``trace_across`` of one lot, backward and forward: milliseconds per trace, in raw entry
  reads (a trace checks only the links it meets; the rest is reading each member's rows).
- ``Alliance.counts()`` and ``monitoring()`` over both members, next to one member's own
  ``Projection.monitoring()``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bench.trace import DATA, GTIN, chain
from ledger import (
    KEY_REGISTER,
    Ledger,
    NoteSigner,
    Statement,
    format_time,
    key_id_for,
    register_body,
    sign_statement,
)
from traceability import (
    Alliance,
    AllianceMember,
    Farm,
    Intake,
    Product,
    Projection,
    Recorder,
    Role,
    enrol_lab,
    load_mrl_csv,
    load_profile,
    trace_across,
)

BATCH = 800
SITE = "URUMQI-DC"  # where bench.trace's chains ship to: the centre's intake site here


def member(url: str, origin: str, farms: int) -> tuple[Ledger, Recorder, dict[Role, Any]]:
    """A member's log: a key per role, the lab, the product, farms, the rule tables."""
    root, signer = Ed25519PrivateKey.generate(), NoteSigner.generate(origin)
    ledger = Ledger.create(url, origin, root, signer, checkpoint_interval=timedelta(hours=1))
    root_id = key_id_for(root.public_key().public_bytes_raw())
    at = format_time(datetime.now(UTC) - timedelta(minutes=1))
    keys: dict[Role, Any] = {}
    for role in (Role.COOPERATIVE, Role.PACKING_STATION, Role.LAB, Role.LOGISTICS, Role.REGULATOR):
        keys[role] = Ed25519PrivateKey.generate()
        body = register_body(keys[role].public_key().public_bytes_raw(), f"{role}-1", [role])
        ledger.append(sign_statement(Statement(origin, KEY_REGISTER, body, root_id, at), root))
    recorder = Recorder(ledger)
    enrol_lab(recorder, keys[Role.LAB], keys[Role.REGULATOR], lab="BENCH-LAB", name="Bench lab",
              accreditation="210000000001")  # fmt: skip
    coop = keys[Role.COOPERATIVE]
    master: list[Any] = [
        (Product.from_body({"gtin": GTIN, "commodity": "strawberry", "name": "草莓"}), coop),
        (load_profile(DATA / "strawberry.toml"), coop),
        (load_mrl_csv(DATA / "mrl-sample.csv"), coop),
    ]
    for f in range(farms):
        plots = [f"P{f:04d}-{p}" for p in range(4)]
        body = {"farm": f"F{f:04d}", "grower": f"Grower {f}", "village": "V", "county": "Yarkant"}
        master.append((Farm.from_body(body | {"plots": plots}), coop))
    recorder.record_batch(master)
    return ledger, recorder, keys


def build(a_url: str, centre_url: str, lots: int) -> tuple[Alliance, list[str]]:
    """Co-op A ships ``lots`` lots; the centre takes each shipment's first lot in.

    A's lots are bench.trace's chains less their receiving. Returns the alliance and the
    centre's lot codes.
    """
    farms = max(1, min(lots, 200))
    a, a_rec, a_keys = member(a_url, "coop-a.bench.example/log", farms)
    centre, c_rec, c_keys = member(centre_url, "centre.bench.example/log", 1)
    pairs = [p for i in range(lots) for p in chain(i, a_keys, farms)[:8]]
    receipts = []
    for start in range(0, len(pairs), BATCH):
        receipts += a_rec.record_batch(pairs[start : start + BATCH])
    intakes = []
    for i in range(lots):
        shipping = receipts[i * 8 + 7].seq
        body = {
            "lot": {"gtin": GTIN, "lot": f"C{i:07d}"},
            "quantity": "120",
            "site": SITE,
            "source_log": a.origin,
            "source_lot": {"gtin": GTIN, "lot": f"H{i:07d}A"},
            "source_shipment": f"SH{i:07d}",
            "source_seq": shipping,
            "source_leaf": a.entry(shipping).leaf_hash().hex(),
            "time": (datetime.now(UTC) - timedelta(seconds=30)).isoformat(),
        }
        intakes.append((Intake.from_body(body), c_keys[Role.PACKING_STATION]))
    for start in range(0, len(intakes), BATCH):
        c_rec.record_batch(intakes[start : start + BATCH])
    members = [
        AllianceMember("coop-a", a, Projection(a)),
        AllianceMember("centre", centre, Projection(centre)),
    ]
    return Alliance(members), [f"C{i:07d}" for i in range(lots)]


def timed(run: Any, repeat: int = 3) -> float:
    """The best of ``repeat`` runs of ``run()``, in seconds (the machine is shared)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    """Build, measure, print the figures beside their limits."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lots", type=int, default=1000)
    parser.add_argument("--db-a")
    parser.add_argument("--db-centre")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        a_url = args.db_a or f"sqlite:///{Path(scratch) / 'a.db'}"
        centre_url = args.db_centre or f"sqlite:///{Path(scratch) / 'centre.db'}"
        start = time.perf_counter()
        alliance, codes = build(a_url, centre_url, args.lots)
        built = time.perf_counter() - start
        a = alliance.member("coop-a")
        size = a.ledger.size()
        for m in alliance.members:
            m.projection.catch_up()
        reads = min(size, 2000)
        entry_s = timed(lambda: [a.ledger.entry(s) for s in range(size - reads, size)])
        links_s = timed(lambda: alliance.links())
        checks = alliance.links()
        assert [c.verdict for c in checks] == ["verified"] * args.lots
        trace_s = timed(lambda: trace_across(alliance, "centre", GTIN, codes[-1]))
        counts_s = timed(lambda: alliance.counts())
        board_s = timed(lambda: alliance.monitoring())
        one_board_s = timed(lambda: a.projection.monitoring())
        entry_rate = reads / entry_s
        link_rate = args.lots / links_s
        load = os.getloadavg()
        centre_size = alliance.member("centre").ledger.size()
        print(f"members: 2 (co-op A {size:,} entries; centre {centre_size:,})")
        print(f"built in {built:.1f} s; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
              f"on {os.cpu_count()} cores")  # fmt: skip
        limit = entry_rate / 2
        print(f"raw Ledger.entry reads: {entry_rate:,.0f}/s (links' limit: {limit:,.0f}/s)")
        print(f"links verified: {link_rate:,.0f}/s = {link_rate / (entry_rate / 2):.0%} of it")
        print(f"trace across logs (one lot, both ways): {trace_s * 1000:,.1f} ms = "
              f"{trace_s * entry_rate:,.1f} entry reads (all {args.lots:,} links: "
              f"{links_s * 1000:,.0f} ms)")  # fmt: skip
        print(f"counts() over both: {counts_s * 1000:,.1f} ms")
        print(f"monitoring() over both: {board_s * 1000:,.1f} ms; one member's own: "
              f"{one_board_s * 1000:,.1f} ms ({board_s / one_board_s:.2f}x)")  # fmt: skip
        for m in alliance.members:
            m.ledger.close()


if __name__ == "__main__":
    main()
