"""Consumer scan benchmark: the verification page and JSON resolver against a bare endpoint.

Run: ``python -m bench.scan --sqlite trace-1m.db [--postgres postgresql+psycopg://...]``
(needs Debian's ``wrk``). The ledger is a season built by ``bench/trace.py``; it is copied
first (the app may write beside it), and to a fresh PostgreSQL schema when ``--postgres``
is given (``bench/_pg_copy.py``), so both databases hold the very same season.

In one run, with the same worker count, uvicorn fast paths and wrk settings throughout:

1. a bare FastAPI endpoint (``bench/_bare_app.py``: no database, no templates), the
   machine's limit for this framework and server, as a plain ``def`` route (run in the
   thread pool, as the issue's first figure was) and as an ``async def`` route (on the
   event loop, like the resolver's routes now);
2. ``agritrace serve`` on SQLite, then on PostgreSQL: the page (as a phone asks: HTML,
   gzip) and the JSON resolver for one released lot.

Before measuring, the benchmark waits until each ``agritrace serve`` has finished its first
full drift check (``verifier_app._drift``: one worker per server replays the whole log, about
12 minutes of CPU at 1,000,000 entries), polling ``GET /api/v1/drift`` with the demo
regulator token, and prints how long that took; ``--skip-drift-wait`` measures at once
(quick runs on a small ledger only: a check running during the measurement takes a core).

All servers run throughout and the closed-loop measurements alternate between them for
``--rounds`` rounds, and so do the fixed-rate ones (medians printed, and each round's
figures): on a shared machine the load changes by the minute. Closed loop means
``--connections`` clients each sending the next request when the last is answered (requests
per second is the capacity). Fixed rate means ``--offered`` times the bare endpoint's
closed-loop rate, spread over the same connections by a wrk script that keeps a schedule:
latency is then what a visitor sees at that traffic, not a queue the benchmark built
itself. Printed: requests per second, p50 and p99 latency, bytes per response on the wire
and uncompressed, the ratio to both bare rates, and the load average before each
measurement (it includes the benchmark's own wrk and servers, about 4 when saturated).
Target (issue 5): the page at >= 60% of the bare endpoint's rate with p99 < 50 ms, under
30 KB on the wire.

``--mirror`` adds a read-only mirror of the SQLite server (``agritrace mirror URL --serve``,
issue 15), measured the same way ("SQLite mirror page" and "JSON"): its database starts as a
copy of the origin's, as if it had caught up (catching up is ``bench/mirror.py``'s figure),
and it follows the origin over HTTP throughout. Before measuring, the benchmark waits until
the mirror serves the origin's checkpoint and checks that the lot's page is the origin's,
byte for byte. Target (issue 15): the mirror's page at >= 60% of the bare endpoint's rate.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy

from bench._pg_copy import copy_to_postgres
from bench._server import free_port, start, stop
from ledger import KeyFolder, Ledger
from traceability import seal_with_status_map
from traceability.projection._schema import metadata as trace_tables

_LATENCY = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)
_READ = re.compile(r"(\d+) requests in [\d.]+\w+, ([\d.]+)(B|KB|MB|GB) read")
_SOCKET_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}
_UNIT_BYTES = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}

# A fixed offered rate with plain wrk (Debian has no wrk2): each wrk thread keeps a schedule
# of send times `interval` apart, and a connection that comes free waits for the next slot.
# A request is sent late only when every connection of the thread is busy; the achieved rate
# shows whether that happened (it then falls short of the offered rate).
_FIXED_RATE_LUA = """
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } scan_timespec;
int clock_gettime(int clk, scan_timespec *tp);
]]
local ts = ffi.new("scan_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, ts)  -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end
local interval, next_slot
function init(args)
  interval = 1000 / tonumber(args[1])
end
function delay()
  local now = now_ms()
  if next_slot == nil then next_slot = now end
  local slot = next_slot
  next_slot = math.max(next_slot + interval, now - 10 * interval)
  return math.max(0, math.floor(slot - now))
end
"""


@dataclass(frozen=True)
class Load:
    """What wrk measured for one URL."""

    rate: float
    p50_ms: float
    p99_ms: float
    errors: int
    wire_bytes: int
    body_bytes: int
    load: float


def _body_size(url: str, accept: str) -> int:
    request = urllib.request.Request(url, headers={"Accept": accept})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return len(response.read())
    except urllib.error.HTTPError as e:
        raise SystemExit(f"{url} answered {e.code}: pick a known lot") from e


def measure(
    url: str, accept: str, connections: int, seconds: int, rate: float | None = None
) -> Load:
    """Drive ``url`` with wrk (closed loop, or at ``rate`` requests per second)."""
    body = _body_size(url, accept)
    load = os.getloadavg()[0]
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    command += ["-H", f"Accept: {accept}", "-H", "Accept-Encoding: gzip", url]
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        if rate is not None:
            script.write(_FIXED_RATE_LUA)
            script.flush()
            command[1:1] = ["-s", script.name]
            command += ["--", f"{rate / 2:.1f}"]  # per wrk thread
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return parse_wrk(out, body, load)


def parse_wrk(out: str, body_bytes: int, load: float) -> Load:
    """Read rate, p50, p99, errors (non-2xx and socket) and bytes per response from wrk."""
    achieved = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    latency = {p: float(v) * _UNIT_MS[u] for p, v, u in _LATENCY.findall(out)}
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = int(bad.group(1)) if bad else 0
    socket_errors = _SOCKET_ERRORS.search(out)
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    done = _READ.search(out)
    wire = 0
    if done:
        wire = round(float(done.group(2)) * _UNIT_BYTES[done.group(3)] / max(1, int(done.group(1))))
    return Load(achieved, latency["50"], latency["99"], errors, wire, body_bytes, load)


#: The demo regulator's token (demo mode accepts it): reads the drift state.
_REGULATOR = {"Authorization": "Bearer demo-regulator-token", "Accept": "application/json"}
# Generous: two servers each replaying a 1,000,000-entry log on two shared cores.
_DRIFT_WAIT_SECONDS = 3 * 3600


def wait_for_drift_check(base: str, name: str, began: float, poll: float = 2.0) -> float:
    """Wait until the server at ``base`` has finished its first full drift check.

    Args:
        base: the server's URL.
        name: what to call it in the lines printed.
        began: when the wait began (``time.monotonic()``; one start for all servers).
        poll: seconds between two asks.

    Returns:
        the seconds waited since ``began``.
    """
    said = time.monotonic()
    while True:
        request = urllib.request.Request(f"{base}/api/v1/drift", headers=_REGULATOR)
        with urllib.request.urlopen(request, timeout=30) as response:
            state = json.load(response)
        waited = time.monotonic() - began
        if state["full_at"] is not None:
            took = state["full_duration"]
            print(f"{name}: first full drift check done ({state['status']}, {state['size']:,} "
                  f"entries in {took:.1f} s); waited {waited:.1f} s")  # fmt: skip
            return waited
        if state["error"] is not None:
            raise SystemExit(f"{name}: the drift check failed: {state['error']}")
        if waited > _DRIFT_WAIT_SECONDS:
            raise SystemExit(f"{name}: no full drift check after {waited:.0f} s")
        if time.monotonic() - said >= 60:
            said = time.monotonic()
            print(f"{name}: waiting for the first full drift check ({waited:.0f} s so far)")
        time.sleep(poll)


def pick_lot(db: Path) -> str:
    """A received lot from the middle of the season (its page has the most to show)."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        query = "SELECT count(*) FROM trace_lots WHERE status = 'received'"
        (count,) = conn.execute(query).fetchone()
        row = conn.execute(
            "SELECT gtin, lot FROM trace_lots WHERE status = 'received' ORDER BY key "
            "LIMIT 1 OFFSET ?",
            (count // 2,),
        ).fetchone()
    if row is None:
        raise SystemExit(f"{db}: no received lot in the projection")
    return f"/01/{row[0]}/10/{row[1]}"


def _fast_paths() -> str:
    found = [m for m in ("uvloop", "httptools") if importlib.util.find_spec(m) is not None]
    if len(found) < 2:
        raise SystemExit("uvloop and httptools must be installed (uvicorn's fast paths)")
    return "uvloop + httptools"


def main() -> None:
    """Run the comparison and print it."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sqlite", type=Path, required=True, help="a season's SQLite ledger")
    parser.add_argument("--postgres", help="PostgreSQL server URL to copy the season to")
    parser.add_argument("--schema", default="scan_bench", help="PostgreSQL schema for the copy")
    parser.add_argument("--path", help="a lot's Digital Link path (default: one picked)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3, help="closed-loop rounds (median)")
    parser.add_argument("--offered", type=float, default=0.6, help="fixed rate, x bare rate")
    parser.add_argument(
        "--compare",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="also serve the SQLite copy from the checkout at PATH (its own code), measured "
        "in the same alternating rounds as NAME: an A/B of two revisions in one run",
    )
    parser.add_argument(
        "--mirror",
        action="store_true",
        help="also measure a read-only mirror of the SQLite server (agritrace mirror --serve)",
    )
    parser.add_argument(
        "--skip-drift-wait",
        action="store_true",
        help="measure without waiting for the servers' first full drift check",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk not found: apt-get install wrk")
    paths = _fast_paths()
    work = Path(tempfile.mkdtemp(prefix="agritrace-scan-bench-"))
    try:
        _run(args, paths, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run(args: argparse.Namespace, paths: str, work: Path) -> None:
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()}, {args.workers} workers, "
          f"{args.connections} connections, uvicorn with {paths}")  # fmt: skip
    db = work / "ledger.db"
    # SQLite's backup copies a consistent snapshot, WAL included (a file copy would not).
    with (
        sqlite3.connect(f"file:{args.sqlite}?mode=ro", uri=True) as source,
        sqlite3.connect(db) as target,
    ):
        source.backup(target)
    # A ledger built before a projection table was added (trace_cooperative) lacks it; the
    # copy gets it, empty (create_all leaves the existing tables alone).
    engine = sqlalchemy.create_engine(f"sqlite:///{db}")
    trace_tables.create_all(engine)
    engine.dispose()
    _seal(db, Path(f"{args.sqlite}-keys"))
    with sqlite3.connect(db) as conn:
        (entries,) = conn.execute("SELECT size FROM ledger_head").fetchone()
    path = args.path or pick_lot(db)
    freshness = os.environ.get("AGRITRACE_SCAN_FRESHNESS_SECONDS", "0.5 (default)")
    print(f"ledger {args.sqlite}: {entries:,} entries; lot {path}; scan freshness {freshness} s")
    databases = {"SQLite": f"sqlite:///{db}"}
    if args.postgres:
        databases["PostgreSQL"] = copy_to_postgres(databases["SQLite"], args.postgres, args.schema)
    # Each compared checkout serves its own copy (a server may write beside its database).
    checkouts: dict[str, tuple[Path, str]] = {}
    for given in args.compare:
        name, _, checkout = given.partition("=")
        if not name or not Path(checkout, "verifier_app").is_dir():
            raise SystemExit(f"--compare {given!r}: expected NAME=PATH of an agritrace checkout")
        copy = work / f"ledger-{len(checkouts)}.db"
        with sqlite3.connect(db) as source, sqlite3.connect(copy) as target:
            source.backup(target)
        checkouts[name] = (Path(checkout).resolve(), f"sqlite:///{copy}")

    # Every server runs throughout (an idle one costs nothing), so the rounds can alternate
    # between them: the machine's load changes by the minute when it is shared, and each
    # figure is the median of rounds spread over the same minutes as the bare endpoint's.
    (work / "keys").mkdir()  # no log key: the app serves, it does not sign checkpoints
    servers, targets = [], {}
    waits: list[tuple[str, str]] = []
    try:
        port = free_port()
        servers.append(start(
            [sys.executable, "-m", "uvicorn", "bench._bare_app:app", "--port", str(port),
             "--workers", str(args.workers), "--log-level", "warning", "--no-access-log"],
            dict(os.environ),
            f"http://127.0.0.1:{port}/bare",
        ))  # fmt: skip
        targets["bare FastAPI endpoint"] = (f"http://127.0.0.1:{port}/bare", "text/html")
        targets["bare, async def"] = (f"http://127.0.0.1:{port}/bare-async", "text/html")
        # (name, database URL, checkout whose code serves it: None for this one)
        served: list[tuple[str, str, Path | None]] = [
            (f"{name} page", url, None) for name, url in databases.items()
        ]
        served += [(name, url, checkout) for name, (checkout, url) in checkouts.items()]
        for label, url, checkout in served:
            port = free_port()
            # No token file: demo mode then accepts the demo regulator token the drift wait uses.
            env = {k: v for k, v in os.environ.items() if k != "AGRITRACE_TOKENS"} | {
                "AGRITRACE_KEYS": str(work / "keys"),
                # The resolver's per-client limit would answer this load with 429s.
                "AGRITRACE_RATE_PER_SECOND": "1000000",
                "AGRITRACE_RATE_BURST": "1000000",
            }
            if checkout is not None:
                # The other checkout's packages first on the path: its code, this venv.
                env["PYTHONPATH"] = str(checkout)
            servers.append(start(
                [sys.executable, "-m", "agritrace", "serve", "--demo", "--db", url,
                 "--port", str(port), "--workers", str(args.workers)],
                env,
                f"http://127.0.0.1:{port}/.well-known/gs1resolver",
                # python -m puts the working folder first on the path: the checkout's code.
                checkout,
            ))  # fmt: skip
            scan = f"http://127.0.0.1:{port}{path}"
            targets[label] = (scan, "text/html")
            if checkout is None:
                targets[label.replace(" page", " JSON")] = (scan, "application/json")
            waits.append((f"http://127.0.0.1:{port}", f"agritrace serve: {label}"))
            if label == "SQLite page" and args.mirror:
                server, mirror_base = _start_mirror(args, work, db, port, env)
                servers.append(server)
                targets["SQLite mirror page"] = (f"{mirror_base}{path}", "text/html")
                targets["SQLite mirror JSON"] = (f"{mirror_base}{path}", "application/json")
                waits.append((mirror_base, "agritrace mirror --serve"))
        if not args.skip_drift_wait:
            # A full drift check is a replay of the whole log on one core: measuring during
            # it would measure the check.
            began = time.monotonic()
            for server_url, label in waits:
                wait_for_drift_check(server_url, label, began)
        closed: dict[str, list[Load]] = {name: [] for name in targets}
        for _ in range(args.rounds):
            for name, (url, accept) in targets.items():
                closed[name].append(measure(url, accept, args.connections, args.seconds))
        base = _median(closed["bare FastAPI endpoint"])
        offered = base.rate * args.offered
        fixed: dict[str, list[Load]] = {name: [] for name in targets}
        for _ in range(args.rounds):
            for name, (url, accept) in targets.items():
                fixed[name].append(measure(url, accept, args.connections, args.seconds, offered))
        rows = []
        for name in targets:
            rows += [(name, "closed", _median(closed[name])), (name, "fixed", _median(fixed[name]))]
            spread = sorted(round(load.rate) for load in closed[name])
            p99s = sorted(round(load.p99_ms, 1) for load in fixed[name])
            print(f"  {name}: closed-loop req/s {spread}; p99 ms at the fixed rate {p99s}")
    finally:
        for server in servers:
            stop(server)
    _report(rows, base, _median(closed["bare, async def"]), offered, args.connections)


def _start_mirror(
    args: argparse.Namespace, work: Path, db: Path, origin_port: int, env: dict[str, str]
) -> tuple[subprocess.Popen[bytes], str]:
    """Start a read-only mirror of the origin on ``origin_port``; wait until it serves its pages.

    The mirror's database starts as a copy of the origin's (a mirror's database is an
    ordinary ledger database), so it only has to verify what the origin adds.
    """
    mirror_db = work / "mirror.db"
    with (
        sqlite3.connect(f"file:{db}?mode=ro", uri=True) as source,
        sqlite3.connect(mirror_db) as target,
    ):
        source.backup(target)
    origin = f"http://127.0.0.1:{origin_port}"
    with Ledger.open(f"sqlite:///{db}") as ledger:
        log_key = ledger.log_key()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start(
        [sys.executable, "-m", "agritrace", "mirror", f"{origin}/log", "--log-key", log_key,
         "--db", f"sqlite:///{mirror_db}", "--state", str(work / "mirror-state"), "--serve",
         "--demo", "--port", str(port), "--workers", str(args.workers), "--interval", "2"],
        env | {"AGRITRACE_KEYS": str(work / "mirror-keys")},
        f"{base}/.well-known/gs1resolver",
    )  # fmt: skip
    deadline = time.monotonic() + 600
    while _get(f"{base}/log/checkpoint") != _get(f"{origin}/log/checkpoint"):
        if time.monotonic() > deadline:
            stop(server)
            raise SystemExit("the mirror did not catch up with the origin in 10 minutes")
        time.sleep(1)
    path = args.path or pick_lot(db)
    for accept in ("text/html", "application/json"):
        if _get(f"{base}{path}", accept) != _get(f"{origin}{path}", accept):
            stop(server)
            raise SystemExit(f"the mirror's {accept} answer for {path} is not the origin's")
    print(f"mirror at {base}: serves the origin's checkpoint and the lot's page, byte for byte")
    return server, base


def _get(url: str, accept: str = "text/plain") -> bytes:
    request = urllib.request.Request(url, headers={"Accept": accept})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return bytes(response.read())
    except urllib.error.HTTPError as e:
        return f"HTTP {e.code}".encode()


def _seal(db: Path, keys_path: Path) -> None:
    """End the copy's log with a lot-status map and a checkpoint, as ``serve`` publishes.

    The season is recorded in batches with no checkpoint between; a served page carries the
    lot's map proof only when the checkpoint ends with a map entry (docs/trust.md). Signed
    with the season's cooperative key, when ``bench/trace.py --keep`` left the keys beside it.
    """
    keys = KeyFolder(keys_path)
    if not (keys.exists("log") and keys.exists("cooperative")):
        print(f"no keys at {keys_path}: the pages will carry no lot-status map")
        return
    started = time.perf_counter()
    ledger = Ledger.open(f"sqlite:///{db}", log_signer=keys.log_signer())
    try:
        seal_with_status_map(ledger, keys.load("cooperative"))
        ledger.checkpoint()
    finally:
        ledger.close()
    print(f"sealed the copy with a lot-status map and a checkpoint in "
          f"{time.perf_counter() - started:.1f} s")  # fmt: skip


def _median(loads: list[Load]) -> Load:
    """Each figure's median over the rounds (bytes do not vary)."""

    def mid(values: list[float]) -> float:
        return statistics.median(values)

    return Load(
        mid([x.rate for x in loads]),
        mid([x.p50_ms for x in loads]),
        mid([x.p99_ms for x in loads]),
        sum(x.errors for x in loads),
        loads[0].wire_bytes,
        loads[0].body_bytes,
        mid([x.load for x in loads]),
    )


def _report(
    rows: list[tuple[str, str, Load]], base: Load, base_async: Load, offered: float, clients: int
) -> None:
    share = offered / base.rate
    print(f"\nclosed: {clients} clients back to back; fixed: {offered:,.0f} req/s offered "
          f"(bare closed-loop rate x {share:.2f}) over {clients} connections")  # fmt: skip
    print(f"  {'':<22} {'mode':<7} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'wire B':>7} "
          f"{'body B':>7} {'errors':>6} {'vs bare':>7} {'vs async':>8} {'load':>5}")  # fmt: skip
    for name, mode, load in rows:
        print(f"  {name:<22} {mode:<7} {load.rate:>7,.0f} {load.p50_ms:>7.2f} {load.p99_ms:>7.2f} "
              f"{load.wire_bytes:>7,} {load.body_bytes:>7,} {load.errors:>6} "
              f"{load.rate / base.rate:>7.0%} {load.rate / base_async.rate:>8.0%} "
              f"{load.load:>5.1f}")  # fmt: skip
    for name, mode, load in rows:
        if name.endswith("page"):
            # Judged against the faster bare endpoint; at the fixed rate the rate target is
            # met if the schedule was kept.
            best = max(base.rate, base_async.rate)
            wanted = 0.6 * best if mode == "closed" else 0.95 * offered
            met = load.rate >= wanted and load.p99_ms < 50
            met = met and load.wire_bytes < 30_000 and not load.errors
            print(f"target ({name}, {mode}): {'met' if met else 'MISSED'}")


if __name__ == "__main__":
    main()
