"""``agritrace demo``: a demo ledger a newcomer can watch being built, audited and proved."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from ledger import (
    KEY_REGISTER,
    KeyFolder,
    Ledger,
    Statement,
    audit,
    format_time,
    key_id_for,
    register_body,
    sign_statement,
    verify_inclusion,
)

__all__ = ["run_demo"]

ORIGIN = "demo.agritrace.example/log"

# A small sample of what a cooperative's season looks like on the log.
_FARMS = ["Tokkuzak-03", "Yengisar-11", "Peyziwat-07"]
_VARIETIES = ["Benihoppe", "Akihime", "Sweet Charlie"]


def run_demo(folder: Path, entries: int, console: Console) -> None:
    """Create a fresh demo ledger in ``folder``, fill it, audit it, print a checkpoint."""
    if folder.exists():
        shutil.rmtree(folder)
    keys = KeyFolder(folder / "keys")
    url = f"sqlite:///{folder / 'ledger.db'}"
    root = keys.create("root")
    ledger = Ledger.create(url, ORIGIN, root, keys.create_log_signer(ORIGIN))
    console.print(f"created demo log [bold]{ORIGIN}[/bold] in {escape(str(folder / 'ledger.db'))}")

    now = datetime.now(UTC)
    root_id = key_id_for(root.public_key().public_bytes_raw())
    actors = {"packing-shed": ["packer"], "kashgar-lab": ["lab"], "cold-truck": ["logistics"]}
    signers = {}
    for name, roles in actors.items():
        key = keys.create(name)
        public = key.public_key().public_bytes_raw()
        body = register_body(public, name, roles)
        statement = Statement(ORIGIN, KEY_REGISTER, body, root_id, format_time(now))
        ledger.append(sign_statement(statement, root))
        signers[name] = (key, key_id_for(public))
    console.print(f"registered {len(actors)} actor keys: {', '.join(actors)}")

    key, key_id = signers["packing-shed"]
    batch = []
    for i in range(entries):
        at = now - timedelta(minutes=entries - i)
        body = {
            "lot": f"SB26-{i // 40:04d}",
            "farm": _FARMS[i % len(_FARMS)],
            "variety": _VARIETIES[i % len(_VARIETIES)],
            "crates": 20 + i % 17,
        }
        batch.append(
            sign_statement(Statement(ORIGIN, "demo.harvest", body, key_id, format_time(at)), key)
        )
    ledger.append_batch(batch)
    note = ledger.checkpoint()
    console.print(f"appended {entries} signed sample entries in one batch")

    report = audit(ledger.store)
    if report.failure is not None:
        raise SystemExit(f"audit failed at entry {report.failure.seq}: {report.failure.reason}")
    console.print(
        f"audit: [green]{report.verdict}[/green] — {report.entries} entries, "
        f"{report.checkpoints} checkpoints, every signature and hash recomputed"
    )

    seq = ledger.size() // 2
    record = ledger.record(seq)
    proof = ledger.inclusion_proof(seq)
    verify_inclusion(seq, ledger.size(), record.leaf_hash(), proof, ledger.root())
    console.print(f"entry {seq} is in the tree: inclusion proof of {len(proof)} hashes verified")
    console.print("\nlatest signed checkpoint (C2SP tlog-checkpoint):\n")
    console.file.write(note)  # verbatim: a wrapped signature line would not verify
    console.print(f"try:  agritrace ledger audit --db {escape(url)}", highlight=False)
