"""What a scan answer carries so that the visitor's browser can check it, trusting no server.

For each ledger entry behind a lot's facts: the entry's leaf bytes and its inclusion proof
in the tree of the latest signed checkpoint; plus that checkpoint and the log's verifier key
(named in the genesis entry). ``static/verify.js`` checks them with WebCrypto. Entries newer
than the latest checkpoint cannot be proved yet and are left out (the next checkpoint, at
most a few seconds away, covers them).

For a scanned label, also the label check's inputs (:class:`LabelProof`): the code's GTIN,
lot, serial and ``s`` signature, and the ledger entries registering the cooperative's label
keys with their inclusion proofs, so the browser checks the signature with a key the log
committed to.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime
from functools import cache
from importlib.resources import files
from typing import Any

from pydantic import BaseModel

from labels import DigitalLink
from ledger import (
    Checkpoint,
    CosignatureVerifier,
    Ledger,
    LedgerError,
    parse_note,
    verify_cosignature,
)
from traceability import LabInfo, is_sealing_entry, status_map_proof

__all__ = [
    "CosignatureOut",
    "EntryProof",
    "LabelProof",
    "ProofBundle",
    "compact_script",
    "label_proof",
    "page_proof_json",
    "page_scripts",
    "proof_bundle",
    "verify_script",
]


class EntryProof(BaseModel):
    """One entry: its position, its leaf bytes (base64) and its inclusion proof (base64)."""

    index: int
    leaf: str
    proof: list[str]


class CosignatureOut(BaseModel):
    """A trusted witness's valid cosignature on the bundle's checkpoint, and when it was made."""

    witness: str
    timestamp: int
    time: str


class LabelProof(BaseModel):
    """A label check's inputs: the scanned code, its signature and the label key entries.

    ``keys`` are ``ledger.key.register`` entries with the ``label`` role, valid at the
    checkpoint, each proven in its tree; ``signature`` is the ``s`` parameter (None when the
    code carries none).
    """

    gtin: str
    lot: str | None
    serial: str | None
    signature: str | None
    keys: list[EntryProof]


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
    #: The lot's proof in the signed lot-status map that ends the checkpoint (its entry is
    #: among ``entries``): ``{entry, key, value, bucket, siblings}``; None when the
    #: checkpoint does not end with a map (the page is then not checked for omissions).
    statusMap: dict[str, Any] | None = None
    label: LabelProof | None = None
    #: For each lab key that signed an entry among ``entries``: its ``ledger.key.register``
    #: entry and the regulator's ``trace.lab_approval`` of it, each proven in the tree. A
    #: verifier holding the regulator's own key checks the approval's signature
    #: (``agritrace verify``: the trust file's ``[regulators]``).
    labs: list[EntryProof] = []
    cosignatures: list[CosignatureOut] = []


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def proven_entries(ledger: Ledger, seqs: Collection[int], size: int) -> list[EntryProof]:
    """Entries ``seqs`` (those before ``size``), each with its inclusion proof at ``size``."""
    return [
        EntryProof(
            index=seq,
            leaf=_b64(ledger.entry(seq).leaf()),
            proof=[_b64(h) for h in ledger.inclusion_proof(seq, size)],
        )
        for seq in sorted(set(seqs))
        if seq < size
    ]


def proof_bundle(
    ledger: Ledger,
    seqs: Sequence[int],
    witnesses: Mapping[str, CosignatureVerifier] | None = None,
    lot: tuple[str, str] | None = None,
) -> ProofBundle | None:
    """Build the bundle for entries ``seqs``; None before the log's first checkpoint.

    ``witnesses`` (name -> key) are the trusted witnesses: ``cosignatures`` names each one
    whose cosignature on the checkpoint verifies, with its time (how fresh the view is).
    With ``lot`` (GTIN, lot code), also the lot's map proof when the checkpoint ends with
    a ``trace.status_map`` entry, and that entry's inclusion proof.
    """
    # With every witness's cosignature it has: a verifier holding a witness key can tell a
    # checkpoint the regulator saw from one the server signed alone.
    note = ledger.cosigned_checkpoint()
    if note is None:
        return None
    parsed = parse_note(note.encode())
    checkpoint = Checkpoint.parse(parsed.text)
    size = checkpoint.size
    cosignatures = []
    for name, verifier in sorted((witnesses or {}).items()):
        try:
            when = verify_cosignature(checkpoint, parsed, verifier)
        except LedgerError:
            continue  # not (yet) cosigned by this witness
        at = datetime.fromtimestamp(when, UTC).isoformat(timespec="seconds")
        cosignatures.append(CosignatureOut(witness=name, timestamp=when, time=at))
    log_key = ledger.log_key()
    status_map = None
    if lot is not None and size > 0:
        last = ledger.entry(size - 1).statement
        if is_sealing_entry(last.kind, last.body, size - 1):
            status_map = status_map_proof(ledger, lot[0], lot[1], size)
        if status_map is not None:
            seqs = [*seqs, size - 1]
    entries = proven_entries(ledger, seqs, size)
    return ProofBundle(
        checkpoint=note,
        logKey=str(log_key),
        size=size,
        entries=entries,
        cosignatures=cosignatures,
        statusMap=status_map,
    )


def label_proof(ledger: Ledger, link: DigitalLink, keys: Sequence[int], size: int) -> LabelProof:
    """The label check's inputs for ``link``, with the key entries ``keys`` proven at ``size``."""
    return LabelProof(
        gtin=link.gtin,
        lot=link.lot,
        serial=link.serial,
        signature=link.signature,
        keys=proven_entries(ledger, keys, size),
    )


def lab_proof(
    ledger: Ledger, labs: Sequence[LabInfo], seqs: Sequence[int], size: int
) -> list[EntryProof]:
    """The key registrations and approvals of the lab keys that signed entries ``seqs``.

    Only entries before ``size`` (the checkpoint's) are proven; a lab key without an
    approval contributes its registration alone (the verifier then names what is missing).
    """
    approved = {lab.key_id: lab.approved_seq for lab in labs}
    keys = ledger.keys()
    evidence: set[int] = set()
    for seq in seqs:
        if seq >= size:
            continue  # not in the checkpoint's tree: nothing of it is proven
        key_id = ledger.entry(seq).statement.key_id
        if key_id not in approved or key_id not in keys:
            continue
        evidence.add(keys[key_id].registered_seq)
        if approved[key_id] is not None:
            evidence.add(int(approved[key_id] or 0))
    return proven_entries(ledger, evidence, size)


def _page_entry(entry: dict[str, Any]) -> dict[str, Any]:
    # A leaf is canonical JSON: as text, gzip shrinks it (and the facts it repeats) far
    # better than its base64, which a phone decodes back to the very same bytes.
    leaf = base64.b64decode(entry["leaf"])
    try:
        text = leaf.decode("utf-8")
    except UnicodeDecodeError:
        return entry  # not UTF-8: only base64 carries it exactly
    return {"index": entry["index"], "text": text, "proof": entry["proof"]}


def page_proof_json(bundle: ProofBundle) -> str:
    """The bundle as the page inlines it, in a ``<script type="application/json">``.

    Each leaf travels as its UTF-8 text (``text``) instead of base64 (``leaf``), which
    ``verify.js`` encodes back to the same bytes before hashing: the page's largest part
    compresses about a third better. ``<`` is escaped so no string can close the script
    element. The JSON answer keeps base64 leaves.
    """
    data = bundle.model_dump()
    data["entries"] = [_page_entry(e) for e in data["entries"]]
    if data.get("label") is not None:
        data["label"]["keys"] = [_page_entry(e) for e in data["label"]["keys"]]
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c")


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
    """What a lot page inlines: the fact derivation, the map check, then the checker."""
    static = files("verifier_app") / "static"
    facts = (static / "facts.js").read_text(encoding="utf-8")
    status_map = (static / "statusmap.js").read_text(encoding="utf-8")
    return "\n".join(
        [compact_script(facts), compact_script(status_map), compact_script(verify_script())]
    )
