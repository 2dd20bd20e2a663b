"""bench/trace.py still runs: a tiny season, the raw append copy and the traces (no timings)."""

from __future__ import annotations

from pathlib import Path

from bench import trace
from traceability import LotStatus, Projection


def test_tiny_season_records_every_chain_and_traces_back_to_a_farm(tmp_path: Path) -> None:
    ledger, recorder, keys = trace.setup(f"sqlite:///{tmp_path / 'trace.db'}", farms=3)
    first = ledger.size()
    assert trace.season(recorder, keys, 27, farms=3) > 0
    assert ledger.size() - first == 27
    projection = Projection(ledger)
    assert projection.lot(trace.GTIN, "H0000002A").status == LotStatus.RECEIVED
    (origin,) = projection.trace_back(trace.GTIN, "H0000002A").origins
    assert origin.farm == "F0002"
    assert trace.raw_append_rate(ledger, f"sqlite:///{tmp_path / 'raw.db'}", first, 27) > 0
    ledger.close()
