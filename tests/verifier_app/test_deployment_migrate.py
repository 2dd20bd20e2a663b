"""``agritrace deployment migrate``: a single cooperative's folder becomes a deployment."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from agritrace.cli import app as cli
from ledger import Ledger
from tests.verifier_app.deployment_world import SHARED_LOT, build_member
from traceability import Projection
from verifier_app import (
    DeploymentError,
    Settings,
    create_app,
    create_deployment_app,
    load_deployment,
    migrate_folder,
)
from verifier_app._deployment_paths import JSON_LINKS

RUNNER = CliRunner()
JSON = {"Accept": "application/json"}
DEMO_LOT = "/01/06912345670012/10/SB26-H01-G1"


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo") / "agritrace-demo"
    result = RUNNER.invoke(cli, ["demo", "--folder", str(folder)])
    assert result.exit_code == 0, (result.stdout, result.exception)
    return folder


@pytest.fixture
def demo(demo_folder: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "agritrace-demo"
    shutil.copytree(demo_folder, copy)
    return copy


def _size(url: str) -> int:
    ledger = Ledger.open(url)
    try:
        return ledger.size()
    finally:
        ledger.close()


def _unlinked(answer: dict[str, object]) -> dict[str, object]:
    """The answer without the fields that are links (the deployment prefixes those)."""

    def walk(value: object) -> object:
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items() if k not in JSON_LINKS}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    out = walk(answer)
    assert isinstance(out, dict)
    return out


def test_a_migrated_demo_folder_serves_the_same_answers_with_nothing_copied(demo: Path) -> None:
    url = f"sqlite:///{demo / 'ledger.db'}"
    before = _size(url)
    files = sorted(p.name for p in demo.iterdir())
    result = RUNNER.invoke(cli, ["deployment", "migrate", str(demo), "--slug", "kashgar"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in demo.iterdir()) == sorted([*files, "deployment.toml"])
    assert _size(url) == before  # the demo declares its prefix already: nothing recorded
    loaded = load_deployment(demo / "deployment.toml", demo=True)
    (member,) = loaded.members
    assert (member.slug, member.name) == ("kashgar", "喀什果农合作社")
    assert member.settings.db == url
    assert member.settings.tokens == demo / "tokens.toml"
    single = Settings(
        db=url,
        keys=demo / "keys",
        tokens=demo / "tokens.toml",
        witnesses_file=demo / "witnesses.txt",
        demo=True,
    )
    with TestClient(create_app(single)) as one:
        alone = one.get(DEMO_LOT, headers=JSON)
    with TestClient(create_deployment_app(loaded)) as many:
        served = many.get(DEMO_LOT, headers=JSON)
    assert served.status_code == alone.status_code == 200
    assert _unlinked(served.json()) == _unlinked(alone.json())
    assert served.json()["checkpoint"] == "/c/kashgar" + alone.json()["checkpoint"]


def test_migrating_twice_is_refused_and_changes_nothing(demo: Path) -> None:
    migrate_folder(demo, "kashgar")
    written = (demo / "deployment.toml").read_text(encoding="utf-8")
    result = RUNNER.invoke(cli, ["deployment", "migrate", str(demo), "--slug", "other"])
    assert result.exit_code == 2
    assert "already migrated" in result.output
    assert (demo / "deployment.toml").read_text(encoding="utf-8") == written


def test_prefix_is_recorded_on_the_ledger_signed_by_the_cooperatives_key(tmp_path: Path) -> None:
    m = build_member(tmp_path / "coop", "kashgar", "691234567", "喀什果农合作社", declare=False)
    before = _size(m.url)
    done = migrate_folder(
        m.folder, "kashgar", prefix="691234567", resolver="https://id.kashgar.example"
    )
    assert done.prefix_advice is None
    assert done.prefix_entry == before
    ledger = Ledger.open(m.url)
    try:
        entry = ledger.entry(before)
        assert entry.statement.kind == "trace.cooperative"
        # The same key that signed the cooperative's earlier entry (coop-admin).
        earlier = [e for e in ledger.entries(0, before) if e.statement.kind == "trace.cooperative"]
        assert entry.statement.key_id == earlier[-1].statement.key_id
        assert entry.statement.body["name_zh"] == "喀什果农合作社"
        assert Projection(ledger).company_prefixes() == ("691234567",)
    finally:
        ledger.close()
    with TestClient(create_deployment_app(load_deployment(done.file))) as client:
        answer = client.get(f"/01/{m.gtin}/10/{SHARED_LOT}", headers=JSON)
        assert answer.status_code == 200, answer.text


def test_without_the_cooperatives_key_the_command_says_how_and_records_nothing(
    tmp_path: Path,
) -> None:
    m = build_member(tmp_path / "coop", "kashgar", "691234567", "喀什果农合作社", declare=False)
    (m.keys / "coop-admin.pem").unlink()
    before = _size(m.url)
    result = RUNNER.invoke(
        cli, ["deployment", "migrate", str(m.folder), "--slug", "kashgar", "--prefix", "691234567"]
    )
    assert result.exit_code == 0, result.output
    assert "company prefix not recorded" in result.output
    assert "agritrace record cooperative" in result.output
    assert _size(m.url) == before
    assert (m.folder / "deployment.toml").is_file()


def test_a_prefix_that_leaves_out_the_cooperatives_products_is_refused_on_the_ledger(
    tmp_path: Path,
) -> None:
    m = build_member(tmp_path / "coop", "kashgar", "691234567", "喀什果农合作社", declare=False)
    before = _size(m.url)
    done = migrate_folder(m.folder, "kashgar", prefix="699999999")
    assert done.prefix_entry is None
    assert done.prefix_advice is not None
    assert "company-prefixes-cover-products" in done.prefix_advice
    assert _size(m.url) == before


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--slug", "Kash Gar"], "--slug: expected 1-32 lower-case"),
        (["--slug", "kashgar", "--prefix", "12"], "--prefix: expected a GS1 company prefix"),
    ],
)
def test_bad_options_are_refused_and_nothing_is_written(
    demo: Path, args: list[str], says: str
) -> None:
    result = RUNNER.invoke(cli, ["deployment", "migrate", str(demo), *args])
    assert result.exit_code == 2
    assert says in result.output.replace("\n", "")
    assert not (demo / "deployment.toml").exists()


def test_a_folder_without_a_ledger_is_refused(tmp_path: Path) -> None:
    (tmp_path / "keys").mkdir()
    with pytest.raises(DeploymentError, match="expected a ledger"):
        migrate_folder(tmp_path, "kashgar")
    assert not (tmp_path / "deployment.toml").exists()


# --- the commands around it ---------------------------------------------------------------------

_ISOLATED = {
    "AGRITRACE_DEPLOYMENT": None,
    "AGRITRACE_DEPLOYMENT_PORT": None,
    "AGRITRACE_DEMO": None,
}


def test_check_lists_the_members_of_a_migrated_folder(demo: Path) -> None:
    migrate_folder(demo, "kashgar")
    listed = RUNNER.invoke(cli, ["deployment", "check", str(demo / "deployment.toml"), "--demo"])
    assert listed.exit_code == 0, listed.output
    assert listed.output.startswith("kashgar\t喀什果农合作社\tsqlite:///")
    refused = RUNNER.invoke(cli, ["deployment", "check", str(demo / "deployment.toml")])
    assert refused.exit_code == 2  # outside demo mode the demo's http resolver is refused
    assert "members[0] (kashgar)" in refused.output


def test_serve_refuses_two_members_with_one_prefix_in_one_line(tmp_path: Path) -> None:
    from tests.verifier_app.deployment_world import write_deployment

    a = build_member(tmp_path / "a", "kashgar", "691234567", "喀什果农合作社")
    b = build_member(tmp_path / "b", "yengisar", "691234567", "英吉沙合作社")
    file = write_deployment(tmp_path / "deployment.toml", [a, b])
    result = RUNNER.invoke(cli, ["serve", "--deployment", str(file)], env=_ISOLATED)
    assert result.exit_code == 2
    said = result.output.replace("\n", " ")
    assert "members 'kashgar' and 'yengisar' both declare the GS1 company prefix 691234567" in said
    assert "Traceback" not in result.output


def test_serve_refuses_db_and_deployment_together(tmp_path: Path) -> None:
    result = RUNNER.invoke(
        cli,
        ["serve", "--deployment", str(tmp_path / "d.toml"), "--db", "sqlite:///x.db"],
        env=_ISOLATED,
    )
    assert result.exit_code == 2
    assert "--db and --deployment" in result.output


def test_serve_refuses_read_only_and_deployment_together(tmp_path: Path) -> None:
    # A replica serves one member's database; a deployment mounts members that record.
    result = RUNNER.invoke(
        cli, ["serve", "--deployment", str(tmp_path / "d.toml"), "--read-only"], env=_ISOLATED
    )
    assert result.exit_code == 2
    assert "--read-only and --deployment" in result.output
