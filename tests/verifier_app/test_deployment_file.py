"""The deployment file: what it holds, and every way it can be wrong, named precisely."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.verifier_app.conftest import write_token_file
from verifier_app import DeploymentError, load_deployment
from verifier_app._deployment import with_run_files
from verifier_app._deployment_paths import prefix_cookie, prefix_html, prefix_json


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for slug in ("a", "b"):
        (tmp_path / slug / "keys").mkdir(parents=True)
        write_token_file(
            tmp_path / slug / "tokens.toml", {f"token-of-{slug}-0123456789": (slug, ["lab"])}
        )
    return tmp_path


def _member(slug: str, **extra: str) -> str:
    fields = {
        "slug": slug,
        "db": f"sqlite:///{slug}/ledger.db",
        "keys": f"{slug}/keys",
        "tokens": f"{slug}/tokens.toml",
    } | extra
    return "[[members]]\n" + "".join(f'{k} = "{v}"\n' for k, v in fields.items() if v)


GOOD_HEAD = '[defaults]\nresolver = "https://id.shufu.example"\n\n'


def _write(folder: Path, text: str) -> Path:
    path = folder / "deployment.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_file_gives_each_member_its_own_settings_read_from_the_files_folder(
    folder: Path,
) -> None:
    file = _write(folder, GOOD_HEAD + _member("a") + _member("b", name="莎车合作社"))
    loaded = load_deployment(file)
    a, b = loaded.members
    assert (a.slug, a.name, b.name) == ("a", "a", "莎车合作社")
    assert a.settings.db == f"sqlite:///{folder / 'a' / 'ledger.db'}"
    assert a.settings.keys == folder / "a" / "keys"
    assert b.settings.tokens == folder / "b" / "tokens.toml"
    assert a.settings.resolver == b.settings.resolver == "https://id.shufu.example"
    assert a.settings.session_folder() != b.settings.session_folder()


def test_serve_gives_each_member_its_own_shared_run_files(folder: Path) -> None:
    file = _write(folder, GOOD_HEAD + _member("a") + _member("b"))
    a, b = with_run_files(load_deployment(file), 8080).members
    for member, slug in ((a, "a"), (b, "b")):
        run = folder / slug / "run"
        assert member.settings.rate_file == run / "rate-8080.buckets"
        assert member.settings.drift_state_file == run / "drift-8080.json"
        assert member.settings.audit_folder == run / "audits-8080"


def test_the_environment_does_not_leak_into_members(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One cooperative's token file in the environment must not become another's.
    monkeypatch.setenv("AGRITRACE_TOKENS", str(folder / "a" / "tokens.toml"))
    monkeypatch.setenv("AGRITRACE_DEMO", "1")
    file = _write(folder, GOOD_HEAD + _member("a") + _member("b", tokens=""))
    with pytest.raises(DeploymentError) as refused:
        load_deployment(file)
    assert "members[1] (b)" in str(refused.value)
    assert "tokens" in str(refused.value)


@pytest.mark.parametrize(
    ("text", "where", "says"),
    [
        (GOOD_HEAD, "members", "at least one [[members]]"),
        (GOOD_HEAD + "[[members]]\nslug = 'A b'\n", "members[0].slug", "lower-case"),
        (GOOD_HEAD + _member("a") + _member("a"), "members (a).slug", "member 'a'"),
        (
            GOOD_HEAD + _member("a") + _member("b", db="sqlite:///a/ledger.db"),
            "members (b).db",
            "member 'a'",
        ),
        (
            GOOD_HEAD + _member("a") + _member("b", keys="a/keys"),
            "members (b).keys",
            "member 'a'",
        ),
        (
            GOOD_HEAD + _member("a") + _member("b", tokens="a/tokens.toml"),
            "members (b).tokens",
            "member 'a'",
        ),
        (GOOD_HEAD + _member("a", colour="red"), "members[0] (a).colour", "unknown field"),
        (
            GOOD_HEAD + _member("a") + "[members.settings]\nnot_a_setting = 1\n",
            "members[0] (a).settings.not_a_setting",
            "",
        ),
        (
            GOOD_HEAD + _member("a") + "[members.settings]\ndb = 'sqlite:///x.db'\n",
            "members[0] (a).settings.db",
            "own table",
        ),
        (
            '[defaults]\ntokens = "a/tokens.toml"\n' + _member("a"),
            "defaults.tokens",
            "each member",
        ),
        (_member("a"), "members[0] (a)", "resolver"),  # the example resolver outside demo
        (GOOD_HEAD + _member("a", tokens=""), "members[0] (a)", "tokens"),  # none, not demo
        (GOOD_HEAD + _member("a", tokens="a/missing.toml"), "members[0] (a)", "tokens"),
        (
            GOOD_HEAD + '[deployment]\nregulator_tokens = "nowhere.toml"\n' + _member("a"),
            "deployment.regulator_tokens",
            "token file",
        ),
        ("[deployment\n", "", "not valid TOML"),
        ("[other]\nx = 1\n" + _member("a"), "other", "unknown field"),
    ],
)
def test_a_wrong_file_is_refused_naming_file_member_and_field(
    folder: Path, text: str, where: str, says: str
) -> None:
    file = _write(folder, text)
    with pytest.raises(DeploymentError) as refused:
        load_deployment(file)
    message = str(refused.value)
    assert message.startswith(f"{file}: ")
    assert refused.value.where == where, message
    assert says in message


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(DeploymentError, match="cannot read the deployment file"):
        load_deployment(tmp_path / "nowhere.toml")


def test_demo_mode_accepts_a_member_without_tokens(folder: Path) -> None:
    file = _write(folder, _member("a", tokens=""))
    loaded = load_deployment(file, demo=True)
    assert loaded.members[0].settings.demo


# --- what the mount rewrites --------------------------------------------------------------------


def test_page_links_are_put_under_the_members_prefix_once() -> None:
    page = (
        b'<a href="/staff">x</a><form action="/sign-in?lang=ug"></form>'
        b'<a href="/c/a/staff">already</a><a href="//cdn.example/x">cdn</a>'
        b'<a href="https://id.example/01/1">abs</a><a href="?lang=en">rel</a>'
        b"<p>/staff in text</p><img src='/static/x.png'>"
    )
    assert prefix_html(page, "/c/a") == (
        b'<a href="/c/a/staff">x</a><form action="/c/a/sign-in?lang=ug"></form>'
        b'<a href="/c/a/staff">already</a><a href="//cdn.example/x">cdn</a>'
        b'<a href="https://id.example/01/1">abs</a><a href="?lang=en">rel</a>'
        b"<p>/staff in text</p><img src='/c/a/static/x.png'>"
    )


def test_only_the_json_link_fields_are_rewritten_never_a_value_like_a_lot_code() -> None:
    body = (
        b'{"checkpoint":"/api/v1/log/checkpoint","link":{"lot":"/api/x"},'
        b'"proof":[{"inclusion_proof":"/api/p?seq=1"}]}'
    )
    out = prefix_json(body, "/c/a")
    assert b'"checkpoint":"/c/a/api/v1/log/checkpoint"' in out
    assert b'"lot":"/api/x"' in out
    assert b'"inclusion_proof":"/c/a/api/p?seq=1"' in out
    assert prefix_json(b"not json", "/c/a") == b"not json"


@pytest.mark.parametrize(
    ("header", "want"),
    [
        ("s=1; HttpOnly; Path=/; SameSite=strict", "s=1; HttpOnly; Path=/c/a/; SameSite=strict"),
        ("p=2; Max-Age=3600; Path=/sign-in", "p=2; Max-Age=3600; Path=/c/a/sign-in"),
        ("site=KS; Max-Age=1", "site=KS; Max-Age=1; Path=/c/a/"),
    ],
)
def test_every_cookie_is_scoped_to_its_member(header: str, want: str) -> None:
    assert prefix_cookie(header, "/c/a") == want


def test_the_docs_example_file_loads(tmp_path: Path) -> None:
    # docs/deployment.md's example, with the files it names made: it must stay loadable.
    doc = (Path(__file__).resolve().parents[2] / "docs" / "deployment.md").read_text("utf-8")
    blocks = re.findall(r"```toml\n(.*?)```", doc, re.DOTALL)
    assert len(blocks) == 1
    for slug in ("kashgar", "yarkant-jujube"):
        (tmp_path / slug / "keys").mkdir(parents=True)
        write_token_file(
            tmp_path / slug / "tokens.toml", {f"t-{slug}-0123456789ab": (slug, ["lab"])}
        )
    (tmp_path / "yarkant-jujube" / "witnesses.txt").write_text("", encoding="utf-8")
    (tmp_path / "county-tokens.toml").write_text("", encoding="utf-8")
    loaded = load_deployment(_write(tmp_path, blocks[0]))
    assert [m.slug for m in loaded.members] == ["kashgar", "yarkant-jujube"]
    assert loaded.regulator_tokens == tmp_path / "county-tokens.toml"
    assert (
        loaded.members[1].settings.witnesses_file == tmp_path / "yarkant-jujube" / "witnesses.txt"
    )
    assert loaded.members[0].settings.witnesses_file is None
