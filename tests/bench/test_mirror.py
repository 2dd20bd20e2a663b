"""bench/mirror.py still runs: a small season's log caught up, replayed and reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import mirror
from bench._season_log import season_log
from bench.ledger import parallel_verify_rate


def test_a_small_log_is_caught_up_and_every_figure_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = season_log(tmp_path / "source", 3000)
    mirror.measure(source, f"sqlite:///{tmp_path / 'mirror.db'}", tmp_path / "state")
    printed = capsys.readouterr().out
    for line in ("mirror catch-up", "limit: cores x verify", "all cores verifying at once",
                 "replay into the projection"):  # fmt: skip
        assert line in printed, printed
    assert " 0 refused" in printed  # the season's events all pass the domain's rules


def test_all_cores_verify_more_than_none() -> None:
    assert parallel_verify_rate(1, seconds=0.2) > 0
