"""``agritrace deployment migrate``: a single cooperative's data folder becomes a deployment.

Nothing is copied or moved: the deployment file written into the folder names the folder's
own database, key folder and token file (relative paths, so the folder can still be moved
as a whole), as its one member. A folder that already has a deployment file is refused (run
twice, the command changes nothing). With a company prefix, the cooperative's latest
``trace.cooperative`` entry is recorded again with the prefix, signed by the key that signed
that entry when the folder holds it; otherwise the command says how to record it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ledger import KeyFolder, Ledger, LedgerError
from ledger import key_id_for as _key_id
from traceability import Cooperative, Projection, Recorder, TraceError
from verifier_app._deployment import SLUG, DeploymentError, load_deployment

__all__ = ["FILE_NAME", "Migration", "migrate_folder"]

#: The deployment file's name in a data folder.
FILE_NAME = "deployment.toml"


@dataclass(frozen=True)
class Migration:
    """What :func:`migrate_folder` did.

    Attributes:
        file: The deployment file written.
        prefix_entry: The entry that recorded the company prefix, or None.
        prefix_advice: When a prefix was asked for but could not be recorded here: what to
            run instead (the file is written all the same).
    """

    file: Path
    prefix_entry: int | None
    prefix_advice: str | None


def migrate_folder(
    folder: Path,
    slug: str,
    *,
    db: str | None = None,
    prefix: str | None = None,
    resolver: str | None = None,
) -> Migration:
    """Write ``folder/deployment.toml`` naming the folder's log as member ``slug``.

    Args:
        folder: The single-log data folder (``ledger.db``, ``keys/``, ``tokens.toml``).
        slug: The member's path segment (``/c/<slug>/``).
        db: The log's database URL when it is not the folder's ``ledger.db``.
        prefix: A GS1 company prefix to record on the cooperative's ledger.
        resolver: The resolver URL every member's labels use (``[defaults]``).

    Raises:
        DeploymentError: the folder is already migrated, holds no ledger or keys, the slug
            or prefix is malformed; nothing was written then.
    """
    file = folder / FILE_NAME
    if file.exists():
        raise DeploymentError(
            file, "", "already migrated: this folder has a deployment file (add members to it)"
        )
    if not SLUG.fullmatch(slug):
        raise DeploymentError(
            file, "--slug", f"expected 1-32 lower-case letters, digits or '-', got {slug!r}"
        )
    keys = folder / "keys"
    if not keys.is_dir():
        raise DeploymentError(file, "keys", f"expected a key folder at {keys}, found none")
    url = db or f"sqlite:///{folder.resolve() / 'ledger.db'}"
    if db is None and not (folder / "ledger.db").is_file():
        raise DeploymentError(file, "db", f"expected a ledger at {folder / 'ledger.db'}")
    if prefix is not None:
        try:
            Cooperative.from_body(
                {"name_zh": "-", "address": "-", "county": "-", "company_prefixes": [prefix]}
            )
        except TraceError as e:
            raise DeploymentError(file, "--prefix", str(e).split(": ", 1)[1]) from e
    try:
        ledger = Ledger.open(url)
    except LedgerError as e:
        raise DeploymentError(file, "db", str(e)) from e
    try:
        name = _name(ledger) or slug
        entry, advice = (None, None) if prefix is None else _record_prefix(ledger, keys, prefix)
    finally:
        ledger.close()
    text = _file_text(
        folder, slug, name, url if db is not None else "sqlite:///ledger.db", resolver
    )
    # Written whole, then checked as serve would load it; a file that does not load is removed.
    file.write_text(text, encoding="utf-8")
    try:
        load_deployment(file, demo=True)
    except DeploymentError:
        file.unlink()
        raise
    return Migration(file, entry, advice)


def _name(ledger: Ledger) -> str | None:
    info = Projection(ledger).cooperative()
    return None if info is None else info.name_zh


def _record_prefix(ledger: Ledger, keys: Path, prefix: str) -> tuple[int | None, str | None]:
    projection = Projection(ledger)
    projection.catch_up()
    info = projection.cooperative()
    how = (
        "record it with `agritrace record cooperative --signer <the cooperative's key> "
        f'--file body.json`, the body holding "company_prefixes": ["{prefix}"] beside the '
        "cooperative's names (docs/deployment.md)"
    )
    if info is None:
        return None, f"the ledger names no cooperative yet: {how}"
    signer_id = ledger.entry(info.seq).statement.key_id
    folder = KeyFolder(keys)
    for pem in sorted(keys.glob("*.pem")):
        key = folder.load(pem.stem)
        if _key_id(key.public_key().public_bytes_raw()) != signer_id:
            continue
        body = Cooperative.from_body(ledger.entry(info.seq).statement.body).to_body()
        event = Cooperative.from_body(body | {"company_prefixes": [prefix]})
        try:
            receipt = Recorder(ledger).record(event, key)
        except TraceError as e:
            return None, f"the prefix was refused ({e}); {how}"
        return receipt.seq, None
    return None, f"no key in {keys} signed the cooperative's entry {info.seq}: {how}"


def _file_text(folder: Path, slug: str, name: str, db: str, resolver: str | None) -> str:
    q = json.dumps  # a JSON string is a TOML basic string (both escape the same way)
    lines = [
        "# Written by `agritrace deployment migrate`: the cooperatives this server hosts.",
        "# Add one [[members]] table per cooperative (docs/deployment.md).",
        "",
        "[deployment]",
        f"name = {q(name, ensure_ascii=False)}",
        "",
    ]
    if resolver is not None:
        lines += ["[defaults]", f"resolver = {q(resolver)}", ""]
    lines += [
        "[[members]]",
        f"slug = {q(slug)}",
        f"name = {q(name, ensure_ascii=False)}",
        f"db = {q(db)}",
        'keys = "keys"',
    ]
    if (folder / "tokens.toml").is_file():
        lines.append('tokens = "tokens.toml"')
    if (folder / "witnesses.txt").is_file():
        lines += ["", "[members.settings]", 'witnesses_file = "witnesses.txt"']
    return "\n".join(lines) + "\n"
