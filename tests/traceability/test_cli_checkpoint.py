"""``agritrace checkpoint`` signs a checkpoint that ends with the lot-status map.

``agritrace ledger checkpoint`` is the ledger's command and cannot know the map: after an
append, the checkpoint it signs ends with the append. The domain's command seals first, as
``serve`` does, so the witness check accepts what it signs.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from agritrace.cli import app
from ledger import KeyFolder, Ledger
from traceability import (
    Hold,
    Recorder,
    StatusMap,
    StatusMapError,
    check_before_cosigning,
)
from traceability.demo import build_season

ORIGIN = "cli-checkpoint.kashgar-coop.example/log"


def _run(*args: str) -> Result:
    return CliRunner(env={"COLUMNS": "250", "NO_COLOR": "1"}).invoke(app, list(args))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    keys = KeyFolder(tmp_path / "keys")
    root = keys.create("root")
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    with Ledger.create(url, ORIGIN, root, keys.create_log_signer(ORIGIN)) as ledger:
        season = build_season(ledger, root, keys.create)
        ledger.checkpoint()
        # An append after the last sealed checkpoint, recorded without a seal.
        ledger.seal = None
        body = {"lot": {"gtin": season.gtin, "lot": season.released}, "reason": "x"}
        now = datetime.now(UTC).isoformat(timespec="seconds")
        Recorder(ledger).record(Hold.from_body(body | {"time": now}), keys.load("coop-admin"))
    return tmp_path


def _url(folder: Path) -> str:
    return f"sqlite:///{folder / 'ledger.db'}"


def test_the_ledgers_checkpoint_has_no_map_and_the_domains_has(folder: Path) -> None:
    plain = _run("ledger", "checkpoint", "--db", _url(folder), "--keys", str(folder / "keys"))
    assert plain.exit_code == 0, plain.output
    with Ledger.open(_url(folder)) as ledger:
        with pytest.raises(StatusMapError, match=r"trace\.hold"):
            check_before_cosigning(ledger, plain.stdout)
        size = ledger.size()
    result = _run("checkpoint", "--db", _url(folder), "--keys", str(folder / "keys"))
    assert result.exit_code == 0, result.output
    assert "appended the lot-status map" in result.stderr
    with Ledger.open(_url(folder)) as ledger:
        assert ledger.size() == size + 1
        last = ledger.entry(size).statement
        assert last.kind == StatusMap.KIND
        assert last.body["size"] == size
        assert result.stdout == ledger.latest_checkpoint()
        check_before_cosigning(ledger, result.stdout)
    # Twice: nothing new, no second map, the same checkpoint.
    again = _run("checkpoint", "--db", _url(folder), "--keys", str(folder / "keys"))
    assert again.exit_code == 0, again.output
    assert again.stdout == result.stdout
    assert "the map was current" in again.stderr


@pytest.mark.parametrize("missing", ["status-map", "log"])
def test_without_a_key_it_signs_nothing_and_names_it(folder: Path, missing: str) -> None:
    (folder / "keys" / f"{missing}.pem").unlink()
    with Ledger.open(_url(folder)) as ledger:
        size, note = ledger.size(), ledger.latest_checkpoint()
    result = _run("checkpoint", "--db", _url(folder), "--keys", str(folder / "keys"))
    assert result.exit_code == 2
    assert f"{missing}.pem" in result.stderr
    assert "Traceback" not in result.output
    with Ledger.open(_url(folder)) as ledger:
        assert (ledger.size(), ledger.latest_checkpoint()) == (size, note)
