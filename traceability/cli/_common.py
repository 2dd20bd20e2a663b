"""What every ``agritrace`` traceability command shares: options, errors, opening the ledger."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from rich.console import Console
from rich.markup import escape

# The ledger's own URL resolution (argument, $AGRITRACE_DB, local file) and key folder, so
# the ledger's commands and these agree on which database and keys they open.
from ledger import KeyFolder, Ledger, LedgerError, Receipt, database_url, key_id_for
from ledger.cli import Db, Keys
from traceability._errors import TraceError, ValidationError
from traceability._once import KEY_RETENTION, IdempotencyKey, IdempotencyKeyUsedError
from traceability._recorder import Recorder
from traceability._seal import seal_with_status_map
from traceability.events._model import Model
from traceability.projection._read import Projection

__all__ = [
    "DEFAULT_KEYS",
    "STATUS_MAP_KEY",
    "Db",
    "Gtin",
    "IdemKey",
    "Keys",
    "Signer",
    "err",
    "errors",
    "now_text",
    "open_projection",
    "open_reading",
    "open_recorder",
    "out",
    "read_json",
    "record_once",
    "resolve_lot",
    "signing_key",
]

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

Signer = Annotated[
    str, typer.Option("--signer", help="Key file name in the key folder to sign with.")
]
Gtin = Annotated[
    str | None,
    typer.Option(
        "--gtin", help="The lot's GTIN-14; needed only when two products share the lot code."
    ),
]
DEFAULT_KEYS = Path("agritrace-data/keys")
IdemKey = Annotated[
    str | None,
    typer.Option(
        "--idempotency-key",
        help="Your key for this write (1-255 printable ASCII, e.g. a UUID). Run the same "
        "command again with the same key (after a crash, a lost terminal) and it records "
        "nothing new and names the entry that holds it; the same key with another event "
        f"is refused. Keys are kept {KEY_RETENTION.days} days.",
    ),
]


@contextmanager
def errors() -> Iterator[None]:
    """Turn domain, ledger and file errors into one red line and exit code 2: no traceback."""
    try:
        yield
    except (TraceError, LedgerError, OSError) as e:
        message = str(e)
        if isinstance(e, OSError) and e.filename is not None and e.strerror:
            message = f"{e.filename}: {e.strerror}"  # not "[Errno 2] ..."
        # Messages quote the user's text (lot codes, paths): never let rich read it as markup.
        err.print(f"[red]error:[/red] {escape(message)}", highlight=False)
        raise typer.Exit(2) from e


#: The key-folder name of the key that signs ``trace.status_map`` (as ``serve``'s default).
STATUS_MAP_KEY = "status-map"


@contextmanager
def open_recorder(db: str | None, keys: Path | None = None) -> Iterator[Recorder]:
    """Open the ledger (with its checkpoint key when the folder has one) and a recorder."""
    folder = KeyFolder(keys) if keys is not None else None
    signer = folder.log_signer() if folder is not None and folder.exists("log") else None
    with Ledger.open(database_url(db), log_signer=signer) as ledger:
        if signer is not None and folder is not None and folder.exists(STATUS_MAP_KEY):
            # Checkpoints this command signs end with the lot-status map, as serve's do.
            seal_with_status_map(ledger, folder.load(STATUS_MAP_KEY))
        yield Recorder(ledger)


@contextmanager
def open_projection(db: str | None) -> Iterator[Projection]:
    """Open the ledger and its projection, caught up with every entry, for reading."""
    with open_reading(db) as (_, projection):
        yield projection


@contextmanager
def open_reading(db: str | None) -> Iterator[tuple[Ledger, Projection]]:
    """Open the ledger and its projection (caught up), for reads that need the entries too."""
    with Ledger.open(database_url(db)) as ledger:
        projection = Projection(ledger)
        projection.catch_up()
        yield ledger, projection


def record_once(
    recorder: Recorder,
    event: Model,
    key: Ed25519PrivateKey,
    idempotency_key: str | None,
    *,
    time_given: bool = True,
) -> tuple[Receipt, bool]:
    """Record ``event``, or with a key used before for it, return its receipt: (receipt, again).

    The key is scoped to the signing key (the CLI's caller) and fingerprinted with the
    event's kind and body; without ``time_given`` the body's time (the command's "now")
    is left out, so the same command run again is the same request.

    Raises:
        ValidationError: the key is malformed, or was used for another event.
    """
    if idempotency_key is None:
        return recorder.record(event, key), False
    body = event.to_body()
    if not time_given:
        body.pop("time", None)
    text = json.dumps([event.KIND, body], sort_keys=True, separators=(",", ":"))
    try:
        once = IdempotencyKey(
            "key:" + key_id_for(key.public_key().public_bytes_raw()),
            idempotency_key,
            hashlib.sha256(text.encode()).hexdigest(),
        )
    except ValidationError as e:
        raise ValidationError("--idempotency-key", e.expected, idempotency_key) from None
    try:
        return recorder.record(event, key, once=once), False
    except IdempotencyKeyUsedError as e:
        if e.stored.fingerprint != once.fingerprint:
            raise ValidationError(
                "--idempotency-key", "a new key for a new event (it named another)", idempotency_key
            ) from None
        return e.stored.receipts[0], True


def signing_key(keys: Path, name: str) -> Ed25519PrivateKey:
    """Load the private key ``name`` from the key folder."""
    return KeyFolder(keys).load(name)


def now_text() -> str:
    """The current time as an event writes it (RFC 3339, UTC)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def read_json(path: Path) -> dict[str, Any]:
    """Read one JSON object from ``path`` or raise :class:`ValidationError`."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        where = f"line {e.lineno} column {e.colno}"
        raise TraceError(f"{path} {where}: expected a JSON object, {e.msg.lower()}") from e
    if not isinstance(value, dict):
        raise ValidationError(str(path), "a JSON object", type(value).__name__)
    return value


def resolve_lot(projection: Projection, lot: str, gtin: str | None) -> tuple[str, str]:
    """Return ``(gtin, lot)`` for a lot code, finding the GTIN when only one product has it.

    Raises:
        ValidationError: the lot is unknown, or several products share the code and no
            ``gtin`` was given.
    """
    found = projection.resolve(lot, gtin, gtin_field="--gtin")
    return found.gtin, found.lot
