"""bench/county.py still runs: a tiny county, every link verified, a trace across (no timings)."""

from __future__ import annotations

from pathlib import Path

from bench import county
from bench.trace import GTIN
from traceability import trace_across


def test_tiny_county_links_verify_and_trace_back_into_the_coop(tmp_path: Path) -> None:
    urls = (f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'centre.db'}")
    alliance, codes = county.build(*urls, lots=3)
    try:
        assert [c.verdict for c in alliance.links()] == ["verified"] * 3
        traced = trace_across(alliance, "centre", GTIN, codes[1])
        assert {(x.member, x.state.lot) for x in traced.back} == {
            ("coop-a", "H0000001A"),
            ("coop-a", "H0000001"),
        }
        assert [o.farm for _, o in traced.origins] == ["F0001"]
    finally:
        for m in alliance.members:
            m.ledger.close()
