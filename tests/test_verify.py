"""``agritrace verify URL --trust FILE`` against a live server on 127.0.0.1.

The demo's season is served by uvicorn in a thread; every lot the demo points to passes, and
each tampering — a database edit, a lying answer, a rewritten checkpoint, a forged label, a
witness that never cosigned — fails naming the check.
"""

from __future__ import annotations

import base64
import copy
import io
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from rich.console import Console
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from agritrace._trust import TrustFile, TrustFileError
from agritrace.cli import app as cli
from agritrace.demo import run_demo
from agritrace.verify import check_answer, fetch_answer
from labels import DigitalLink, sign_link
from ledger import Cosigner, KeyFolder
from traceability import FACT_NAMES
from traceability.demo import Season
from traceability.events._ids import lot_key
from verifier_app import Settings, create_app


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Season]:
    folder = tmp_path_factory.mktemp("verify") / "agritrace-demo"
    season = run_demo(folder, Console(file=io.StringIO()))
    return folder, season


class Live:
    """The demo served by uvicorn on 127.0.0.1 (a free port) in a thread."""

    def __init__(self, folder: Path) -> None:
        settings = Settings(
            db=f"sqlite:///{folder / 'ledger.db'}",
            keys=folder / "keys",
            tokens=folder / "tokens.toml",
            witnesses_file=folder / "witnesses.txt",
            resolver="http://127.0.0.1:8000",
            demo=True,
            rate_burst=10_000,
        )
        config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=0, log_level="error")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.base = f"http://127.0.0.1:{port}"

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(30)


@pytest.fixture(scope="module")
def live(demo: tuple[Path, Season]) -> Iterator[Live]:
    server = Live(demo[0])
    yield server
    server.close()


def url(live: Live, season: Season, lot: str) -> str:
    return f"{live.base}/01/{season.gtin}/10/{lot}"


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, ["verify", *args])


def failed(findings: list[Any]) -> dict[str, str]:
    return {f.check: f.detail for f in findings if not f.ok}


def test_every_demo_lot_passes(live: Live, demo: tuple[Path, Season]) -> None:
    folder, season = demo
    engine = create_engine(f"sqlite:///{folder / 'ledger.db'}")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT gtin, lot FROM trace_lots ORDER BY key")).all()
    engine.dispose()
    assert {lot for _, lot in rows} >= {*season.interesting, season.recalled_harvest}
    # Every product's lots: the autumn's jujubes carry a GTIN of their own.
    assert {gtin for gtin, _ in rows} == {season.gtin, season.jujube_gtin}
    for gtin, lot in rows:
        result = run(f"{live.base}/01/{gtin}/10/{lot}", "--trust", str(folder / "trust.toml"))
        assert result.exit_code == 0, (lot, result.stdout, result.stderr)
        assert "witness: cosigned by witness.market-regulator.demo.example" in result.stdout


def test_a_signed_label_passes_and_a_forged_one_fails(
    live: Live, demo: tuple[Path, Season]
) -> None:
    folder, season = demo
    trust = TrustFile.load(folder / "trust.toml")
    link = DigitalLink(live.base, season.gtin, lot=season.released, serial="000001")
    good = sign_link(link, KeyFolder(folder / "keys").load("label")).uri
    assert failed(check_answer(good, fetch_answer(good), trust)) == {}
    forged = sign_link(link, KeyFolder(folder / "keys").load("root")).uri
    assert (
        "possible counterfeit" in failed(check_answer(forged, fetch_answer(forged), trust))["label"]
    )


def test_a_serial_never_issued_fails_naming_the_serial_not_the_status(
    live: Live, demo: tuple[Path, Season]
) -> None:
    folder, season = demo
    trust = TrustFile.load(folder / "trust.toml")
    # A genuine signature on a serial nobody printed (a leaked key, a label run made up).
    link = DigitalLink(live.base, season.gtin, lot=season.released, serial="999999")
    uri = sign_link(link, KeyFolder(folder / "keys").load("label")).uri
    findings = check_answer(uri, fetch_answer(uri), trust)
    problems = [f for f in findings if not f.ok]
    assert problems[0].check == "serial"
    assert "999999 was never issued" in problems[0].detail
    assert "status" not in failed(findings)  # the lot is what its entries say
    result = run(uri, "--trust", str(folder / "trust.toml"))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0].startswith("FAIL serial: possible counterfeit")


def test_the_label_key_proven_on_the_ledger_checks_labels_without_a_trusted_one(
    live: Live, demo: tuple[Path, Season]
) -> None:
    folder, season = demo
    full = TrustFile.load(folder / "trust.toml")
    # No label key trusted (the regulator's keys kept: the labs are checked as ever).
    trust = TrustFile(full.origin, full.log_key, full.witnesses, (), full.regulator_keys)
    link = DigitalLink(live.base, season.gtin, lot=season.released, serial="000002")
    good = sign_link(link, KeyFolder(folder / "keys").load("label")).uri
    findings = check_answer(good, fetch_answer(good), trust)
    assert failed(findings) == {}
    assert any(f.check == "label key" and f.ok for f in findings)
    forged = sign_link(link, Ed25519PrivateKey.generate()).uri
    # The server itself refuses it (404 counterfeit); verify names the label either way.
    assert (
        "possible counterfeit" in failed(check_answer(forged, fetch_answer(good), trust))["label"]
    )
    missing = link.uri
    assert (
        "without a signature" in failed(check_answer(missing, fetch_answer(good), trust))["label"]
    )


def test_a_label_key_entry_that_is_not_proven_or_not_a_label_key_fails(
    live: Live, demo: tuple[Path, Season]
) -> None:
    folder, season = demo
    full = TrustFile.load(folder / "trust.toml")
    trust = TrustFile(full.origin, full.log_key, full.witnesses)
    link = DigitalLink(live.base, season.gtin, lot=season.released, serial="000003")
    uri = sign_link(link, KeyFolder(folder / "keys").load("label")).uri
    answer = fetch_answer(uri)
    other = copy.deepcopy(answer)
    # Another entry (the genesis) offered as the label key, with its genuine proof.
    other["proof"]["label"]["keys"] = [other["proof"]["entries"][0]]
    details = [f.detail for f in check_answer(uri, other, trust) if not f.ok]
    assert any("is not a key registration" in d for d in details), details
    broken = copy.deepcopy(answer)
    broken["proof"]["label"]["keys"][0]["proof"] = broken["proof"]["label"]["keys"][0]["proof"][1:]
    details = [f.detail for f in check_answer(uri, broken, trust) if not f.ok]
    assert any(d.startswith("label key entry") for d in details), details


def test_unknown_code_fails_as_possible_counterfeit(live: Live, demo: tuple[Path, Season]) -> None:
    folder, season = demo
    result = run(url(live, season, "NO-SUCH-LOT"), "--trust", str(folder / "trust.toml"))
    assert result.exit_code == 1
    assert "possible counterfeit" in result.stderr


# --- a lying answer: the pure check on answers a server could send -------------------------


@pytest.fixture(scope="module")
def answers(live: Live, demo: tuple[Path, Season]) -> dict[str, tuple[str, dict[str, Any]]]:
    _, season = demo
    lots = {"released": season.released, "recalled": season.recalled}
    return {k: (url(live, season, v), fetch_answer(url(live, season, v))) for k, v in lots.items()}


@pytest.fixture
def trust(demo: tuple[Path, Season]) -> TrustFile:
    return TrustFile.load(demo[0] / "trust.toml")


def lie(answers: dict[str, tuple[str, dict[str, Any]]], which: str) -> tuple[str, dict[str, Any]]:
    uri, answer = answers[which]
    return uri, copy.deepcopy(answer)


def test_recalled_lot_said_verified_fails(answers: Any, trust: TrustFile) -> None:
    uri, answer = lie(answers, "recalled")
    answer["status"] = "verified"
    assert "the entries make it recalled" in failed(check_answer(uri, answer, trust))["status"]


def test_recall_entry_left_out_of_the_proofs_fails(answers: Any, trust: TrustFile) -> None:
    uri, answer = lie(answers, "recalled")
    recall = max(e["seq"] for e in answer["lot"]["entries"])
    answer["proof"]["entries"] = [e for e in answer["proof"]["entries"] if e["index"] != recall]
    assert (
        f"entry {recall} is listed but not proven"
        in failed(check_answer(uri, answer, trust))["inclusion"]
    )


def test_recall_left_out_everywhere_fails_on_the_status_map(answers: Any, trust: TrustFile) -> None:
    # A consistent liar: the recall is neither listed nor proven, and the answer shows the
    # status the remaining entries give. Only the signed lot-status map shows the omission.
    uri, answer = lie(answers, "recalled")
    recall = answer["proof"]["statusMap"]["value"]["entries"][0]
    answer["lot"]["entries"] = [e for e in answer["lot"]["entries"] if e["seq"] != recall]
    answer["proof"]["entries"] = [e for e in answer["proof"]["entries"] if e["index"] != recall]
    # What the remaining entries give: the lot was received.
    answer["status"], answer["lot_status"] = "verified", "received"
    answer["lot"]["claims"]["status"]["value"] = "received"
    answer["proof"]["facts"]["status"] = "received"
    answer["lot"]["facts"]["status"] = "received"
    # ... and no reason (the recall's words went with the recall).
    answer["lot"]["claims"]["reason"]["value"] = None
    answer["proof"]["facts"]["reason"] = None
    problems = failed(check_answer(uri, answer, trust))
    assert set(problems) == {"status map"}, problems
    assert "the page shows 'received', the signed map 'recalled'" in problems["status map"]


def test_an_answer_without_its_map_proof_is_not_checked_for_omissions(
    answers: Any, trust: TrustFile
) -> None:
    uri, answer = lie(answers, "released")
    assert failed(check_answer(uri, answer, trust)) == {}
    answer["proof"]["statusMap"] = None
    assert "not checked for omissions" in failed(check_answer(uri, answer, trust))["status map"]


def test_changed_residue_value_grade_and_plot_fail(answers: Any, trust: TrustFile) -> None:
    uri, answer = lie(answers, "released")
    facts = answer["lot"]["facts"]
    facts["residue"] = facts["residue"].replace("<LOQ (0.01 mg/kg)", "0.001 mg/kg", 1)
    facts["grade"] = "super"
    facts["grower"] = facts["grower"].replace("/ KS-F01-P1)", "/ KS-F09-P9)")
    found = failed(check_answer(uri, answer, trust))
    assert set(found) >= {"residues", "grade", "origins"}


# A lying server changes a fact in the JSON (the values the browser compares and the page's
# line alike): each fact of the page, re-derived from the proven entries, names the lie.
LIES: dict[str, tuple[str, Any]] = {
    "status": ("recalled", "released"),
    "product": ("released", "Cherries"),
    "cooperative": ("released", {"name_zh": "别的", "name_ug": "", "name_en": "Other Co-op"}),
    "origins": (
        "released",
        [
            {
                "plot": "KS-F01-P1",
                "farm": "F",
                "grower": "Someone Else",
                "village": "V",
                "county": "C",
            }
        ],
    ),
    "harvested": ("released", "2020-01-01"),
    "grade": ("released", "super"),
    "quantity": ("released", "1 KGM"),
    "packed": ("released", "2020-01-01T00:00:00+08:00"),
    "residues": ("residue_hold", []),
    "cold_chain": ("released", ["pre-cooling at nowhere"]),
    # The story (traceability/_story.py): a nicer story than the entries tell.
    "harvests": ("released", []),
    "inputs": ("released", []),
    "precool": ("released", []),
    "grade_band": ("released", {"grade": "super", "min_mm": "35", "max_mm": None}),
    "tests": ("released", []),
    "shipments": ("recalled", []),
    "certificates": ("residue_hold", [{"number": 1, "time": "2026-06-02T11:05:00+08:00"}]),
    "contact": ("released", {"phone": "+86 400 000 0000", "address": "x", "county": "y"}),
    "best_before": ("released", {"date": "2027-01-01", "shelf_life_days": 200}),
    "reason": ("recalled", None),
}


@pytest.fixture(scope="module")
def every_answer(live: Live, demo: tuple[Path, Season]) -> dict[str, tuple[str, dict[str, Any]]]:
    _, season = demo
    lots = {"released": season.released, "recalled": season.recalled}
    lots["residue_hold"] = season.residue_hold
    return {k: (url(live, season, v), fetch_answer(url(live, season, v))) for k, v in lots.items()}


def test_the_lies_cover_every_fact_the_page_shows() -> None:
    assert set(LIES) == set(FACT_NAMES)


@pytest.mark.parametrize("fact", list(LIES))
def test_each_fact_changed_in_the_json_fails_naming_it(
    every_answer: Any, trust: TrustFile, fact: str
) -> None:
    which, value = LIES[fact]
    uri, answer = lie(every_answer, which)
    assert failed(check_answer(uri, answer, trust)) == {}
    assert answer["lot"]["claims"][fact]["value"] != value
    answer["lot"]["claims"][fact]["value"] = value
    answer["proof"]["facts"][fact] = value
    found = failed(check_answer(uri, answer, trust))
    assert fact in found, found
    assert "the entries give" in found[fact]


@pytest.mark.parametrize("line", ["grade", "grower", "residue", "cooperative", "status"])
def test_a_page_line_that_disagrees_with_its_claim_fails(
    every_answer: Any, trust: TrustFile, line: str
) -> None:
    # A server may keep the values the browser compares honest and lie in the words it shows.
    uri, answer = lie(every_answer, "released")
    answer["lot"]["facts"][line] = "forged " + line
    assert failed(check_answer(uri, answer, trust)), line


def test_a_recall_hidden_from_the_banner_fails(every_answer: Any, trust: TrustFile) -> None:
    uri, answer = lie(every_answer, "recalled")
    answer["status"] = "on_hold"
    assert "the entries make it recalled" in failed(check_answer(uri, answer, trust))["status"]


def test_tampered_leaf_fails_its_inclusion_proof(answers: Any, trust: TrustFile) -> None:
    uri, answer = lie(answers, "released")
    entry = answer["proof"]["entries"][0]
    leaf = bytearray(base64.b64decode(entry["leaf"]))
    leaf[-5] ^= 1
    entry["leaf"] = base64.b64encode(bytes(leaf)).decode()
    assert f"entry {entry['index']}" in failed(check_answer(uri, answer, trust))["inclusion"]


def test_checkpoint_signed_by_another_key_fails(answers: Any, trust: TrustFile) -> None:
    uri, answer = lie(answers, "released")
    answer["proof"]["checkpoint"] = answer["proof"]["checkpoint"].replace("\n\n", "\n\n\n", 1)
    assert "checkpoint" in failed(check_answer(uri, answer, trust))


def test_witness_that_did_not_cosign_fails(answers: Any, trust: TrustFile) -> None:
    uri, answer = lie(answers, "released")
    other = Cosigner.generate("witness.other-regulator.example").verifier_key()
    stricter = TrustFile(trust.origin, trust.log_key, (*trust.witnesses, other), trust.label_keys)
    assert (
        "witness.other-regulator.example" in failed(check_answer(uri, answer, stricter))["witness"]
    )


def test_answer_about_another_lot_fails(answers: Any, trust: TrustFile) -> None:
    uri, _ = answers["recalled"]
    _, answer = lie(answers, "released")
    assert "link" in failed(check_answer(uri, answer, trust))


def test_malformed_trust_file_is_exit_2(tmp_path: Path, live: Live, demo: Any) -> None:
    bad = tmp_path / "trust.toml"
    bad.write_text('[log]\norigin = "x"\nkey = "not a key"\n', encoding="utf-8")
    with pytest.raises(TrustFileError):
        TrustFile.load(bad)
    result = run(url(live, demo[1], demo[1].released), "--trust", str(bad))
    assert result.exit_code == 2


# --- a database editor on the live server ----------------------------------------------------


def test_database_edit_makes_verify_fail(demo: tuple[Path, Season], tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "agritrace-demo"
    shutil.copytree(demo[0], folder)
    season = demo[1]
    engine = create_engine(f"sqlite:///{folder / 'ledger.db'}")
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE trace_lots SET status = 'released' WHERE key = :k"),
            {"k": lot_key(season.gtin, season.recalled)},
        )
    engine.dispose()
    server = Live(folder)
    try:
        result = run(url(server, season, season.recalled), "--trust", str(folder / "trust.toml"))
    finally:
        server.close()
    assert result.exit_code == 1
    # Whether the server's own drift check has run yet ("unverified") or not ("verified").
    assert "status" in result.stderr


def test_trust_md_documents_the_format_the_demo_writes(demo: tuple[Path, Season]) -> None:
    import tomllib

    doc = (Path(__file__).resolve().parents[1] / "docs" / "trust.md").read_text(encoding="utf-8")
    block = doc.split("```toml\n", 1)[1].split("```", 1)[0]
    documented = tomllib.loads(block)
    written = tomllib.loads((demo[0] / "trust.toml").read_text(encoding="utf-8"))
    assert {k: sorted(v) for k, v in documented.items()} == {
        k: sorted(v) for k, v in written.items()
    }


# --- the lab behind each result: approved by the regulator's own key (issue 14) -------------


def _regulators(trust: TrustFile, *keys: str) -> TrustFile:
    return TrustFile(trust.origin, trust.log_key, trust.witnesses, trust.label_keys, keys)


def test_each_result_names_its_lab_approved_by_the_trusted_regulator(
    answers: Any, trust: TrustFile
) -> None:
    uri, answer = lie(answers, "released")
    found = [f for f in check_answer(uri, answer, trust) if f.check == "lab"]
    assert found
    assert all(f.ok for f in found), found
    assert "approved by a trusted regulator key" in found[0].detail


def test_an_approval_by_a_key_the_regulator_does_not_hold_fails(
    answers: Any, trust: TrustFile
) -> None:
    # What a cooperative that registered its own "regulator" would show: the approval is
    # signed by a key the verifier did not get from the regulator.
    uri, answer = lie(answers, "released")
    other = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    elsewhere = _regulators(trust, base64.b64encode(other).decode())
    why = failed(check_answer(uri, answer, elsewhere))["lab"]
    assert "possible self-approved lab" in why
    assert "not a regulator key the trust file names" in why


def test_a_result_whose_lab_evidence_is_left_out_fails(answers: Any, trust: TrustFile) -> None:
    uri, answer = lie(answers, "released")
    answer["proof"]["labs"] = []
    assert "is not proven registered" in failed(check_answer(uri, answer, trust))["lab"]
    # The registration alone, without the approval: named as missing.
    uri, answer = lie(answers, "released")
    answer["proof"]["labs"] = answer["proof"]["labs"][:1]
    assert "no approval of its key is proven" in failed(check_answer(uri, answer, trust))["lab"]


def test_a_trust_file_without_regulator_keys_says_labs_were_not_checked(
    answers: Any, trust: TrustFile
) -> None:
    uri, answer = lie(answers, "released")
    why = failed(check_answer(uri, answer, _regulators(trust)))["lab"]
    assert "lab approvals not checked" in why


def test_a_malformed_regulator_key_is_refused_by_name(trust: TrustFile) -> None:
    with pytest.raises(TrustFileError, match=r"regulators\.keys: 'abc'"):
        _regulators(trust, "abc")
