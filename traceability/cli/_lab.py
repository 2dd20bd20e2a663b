"""``agritrace lab enrol|results``: a lab signs on its own machine and sends to the cooperative.

A lab is a third party (docs/adr/0020): its private key stays with the lab, so the
cooperative's server cannot sign for it (the staff lab page then says so). These commands
sign each statement with the lab's key file where the lab keeps it and post the signed
statements to the cooperative's ``POST /api/v1/statements`` with the lab's API token. The
server checks them like any entry (the key's registration, the lab's approval, the rules)
and appends all or none; a retry of the same file is answered, not appended twice
(``Idempotency-Key``).
"""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.request
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from rich.markup import escape

from ledger import KeyFolder, Statement, format_time, key_id_for, sign_statement
from traceability._errors import TraceError, ValidationError
from traceability.cli._common import errors, out
from traceability.cli._import import RESULT_COLUMNS, _residue_event, _rows
from traceability.events._ids import parse_gtin, parse_local_id, parse_lot
from traceability.events._model import Model
from traceability.events._sampling import LabEnrolment

__all__ = ["lab_app"]

lab_app = typer.Typer(
    help="For a testing lab: sign enrolment and results with the lab's own key and send them.",
    no_args_is_help=True,
)

#: How long one request may take over a rural uplink before it is given up (and retried).
TIMEOUT = 60.0

Server = Annotated[
    str,
    typer.Option(
        "--server",
        envvar="AGRITRACE_SERVER",
        help="The cooperative's server, e.g. https://coop.example (its /api/v1/statements).",
    ),
]
Token = Annotated[
    str,
    typer.Option(
        "--token",
        envvar="AGRITRACE_TOKEN",
        help="The lab's API token from the cooperative (or set AGRITRACE_TOKEN).",
    ),
]
KeyFile = Annotated[
    Path,
    typer.Option(
        "--key",
        help="The lab's private key file (PEM, as 'agritrace ledger keygen' writes it).",
    ),
]


class LabSendError(TraceError):
    """The server could not be reached, or it refused what was sent (its reason named)."""


def _origin(server: str) -> str:
    """The log's origin: the first line of the server's checkpoint (statements name it)."""
    try:
        with urllib.request.urlopen(f"{server}/log/checkpoint", timeout=TIMEOUT) as answer:  # noqa: S310
            return str(answer.read().decode("utf-8").split("\n", 1)[0])
    except (urllib.error.URLError, OSError, UnicodeDecodeError) as e:
        raise LabSendError(f"--server: cannot read {server}/log/checkpoint: {e}") from e


def _sign(events: Sequence[Model], key: Ed25519PrivateKey, origin: str) -> list[dict[str, Any]]:
    key_id = key_id_for(key.public_key().public_bytes_raw())
    when = format_time(datetime.now(UTC))
    return [
        sign_statement(Statement(origin, e.KIND, e.to_body(), key_id, when), key).to_json()
        for e in events
    ]


def _post(
    server: str, token: str, signed: list[dict[str, Any]], once: str
) -> tuple[list[int], bool]:
    """Send the signed statements (all or none); return their positions and a repeat flag.

    The second value says whether the log held them all already (a repeat: nothing was
    appended).
    """
    request = urllib.request.Request(  # noqa: S310 - the operator's own server URL
        f"{server}/api/v1/statements",
        data=json.dumps(signed, ensure_ascii=False).encode("utf-8"),
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {token}",
            "Idempotency-Key": once,
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:  # noqa: S310
            receipts = json.loads(answer.read())["receipts"]
            repeat = answer.headers.get("Idempotent-Replayed") == "true" or all(
                r["duplicate"] for r in receipts
            )
    except urllib.error.HTTPError as e:
        try:
            error = json.loads(e.read())["error"]
            why = error["message"]
        except (ValueError, KeyError, TypeError):
            why = e.reason
        raise LabSendError(f"the server refused it ({e.code}): {why}") from e
    except (urllib.error.URLError, OSError) as e:
        raise LabSendError(f"cannot reach {server}: {e} (nothing was sent; run it again)") from e
    return [int(r["seq"]) for r in receipts], repeat


def _send(
    server: str, token: str, key_file: Path, events: Sequence[Model], keep: Path | None = None
) -> tuple[list[int], bool]:
    """Sign ``events`` and post them; return their positions and whether it was a repeat.

    With ``keep`` (a file's sidecar), the signed statements are written there before they
    are sent and sent again as they are on the next run of the same file with the same key:
    a retry after a lost answer then repeats the very request (the server answers it with
    the first receipts, ``Idempotency-Key``) instead of signing a new one at a new time.
    """
    server = server.rstrip("/")
    key = KeyFolder(key_file.parent).load(key_file.stem)
    key_id = key_id_for(key.public_key().public_bytes_raw())
    bodies = json.dumps([e.to_body() for e in events], sort_keys=True, ensure_ascii=False)
    made = hashlib.sha256(f"{server}\n{key_id}\n{bodies}".encode()).hexdigest()
    signed = _kept(keep, made)
    if signed is None:
        signed = _sign(events, key, _origin(server))
        if keep is not None:
            keep.write_text(json.dumps({"made": made, "statements": signed}), encoding="utf-8")
    return _post(server, token, signed, made)


def _kept(keep: Path | None, made: str) -> list[dict[str, Any]] | None:
    """The statements signed for the same events, key and server before, if kept."""
    if keep is None or not keep.exists():
        return None
    try:
        kept = json.loads(keep.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # unreadable: sign afresh (the ledger still refuses a double result)
    if not isinstance(kept, dict) or kept.get("made") != made:
        return None
    statements = kept.get("statements")
    return statements if isinstance(statements, list) else None


@lab_app.command()
def enrol(
    lab: Annotated[str, typer.Option(help="The lab's id, e.g. KS-QTC (letters, digits, -).")],
    name: Annotated[str, typer.Option(help="The lab's name as accredited.")],
    accreditation: Annotated[str, typer.Option(help="The CMA number, e.g. 211234567890.")],
    server: Server,
    token: Token,
    key: KeyFile,
) -> None:
    """Enrol the lab's own key (signed by it); the regulator then approves it."""
    with errors():
        event = LabEnrolment(
            lab=lab, name=name, accreditation=accreditation, time=datetime.now(UTC)
        )
        seqs, _ = _send(server, token, key, [event])
    out.print(
        f"enrolled lab {escape(lab)} with key {escape(key.name)} (entry {seqs[0]}); "
        "the market regulator must approve it before its results count",
        highlight=False,
    )


@lab_app.command()
def results(
    file: Annotated[
        Path,
        typer.Argument(
            help="Lab CSV: sample_id, gtin, lot, substance, value ('<LOQ' or mg/kg), unit, "
            "loq, method, lab, time; one row per substance."
        ),
    ],
    server: Server,
    token: Token,
    key: KeyFile,
) -> None:
    """Sign a result file's residue tests with the lab's key and send them, all or none."""
    with errors():
        rows = _rows(file, (*RESULT_COLUMNS, "gtin"))
        samples: dict[tuple[str, str, str], list[tuple[int, dict[str, str]]]] = {}
        for number, row in rows:
            try:
                gtin = parse_gtin(row["gtin"], "gtin")
                lot = parse_lot(row["lot"], "lot")
                sample = parse_local_id(row["sample_id"], "sample_id")
            except ValidationError as e:
                where = f"{file.name} line {number}, {e.field}"
                raise ValidationError(where, e.expected, e.got) from e
            samples.setdefault((sample, gtin, lot), []).append((number, row))
        if not samples:
            raise ValidationError(str(file), "at least one result row", "none")
        events = [_residue_event(file, s, g, lot, group) for (s, g, lot), group in samples.items()]
        # Kept beside the file: running it again (after a cut connection) resends the same.
        sent = file.with_name(f".{file.name}.sent.json")
        seqs, repeat = _send(server, token, key, events, sent)
    entries = ", ".join(map(str, seqs))
    if repeat:
        out.print(
            f"{escape(file.name)} was sent before: the log holds it as entries {entries} "
            "(nothing appended again)",
            highlight=False,
        )
        return
    out.print(
        f"sent {len(rows)} results from {escape(file.name)} as {len(events)} residue-test "
        f"entries ({entries})",
        highlight=False,
    )
