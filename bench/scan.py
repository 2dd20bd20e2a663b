"""Consumer scan benchmark: the verification page and JSON resolver under 64 clients.

Run: ``python -m bench.scan --db sqlite:///agritrace-demo/ledger.db --path /01/<gtin>/10/<lot>``
(needs Debian's ``wrk``). It starts, in turn, a bare FastAPI endpoint (the machine's limit
for this framework and server) and ``agritrace serve`` with the same worker count, drives
each with wrk at the same concurrency on the same machine, and prints requests per second,
p50 and p99 latency, and the ratio to the bare endpoint. Target (issue 5): the page at
>= 60% of the bare endpoint's rate, p99 < 50 ms, under 30 KB on the wire.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass

_LATENCY = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@dataclass(frozen=True)
class Load:
    """What wrk measured for one URL."""

    rate: float
    p50_ms: float
    p99_ms: float
    errors: int
    size: int


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(command: list[str], env: dict[str, str], probe: str) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(300):
        try:
            urllib.request.urlopen(probe, timeout=1)
            return server
        except OSError as e:
            if getattr(e, "code", None):  # an HTTP status: the server answers
                return server
            if server.poll() is not None:
                raise SystemExit(
                    f"server exited: {server.stderr.read().decode() if server.stderr else ''}"
                ) from e
            time.sleep(0.1)
    raise SystemExit(f"server did not answer at {probe}")


def _stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()


def measure(url: str, accept: str, connections: int, seconds: int) -> Load:
    """Drive ``url`` with wrk; parse rate, p50, p99 and non-2xx count."""
    request = urllib.request.Request(url, headers={"Accept": accept})
    try:
        size = len(urllib.request.urlopen(request, timeout=5).read())
    except urllib.error.HTTPError as e:
        size = len(e.read())
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-H",
            f"Accept: {accept}",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    latency = {p: float(v) * _UNIT_MS[u] for p, v, u in _LATENCY.findall(out)}
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return Load(rate, latency["50"], latency["99"], int(errors.group(1)) if errors else 0, size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="ledger database URL with a season on it")
    parser.add_argument("--path", required=True, help="a lot's Digital Link path")
    parser.add_argument("--keys", default="agritrace-demo/keys")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk not found: apt-get install wrk")

    env = dict(os.environ)
    port = _free_port()
    bare = _start(
        [sys.executable, "-m", "uvicorn", "bench._bare_app:app", "--port", str(port),
         "--workers", str(args.workers), "--log-level", "warning", "--no-access-log"],
        env,
        f"http://127.0.0.1:{port}/bare",
    )  # fmt: skip
    try:
        base = measure(f"http://127.0.0.1:{port}/bare", "text/html", args.connections, args.seconds)
    finally:
        _stop(bare)

    port = _free_port()
    env |= {
        "AGRITRACE_KEYS": args.keys,
        # The resolver's per-client limit would answer this load with 429s.
        "AGRITRACE_RATE_PER_SECOND": "1000000",
        "AGRITRACE_RATE_BURST": "1000000",
    }
    app = _start(
        [sys.executable, "-m", "agritrace", "serve", "--demo", "--db", args.db,
         "--port", str(port), "--workers", str(args.workers)],
        env,
        f"http://127.0.0.1:{port}/.well-known/gs1resolver",
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}{args.path}"
        page = measure(url, "text/html", args.connections, args.seconds)
        data = measure(url, "application/json", args.connections, args.seconds)
    finally:
        _stop(app)

    print(f"{args.connections} clients, {args.workers} workers, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}, {args.db.split(':')[0]}")  # fmt: skip
    print(
        f"  {'':<22} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'bytes':>7} {'non-2xx':>8}  vs bare"
    )
    for name, load in (
        ("bare FastAPI endpoint", base),
        ("verification page", page),
        ("JSON resolver", data),
    ):
        ratio = load.rate / base.rate
        print(f"  {name:<22} {load.rate:>8,.0f} {load.p50_ms:>8.2f} {load.p99_ms:>8.2f} "
              f"{load.size:>7,} {load.errors:>8}  {ratio:.0%}")  # fmt: skip
    met = page.rate >= 0.6 * base.rate and page.p99_ms < 50 and page.size < 30_000
    print(f"target (page >= 60% of bare, p99 < 50 ms, < 30 KB): {'met' if met else 'MISSED'}")


if __name__ == "__main__":
    main()
