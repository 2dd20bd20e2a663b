"""What a scan answer carries so that the visitor's browser can check it, trusting no server.

For each ledger entry behind a lot's facts: the entry's leaf bytes and its inclusion proof
in the tree of the latest signed checkpoint; plus that checkpoint and the log's verifier key
(named in the genesis entry). ``static/verify.js`` checks them with WebCrypto. Entries newer
than the latest checkpoint cannot be proved yet and are left out (the next checkpoint, at
most a few seconds away, covers them).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from functools import cache
from importlib.resources import files
from typing import Any

from pydantic import BaseModel

from ledger import Checkpoint, Ledger, parse_note

__all__ = ["EntryProof", "ProofBundle", "proof_bundle", "verify_script"]


class EntryProof(BaseModel):
    """One entry: its position, its leaf bytes (base64) and its inclusion proof (base64)."""

    index: int
    leaf: str
    proof: list[str]


class ProofBundle(BaseModel):
    """The signed checkpoint, the log key that must have signed it, and entry proofs."""

    checkpoint: str
    logKey: str
    size: int
    entries: list[EntryProof]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def proof_bundle(ledger: Ledger, seqs: Sequence[int]) -> ProofBundle | None:
    """Build the bundle for entries ``seqs``; None before the log's first checkpoint."""
    # With every witness's cosignature it has: a verifier holding a witness key can tell a
    # checkpoint the regulator saw from one the server signed alone.
    note = ledger.cosigned_checkpoint()
    if note is None:
        return None
    size = Checkpoint.parse(parse_note(note.encode()).text).size
    log_key: Any = ledger.record(0).statement.body["log_key"]
    entries = [
        EntryProof(
            index=seq,
            leaf=_b64(ledger.record(seq).leaf()),
            proof=[_b64(h) for h in ledger.inclusion_proof(seq, size)],
        )
        for seq in sorted(set(seqs))
        if seq < size
    ]
    return ProofBundle(checkpoint=note, logKey=str(log_key), size=size, entries=entries)


@cache
def verify_script() -> str:
    """The in-browser checker, inlined into pages (no extra request on a weak network)."""
    return (files("verifier_app") / "static" / "verify.js").read_text(encoding="utf-8")
