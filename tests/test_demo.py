"""``agritrace demo``: the season in a folder, an audit, a signed label, and where to look."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import zxingcpp
from dotenv import dotenv_values
from PIL import Image
from typer.testing import CliRunner, Result

from agritrace.cli import app
from agritrace.demo import RESOLVER, _past, serve_command
from labels import load_public_key, parse_digital_link, verify_link
from ledger import Ledger
from traceability import LotStatus, Projection
from verifier_app import TokenTable, hash_token

RUNNER = CliRunner()


def _run(folder: Path) -> Result:
    return RUNNER.invoke(app, ["demo", "--folder", str(folder)])


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    folder = tmp_path_factory.mktemp("run") / "agritrace-demo"
    result = _run(folder)
    assert result.exit_code == 0, (result.stdout, result.exception)
    return folder, result.stdout


def test_demo_prints_counts_statuses_and_an_audit(demo: tuple[Path, str]) -> None:
    _, out = demo
    assert "4 farms (7 plots), 4 products" in out
    assert "7 harvests" in out  # six strawberry harvests and the autumn's jujube harvest
    assert "refused, nothing appended: harvest SB26-H06" in out
    assert "refused, nothing appended: harvest JJ26-H02" in out
    assert re.search(r"JJ26-H01-G1\s+released \(jujubes\)", out)
    assert re.search(r"audit: valid — \d+ entries", out)
    assert re.search(r"SB26-H01-G1\s+released", out)
    assert re.search(r"SB26-H04\s+on_hold — cold-chain-precool", out)
    assert re.search(r"SB26-H03-SU\s+on_hold — residue-above-mrl", out)
    assert re.search(r"SB26-H02-SU\s+recalled — recall of", out)
    # The season is dated June 2026 on every run: its "released" lot's page has a red
    # "past its best-before date" line today, and the tour says why before anyone wonders.
    assert re.search(r"harvested from 2026-06-01: \d of these lots are past their", out)


def test_a_best_before_date_is_past_only_after_its_day() -> None:
    today = date(2026, 6, 9)
    assert _past("2026-06-08", today)
    assert not _past("2026-06-09", today)
    assert not _past(None, today)


def test_demo_prints_the_serve_command_and_the_pages(demo: tuple[Path, str]) -> None:
    folder, out = demo
    command = serve_command(folder)
    assert command in out.replace("\n", "")
    assert f"--env-file {folder / 'serve.env'}" in command
    # The settings file names the demo's database, by an absolute path (any working folder).
    settings = dotenv_values(folder / "serve.env")
    assert settings["AGRITRACE_DB"] == f"sqlite:///{folder.resolve() / 'ledger.db'}"
    assert "runs on the same machine for convenience" in out.replace("\n", " ")
    for lot in ("SB26-H01-G1", "SB26-H03-SU", "SB26-H02-SU"):
        assert f"{RESOLVER}/01/06912345670012/10/{lot}" in out


def test_demo_ledger_audits_valid_with_the_statuses(demo: tuple[Path, str]) -> None:
    folder, _ = demo
    ledger = Ledger.open(f"sqlite:///{folder / 'ledger.db'}")
    try:
        report = ledger.audit()
        assert report.verdict == "valid"
        assert report.failure is None
        projection = Projection(ledger)
        assert projection.lot("06912345670012", "SB26-H01-G1").status == LotStatus.RELEASED
        assert projection.lot("06912345670012", "SB26-H04").status == LotStatus.ON_HOLD
        assert projection.lot("06912345670012", "SB26-H02-SU").status == LotStatus.RECALLED
    finally:
        ledger.close()


def test_label_decodes_to_the_released_lot_signed_by_the_label_key(
    demo: tuple[Path, str],
) -> None:
    folder, out = demo
    image = Image.open(folder / "label-SB26-H01-G1.png")
    texts = [str(r.text) for r in zxingcpp.read_barcodes(image)]
    assert len(texts) == 1
    link = parse_digital_link(texts[0])
    assert urlsplit(texts[0]).path == "/01/06912345670012/10/SB26-H01-G1"
    assert (link.gtin, link.lot) == ("06912345670012", "SB26-H01-G1")
    public = re.search(r"label key ([A-Za-z0-9+/=]{44})", out)
    assert public is not None
    verify_link(texts[0], load_public_key(public[1]))


def test_label_sheet_is_a_pdf(demo: tuple[Path, str]) -> None:
    folder, _ = demo
    assert (folder / "labels-SB26-H01-G1.pdf").read_bytes().startswith(b"%PDF-")


def test_token_file_holds_the_secret_tokens_hashed(demo: tuple[Path, str]) -> None:
    folder, _ = demo
    table = TokenTable.load(folder / "tokens.toml")
    lines = (folder / "tokens.txt").read_text(encoding="utf-8").splitlines()
    assert (folder / "tokens.txt").stat().st_mode & 0o077 == 0
    assert len(lines) == 5
    for line in lines:
        _, token = line.split()
        assert hash_token(token) in table.by_hash
        assert token not in (folder / "tokens.toml").read_text(encoding="utf-8")
    assert not table.holds_demo_tokens()


def test_demo_packer_token_signs_in_and_records_with_the_packing_shed_key(
    demo: tuple[Path, str],
) -> None:
    folder, out = demo
    assert f"staff     {RESOLVER}/sign-in" in out
    tokens = dict(line.split() for line in (folder / "tokens.txt").read_text().splitlines())
    caller = TokenTable.load(folder / "tokens.toml").caller(tokens["packing_station"])
    assert caller is not None
    assert caller.key == "packing-shed"
    assert caller.roles == {"packing_station"}
    # The key the server will sign with is the one the season registered for the shed.
    with Ledger.open(f"sqlite:///{folder / 'ledger.db'}") as ledger:
        actors = {info.actor for info in ledger.keys().values()}
    assert {"packing-shed", "market-regulator", "kashgar-lab", "coop-admin"} <= actors
    assert (folder / "keys" / "packing-shed.pem").exists()


def test_demo_in_a_folder_with_brackets_in_its_name(tmp_path: Path) -> None:
    folder = tmp_path / "demo [/]"
    result = _run(folder)
    assert result.exit_code == 0, result.exception
    assert f"in {folder / 'ledger.db'}" in result.stdout


def _root_key(folder: Path) -> bytes:
    return hashlib.sha256((folder / "keys" / "root.pem").read_bytes()).digest()


def _tokens(folder: Path) -> dict[str, str]:
    lines = (folder / "tokens.txt").read_text(encoding="utf-8").splitlines()
    return dict(line.split() for line in lines)


def test_demo_prints_the_sign_in_tokens_it_made_and_where_they_are(
    demo: tuple[Path, str],
) -> None:
    folder, out = demo
    assert f"stored in {folder / 'tokens.txt'}" in out.replace("\n", "")
    for role, token in _tokens(folder).items():
        assert re.search(rf"^  {role}\s+{re.escape(token)}$", out, re.MULTILINE), role


def test_demo_run_again_keeps_the_demo_and_prints_its_tour(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    assert _run(folder).exit_code == 0
    root, tokens = _root_key(folder), _tokens(folder)
    ledger_bytes = (folder / "ledger.db").read_bytes()
    again = _run(folder)
    assert again.exit_code == 0, again.exception
    # Nothing rebuilt: a server serving the folder keeps its keys, and its tokens still sign in.
    assert _root_key(folder) == root
    assert _tokens(folder) == tokens
    assert (folder / "ledger.db").read_bytes() == ledger_bytes
    out = again.stdout.replace("\n", "")
    assert f"kept the demo already in {folder}" in out
    assert f"demo --folder {folder} --force" in out
    assert "built the demo season" not in out
    for role, token in tokens.items():
        assert re.search(rf"{role}\s+{re.escape(token)}", again.stdout), role
    assert re.search(r"SB26-H03-SU\s+on_hold — residue-above-mrl", again.stdout)
    assert serve_command(folder) in out
    table = TokenTable.load(folder / "tokens.toml")
    assert table.caller(tokens["packing_station"]) is not None


def test_a_kept_demo_without_serve_env_gets_one_and_keeps_the_rest(tmp_path: Path) -> None:
    # A demo built before serve hosted the regulator's witness: run again, it gains the
    # settings (and the witness's seeded state) and nothing else changes.
    folder = tmp_path / "demo"
    assert _run(folder).exit_code == 0
    written = (folder / "serve.env").read_text(encoding="utf-8")
    (folder / "serve.env").unlink()
    shutil.rmtree(folder / "witness-state")
    ledger_bytes, tokens = (folder / "ledger.db").read_bytes(), _tokens(folder)
    again = _run(folder)
    assert again.exit_code == 0, again.exception
    assert f"added {folder / 'serve.env'}" in again.stdout.replace("\n", "")
    assert (folder / "serve.env").read_text(encoding="utf-8") == written
    assert (folder / "witness-state" / "witness-state.json").exists()
    assert (folder / "ledger.db").read_bytes() == ledger_bytes
    assert _tokens(folder) == tokens


def test_demo_force_rebuilds_and_says_to_restart_the_server(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    assert _run(folder).exit_code == 0
    root, tokens = _root_key(folder), _tokens(folder)
    result = RUNNER.invoke(app, ["demo", "--folder", str(folder), "--force"])
    assert result.exit_code == 0, result.exception
    assert _root_key(folder) != root
    assert _tokens(folder)["packing_station"] != tokens["packing_station"]
    assert "restart a running `agritrace serve`" in result.stdout
    # The old token no longer signs in: the message above is why.
    assert TokenTable.load(folder / "tokens.toml").caller(tokens["packing_station"]) is None


def test_demo_force_on_a_new_folder_builds_without_a_restart_note(tmp_path: Path) -> None:
    result = RUNNER.invoke(app, ["demo", "--folder", str(tmp_path / "new"), "--force"])
    assert result.exit_code == 0, result.exception
    assert "restart" not in result.stdout


def test_demo_refuses_an_unfinished_demo_without_force(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    assert _run(folder).exit_code == 0
    (folder / "tokens.txt").unlink()
    result = _run(folder)
    assert result.exit_code == 2
    assert "unfinished demo (no tokens.txt)" in result.stdout
    assert "--force" in result.stdout
    assert RUNNER.invoke(app, ["demo", "--folder", str(folder), "--force"]).exit_code == 0
    assert (folder / "tokens.txt").exists()


def test_demo_force_still_refuses_a_folder_that_is_not_a_demo(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    result = RUNNER.invoke(app, ["demo", "--folder", str(tmp_path), "--force"])
    assert result.exit_code == 2
    assert "not a demo folder" in result.stdout
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_demo_refuses_to_delete_a_folder_that_is_not_a_demo(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    result = _run(tmp_path)
    assert result.exit_code == 2
    assert "not a demo folder" in result.stdout
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_readme_main_command_runs_the_demo_then_serves_what_it_prints() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    block = readme[readme.index("```sh\n") + len("```sh\n") :]
    first = block[: block.index("\n\n")].replace("\\\n", " ")
    command = " ".join(first.split("\n")[-1].split())
    assert "agritrace demo && " in command
    serve = serve_command(Path("agritrace-demo"), ".venv/bin/agritrace")
    assert command.endswith(serve)


def test_readme_demo_command_run_twice_in_the_same_folder_keeps_the_first_demo(
    tmp_path: Path,
) -> None:
    # As the README's first command runs it: no --folder, from the user's folder, twice.
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGRITRACE_")}
    runs = [
        subprocess.run(
            [sys.executable, "-m", "agritrace", "demo"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        for _ in range(2)
    ]
    assert [run.returncode for run in runs] == [0, 0], [run.stderr for run in runs]
    tokens = _tokens(tmp_path / "agritrace-demo")
    assert "built the demo season" in runs[0].stdout
    assert "kept the demo already in agritrace-demo" in runs[1].stdout
    for run in runs:
        assert tokens["packing_station"] in run.stdout
        assert serve_command(Path("agritrace-demo")) in run.stdout.replace("\n", "")
