"""``agritrace ledger``: create, append to, inspect, audit and prove the tamper-evident log."""

from __future__ import annotations

import base64
import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from ledger._checkpoint import Checkpoint, open_checkpoint
from ledger._cli_options import Db, Keys
from ledger._cosignature import CosignatureVerifier, Cosigner
from ledger._errors import LedgerError
from ledger._keyfile import KeyFolder
from ledger._keys import (
    KEY_REGISTER,
    KEY_REVOKE,
    ROOT_ROTATE,
    register_body,
    revoke_body,
    rotate_root_body,
)
from ledger._log import Ledger
from ledger._merkle import verify_consistency, verify_inclusion
from ledger._mirror_cli import follow_log, mirror  # `agritrace mirror` builds on them
from ledger._note import NoteVerifier, parse_note
from ledger._statement import SignedStatement, Statement, format_time, key_id_for, sign_statement
from ledger._store import database_url
from ledger._tile_export import export_tiles
from ledger._witness import witness_checkpoint
from ledger._witness_client import request_cosignature

__all__ = ["Db", "Keys", "app", "follow_log", "mirror"]

app = typer.Typer(
    help="The tamper-evident log: signed statements, hash chain, Merkle proofs, checkpoints.",
    no_args_is_help=True,
)
_out = Console(soft_wrap=True)
_err = Console(stderr=True, soft_wrap=True)

_DEFAULT_KEYS = Path("agritrace-data/keys")


@contextmanager
def _errors() -> Iterator[None]:
    """Turn ledger errors into one red line and exit code 2: no traceback for bad input."""
    try:
        yield
    except LedgerError as e:
        _err.print(f"[red]error:[/red] {escape(str(e))}", highlight=False)
        raise typer.Exit(2) from e


def _open(db: str | None, keys: Path | None = None) -> Ledger:
    signer = KeyFolder(keys).log_signer() if keys and KeyFolder(keys).exists("log") else None
    return Ledger.open(database_url(db), log_signer=signer)


def _now() -> str:
    return format_time(datetime.now(UTC))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@app.command()
def init(
    origin: Annotated[
        str, typer.Option(help="The log's name in checkpoints, e.g. kashgar-coop.example/log.")
    ],
    db: Db = None,
    keys: Keys = _DEFAULT_KEYS,
) -> None:
    """Create a new log, with a new root key and checkpoint key in the key folder."""
    with _errors():
        folder = KeyFolder(keys)
        root = folder.create("root")
        signer = folder.create_log_signer(origin)
        ledger = Ledger.create(database_url(db), origin, root, signer)
        root_id = key_id_for(root.public_key().public_bytes_raw())
        # Names, paths and messages are the user's text, not rich markup: escape them.
        _out.print(
            f"created log [bold]{escape(origin)}[/bold] in {escape(database_url(db))}",
            highlight=False,
        )
        _out.print(f"root key  {root_id}  ({escape(str(keys / 'root.pem'))})", highlight=False)
        _out.print(f"log key   {escape(signer.verifier_key())}", highlight=False)
        sys.stdout.write(ledger.latest_checkpoint() or "")  # verbatim: it is a signed note


@app.command()
def keygen(
    name: Annotated[str, typer.Argument(help="A name for the key file, e.g. lab-kashgar.")],
    keys: Keys = _DEFAULT_KEYS,
) -> None:
    """Generate an actor key in the key folder and print its id and public key."""
    with _errors():
        key = KeyFolder(keys).create(name)
        public = key.public_key().public_bytes_raw()
        _out.print(
            json.dumps({"name": name, "key_id": key_id_for(public), "public_key": _b64(public)})
        )


@app.command()
def register(
    name: Annotated[str, typer.Argument(help="Key file name in the key folder.")],
    actor: Annotated[str, typer.Option(help="Who holds the key, e.g. 'Kashgar testing lab'.")],
    role: Annotated[list[str], typer.Option(help="A role of the actor; repeat for several.")],
    db: Db = None,
    keys: Keys = _DEFAULT_KEYS,
) -> None:
    """Register an actor key on the log, signed by the root key."""
    with _errors():
        folder = KeyFolder(keys)
        ledger = _open(db, keys)
        public = folder.load(name).public_key().public_bytes_raw()
        receipt = _append_as(
            ledger, folder, "root", KEY_REGISTER, register_body(public, actor, role)
        )
        _out.print(f"registered {key_id_for(public)} ({escape(actor)}) at entry {receipt}")


@app.command()
def revoke(
    key_id: Annotated[str, typer.Argument(help="Id of the key to revoke.")],
    reason: Annotated[str, typer.Option(help="Why, for the record (e.g. 'laptop stolen').")],
    db: Db = None,
    keys: Keys = _DEFAULT_KEYS,
) -> None:
    """Revoke an actor key: it cannot sign anything after this entry."""
    with _errors():
        ledger = _open(db, keys)
        seq = _append_as(ledger, KeyFolder(keys), "root", KEY_REVOKE, revoke_body(key_id, reason))
        _out.print(f"revoked {escape(key_id)} at entry {seq}")


@app.command("rotate-root")
def rotate_root(
    new: Annotated[str, typer.Option(help="Key file name of the new root (see 'keygen').")],
    db: Db = None,
    keys: Keys = _DEFAULT_KEYS,
) -> None:
    """Rotate the cooperative's root key: an entry signed by both the old and the new root.

    Afterwards the new key is ``root.pem`` in the key folder and the old one is kept as
    ``root-retired-<key id>.pem`` (it can sign nothing more on this log).
    """
    with _errors():
        folder = KeyFolder(keys)
        ledger = _open(db, keys)
        old = folder.load("root")
        old_id = key_id_for(old.public_key().public_bytes_raw())
        new_key = folder.load(new)
        body = rotate_root_body(ledger.origin, old_id, new_key)
        seq = _append_as(ledger, folder, "root", ROOT_ROTATE, body)
        new_id = key_id_for(new_key.public_key().public_bytes_raw())
        folder.promote_root(new, f"root-retired-{old_id}")
        _out.print(f"root rotated from {old_id} to {new_id} at entry {seq}")


def _append_as(ledger: Ledger, folder: KeyFolder, name: str, kind: str, body: Any) -> int:
    key = folder.load(name)
    key_id = key_id_for(key.public_key().public_bytes_raw())
    statement = Statement(ledger.origin, kind, body, key_id, _now())
    return ledger.append(sign_statement(statement, key)).seq


@app.command()
def append(
    kind: Annotated[str | None, typer.Option(help="Statement kind, e.g. trace.harvest.")] = None,
    body: Annotated[
        str | None, typer.Option(help="JSON object, or @file.json to read it from a file.")
    ] = None,
    signer: Annotated[str, typer.Option(help="Key file name to sign with.")] = "root",
    signed: Annotated[
        Path | None,
        typer.Option(
            help="A file of statements signed elsewhere (JSON lines of "
            '{"statement": ..., "signature": ...}), appended in one transaction.'
        ),
    ] = None,
    db: Db = None,
    keys: Keys = _DEFAULT_KEYS,
) -> None:
    """Sign and append one statement, or append a file of pre-signed statements."""
    with _errors():
        ledger = _open(db, keys)
        if signed is not None:
            batch = _read_signed(signed)
            receipts = ledger.append_batch(batch)
            new = sum(not r.duplicate for r in receipts)
            _out.print(f"appended {new} entries ({len(receipts) - new} already in the log)")
            return
        if kind is None or body is None:
            raise typer.BadParameter("give --kind and --body, or --signed FILE")
        text = Path(body[1:]).read_text(encoding="utf-8") if body.startswith("@") else body
        try:
            value = json.loads(text)
        except json.JSONDecodeError as e:
            raise typer.BadParameter(f"--body is not JSON: {e}") from e
        seq = _append_as(ledger, KeyFolder(keys), signer, kind, value)
        _out.print(f"appended entry {seq}")


def _read_signed(path: Path) -> list[SignedStatement]:
    batch = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            batch.append(SignedStatement.from_json(json.loads(line)))
        except (json.JSONDecodeError, LedgerError) as e:
            raise typer.BadParameter(f"{path}:{number}: {e}") from e
    return batch


@app.command()
def show(
    start: Annotated[int, typer.Argument(help="First entry to show.")] = 0,
    count: Annotated[int, typer.Option(help="How many entries.")] = 10,
    db: Db = None,
) -> None:
    """Print entries as JSON lines: position, log time, statement, signature."""
    with _errors():
        ledger = _open(db)
        for record in ledger.entries(start, min(start + count, ledger.size())):
            sys.stdout.write(json.dumps(record.to_json(), ensure_ascii=False) + "\n")


_UNANCHORED = (
    "WARNING: audited without a held checkpoint (--checkpoint) or a witness (--witness). "
    "The log is consistent with itself, but whoever holds the log key could have rewritten "
    "or truncated it and re-signed every checkpoint, and this audit would not notice. Keep "
    "a checkpoint from an earlier audit, or name a witness that cosigns this log."
)


@app.command()
def audit(
    checkpoint: Annotated[
        Path | None,
        typer.Option(help="A checkpoint note saved earlier: the log must still contain it."),
    ] = None,
    witness: Annotated[
        list[str] | None,
        typer.Option(
            help="A witness's cosignature key (name+hex+base64): its stored cosignatures "
            "must verify and it must have cosigned a checkpoint. Repeat for several."
        ),
    ] = None,
    root_key: Annotated[
        str | None, typer.Option(help="The root public key (base64) as known out of band.")
    ] = None,
    db: Db = None,
) -> None:
    """Recompute every link, signature, node, checkpoint and derived row; exit 1 on any failure."""
    with _errors():
        ledger = _open(db)
        held = checkpoint.read_bytes() if checkpoint else None
        trusted = base64.b64decode(root_key) if root_key else None
        witnesses = [CosignatureVerifier.from_key_string(w) for w in witness or []]
        with Progress(
            TextColumn("auditing"),
            BarColumn(),
            TaskProgressColumn(),
            TimeRemainingColumn(),
            console=_err,
            transient=True,
        ) as bar:
            task = bar.add_task("audit", total=ledger.size())
            report = ledger.audit(
                held_checkpoint=held,
                witnesses=witnesses,
                trusted_root_key=trusted,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
        if not report.anchored:
            _err.print(f"[bold yellow]{escape(_UNANCHORED)}[/bold yellow]", highlight=False)
        rate = report.entries / report.seconds if report.seconds else 0.0
        for drift in report.drift:
            _out.print(f"[red]DRIFT[/red] {escape(drift.describe())}", highlight=False)
        if report.failure is not None:
            where = "log" if report.failure.seq is None else f"entry {report.failure.seq}"
            _out.print(
                f"[red]INVALID[/red] at {where}: {escape(report.failure.reason)}", highlight=False
            )
            raise typer.Exit(1)
        against = f", checked against {', '.join(report.anchors)}" if report.anchors else ""
        _out.print(
            f"[green]VALID[/green] {report.entries} entries, {report.checkpoints} checkpoints, "
            f"root {_b64(report.root)} ({report.seconds:.1f} s, {rate:,.0f} entries/s)"
            f"{escape(against)}",
            highlight=False,
        )


@app.command()
def checkpoint(
    new: Annotated[bool, typer.Option(help="Sign a new checkpoint if the log grew.")] = True,
    db: Db = None,
    keys: Keys = _DEFAULT_KEYS,
) -> None:
    """Print the latest signed checkpoint (C2SP tlog-checkpoint signed note).

    The ledger knows nothing of lots: a checkpoint signed here does not end with the
    lot-status map. `agritrace checkpoint` signs one that does, as serve's do.
    """
    with _errors():
        ledger = _open(db, keys)
        note = ledger.checkpoint() if new and ledger.log_signer else ledger.latest_checkpoint()
        sys.stdout.write(note or "")


@app.command()
def witness(
    name: Annotated[
        str,
        typer.Option(
            help="The cosigner name, per C2SP tlog-cosignature a schema-less URL such as "
            "witness.example.gov/regulator (any text without spaces or '+')."
        ),
    ],
    state: Annotated[
        Path,
        typer.Option(help="File holding the last checkpoint this witness cosigned (updated)."),
    ],
    key: Annotated[
        str | None,
        typer.Option(
            help="The witness's key file name in the key folder (default: the --name, "
            "when that is a valid file name)."
        ),
    ] = None,
    log_key: Annotated[
        str | None,
        typer.Option(help="The log's verifier key as known out of band (default: genesis)."),
    ] = None,
    db: Db = None,
    keys: Keys = _DEFAULT_KEYS,
) -> None:
    """Witness the latest checkpoint: check it extends the last one seen, then cosign it."""
    with _errors():
        if key is None and "/" in name:
            raise typer.BadParameter(
                f"--name {name!r} is not a key file name: give the witness's key with --key"
            )
        ledger = _open(db)
        note = ledger.latest_checkpoint()
        if note is None:
            raise typer.BadParameter("the log has no checkpoint yet")
        verifier = NoteVerifier.from_key_string(log_key or ledger.log_key())
        previous = None
        if state.exists():
            previous, _ = open_checkpoint(state.read_bytes(), ledger.origin, verifier)
        current = Checkpoint.parse(parse_note(note.encode()).text)
        proof: list[bytes] = []
        if previous is not None and 0 < previous.size < current.size:
            proof = ledger.consistency_proof(previous.size, current.size)
        cosigner = Cosigner(name, KeyFolder(keys).load(key or name))
        line = witness_checkpoint(
            note.encode(), ledger.origin, verifier, cosigner, int(time.time()), previous, proof
        )
        cosignature_key = CosignatureVerifier.from_key_string(cosigner.verifier_key())
        ledger.add_cosignature(line, cosignature_key, current.size)
        state.write_text(note, encoding="utf-8")
        sys.stdout.write(ledger.cosigned_checkpoint(current.size) or "")
        _err.print(f"cosigned size {current.size} as {escape(cosigner.verifier_key())}")


@app.command("prove-inclusion")
def prove_inclusion(
    seq: Annotated[int, typer.Argument(help="The entry to prove.")],
    size: Annotated[int | None, typer.Option(help="Tree size (default: current).")] = None,
    db: Db = None,
) -> None:
    """Print an RFC 6962 inclusion proof for an entry, checked before it is printed."""
    with _errors():
        ledger = _open(db)
        size = ledger.size() if size is None else size
        leaf = ledger.entry(seq).leaf_hash()
        proof = ledger.inclusion_proof(seq, size)
        root = ledger.root(size)
        verify_inclusion(seq, size, leaf, proof, root)
        result = {
            "leaf_index": seq,
            "tree_size": size,
            "leaf_hash": _b64(leaf),
            "root_hash": _b64(root),
            "proof": [_b64(h) for h in proof],
        }
        _out.print_json(json.dumps(result))


@app.command("prove-consistency")
def prove_consistency(
    size1: Annotated[int, typer.Argument(help="The older tree size.")],
    size2: Annotated[int | None, typer.Argument(help="The newer size (default: current).")] = None,
    db: Db = None,
) -> None:
    """Print an RFC 6962 consistency proof between two tree sizes, checked first."""
    with _errors():
        ledger = _open(db)
        size2 = ledger.size() if size2 is None else size2
        proof = ledger.consistency_proof(size1, size2)
        root1, root2 = ledger.root(size1), ledger.root(size2)
        verify_consistency(size1, size2, proof, root1, root2)
        result = {
            "size1": size1,
            "size2": size2,
            "root1": _b64(root1),
            "root2": _b64(root2),
            "proof": [_b64(h) for h in proof],
        }
        _out.print_json(json.dumps(result))


@app.command()
def tiles(
    directory: Annotated[Path, typer.Argument(help="Folder to write the tiled log into.")],
    db: Db = None,
) -> None:
    """Export the log as C2SP tlog-tiles static files (checkpoint, tiles, entry bundles).

    Incremental: files already present are kept (full tiles never change), so a re-run
    after appends writes only new tiles. The checkpoint is written last.
    """
    with _errors():
        ledger = _open(db)
        result = export_tiles(ledger, directory)
        _out.print(
            f"tiles for size {result.size} in {escape(str(directory))}: "
            f"{result.written} written, {result.kept} already there",
            highlight=False,
        )


@app.command("submit-witness")
def submit_witness(
    url: Annotated[str, typer.Argument(help="The witness's submission prefix (tlog-witness).")],
    witness_key: Annotated[
        str, typer.Option(help="The witness's cosignature key (name+hex+base64), trusted.")
    ],
    db: Db = None,
) -> None:
    """Submit the latest checkpoint to a witness (C2SP tlog-witness) and store its cosignature."""
    with _errors():
        ledger = _open(db)
        verifier = CosignatureVerifier.from_key_string(witness_key)
        timestamp = request_cosignature(ledger, url, verifier)
        sys.stdout.write(ledger.cosigned_checkpoint() or "")
        _err.print(f"cosigned by {escape(verifier.name)} at {timestamp}")
