"""bench/scan.py's parts: wrk's report is read right; the PostgreSQL copy is the same season."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import sqlalchemy

from bench import trace
from bench._pg_copy import copy_to_postgres
from bench.scan import parse_wrk, pick_lot
from ledger import Ledger
from tests.ledger.conftest import postgres_server
from traceability import Projection

__all__ = ["postgres_server"]

# wrk 4.1's report for a closed-loop run with --latency (abridged where it repeats).
WRK_OUT = """Running 10s test @ http://127.0.0.1:40001/01/06912345678902/10/H0005555B
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    12.10ms   20.11ms 301.55ms   93.50%
    Req/Sec     3.57k   512.00     4.51k    70.00%
  Latency Distribution
     50%    6.53ms
     75%   10.12ms
     90%   21.40ms
     99%  107.34ms
  71130 requests in 10.00s, 654.07MB read
  Socket errors: connect 0, read 2, write 0, timeout 3
  Non-2xx or 3xx responses: 5
Requests/sec:   7113.00
Transfer/sec:     65.41MB
"""


def test_wrk_report_gives_rate_percentiles_errors_and_bytes_per_response() -> None:
    load = parse_wrk(WRK_OUT, body_bytes=26_349, load=4.8)
    assert load.rate == 7113.0
    assert load.p50_ms == pytest.approx(6.53)
    assert load.p99_ms == pytest.approx(107.34)
    assert load.errors == 10  # 5 non-2xx + 2 read + 3 timeouts
    assert load.wire_bytes == round(654.07 * 1024**2 / 71130)
    assert (load.body_bytes, load.load) == (26_349, 4.8)


def test_a_microsecond_median_is_read_in_milliseconds() -> None:
    out = WRK_OUT.replace("     50%    6.53ms", "     50%  830.00us")
    assert parse_wrk(out, 0, 0.0).p50_ms == pytest.approx(0.83)


@pytest.mark.postgres
def test_the_postgresql_copy_holds_the_same_season(tmp_path: Path, postgres_server: str) -> None:
    sqlite_url = f"sqlite:///{tmp_path / 'trace.db'}"
    ledger, recorder, keys = trace.setup(sqlite_url, farms=3)
    trace.season(recorder, keys, 27, farms=3)
    size, root = ledger.size(), ledger.root()
    want = Projection(ledger).summary(trace.GTIN, "H0000001A")
    ledger.close()
    path = pick_lot(tmp_path / "trace.db")
    assert path.startswith(f"/01/{trace.GTIN}/10/H000000")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    try:
        with Ledger.open(copy_to_postgres(sqlite_url, postgres_server, schema)) as copy:
            assert (copy.size(), copy.root()) == (size, root)
            assert Projection(copy).summary(trace.GTIN, "H0000001A") == want
    finally:
        admin = sqlalchemy.create_engine(postgres_server)
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()
