"""The regulator's API: checkpoints, entries and proofs (public), cosigning and audits.

Anyone may fetch checkpoints, entries and proofs: verification must not need permission.
Cosigning a checkpoint and running an audit need a regulator's token. Proofs are encoded as
``agritrace ledger prove-*`` prints them (base64 hashes), and the server checks each proof
before sending it.
"""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from ledger import (
    CosignatureVerifier,
    Ledger,
    NoteError,
    Record,
    verify_consistency,
    verify_inclusion,
)
from verifier_app._deps import Audits, LedgerDep, RegulatorCaller, Witnesses
from verifier_app._drift import drift_state
from verifier_app._errors import BadRequestError, NotFoundError
from verifier_app.regulator._audits import AuditJob

__all__ = ["MAX_ENTRIES_PER_PAGE", "router"]

#: Most entries one ``GET /log/entries`` returns (a page is ~1 MB at most).
MAX_ENTRIES_PER_PAGE = 1000


router = APIRouter(prefix="/api/v1", tags=["regulator"])

_NOTE = "text/plain; charset=utf-8"
_SIG_PREFIX = "\u2014 "  # signed-note signature lines start with an em dash and a space


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


#: Positions and tree sizes beyond this are not ledger positions (the store keys Merkle nodes
#: with 48-bit indexes); bounding them here keeps a huge number from reaching the database.
MAX_POSITION = 2**48


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class Entry(_Out):
    """One log entry: its position, RFC 6962 leaf hash (base64) and the record."""

    seq: int
    leaf_hash: str
    record: dict[str, Any]

    @classmethod
    def of(cls, record: Record) -> Entry:
        """Build from a ledger record."""
        return cls(seq=record.seq, leaf_hash=_b64(record.leaf_hash()), record=record.to_json())


class EntryPage(_Out):
    """A run of entries and the log's size when they were read."""

    size: int
    entries: list[Entry]


class InclusionProof(_Out):
    """An RFC 9162 §2.1.3 inclusion proof, as ``agritrace ledger prove-inclusion`` prints."""

    leaf_index: int
    tree_size: int
    leaf_hash: str
    root_hash: str
    proof: list[str]


class ConsistencyProof(_Out):
    """An RFC 9162 §2.1.4 consistency proof, as ``agritrace ledger prove-consistency``."""

    size1: int
    size2: int
    root1: str
    root2: str
    proof: list[str]


class CosignatureIn(BaseModel):
    """A witness's cosignature line for the stored checkpoint of ``size``."""

    model_config = ConfigDict(extra="forbid", strict=True)

    size: Annotated[int, Field(ge=0, le=MAX_POSITION)]
    cosignature: Annotated[str, Field(min_length=3, max_length=1000)]


class CosignatureOut(_Out):
    """The stored cosignature: which witness, on which size, with what timestamp."""

    size: int
    witness: str
    timestamp: int


class AuditIn(BaseModel):
    """Optional inputs of an audit: what the regulator knows out of band.

    Attributes:
        checkpoint: A signed checkpoint saved earlier; the log must still contain it.
        root_key: The cooperative's root public key (base64 of 32 bytes); the genesis
            entry must name it.
    """

    model_config = ConfigDict(extra="forbid", strict=True)

    checkpoint: Annotated[str | None, Field(max_length=100_000)] = None
    root_key: Annotated[str | None, Field(max_length=100)] = None

    def root_key_bytes(self) -> bytes | None:
        """The root key decoded, or None.

        Raises:
            BadRequestError: not base64 of exactly 32 bytes.
        """
        if self.root_key is None:
            return None
        try:
            raw = base64.b64decode(self.root_key, validate=True)
        except ValueError as e:
            raise BadRequestError("root_key: expected base64", "root_key") from e
        if len(raw) != 32:
            raise BadRequestError(
                f"root_key: expected a 32-byte Ed25519 key, got {len(raw)} bytes", "root_key"
            )
        return raw


class AuditFailureOut(_Out):
    """Where the log first fails (``seq`` is None for a log-wide failure) and why."""

    seq: int | None
    reason: str


class AuditOut(_Out):
    """An audit's progress, and once done its verdict."""

    id: str
    status: str
    requested_by: str
    checked: int
    total: int
    verdict: str | None = None
    failure: AuditFailureOut | None = None
    root_hash: str | None = None
    error: str | None = None

    @classmethod
    def of(cls, job: AuditJob) -> AuditOut:
        """Build from a job snapshot."""
        report = job.report
        failure = None
        if report is not None and report.failure is not None:
            failure = AuditFailureOut(seq=report.failure.seq, reason=report.failure.reason)
        return cls(
            id=job.id,
            status=job.status,
            requested_by=job.requested_by,
            checked=job.checked,
            total=job.total,
            verdict=None if report is None else report.verdict,
            failure=failure,
            root_hash=None if report is None else _b64(report.root),
            error=job.error,
        )


def _size_at_most(ledger: Ledger, size: int, name: str) -> None:
    log_size = ledger.size()
    if size > log_size:
        raise BadRequestError(f"{name}: expected at most the log size {log_size}, got {size}", name)


# --- public: checkpoints, entries, proofs -----------------------------------------------


@router.get(
    "/log/checkpoint",
    response_class=Response,
    responses={200: {"content": {_NOTE: {}}, "description": "C2SP signed note"}},
)
def get_checkpoint(
    ledger: LedgerDep, size: Annotated[int | None, Query(ge=0, le=MAX_POSITION)] = None
) -> Response:
    """Return a signed checkpoint (default: the latest) with every witness cosignature."""
    note = ledger.cosigned_checkpoint(size)
    if note is None:
        what = "no checkpoint yet" if size is None else f"no stored checkpoint of size {size}"
        raise NotFoundError(what, "size")
    return Response(note, media_type=_NOTE)


@router.get("/log/entries")
def get_entries(
    ledger: LedgerDep,
    start: Annotated[int, Query(ge=0, le=MAX_POSITION)] = 0,
    count: Annotated[int, Query(ge=1, le=MAX_ENTRIES_PER_PAGE)] = 100,
) -> EntryPage:
    """Return up to ``count`` entries from ``start`` (fewer at the end of the log)."""
    size = ledger.size()
    if start > size:
        raise BadRequestError(f"start: expected at most the log size {size}, got {start}", "start")
    records = ledger.entries(start, min(start + count, size))
    return EntryPage(size=size, entries=[Entry.of(r) for r in records])


@router.get("/log/entries/{seq}")
def get_entry(ledger: LedgerDep, seq: Annotated[int, Path(le=MAX_POSITION)]) -> Entry:
    """Return the entry at ``seq``."""
    size = ledger.size()
    if not 0 <= seq < size:
        raise NotFoundError(f"no entry {seq}: the log has {size} entries", "seq")
    return Entry.of(ledger.entry(seq))


@router.get("/log/proof/inclusion")
def get_inclusion_proof(
    ledger: LedgerDep,
    seq: Annotated[int, Query(ge=0, le=MAX_POSITION)],
    size: Annotated[int | None, Query(ge=1, le=MAX_POSITION)] = None,
) -> InclusionProof:
    """Prove that entry ``seq`` is in the tree of ``size`` entries (default: all)."""
    log_size = ledger.size()
    if seq >= log_size:
        raise NotFoundError(f"no entry {seq}: the log has {log_size} entries", "seq")
    tree_size = log_size if size is None else size
    _size_at_most(ledger, tree_size, "size")
    if seq >= tree_size:
        raise BadRequestError(
            f"size: expected a tree holding entry {seq} (size > {seq}), got {tree_size}", "size"
        )
    leaf = ledger.entry(seq).leaf_hash()
    proof = ledger.inclusion_proof(seq, tree_size)
    root = ledger.root(tree_size)
    verify_inclusion(seq, tree_size, leaf, proof, root)
    return InclusionProof(
        leaf_index=seq,
        tree_size=tree_size,
        leaf_hash=_b64(leaf),
        root_hash=_b64(root),
        proof=[_b64(h) for h in proof],
    )


@router.get("/log/proof/consistency")
def get_consistency_proof(
    ledger: LedgerDep,
    size1: Annotated[int, Query(ge=1, le=MAX_POSITION)],
    size2: Annotated[int | None, Query(ge=1, le=MAX_POSITION)] = None,
) -> ConsistencyProof:
    """Prove that the tree of ``size2`` entries (default: all) extends that of ``size1``."""
    newer = ledger.size() if size2 is None else size2
    _size_at_most(ledger, newer, "size2")
    if size1 > newer:
        raise BadRequestError(f"size1: expected at most size2 {newer}, got {size1}", "size1")
    proof = ledger.consistency_proof(size1, newer)
    root1, root2 = ledger.root(size1), ledger.root(newer)
    verify_consistency(size1, newer, proof, root1, root2)
    return ConsistencyProof(
        size1=size1,
        size2=newer,
        root1=_b64(root1),
        root2=_b64(root2),
        proof=[_b64(h) for h in proof],
    )


# --- regulators: cosigning, audits ------------------------------------------------------


def _witness_for(line: str, witnesses: dict[str, CosignatureVerifier]) -> CosignatureVerifier:
    if not line.startswith(_SIG_PREFIX) or line.count(" ") != 2:
        raise NoteError("cosignature: expected one line '\u2014 <name> <base64>'")
    name = line.split(" ")[1]
    verifier = witnesses.get(name)
    if verifier is None:
        raise NoteError(f"cosignature: {name!r} is not a configured witness")
    return verifier


@router.post("/log/cosignatures", status_code=status.HTTP_201_CREATED)
def post_cosignature(
    body: CosignatureIn, ledger: LedgerDep, witnesses: Witnesses, _: RegulatorCaller
) -> CosignatureOut:
    """Store a witness's cosignature on a stored checkpoint, once it verifies."""
    line = body.cosignature.removesuffix("\n")
    if "\n" in line:
        raise NoteError("cosignature: expected one line, got several")
    verifier = _witness_for(line, witnesses)
    if ledger.cosigned_checkpoint(body.size) is None:
        raise NotFoundError(f"no stored checkpoint of size {body.size}", "size")
    timestamp = ledger.add_cosignature(line, verifier, body.size)
    return CosignatureOut(size=body.size, witness=verifier.name, timestamp=timestamp)


@router.get("/drift")
def get_drift(request: Request, _: RegulatorCaller) -> dict[str, Any]:
    """What the server's check of its projection against the log found (rows that differ)."""
    return drift_state(request.app).as_json()


@router.post("/audits", status_code=status.HTTP_202_ACCEPTED)
def post_audit(audits: Audits, caller: RegulatorCaller, body: AuditIn | None = None) -> AuditOut:
    """Start an audit of the whole log in the background; poll ``GET /audits/{id}``."""
    body = body or AuditIn()
    held = body.checkpoint.encode() if body.checkpoint else None
    return AuditOut.of(audits.start(caller.actor, held, body.root_key_bytes()))


@router.get("/audits/{audit_id}")
def get_audit(audit_id: str, audits: Audits, _: RegulatorCaller) -> AuditOut:
    """Return an audit's progress (entries checked of total) and, once done, its verdict."""
    job = audits.get(audit_id)
    if job is None:
        raise NotFoundError(f"no audit {audit_id!r}", "id")
    return AuditOut.of(job)
