"""``agritrace lab``: a lab signs with its own key on its own machine and sends over HTTP.

The demo's server holds no lab key (the lab's is in ``lab-keys/``). The lab's results go
in once, a rerun of the same file appends nothing, a key that is not an approved lab's is
refused by the server, and a bad row is named before anything is sent.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner, Result

from agritrace.cli import app as cli
from agritrace.demo import run_demo
from ledger import Ledger
from tests.test_verify import Live
from traceability import Projection
from traceability.demo import Season

HEADER = "sample_id,gtin,lot,substance,value,unit,loq,method,lab,time\n"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Season]:
    folder = tmp_path_factory.mktemp("lab") / "agritrace-demo"
    return folder, run_demo(folder, Console(file=io.StringIO()))


@pytest.fixture(scope="module")
def live(demo: tuple[Path, Season]) -> Iterator[Live]:
    server = Live(demo[0])
    yield server
    server.close()


def _token(folder: Path, role: str) -> str:
    lines = (folder / "tokens.txt").read_text(encoding="utf-8").splitlines()
    return next(line.split()[1] for line in lines if line.startswith(f"{role} "))


def _send(live: Live, folder: Path, csv: Path, key: Path, token: str | None = None) -> Result:
    args = ["lab", "results", str(csv), "--server", live.base, "--key", str(key)]
    return CliRunner().invoke(cli, [*args, "--token", token or _token(folder, "lab")])


def _size(folder: Path) -> int:
    with Ledger.open(f"sqlite:///{folder / 'ledger.db'}") as ledger:
        return ledger.size()


def _csv(tmp_path: Path, season: Season, sample: str, gtin: str | None = None) -> Path:
    path = tmp_path / f"{sample}.csv"
    row = (
        f"{sample},{gtin or season.gtin},{season.released},carbendazim,0.02,mg/kg,0.01,"
        "GB 23200.113-2018,喀什地区农产品质量检测中心,2026-06-03T09:00:00+08:00\n"
    )
    path.write_text(HEADER + row, encoding="utf-8")
    return path


def test_results_signed_by_the_lab_go_in_once(
    live: Live, demo: tuple[Path, Season], tmp_path: Path
) -> None:
    folder, season = demo
    csv = _csv(tmp_path, season, "S-CLI-1")
    before = _size(folder)
    sent = _send(live, folder, csv, folder / "lab-keys" / "kashgar-lab.pem")
    assert sent.exit_code == 0, sent.output
    assert "as 1 residue-test entries" in sent.output
    with Ledger.open(f"sqlite:///{folder / 'ledger.db'}") as ledger:
        grown = ledger.size()
        added = [ledger.entry(seq).statement for seq in range(before, grown)]
        results = [s for s in added if s.kind == "trace.residue"]
        assert [s.body["sample_id"] for s in results] == ["S-CLI-1"]
        # Signed by the lab's own key, which the cooperative's server does not hold.
        assert ledger.keys()[results[0].key_id].actor == "kashgar-lab"
        shown = Projection(ledger).results(season.gtin, season.released)
        assert any(line.seq >= before for line in shown)
    # Again (say the answer was lost on the way): answered, nothing appended.
    again = _send(live, folder, csv, folder / "lab-keys" / "kashgar-lab.pem")
    assert again.exit_code == 0, again.output
    assert "was sent before" in again.output
    assert _size(folder) == grown


def test_a_key_that_is_not_an_approved_labs_is_refused(
    live: Live, demo: tuple[Path, Season], tmp_path: Path
) -> None:
    folder, season = demo
    before = _size(folder)
    sent = _send(
        live, folder, _csv(tmp_path, season, "S-CLI-2"), folder / "keys" / "coop-admin.pem"
    )
    assert sent.exit_code == 2
    assert "the server refused it (403)" in sent.output
    assert _size(folder) == before


def test_a_bad_row_is_named_and_nothing_is_sent(
    live: Live, demo: tuple[Path, Season], tmp_path: Path
) -> None:
    folder, season = demo
    before = _size(folder)
    bad = _csv(tmp_path, season, "S-CLI-3", gtin="06912345670013")  # wrong check digit
    sent = _send(live, folder, bad, folder / "lab-keys" / "kashgar-lab.pem")
    assert sent.exit_code == 2
    assert "S-CLI-3.csv line 2, gtin" in sent.output
    assert _size(folder) == before


def test_a_wrong_token_or_no_server_is_a_clear_error(
    live: Live, demo: tuple[Path, Season], tmp_path: Path
) -> None:
    folder, season = demo
    csv = _csv(tmp_path, season, "S-CLI-4")
    key = folder / "lab-keys" / "kashgar-lab.pem"
    assert "(401)" in _send(live, folder, csv, key, token="wrong").output
    args = ["lab", "results", str(csv), "--server", "http://127.0.0.1:9", "--key", str(key)]
    down = CliRunner().invoke(cli, [*args, "--token", "x"])
    assert down.exit_code == 2
    assert "cannot read http://127.0.0.1:9/log/checkpoint" in down.output
