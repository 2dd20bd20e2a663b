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

__all__ = [
    "EntryProof",
    "ProofBundle",
    "compact_script",
    "page_scripts",
    "proof_bundle",
    "verify_script",
]


class EntryProof(BaseModel):
    """One entry: its position, its leaf bytes (base64) and its inclusion proof (base64)."""

    index: int
    leaf: str
    proof: list[str]


class ProofBundle(BaseModel):
    """The signed checkpoint, the log key that must have signed it, and entry proofs.

    For a lot's answer also the lot (``gtin``, ``lot``) and the facts the page shows as
    values (``facts``), which the browser re-derives from the entries and compares.
    """

    checkpoint: str
    logKey: str
    size: int
    entries: list[EntryProof]
    gtin: str | None = None
    lot: str | None = None
    facts: dict[str, Any] | None = None


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
    log_key = ledger.log_key()
    entries = [
        EntryProof(
            index=seq,
            leaf=_b64(ledger.entry(seq).leaf()),
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


def compact_script(source: str) -> str:
    """Drop comment lines, blank lines and indentation: the page is sent on weak networks.

    Safe for our scripts because none holds a string literal that spans lines; the
    comments stay in the files under ``static/`` for readers.
    """
    kept: list[str] = []
    in_comment = False
    for line in source.splitlines():
        text = line.strip()
        if in_comment or text.startswith("/*"):
            in_comment = not text.endswith("*/")
        elif text and not text.startswith("//"):
            kept.append(text)
    return "\n".join(kept)


@cache
def page_scripts() -> str:
    """What a lot page inlines: the fact derivation (``facts.js``), then the checker."""
    facts = (files("verifier_app") / "static" / "facts.js").read_text(encoding="utf-8")
    return compact_script(facts) + "\n" + compact_script(verify_script())
