"""The audit's checks against checkpoints: stored ones, a held one, and witnesses' cosignatures.

A stored checkpoint must name the recomputed root at its size and verify with the log key
the genesis entry names. A checkpoint the caller held from earlier, and every stored
cosignature by a witness the caller names, are anchors outside the log: they catch a log cut
or rewritten even by whoever holds the log key. Pure: rows and roots in, failures out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledger._checkpoint import Checkpoint, open_checkpoint
from ledger._cosignature import CosignatureVerifier, verify_cosignature
from ledger._errors import NoteError
from ledger._keys import KeyRing
from ledger._note import NoteVerifier, parse_note

__all__ = [
    "AuditFailure",
    "check_checkpoints",
    "check_held",
    "check_witness",
    "log_verifier",
    "size_of_held",
]


@dataclass(frozen=True)
class AuditFailure:
    """Where the log first fails, and why. ``seq`` is None for a log-wide failure."""

    seq: int | None
    reason: str


def check_witness(
    witness: CosignatureVerifier,
    cosigned: list[Any],
    checkpoints: dict[int, Any],
    roots: dict[int, bytes],
    origin: str,
    failures: list[AuditFailure],
) -> int | None:
    """Check every stored cosignature by ``witness``; return the largest size it cosigned."""
    largest = None
    for row in cosigned:
        size = int(row.size)
        if row.witness != witness.name or size not in checkpoints or size not in roots:
            continue
        line = str(row.line) if str(row.line).endswith("\n") else f"{row.line}\n"
        try:
            note = parse_note((str(checkpoints[size].note) + line).encode())
            verify_cosignature(Checkpoint(origin, size, roots[size]), note, witness)
        except NoteError as e:
            failures.append(
                AuditFailure(
                    size - 1,
                    f"the checkpoint at size {size} is not what witness {witness.name} "
                    f"cosigned: {e}",
                )
            )
            continue
        largest = size if largest is None else max(largest, size)
    if largest is None:
        failures.append(
            AuditFailure(
                None,
                f"no stored checkpoint carries a valid cosignature by witness {witness.name}: "
                "the history it saw may have been rewritten",
            )
        )
    return largest


def size_of_held(note: bytes | None, failures: list[AuditFailure]) -> int | None:
    """The size of the checkpoint the caller holds (a failure if it does not parse)."""
    if note is None:
        return None
    try:
        return Checkpoint.parse(parse_note(note).text).size
    except NoteError as e:
        failures.append(AuditFailure(None, f"the checkpoint you hold does not parse: {e}"))
        return None


def log_verifier(ring: KeyRing) -> NoteVerifier:
    """The log's checkpoint key, as the replayed genesis entry names it."""
    return NoteVerifier.from_key_string(ring.log_key or "")


def check_checkpoints(
    checkpoints: dict[int, Any],
    roots: dict[int, bytes],
    origin: str,
    ring: KeyRing,
    failures: list[AuditFailure],
) -> int:
    """Check each stored checkpoint's root and note; return how many verified."""
    verified = 0
    for size, row in sorted(checkpoints.items()):
        if size not in roots:
            continue  # beyond the log, or past the first failure: reported already
        if row.root != roots[size]:
            failures.append(
                AuditFailure(size - 1, f"the checkpoint at size {size} signs another root")
            )
            continue
        try:
            checkpoint, _ = open_checkpoint(row.note.encode(), origin, log_verifier(ring))
        except NoteError as e:
            failures.append(
                AuditFailure(size - 1, f"the checkpoint at size {size} does not verify: {e}")
            )
            continue
        if checkpoint.size != size or checkpoint.root_hash != roots[size]:
            failures.append(
                AuditFailure(size - 1, f"the checkpoint note at size {size} names another tree")
            )
            continue
        verified += 1
    return verified


def check_held(
    note: bytes,
    size: int,
    roots: dict[int, bytes],
    origin: str,
    ring: KeyRing,
    total: int,
    failures: list[AuditFailure],
) -> None:
    """The held checkpoint must verify and name the root the log has at its size."""
    try:
        held, _ = open_checkpoint(note, origin, log_verifier(ring))
    except NoteError as e:
        failures.append(AuditFailure(None, f"the checkpoint you hold does not verify: {e}"))
        return
    if size > total:
        failures.append(
            AuditFailure(
                None,
                f"the log was truncated: the checkpoint you hold covers {size} entries, "
                f"the log now has {total}",
            )
        )
    elif roots.get(size) != held.root_hash:
        failures.append(
            AuditFailure(None, f"history was rewritten: the root at size {size} differs")
        )
