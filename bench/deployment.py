"""What serving a cooperative through a deployment costs a scan, next to serving it alone.

Run: ``python -m bench.deployment [--demo agritrace-demo] [--rounds 3] [--seconds 8]``
(needs Debian's ``wrk``). The demo folder (built by ``agritrace demo`` when not given) is
copied twice: one copy is served alone (``agritrace serve --demo --db ...``), the other is
migrated (``agritrace deployment migrate``) and served with ``agritrace serve --deployment``,
where scans of its GTIN are routed by company prefix to the member mounted under
``/c/kashgar/`` and its pages and JSON are rewritten on the way out
(``verifier_app/_deployment_paths.py``). A bare FastAPI endpoint runs beside them as the
machine's limit. The rounds alternate between the servers (the machine is shared: its load
changes by the minute); medians are printed with the ratios deployment/alone and to the bare
endpoint, and the load average before each measurement.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench._server import free_port, start, stop
from bench.scan import Load, _median, measure

LOT = "/01/06912345670012/10/SB26-H01-G1"
# The resolver's per-address limit would answer the benchmark's load with 429s.
_UNLIMITED = {"rate_per_second": "1000000.0", "rate_burst": "1000000"}


def main() -> None:
    """Parse the options, build the copies, serve them, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--demo", type=Path, help="an `agritrace demo` folder (default: built)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-deployment-") as tmp:
        _run(args, Path(tmp))


def _agritrace(*words: str) -> None:
    subprocess.run([sys.executable, "-m", "agritrace", *words], check=True, capture_output=True)


def _run(args: argparse.Namespace, work: Path) -> None:
    demo = args.demo
    if demo is None:
        demo = work / "demo"
        _agritrace("demo", "--folder", str(demo))
    alone, member = work / "alone", work / "member"
    for copy in (alone, member):
        shutil.copytree(demo, copy, ignore=shutil.ignore_patterns("run", "sessions"))
    _agritrace("deployment", "migrate", str(member), "--slug", "kashgar")
    file = member / "deployment.toml"
    defaults = "".join(f"{k} = {v}\n" for k, v in _UNLIMITED.items())
    text = file.read_text(encoding="utf-8").replace(
        "\n[[members]]\n", f"\n[defaults]\n{defaults}\n[[members]]\n", 1
    )
    file.write_text(text, encoding="utf-8")
    print(
        f"{os.cpu_count()} cores, load average {os.getloadavg()}, {args.workers} worker(s), "
        f"{args.connections} connections, {args.rounds} rounds of {args.seconds} s; lot {LOT}"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGRITRACE_")}
    servers = []
    targets: dict[str, tuple[str, str]] = {}
    try:
        port = free_port()
        servers.append(start(
            [sys.executable, "-m", "uvicorn", "bench._bare_app:app", "--port", str(port),
             "--workers", str(args.workers), "--log-level", "warning", "--no-access-log"],
            env, f"http://127.0.0.1:{port}/bare",
        ))  # fmt: skip
        targets["bare FastAPI endpoint"] = (f"http://127.0.0.1:{port}/bare", "text/html")
        port = free_port()
        alone_env = env | {
            "AGRITRACE_KEYS": str(alone / "keys"),
            "AGRITRACE_TOKENS": str(alone / "tokens.toml"),
            "AGRITRACE_WITNESSES_FILE": str(alone / "witnesses.txt"),
            "AGRITRACE_RATE_PER_SECOND": _UNLIMITED["rate_per_second"],
            "AGRITRACE_RATE_BURST": _UNLIMITED["rate_burst"],
        }
        servers.append(start(
            [sys.executable, "-m", "agritrace", "serve", "--demo", "--db",
             f"sqlite:///{alone / 'ledger.db'}", "--port", str(port),
             "--workers", str(args.workers)],
            alone_env, f"http://127.0.0.1:{port}/.well-known/gs1resolver",
        ))  # fmt: skip
        targets["alone: page"] = (f"http://127.0.0.1:{port}{LOT}", "text/html")
        targets["alone: JSON"] = (f"http://127.0.0.1:{port}{LOT}", "application/json")
        port = free_port()
        servers.append(start(
            [sys.executable, "-m", "agritrace", "serve", "--demo", "--deployment", str(file),
             "--port", str(port), "--workers", str(args.workers)],
            env, f"http://127.0.0.1:{port}/",
        ))  # fmt: skip
        targets["deployment: page"] = (f"http://127.0.0.1:{port}{LOT}", "text/html")
        targets["deployment: JSON"] = (f"http://127.0.0.1:{port}{LOT}", "application/json")
        time.sleep(5)  # the first drift checks of a small log (about a second each)
        loads: dict[str, list[Load]] = {name: [] for name in targets}
        for _ in range(args.rounds):
            for name, (url, accept) in targets.items():
                loads[name].append(measure(url, accept, args.connections, args.seconds))
    finally:
        for server in servers:
            stop(server)
    medians = {name: _median(found) for name, found in loads.items()}
    bare = medians["bare FastAPI endpoint"].rate
    columns = ("req/s", "p50 ms", "p99 ms", "wire B", "/bare", "/alone", "load")
    print(f"{'':24} " + " ".join(f"{c:>7}" for c in columns) + " errors")
    for name, m in medians.items():
        alone_name = name.replace("deployment:", "alone:")
        ratio = m.rate / medians[alone_name].rate if name.startswith("deployment") else None
        print(
            f"{name:24} {m.rate:7.0f} {m.p50_ms:7.1f} {m.p99_ms:7.1f} {m.wire_bytes:7d} "
            f"{m.rate / bare:7.0%} {'' if ratio is None else f'{ratio:.0%}':>7} {m.load:7.1f} "
            f"{m.errors}"
        )
        print(f"{'':24} rounds: {[round(x.rate) for x in loads[name]]}")


if __name__ == "__main__":
    main()
