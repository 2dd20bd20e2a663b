"""Dashboard and quarterly-report benchmark on an existing season ledger.

Run: ``python -m bench.dashboards --sqlite PATH`` on a ledger ``bench/trace.py --keep PATH``
built (``--weigh`` there gives its receivings a received quantity, so the loss queries have
rows). Opens the ledger read-mostly (a projection made before ``trace_arrivals`` existed
gains that empty table) and prints, each the median of ``--rounds`` runs after one warm-up:

- every dashboard source on its own: open holds, latest holds, suspicious scans; the kept
  per-day and per-route sums (traceability/projection/_rollup.py) built from nothing (a
  server's first read) and moved forward by one batch of entries (every later read); the
  whole ``Projection.monitoring()`` on the kept sums; target < 200 ms each. For comparison,
  the same figures summed afresh from the tables (the reference functions);
- the quarterly evaluation of every quarter the ledger has events in
  (``Projection.quarterly``), and its PDF (content, charts and pages); target < 5 s;
- the rows behind them (lots, results, shipments, arrivals, holds), and the machine's load.

Figures are printed, never asserted: the machine is shared and the load is printed too.
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import func, select

from labels import Report, render_report
from ledger import Ledger
from traceability import Projection
from traceability.projection import _dashboard as d
from traceability.projection import _schema as t
from traceability.projection._rollup import Rollup, advance
from traceability.projection._scans import suspicious_serials
from verifier_app._monitoring import report_content

DASHBOARD_MS, REPORT_S = 200, 5


def timed(run: Callable[[], Any], rounds: int) -> tuple[float, Any]:
    """Median seconds of ``rounds`` runs after one warm-up, and the last result."""
    result = run()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def _rows(ledger: Ledger) -> str:
    counts = []
    with ledger.engine.connect() as conn:
        for table in (t.lots, t.results, t.shipments, t.arrivals, t.holds):
            n = conn.execute(select(func.count()).select_from(table)).scalar_one()
            counts.append(f"{table.name} {n:,}")
    return ", ".join(counts)


def _quarters(weeks: Any) -> list[str]:
    """The quarters the weeks' Mondays fall in."""
    found = set()
    for w in weeks:
        year, week = w.week.split("-W")
        monday = date.fromisocalendar(int(year), int(week), 1)
        found.add(f"{monday.year}-Q{(monday.month - 1) // 3 + 1}")
    return sorted(found)


def _figures(projection: Projection, quarter: str, upto: int) -> Callable[[], Any]:
    return lambda: projection.quarterly(quarter, upto=upto)


def _pdf(content: Report) -> Callable[[], bytes]:
    return lambda: render_report(content)


def main() -> None:
    """Open the ledger, time each source, the dashboard and the reports, print."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sqlite", required=True, help="path of a season ledger (SQLite)")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores, load {os.getloadavg()}, ledger {args.sqlite}")
    with Ledger.open(f"sqlite:///{args.sqlite}") as ledger:
        projection = Projection(ledger)
        projection.catch_up()
        upto = projection.applied_size()
        print(f"{upto:,} entries; rows: {_rows(ledger)}")

        def source(read: Callable[[Any, int], Any]) -> Callable[[], Any]:
            def run() -> Any:
                with ledger.engine.connect() as conn, conn.begin():
                    return read(conn, upto)

            return run

        # One record_batch of bench/trace.py (100 lot chains), mid-season: the ledger's last
        # entries are the recall tree's 500 gradings into 10,000 lots, not a season's day.
        batch, middle = min(900, upto // 2), upto // 2
        with ledger.engine.connect() as conn, conn.begin():
            before = advance(conn, Rollup(), middle)

        def moved() -> Any:
            with ledger.engine.connect() as conn, conn.begin():
                return advance(conn, copy.deepcopy(before), middle + batch)

        sources: dict[str, Callable[[], Any]] = {
            "open holds by rule": source(d.open_holds),
            "latest open holds": source(d.recent_holds),
            "suspicious label scans": lambda: suspicious_serials(ledger.engine),
            "kept sums, from nothing": source(lambda conn, n: advance(conn, Rollup(), n)),
            f"kept sums, {batch} entries on": moved,
            "Projection.monitoring() (kept)": projection.monitoring,
            "(summed afresh) failing tests": source(d.failing_tests),
            "(summed afresh) recalled lots": source(d.recalled_lots),
            "(summed afresh) weekly figures": source(d.weekly_figures),
            "(summed afresh) routes": source(d.excursions_by_route),
        }
        print(f"\ndashboard (median of {args.rounds}; target < {DASHBOARD_MS} ms each)")
        for name, run in sources.items():
            seconds, _ = timed(run, args.rounds)
            print(f"  {name:<32} {seconds * 1000:9.1f} ms")
        with ledger.engine.connect() as conn, conn.begin():
            weeks = d.weekly_figures(conn, upto)
        print(f"\nquarterly evaluation (median of {args.rounds}; target < {REPORT_S} s)")
        for quarter in _quarters(weeks):
            seconds, evaluation = timed(_figures(projection, quarter, upto), args.rounds)
            content = report_content(evaluation, "zh", cooperative="-", checkpoint="-")
            pdf_s, pdf = timed(_pdf(content), 1)
            print(
                f"  {quarter}  figures {seconds:6.2f} s, PDF {pdf_s:5.2f} s ({len(pdf):,} bytes);"
                f" {evaluation.tests:,} tests, {len(evaluation.shipments):,} weighed shipments"
            )
    print(f"load average at the end {os.getloadavg()}")


if __name__ == "__main__":
    main()
