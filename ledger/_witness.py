"""The witness's side of checkpoints: check a new checkpoint, then cosign it.

A witness (in agritrace, a regulator) keeps the last checkpoint it cosigned for a log. Given
a newer one it checks, in order: the log's signature; that the tree did not shrink; the
consistency proof from its old root to the new one (RFC 9162 §2.1.4). Only then does it add a
C2SP ``tlog-cosignature/v1``. A log that rewrites history can therefore not collect a
cosignature from any witness that saw the old history. Pure: bytes in, line or error out.
"""

from __future__ import annotations

from collections.abc import Sequence

from ledger._checkpoint import Checkpoint, open_checkpoint
from ledger._cosignature import Cosigner
from ledger._errors import NoteError
from ledger._merkle import verify_consistency
from ledger._note import NoteVerifier

__all__ = ["witness_checkpoint"]


def witness_checkpoint(
    note: bytes,
    origin: str,
    log_key: NoteVerifier,
    cosigner: Cosigner,
    timestamp: int,
    previous: Checkpoint | None = None,
    proof: Sequence[bytes] = (),
) -> str:
    """Check ``note`` as a witness and return the cosignature line for it.

    Args:
        note: the log's signed checkpoint.
        origin: the log's origin, as the witness knows it.
        log_key: the log's checkpoint verifier key, as the witness knows it.
        cosigner: the witness's key.
        timestamp: seconds since the epoch to put in the cosignature.
        previous: the last checkpoint this witness cosigned for the log, if any.
        proof: the consistency proof from ``previous.size`` to the new size.

    Raises:
        NoteError: the note does not verify, or is for another log.
        ProofError: the new tree is not an extension of ``previous``.
    """
    checkpoint, _ = open_checkpoint(note, origin, log_key)
    if previous is not None:
        if previous.origin != checkpoint.origin:
            raise NoteError(f"previous checkpoint is for {previous.origin!r}, not {origin!r}")
        if checkpoint.size < previous.size:
            raise NoteError(
                f"the log shrank: expected a size >= {previous.size}, got {checkpoint.size}"
            )
        if previous.size > 0:
            verify_consistency(
                previous.size, checkpoint.size, proof, previous.root_hash, checkpoint.root_hash
            )
    return cosigner.cosign(checkpoint, timestamp)
