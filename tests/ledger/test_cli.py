"""``agritrace ledger`` driven through the real command line parser.

Every test has its own SQLite file and key folder under ``tmp_path``; outputs are checked
with the ledger's own verifiers (checkpoint signature, Merkle proofs, hash chain).
"""

from __future__ import annotations

import base64
import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer.core
import typer.main
from typer.testing import CliRunner, Result

from agritrace.cli import app
from ledger import (
    KeyFolder,
    Ledger,
    NoteVerifier,
    Statement,
    canonical_bytes,
    key_id_for,
    leaf_hash,
    open_checkpoint,
    sign_statement,
    verify_consistency,
    verify_inclusion,
)

ORIGIN = "kashgar-coop.example/log"
TIME = "2026-06-01T08:30:00Z"
# Wide terminals, so that rich does not wrap error messages inside its boxes.
RUNNER = CliRunner(env={"COLUMNS": "250", "TERMINAL_WIDTH": "250", "NO_COLOR": "1"})

# Which options each ledger command takes.
TAKES_DB = {"init", "register", "revoke", "append", "show", "audit", "checkpoint",
            "prove-inclusion", "prove-consistency", "witness", "rotate-root", "tiles",
            "submit-witness"}  # fmt: skip
TAKES_KEYS = {"init", "keygen", "register", "revoke", "append", "checkpoint", "witness",
              "rotate-root"}  # fmt: skip


def plain(text: str) -> str:
    """Text without rich's box drawing, whitespace runs collapsed."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


@dataclass
class Cli:
    """The command line, pointed at one test's database and key folder."""

    folder: Path

    @property
    def url(self) -> str:
        return f"sqlite:///{self.folder / 'l.db'}"

    @property
    def keys(self) -> Path:
        return self.folder / "keys"

    def __call__(self, command: str, *args: str) -> Result:
        options = []
        if command in TAKES_DB:
            options += ["--db", self.url]
        if command in TAKES_KEYS:
            options += ["--keys", str(self.keys)]
        return RUNNER.invoke(app, ["ledger", command, *args, *options])

    def ok(self, command: str, *args: str) -> Result:
        """Run a command that must succeed."""
        result = self(command, *args)
        assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
        return result

    def size(self) -> int:
        return Ledger.open(self.url).size()

    def sign(self, signer: str, kind: str, body: dict[str, Any], time: str = TIME) -> str:
        """A JSON line of a statement signed with a key from the folder, as --signed reads."""
        key = KeyFolder(self.keys).load(signer)
        key_id = key_id_for(key.public_key().public_bytes_raw())
        signed = sign_statement(Statement(ORIGIN, kind, body, key_id, time), key)
        return json.dumps(signed.to_json())


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path)


@pytest.fixture
def coop(cli: Cli) -> Cli:
    """A log with a registered lab key and one lab entry: seq 0 genesis, 1 register, 2 note."""
    cli.ok("init", "--origin", ORIGIN)
    cli.ok("keygen", "lab")
    cli.ok("register", "lab", "--actor", "Kashgar lab", "--role", "lab")
    cli.ok("append", "--kind", "trace.note", "--body", '{"x":1}', "--signer", "lab")
    return cli


def lab_key_id(cli: Cli) -> str:
    return key_id_for(KeyFolder(cli.keys).load("lab").public_key().public_bytes_raw())


def log_verifier(cli: Cli) -> NoteVerifier:
    return NoteVerifier.from_key_string(KeyFolder(cli.keys).log_signer().verifier_key())


def b64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


# --- the happy path, step by step --------------------------------------------------------------


def test_init_creates_log_keys_and_first_checkpoint(cli: Cli) -> None:
    out = cli.ok("init", "--origin", ORIGIN).stdout
    root = KeyFolder(cli.keys).load("root").public_key().public_bytes_raw()
    assert f"created log {ORIGIN} in {cli.url}" in out
    assert f"root key  {key_id_for(root)}" in out
    assert f"log key   {KeyFolder(cli.keys).log_signer().verifier_key()}" in out
    checkpoint, _ = open_checkpoint(out[out.index(ORIGIN + "\n") :].encode(), ORIGIN,
                                    log_verifier(cli))  # fmt: skip
    assert checkpoint.size == 1
    assert (cli.keys / "log.name").read_text(encoding="utf-8") == ORIGIN + "\n"
    for name in ("root", "log"):
        assert (cli.keys / f"{name}.pem").stat().st_mode & 0o777 == 0o600


def test_keygen_prints_id_and_public_key_of_the_saved_key(cli: Cli) -> None:
    printed = json.loads(cli.ok("keygen", "lab").stdout)
    public = KeyFolder(cli.keys).load("lab").public_key().public_bytes_raw()
    assert printed == {"name": "lab", "key_id": key_id_for(public),
                       "public_key": base64.b64encode(public).decode()}  # fmt: skip
    assert (cli.keys / "lab.pem").stat().st_mode & 0o777 == 0o600


def test_register_and_append_report_their_entries(cli: Cli) -> None:
    cli.ok("init", "--origin", ORIGIN)
    cli.ok("keygen", "lab")
    out = cli.ok("register", "lab", "--actor", "Kashgar lab", "--role", "lab").stdout
    assert out == f"registered {lab_key_id(cli)} (Kashgar lab) at entry 1\n"
    out = cli.ok("append", "--kind", "trace.note", "--body", '{"x":1}', "--signer", "lab").stdout
    assert out == "appended entry 2\n"
    assert cli.size() == 3


def test_show_prints_json_lines_that_rebuild_the_hash_chain(coop: Cli) -> None:
    lines = coop.ok("show").stdout.splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["seq"] for r in records] == [0, 1, 2]
    kinds = [r["statement"]["kind"] for r in records]
    assert kinds == ["ledger.genesis", "ledger.key.register", "trace.note"]
    assert records[2]["statement"]["body"] == {"x": 1}
    assert records[2]["statement"]["key"] == lab_key_id(coop)
    assert records[1]["statement"]["body"]["actor"] == "Kashgar lab"
    # What show prints is enough to recompute the chain: each prev is the leaf hash of the
    # canonical bytes of the record before it.
    assert records[0]["prev"] == "00" * 32
    for before, after in itertools.pairwise(records):
        assert after["prev"] == leaf_hash(canonical_bytes(before)).hex()


def test_show_start_and_count_select_entries(coop: Cli) -> None:
    lines = coop.ok("show", "1", "--count", "1").stdout.splitlines()
    assert [json.loads(line)["seq"] for line in lines] == [1]
    assert coop.ok("show", "3").stdout == ""


def test_checkpoint_is_signed_by_the_log_key_and_covers_the_log(coop: Cli) -> None:
    note = coop.ok("checkpoint").stdout
    checkpoint, _ = open_checkpoint(note.encode(), ORIGIN, log_verifier(coop))
    assert checkpoint.size == 3
    assert checkpoint.root_hash == Ledger.open(coop.url).root()
    # Asking again without new entries gives the same note, not a second checkpoint.
    assert coop.ok("checkpoint").stdout == note


def test_prove_inclusion_output_verifies_against_the_checkpoint(coop: Cli) -> None:
    checkpoint, _ = open_checkpoint(coop.ok("checkpoint").stdout.encode(), ORIGIN,
                                    log_verifier(coop))  # fmt: skip
    proof = json.loads(coop.ok("prove-inclusion", "2").stdout)
    assert proof["leaf_index"] == 2
    assert proof["tree_size"] == 3
    assert b64(proof["root_hash"]) == checkpoint.root_hash
    entry = json.loads(coop.ok("show", "2", "--count", "1").stdout)
    assert b64(proof["leaf_hash"]) == leaf_hash(canonical_bytes(entry))
    hashes = [b64(h) for h in proof["proof"]]
    verify_inclusion(2, 3, b64(proof["leaf_hash"]), hashes, checkpoint.root_hash)


def test_prove_consistency_output_links_first_and_latest_checkpoints(coop: Cli) -> None:
    first = Ledger.open(coop.url).root(1)
    checkpoint, _ = open_checkpoint(coop.ok("checkpoint").stdout.encode(), ORIGIN,
                                    log_verifier(coop))  # fmt: skip
    proof = json.loads(coop.ok("prove-consistency", "1").stdout)
    assert (proof["size1"], proof["size2"]) == (1, 3)
    assert b64(proof["root1"]) == first
    assert b64(proof["root2"]) == checkpoint.root_hash
    verify_consistency(1, 3, [b64(h) for h in proof["proof"]], first, checkpoint.root_hash)


def test_audit_of_a_good_log_exits_0_and_says_valid(coop: Cli) -> None:
    coop.ok("checkpoint")
    result = coop.ok("audit")
    # Appends may add a checkpoint of their own when the last is 2 s old: count not pinned.
    assert re.match(r"^VALID 3 entries, [23] checkpoints, root \S+ ", result.stdout)
    root = result.stdout.split(" root ")[1].split()[0]
    assert b64(root) == Ledger.open(coop.url).root()


# --- refusals ----------------------------------------------------------------------------------


def test_revoked_key_cannot_append(coop: Cli) -> None:
    key_id = lab_key_id(coop)
    out = coop.ok("revoke", key_id, "--reason", "laptop stolen").stdout
    assert out == f"revoked {key_id} at entry 3\n"
    result = coop("append", "--kind", "trace.note", "--body", '{"x":2}', "--signer", "lab")
    assert result.exit_code == 2
    assert plain(result.stderr) == f"error: key {key_id} (Kashgar lab) was revoked at entry 3"
    assert coop.size() == 4
    coop.ok("audit")


def test_statement_signed_before_revocation_but_sent_after_is_refused(coop: Cli) -> None:
    # A stolen laptop's queue of pre-signed statements must not land after the revocation.
    line = coop.sign("lab", "trace.note", {"x": "queued"})
    coop.ok("revoke", lab_key_id(coop), "--reason", "laptop stolen")
    (coop.folder / "queued.jsonl").write_text(line + "\n", encoding="utf-8")
    result = coop("append", "--signed", str(coop.folder / "queued.jsonl"))
    assert result.exit_code == 2
    assert "was revoked at entry 3" in plain(result.stderr)
    assert coop.size() == 4


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"x":', "Invalid value: --body is not JSON: Expecting value: line 1 column 6 (char 5)"),
        ("x=1", "Invalid value: --body is not JSON: Expecting value: line 1 column 1 (char 0)"),
        ("[1, 2]", "error: body: expected a JSON object, got list"),
        ('{"t": NaN}', "error: body: cannot encode canonically (RFC 8785): nan is not"),
        # A bad member name is named as a key of the body, not by its value.
        ('{"\\udfff": 1}', "error: body[key]: cannot encode canonically (RFC 8785): a string"),
    ],
    ids=["truncated", "not-json", "array", "nan", "lone-surrogate-key"],
)
def test_bad_body_exits_2_with_a_clear_message(coop: Cli, body: str, message: str) -> None:
    result = coop("append", "--kind", "trace.note", "--body", body, "--signer", "lab")
    assert result.exit_code == 2
    assert message in plain(result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    assert coop.size() == 3


def test_body_read_from_a_file(coop: Cli) -> None:
    (coop.folder / "reading.json").write_text('{"temp_c": 4.5, "probe": "新疆-07"}', "utf-8")
    out = coop.ok(
        "append", "--kind", "trace.cold", "--body", f"@{coop.folder / 'reading.json'}",
        "--signer", "lab",
    ).stdout  # fmt: skip
    assert out == "appended entry 3\n"
    entry = json.loads(coop.ok("show", "3").stdout)
    assert entry["statement"]["body"] == {"temp_c": 4.5, "probe": "新疆-07"}


def test_append_needs_kind_and_body_or_a_signed_file(coop: Cli) -> None:
    result = coop("append", "--kind", "trace.note")
    assert result.exit_code == 2
    assert "give --kind and --body, or --signed FILE" in plain(result.stderr)


def test_unknown_signer_names_the_keys_there(coop: Cli) -> None:
    result = coop("append", "--kind", "trace.note", "--body", "{}", "--signer", "truck")
    assert result.exit_code == 2
    assert plain(result.stderr) == (
        f"error: no key 'truck' in {coop.keys} (keys there: lab, log, root)"
    )


# --- pre-signed statements ---------------------------------------------------------------------


def test_signed_file_appends_all_and_reports_the_duplicate(coop: Cli) -> None:
    a = coop.sign("lab", "trace.harvest", {"lot": "SB26-0001", "crates": 20})
    b = coop.sign("lab", "trace.harvest", {"lot": "SB26-0002", "crates": 21})
    path = coop.folder / "batch.jsonl"
    path.write_text(f"{a}\n\n{b}\n{a}\n", encoding="utf-8")  # blank line skipped, a twice
    result = coop.ok("append", "--signed", str(path))
    assert result.stdout == "appended 2 entries (1 already in the log)\n"
    assert coop.size() == 5
    # A retry of the whole file (the network dropped the reply) appends nothing.
    result = coop.ok("append", "--signed", str(path))
    assert result.stdout == "appended 0 entries (3 already in the log)\n"
    assert coop.size() == 5
    shown = [json.loads(line) for line in coop.ok("show", "3").stdout.splitlines()]
    assert [e["statement"]["body"]["lot"] for e in shown] == ["SB26-0001", "SB26-0002"]
    coop.ok("audit")


def _with_kind(line: str, kind: str) -> str:
    value = json.loads(line)
    value["statement"]["kind"] = kind
    return json.dumps(value)


@pytest.mark.parametrize(
    ("make_bad", "message"),
    [
        (lambda good: good[:40], "Unterminated string starting at"),
        (
            lambda good: "[]",
            "expected a JSON object with exactly 'statement' and 'signature', got list",
        ),
        (
            lambda good: json.dumps({**json.loads(good), "signature": "not base64!"}),
            "signature: not valid base64",
        ),
        (
            lambda good: _with_kind(good, "Note"),
            "kind: expected a dotted lowercase name like 'trace.harvest', got 'Note'",
        ),
    ],
    ids=["truncated-json", "not-an-object", "bad-base64", "bad-kind"],
)
def test_malformed_line_in_signed_file_names_it_and_appends_nothing(
    coop: Cli, make_bad: Callable[[str], str], message: str
) -> None:
    good = coop.sign("lab", "trace.harvest", {"lot": "SB26-0001"})
    other = coop.sign("lab", "trace.harvest", {"lot": "SB26-0002"})
    path = coop.folder / "batch.jsonl"
    path.write_text(f"{good}\n{other}\n{make_bad(good)}\n", encoding="utf-8")
    result = coop("append", "--signed", str(path))
    assert result.exit_code == 2
    assert f"{path}:3: {message}" in plain(result.stderr)
    assert coop.size() == 3


def test_one_forged_signature_refuses_the_whole_batch(coop: Cli) -> None:
    lines = [coop.sign("lab", "trace.harvest", {"lot": f"SB26-{i:04d}"}) for i in range(3)]
    forged = json.loads(lines[1])
    forged["statement"]["body"]["lot"] = "SB26-9999"  # changed after signing
    lines[1] = json.dumps(forged)
    path = coop.folder / "batch.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = coop("append", "--signed", str(path))
    assert result.exit_code == 2
    assert plain(result.stderr) == (
        f"error: statement 1: signature on trace.harvest does not verify with key "
        f"{lab_key_id(coop)}"
    )
    assert coop.size() == 3


def test_statement_signed_for_another_log_is_refused(coop: Cli) -> None:
    key = KeyFolder(coop.keys).load("lab")
    key_id = key_id_for(key.public_key().public_bytes_raw())
    other = Statement("other-coop.example/log", "trace.note", {"x": 1}, key_id, TIME)
    path = coop.folder / "replay.jsonl"
    path.write_text(json.dumps(sign_statement(other, key).to_json()) + "\n", encoding="utf-8")
    result = coop("append", "--signed", str(path))
    assert result.exit_code == 2
    assert plain(result.stderr) == (
        f"error: statement 0: signed for log 'other-coop.example/log', this log is '{ORIGIN}'"
    )
    assert coop.size() == 3


# --- databases and key folders -----------------------------------------------------------------


def test_audit_of_a_missing_database_says_no_ledger_and_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "l.db"
    result = RUNNER.invoke(app, ["ledger", "audit", "--db", f"sqlite:///{missing}"])
    assert result.exit_code == 2
    assert plain(result.stderr) == (f"error: no ledger at {missing} (run 'agritrace ledger init')")
    assert not missing.exists()
    assert not missing.parent.exists()


def test_init_twice_refuses_to_overwrite_keys(cli: Cli) -> None:
    cli.ok("init", "--origin", ORIGIN)
    root_pem = (cli.keys / "root.pem").read_bytes()
    log_pem = (cli.keys / "log.pem").read_bytes()
    result = cli("init", "--origin", ORIGIN)
    assert result.exit_code == 2
    assert plain(result.stderr) == (
        f"error: key 'root' already exists at {cli.keys / 'root.pem'}; refusing to overwrite it"
    )
    assert (cli.keys / "root.pem").read_bytes() == root_pem
    assert (cli.keys / "log.pem").read_bytes() == log_pem
    assert cli.size() == 1


def test_keygen_refuses_an_existing_name_and_a_name_with_a_newline(cli: Cli) -> None:
    cli.ok("keygen", "lab")
    again = cli("keygen", "lab")
    assert again.exit_code == 2
    assert "key 'lab' already exists" in plain(again.stderr)
    newline = cli("keygen", "lab\n")
    assert newline.exit_code == 2
    assert "key name: expected letters, digits" in plain(newline.stderr)
    assert sorted(p.name for p in cli.keys.iterdir()) == ["lab.pem"]


# --- user text is not rich markup ---------------------------------------------------------------


def test_origin_and_actor_with_brackets_are_printed_not_parsed(cli: Cli) -> None:
    origin = "coop[/bold].example/log"  # once crashed init with MarkupError after creating it
    out = cli.ok("init", "--origin", origin).stdout
    assert out.startswith(f"created log {origin} in {cli.url}\n")
    cli.ok("keygen", "lab")
    out = cli.ok("register", "lab", "--actor", "Lab [red]7[/red]", "--role", "lab").stdout
    assert out == f"registered {lab_key_id(cli)} (Lab [red]7[/red]) at entry 1\n"


def test_error_message_with_brackets_is_printed_not_parsed(coop: Cli) -> None:
    result = coop("append", "--kind", "trace.note", "--body", "{}", "--signer", "[/x]")
    assert result.exit_code == 2
    assert plain(result.stderr) == (
        "error: key name: expected letters, digits, '.', '_' or '-' (at most 64), got '[/x]'"
    )


# --- help --------------------------------------------------------------------------------------


def _ledger_commands() -> list[str]:
    root = typer.main.get_command(app)
    assert isinstance(root, typer.core.TyperGroup)
    group = root.commands["ledger"]
    assert isinstance(group, typer.core.TyperGroup)
    return sorted(group.commands)


LEDGER_COMMANDS = _ledger_commands()


def test_ledger_has_the_documented_commands() -> None:
    assert sorted(TAKES_DB | TAKES_KEYS) == LEDGER_COMMANDS


@pytest.mark.parametrize(
    "args",
    [[], ["ledger"], ["demo"], *(["ledger", name] for name in LEDGER_COMMANDS)],
    ids=lambda args: " ".join(["agritrace", *args]),
)
def test_every_command_has_help(args: list[str]) -> None:
    result = RUNNER.invoke(app, [*args, "--help"])
    assert result.exit_code == 0, result.stderr
    assert f"Usage: {' '.join(['agritrace', *args])}" in plain(result.stdout)
