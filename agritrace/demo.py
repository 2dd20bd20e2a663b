"""``agritrace demo``: a cooperative's strawberry season a newcomer can open in a browser.

Builds, in one folder: the ledger (SQLite) with the season recorded through the rules
(:func:`traceability.demo.build_season`), the keys, a token file for the app, a signed
label (PNG) and a label sheet (PDF) for a released lot; audits the ledger and prints the
lots worth looking at, the sign-in tokens it made and the command that serves their pages.

An existing demo folder is kept: a server may be serving it, and rebuilding would replace the
keys and tokens under it (its sign-ins would get 401). Run again, the command prints the tour
of the demo already there; ``--force`` rebuilds it (ADR 18).
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import shlex
import shutil
import sys
import time
from base64 import b64encode
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from agritrace._demo_serve import SERVE_ENV, write_serve_env
from agritrace._trust import TrustFile
from labels import DigitalLink, LabelData, Layout, render_pdf, render_png, sign_link
from ledger import (
    Checkpoint,
    CosignatureVerifier,
    Cosigner,
    KeyFolder,
    Ledger,
    NoteVerifier,
    parse_note,
    witness_checkpoint,
)
from traceability import (
    LabelRun,
    Projection,
    Recorder,
    check_before_cosigning,
    register_label_key,
)
from traceability.demo import COOPERATIVE, PRODUCTS, Season, build_season

__all__ = ["DemoError", "run_demo"]

ORIGIN = "demo.kashgar-coop.example/log"
#: Where ``agritrace serve`` listens by default: the demo's labels point there, so the
#: printed URLs and a scanned code open the local server's pages.
RESOLVER = "http://127.0.0.1:8000"
#: The app's token roles (docs/app.md); one random token each, written to tokens.txt. Each
#: names the demo actor whose key (in the demo's key folder) the server signs with when
#: that person records events through the staff pages.
TOKEN_ROLES = {
    "regulator": "market-regulator",
    "lab": "kashgar-lab",
    "packing_station": "packing-shed",
    "logistics": "cold-truck",
    "cooperative": "coop-admin",
}
#: The market regulator's witness (C2SP cosigner name): it cosigns the demo's checkpoint, and
#: ``serve`` hosts it and submits every later checkpoint to it (``serve.env``), so the page's
#: checkpoint carries its cosignature as the log grows.
WITNESS = "witness.market-regulator.demo.example"
#: The witness's key in the demo's key folder.
WITNESS_KEY = "regulator-witness"
_GRADE_TEXT = {"super": "特级 Super", "grade_1": "一级 Grade I", "grade_2": "二级 Grade II"}


#: What a finished demo folder holds; a folder with ledger.db but not all of these is an
#: interrupted build, which only ``--force`` replaces.
_DEMO_FILES = ("ledger.db", "tokens.txt", "tokens.toml", "trust.toml", "witnesses.txt")


class DemoError(Exception):
    """The demo cannot run: its folder holds something that is not an earlier demo."""


def _is_demo(folder: Path) -> bool:
    return (folder / "ledger.db").exists()


def _fresh_folder(folder: Path) -> None:
    # Only ever delete an earlier demo's folder (or an empty one): --folder might be mistyped.
    if folder.exists():
        if any(folder.iterdir()) and not _is_demo(folder):
            raise DemoError(
                f"{folder} exists and is not a demo folder (no ledger.db); not deleting it"
            )
        shutil.rmtree(folder)
    folder.mkdir(parents=True)


def _write_tokens(folder: Path) -> None:
    from verifier_app import hash_token  # the web stack, only when the demo runs

    entries, plain = [], []
    for role, actor in TOKEN_ROLES.items():
        token = secrets.token_urlsafe(24)
        # The lab's key is the lab's (lab-keys/): the server signs nothing for it, the lab
        # posts statements it signed itself (POST /api/v1/statements).
        key = "" if role == "lab" else f'key = "{actor}"\n'
        entries.append(
            f'[[token]]\nsha256 = "{hash_token(token)}"\n'
            f'actor = "{actor}"\nroles = ["{role}"]\n{key}'
        )
        plain.append(f"{role} {token}\n")
    (folder / "tokens.toml").write_text("\n".join(entries), encoding="utf-8")
    secret = folder / "tokens.txt"
    secret.write_text("".join(plain), encoding="utf-8")
    os.chmod(secret, 0o600)


def _labels(
    folder: Path, ledger: Ledger, keys: KeyFolder, season: Season
) -> tuple[Path, Path, str]:
    lot = season.released
    projection = Projection(ledger)
    projection.check_label(season.gtin, lot)  # label-requires-released
    summary = projection.summary(season.gtin, lot)
    assert summary is not None
    grown_in = f"{summary.origins[0].county}" if summary.origins else "新疆喀什 Kashgar"
    data = LabelData(
        product=summary.product,
        grade=_GRADE_TEXT.get(summary.grade or "", summary.grade or "-"),
        pack_date=dt.date.fromisoformat((summary.harvested or "2026-06-01")[:10]),
        cooperative=COOPERATIVE,
        grown_in=grown_in,
        harvested=None if summary.harvested is None else dt.date.fromisoformat(summary.harvested),
        best_before=None
        if summary.best_before is None
        else dt.date.fromisoformat(summary.best_before),
    )
    key = keys.create("label")
    # On the ledger, so that the phone and `agritrace verify` check labels with a proven key.
    register_label_key(ledger, keys.load("root"), key.public_key(), "packing shed label printer")
    link = sign_link(DigitalLink(RESOLVER, season.gtin, lot=lot), key)
    png = folder / f"label-{lot}.png"
    png.write_bytes(render_png(data, link, Layout.named("50x30@300")))
    serials = [f"{n:06d}" for n in range(1, 25)]
    # The run is issued on the ledger first, through the sale gate, so each serial's scan can
    # be checked against what was printed (an unknown serial is a counterfeit signal).
    run = LabelRun.from_body(
        {
            "lot": {"gtin": season.gtin, "lot": lot},
            "count": len(serials),
            "serials": serials,
            # Printed now, after everything the gate relies on (results, release).
            "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
    )
    Recorder(ledger).record(run, keys.load("packing-shed"))
    units = [
        sign_link(DigitalLink(RESOLVER, season.gtin, lot=lot, serial=serial), key)
        for serial in serials
    ]
    pdf = folder / f"labels-{lot}.pdf"
    pdf.write_bytes(render_pdf(data, units, Layout.named("a4-3x8")))
    public = b64encode(key.public_key().public_bytes_raw()).decode()
    return png, pdf, public


def _witness(folder: Path, keys: KeyFolder, ledger: Ledger, note: str, regulator: bytes) -> str:
    """The regulator witnesses the demo's checkpoint; return the witness's verifier key.

    The witness keeps the checkpoint it cosigned (``witness-checkpoint.txt``): with it,
    ``agritrace ledger witness`` refuses any later checkpoint that rewrites or cuts history.
    """
    # The regulator cosigns only a checkpoint ending with a lot-status map that its own
    # replay of the log reproduces, and in which no key but its own holds the regulator
    # role (traceability.check_before_cosigning).
    check_before_cosigning(ledger, note, {regulator})
    cosigner = Cosigner(WITNESS, keys.create(WITNESS_KEY))
    log_key = NoteVerifier.from_key_string(str(ledger.entry(0).statement.body["log_key"]))
    line = witness_checkpoint(note.encode(), ORIGIN, log_key, cosigner, int(time.time()))
    size = Checkpoint.parse(parse_note(note.encode()).text).size
    verifier_key = cosigner.verifier_key()
    ledger.add_cosignature(line, CosignatureVerifier.from_key_string(verifier_key), size)
    (folder / "witness-checkpoint.txt").write_text(note, encoding="utf-8")
    return verifier_key


def _report(folder: Path, ledger: Ledger, season: Season) -> Path:
    """The season's quarterly evaluation as a PDF, at the checkpoint just published."""
    from verifier_app import quarterly_report_pdf  # the web stack, only when the demo runs

    path = folder / f"report-{season.quarter}.pdf"
    path.write_bytes(quarterly_report_pdf(ledger, season.quarter, "zh"))
    return path


#: Scan pages judge best-before dates by the date in Beijing time (Xinjiang's sheds keep it).
BEIJING = dt.timezone(dt.timedelta(hours=8))


def _line(console: Console, text: str) -> None:
    console.print(escape(text), highlight=False, soft_wrap=True)


def run_demo(folder: Path, console: Console, *, force: bool = False) -> Season:
    """Build the demo season in ``folder`` and print a tour; keep an existing demo unless forced.

    An existing demo folder is kept as it is (a running server may serve it, and its tokens
    stay valid): the tour and its sign-in tokens are printed again, with how to rebuild.

    Args:
        folder: The demo's folder.
        console: Where the tour is printed.
        force: Replace an existing demo folder with a fresh season (new keys and tokens).

    Raises:
        DemoError: ``folder`` exists and is not a demo's folder, or holds an unfinished demo
            and ``force`` is not set.
        ledger.LedgerError: the ledger could not be written or failed its audit.
    """
    season = Season(gtin=PRODUCTS[0].gtin)
    if _is_demo(folder) and not force:
        missing = [name for name in _DEMO_FILES if not (folder / name).exists()]
        if missing:
            raise DemoError(
                f"{folder} holds an unfinished demo (no {', '.join(missing)}); "
                f"rebuild it with: {_rebuild_command(folder)}"
            )
        _line(console, f"kept the demo already in {folder} (a running server keeps working)")
        if not (folder / SERVE_ENV).exists():
            # A demo built before serve hosted its witness: add the settings, keep the rest.
            write_serve_env(folder, RESOLVER, WITNESS_KEY)
            _line(console, f"  added {folder / SERVE_ENV} (serve hosts the regulator's witness)")
        _line(console, f"  to rebuild it from scratch: {_rebuild_command(folder)}")
        _tour(folder, season, console)
        return season
    rebuilt = _is_demo(folder)
    _fresh_folder(folder)
    keys = KeyFolder(folder / "keys")
    url = f"sqlite:///{folder / 'ledger.db'}"
    root = keys.create("root")
    ledger = Ledger.create(url, ORIGIN, root, keys.create_log_signer(ORIGIN))
    try:
        # The lab's key stays with the lab, apart from the cooperative's key folder.
        lab_keys = KeyFolder(folder / "lab-keys")
        season = build_season(ledger, root, keys.create, lab_key=lab_keys.create)
        _write_tokens(folder)
        _, _, public = _labels(folder, ledger, keys, season)
        # The regulator's own key (in the demo its file sits in the cooperative's folder;
        # in the field only the regulator holds it): the witness and the trust file pin it.
        regulator = keys.load(TOKEN_ROLES["regulator"]).public_key().public_bytes_raw()
        witness = _witness(folder, keys, ledger, ledger.checkpoint(), regulator)
        _report(folder, ledger, season)
        log_key = ledger.log_key()
        pinned = (b64encode(regulator).decode(),)
        TrustFile(ORIGIN, log_key, (witness,), (public,), pinned).write(folder / "trust.toml")
        (folder / "witnesses.txt").write_text(witness + "\n", encoding="utf-8")
        write_serve_env(folder, RESOLVER, WITNESS_KEY)
        report = ledger.audit()
        if report.failure is not None:
            raise DemoError(f"audit failed at entry {report.failure.seq}: {report.failure.reason}")
    finally:
        ledger.close()

    c = season.counts
    _line(console, f"built the demo season of {COOPERATIVE} in {folder / 'ledger.db'}")
    if rebuilt:
        _line(
            console,
            "  rebuilt with --force: new keys and tokens; restart a running "
            "`agritrace serve` (its old tokens now get 401)",
        )
    _line(
        console,
        f"  {c['farms']} farms ({c['plots']} plots), {c['products']} products, "
        f"{c['actor keys']} actor keys, {c['rule tables']} rule tables (profiles, MRL table)",
    )
    _line(
        console,
        f"  {c['pesticide applications']} pesticide applications, {c['harvests']} "
        f"harvests, {c['cooling records']} cooling records, {c['gradings']} gradings into "
        f"{c['graded lots']} graded lots",
    )
    _line(
        console,
        f"  {c['residue tests']} residue tests (signed by the lab), {c['releases']} "
        f"releases, {c['packing units']} packing units, {c['shipments']} shipments, "
        f"{c['receivings']} receivings, {c['recalls']} recall",
    )
    _line(
        console,
        f"  autumn: {c['trainings']} grower training, {c['assessments']} assessment, "
        f"{c['fertiliser applications']} fertiliser applications; jujube lot "
        f"{season.jujube_released} graded by count with Brix (no cold chain)",
    )
    for refusal in season.refused:
        _line(console, f"  refused, nothing appended: {refusal}")
    _line(
        console,
        f"audit: {report.verdict} — {report.entries} entries, every signature, "
        "hash and root recomputed",
    )
    _tour(folder, season, console)
    return season


def _past(best_before: str | None, today: dt.date) -> bool:
    """Whether a lot's best-before date (ISO) is before ``today``."""
    return best_before is not None and dt.date.fromisoformat(best_before) < today


def _rebuild_command(folder: Path) -> str:
    return f"{_program()} demo --folder {shlex.quote(str(folder))} --force"


def _tour(folder: Path, season: Season, console: Console) -> None:
    """Print the lots, files, sign-in tokens and commands of the demo in ``folder``."""
    with Ledger.open(f"sqlite:///{folder / 'ledger.db'}") as ledger:
        projection = Projection(ledger)
        statuses = {lot: projection.summary(season.gtin, lot) for lot in season.interesting}
        jujube = projection.summary(season.jujube_gtin, season.jujube_released)
    trust = TrustFile.load(folder / "trust.toml")
    _line(console, "lots to look at:")
    today = dt.datetime.now(BEIJING).date()
    shown = [(lot, s, f" — {s.reason}" if s.reason else "") for lot, s in statuses.items() if s]
    if jujube is not None:
        shown.append((season.jujube_released, jujube, " (jujubes)"))
    for lot, summary, why in shown:
        _line(console, f"  {lot:<12} {summary.status.value}{why}")
    passed = [s for _, s, _ in shown if _past(s.best_before, today)]
    if passed:
        first = min(s.harvested or "" for s in passed)
        # A newcomer opening the "released" lot sees a red "past its best-before" line over
        # the green check; say why before they think the demo is broken.
        _line(
            console,
            f"  (the demo's season is the same on every run, harvested from {first}: "
            f"{len(passed)} of these lots are past their best-before dates today, and their "
            "pages say so beside the verified facts)",
        )
    labels = ", ".join(trust.label_keys)
    _line(
        console,
        f"label (signed by the cooperative's label key {labels}): "
        f"{folder / f'label-{season.released}.png'}",
    )
    _line(console, f"label sheet, 24 serials: {folder / f'labels-{season.released}.pdf'}")
    report = folder / f"report-{season.quarter}.pdf"
    if report.exists():
        _line(console, f"quarterly evaluation {season.quarter} (PDF): {report}")
    tokens = folder / "tokens.txt"
    _line(
        console,
        f"sign-in tokens, one per role (stored in {tokens}; the server checks their hashes "
        f"in {folder / 'tokens.toml'}):",
    )
    for row in tokens.read_text(encoding="utf-8").splitlines():
        role, _, token = row.partition(" ")
        _line(console, f"  {role:<16} {token}")
    _line(console, f"checkpoint cosigned by the regulator's witness {WITNESS}")
    _line(
        console,
        "  serve hosts that witness and submits every new checkpoint to it, so pages stay "
        "cosigned as the log grows; in this demo the witness runs on the same machine for "
        "convenience, a real regulator runs it on its own server with its own key "
        f"(settings: {folder / SERVE_ENV}; docs/trust.md)",
    )
    _line(console, f"trust file (log key, witness, label key): {folder / 'trust.toml'}")
    _line(console, "next, serve the pages (Ctrl-C stops it):")
    _line(console, "  " + serve_command(folder, _program()))
    _line(console, "then open:")
    for what, lot in season.pages.items():
        _line(console, f"  {what:<9} {RESOLVER}/01/{season.gtin}/10/{lot}")
    _line(
        console, f"  staff     {RESOLVER}/sign-in  (token: the 'packing_station' line of {tokens})"
    )
    _line(console, f"  regulator {RESOLVER}/sign-in  (token: the 'regulator' line of {tokens})")
    _line(console, f"  dashboards {RESOLVER}/regulator/dashboard and {RESOLVER}/staff/dashboard")
    _line(console, f"  report    {RESOLVER}/reports/{season.quarter}  (public, no sign-in)")
    _line(console, "check a code without trusting the server (while it serves):")
    trust_path = shlex.quote(str(folder / "trust.toml"))
    lot_url = f"{RESOLVER}/01/{season.gtin}/10/{season.released}"
    _line(console, f"  {_program()} verify {lot_url} --trust {trust_path}")


def _program() -> str:
    # As the user ran it: ".venv/bin/agritrace" when not on PATH, else "agritrace".
    ran = Path(sys.argv[0]) if sys.argv and sys.argv[0] else Path("agritrace")
    return str(ran) if ran.name == "agritrace" else "agritrace"


def serve_command(folder: Path, program: str = "agritrace") -> str:
    """The shell command that serves the demo in ``folder``.

    Its settings are the demo's ``serve.env`` (database, keys, tokens, resolver, and the
    regulator's witness hosted by the server, which it submits each checkpoint to).

    Args:
        folder: The demo's folder, as given to ``agritrace demo``.
        program: How to call ``agritrace``, e.g. ``.venv/bin/agritrace``.
    """
    env_file = shlex.quote(str(folder / SERVE_ENV))
    return " ".join([shlex.quote(program), "serve", "--demo", "--env-file", env_file])
