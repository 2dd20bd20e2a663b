r"""The witness side of C2SP ``tlog-witness``: ``add-checkpoint`` as pure protocol logic.

A request body is ``old <size>\n``, zero to 63 base64 consistency-proof lines, an empty line,
then the log's signed checkpoint. The witness answers with its cosignature line(s), or
refuses with the error the spec names (the app maps each to its status code):

===============================  ======  ==============================================
refusal                          status  when
===============================  ======  ==============================================
:class:`WitnessRequestError`     400     malformed body; old size above the new size
:class:`UntrustedLogError`       403     no signature by a key trusted for the origin
:class:`UnknownLogError`         404     the origin is not a log this witness follows
:class:`WitnessConflictError`    409     old size is not the latest cosigned size (the
                                         body says which), or same size, other root
:class:`WitnessProofError`       422     the consistency proof does not verify
:class:`WitnessCheckError`       422     the witness's own check of the checkpoint's
                                         content (``check``, e.g. the domain's map
                                         replay) refuses it
:class:`WitnessUnavailableError` 503     that check cannot run now (e.g. the log's
                                         entries cannot be fetched): submit again later
===============================  ======  ==============================================

A checkpoint refused with 409 (same size, other root) or 422 whose signature verified is
kept as evidence: it is the log's own signature on a history its earlier checkpoint
contradicts, or on content the witness's check refutes.

The ledger knows nothing of what the entries mean; a layer above may give the witness a
``check`` (:class:`CheckpointCheck`), called after the signature and consistency passed and
before cosigning, that refuses with :class:`WitnessCheckError` or
:class:`WitnessUnavailableError` (``traceability.StatusMapWitnessCheck`` replays the log and
recomputes the lot-status map).
"""

from __future__ import annotations

import base64
import binascii
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from ledger._checkpoint import Checkpoint
from ledger._cosignature import Cosigner
from ledger._errors import LedgerError, NoteError, ProofError
from ledger._merkle import HASH_SIZE, verify_consistency
from ledger._note import NoteVerifier, open_note, parse_note
from ledger._witness_state import WitnessStateFile

__all__ = [
    "AddCheckpoint",
    "CheckpointCheck",
    "LogWitness",
    "UnknownLogError",
    "UntrustedLogError",
    "WitnessCheckError",
    "WitnessConflictError",
    "WitnessError",
    "WitnessProofError",
    "WitnessRequestError",
    "WitnessUnavailableError",
]

#: tlog-witness: "The client MUST NOT send more than 63 consistency proof lines."
MAX_PROOF_LINES = 63
_OLD = re.compile(rb"old (0|[1-9][0-9]{0,19})")


class WitnessError(LedgerError):
    """A witness refuses an ``add-checkpoint`` request."""


class WitnessRequestError(WitnessError):
    """The request body is malformed, or its old size exceeds the checkpoint's (400)."""


class UntrustedLogError(WitnessError):
    """No signature on the checkpoint verifies with a key trusted for its origin (403)."""


class UnknownLogError(WitnessError):
    """The checkpoint's origin is not a log this witness follows (404)."""


class WitnessConflictError(WitnessError):
    """The old size is not the witness's latest cosigned size, or the roots differ (409).

    Attributes:
        known_size: The size of the latest checkpoint the witness cosigned for the log.
    """

    def __init__(self, message: str, known_size: int) -> None:
        super().__init__(message)
        self.known_size = known_size


class WitnessProofError(WitnessError):
    """The consistency proof from the old size to the checkpoint does not verify (422)."""


class WitnessCheckError(WitnessError):
    """The witness's own check of what the checkpoint commits to refuses it (422)."""


class WitnessUnavailableError(WitnessError):
    """The witness cannot run its check now, e.g. the log is unreachable (503, retry).

    Attributes:
        retry_after: Seconds the client should wait before submitting again.
    """

    def __init__(self, message: str, retry_after: int = 30) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class CheckpointCheck(Protocol):
    """A witness's extra check of a checkpoint that passed signature and consistency."""

    def __call__(self, checkpoint: Checkpoint, note: bytes) -> None:
        """Return to let the witness cosign; raise to refuse.

        Raises:
            WitnessCheckError: the checkpoint's content is refuted (422, kept as evidence).
            WitnessUnavailableError: the check cannot run now (503, submit again later).
        """


@dataclass(frozen=True)
class AddCheckpoint:
    """A parsed ``add-checkpoint`` request body.

    Attributes:
        old_size: The size of the checkpoint the client believes the witness holds.
        proof: The consistency proof hashes from ``old_size`` to the new checkpoint.
        note: The signed checkpoint note, as sent.
    """

    old_size: int
    proof: tuple[bytes, ...]
    note: bytes

    @classmethod
    def parse(cls, body: bytes) -> AddCheckpoint:
        """Parse a request body strictly.

        Raises:
            WitnessRequestError: not ``old N``, a proof line that is not base64 of 32 bytes,
                more than 63 proof lines, or no empty line before the checkpoint.
        """
        head, blank, note = body.partition(b"\n\n")
        if not blank:
            raise WitnessRequestError("expected 'old <size>', proof lines, an empty line")
        first, *lines = head.split(b"\n")
        match = _OLD.fullmatch(first)
        if match is None:
            raise WitnessRequestError(
                f"first line: expected 'old <size>' without leading zeroes, got {first[:40]!r}"
            )
        if len(lines) > MAX_PROOF_LINES:
            raise WitnessRequestError(
                f"expected at most {MAX_PROOF_LINES} proof lines, got {len(lines)}"
            )
        proof = []
        for number, line in enumerate(lines, 2):
            try:
                value = base64.b64decode(line, validate=True)
            except binascii.Error as e:
                raise WitnessRequestError(f"line {number}: proof hash is not base64") from e
            if len(value) != HASH_SIZE:
                raise WitnessRequestError(
                    f"line {number}: expected a {HASH_SIZE}-byte hash, got {len(value)} bytes"
                )
            proof.append(value)
        return cls(int(match.group(1)), tuple(proof), note)

    def body(self) -> bytes:
        """Return the request body (the inverse of :meth:`parse`)."""
        lines = [f"old {self.old_size}\n".encode()]
        lines += [base64.b64encode(h) + b"\n" for h in self.proof]
        return b"".join(lines) + b"\n" + self.note


class LogWitness:
    """A witness: its cosigning key, the logs it follows and their keys, and its state.

    Args:
        cosigner: The witness's cosignature key (tlog-cosignature/v1).
        logs: Trusted checkpoint keys by log origin.
        state: Where the latest cosigned checkpoint of each log is kept.
        clock: Seconds since the epoch for cosignature timestamps.
        checks: Extra checks by log origin (:class:`CheckpointCheck`), run after the
            signature and consistency passed, before cosigning; a log without one is
            cosigned on those alone.
    """

    def __init__(
        self,
        cosigner: Cosigner,
        logs: Mapping[str, Sequence[NoteVerifier]],
        state: WitnessStateFile,
        clock: Callable[[], float] = time.time,
        checks: Mapping[str, CheckpointCheck] | None = None,
    ) -> None:
        self.cosigner = cosigner
        self.logs = {origin: tuple(keys) for origin, keys in logs.items()}
        self.state = state
        self.clock = clock
        self.checks = dict(checks or {})

    def add_checkpoint(self, body: bytes) -> str:
        """Check an ``add-checkpoint`` request; cosign, persist and return the signature line.

        Raises:
            WitnessError: a refusal, of the subclass naming the spec's status.
        """
        request = AddCheckpoint.parse(body)
        try:
            origin = Checkpoint.parse(parse_note(request.note).text).origin
        except NoteError as e:
            raise WitnessRequestError(f"checkpoint: {e}") from e
        keys = self.logs.get(origin)
        if keys is None:
            raise UnknownLogError(f"this witness does not follow the log {origin!r}")
        try:
            checkpoint = _open(request.note, origin, keys)
        except NoteError as e:
            raise UntrustedLogError(f"checkpoint of {origin!r}: {e}") from e
        if request.old_size > checkpoint.size:
            raise WitnessRequestError(
                f"old size {request.old_size} exceeds the checkpoint size {checkpoint.size}"
            )
        with self.state.update(origin) as record:
            latest = self._latest(record.checkpoint, origin, keys)
            known = latest.size if latest else 0
            if request.old_size != known:
                raise WitnessConflictError(
                    f"old size {request.old_size}: the latest checkpoint this witness "
                    f"cosigned for {origin!r} has size {known}",
                    known,
                )
            try:
                self._check_consistent(latest, checkpoint, request.proof)
            except WitnessError as e:
                # The log signed a tree its earlier checkpoint contradicts: keep the proof.
                record.add_evidence(str(e), body)
                raise
            check = self.checks.get(origin)
            if check is not None:
                try:
                    check(checkpoint, request.note)
                except WitnessCheckError as e:
                    # Signed by the log, refuted by the witness's replay: keep it.
                    record.add_evidence(str(e), body)
                    raise
            line = self.cosigner.cosign(checkpoint, int(self.clock()))
            record.checkpoint = request.note.decode()
        return line

    @staticmethod
    def _latest(note: str | None, origin: str, keys: Sequence[NoteVerifier]) -> Checkpoint | None:
        if note is None:
            return None
        return _open(note.encode(), origin, keys)

    @staticmethod
    def _check_consistent(
        latest: Checkpoint | None, new: Checkpoint, proof: Sequence[bytes]
    ) -> None:
        if latest is None or latest.size == 0:
            if proof:
                raise WitnessProofError(
                    f"expected no proof from size 0, got {len(proof)} proof lines"
                )
            return
        if latest.size == new.size:
            if latest.root_hash != new.root_hash:
                raise WitnessConflictError(
                    f"a different root at size {new.size}: the log forked", latest.size
                )
            if proof:
                raise WitnessProofError(f"expected no proof for equal sizes, got {len(proof)}")
            return
        try:
            verify_consistency(latest.size, new.size, proof, latest.root_hash, new.root_hash)
        except ProofError as e:
            raise WitnessProofError(
                f"consistency proof from {latest.size} to {new.size}: {e}"
            ) from e


def _open(note: bytes, origin: str, keys: Sequence[NoteVerifier]) -> Checkpoint:
    """Verify a checkpoint note with any of the log's trusted keys (unknown keys ignored)."""
    checkpoint = Checkpoint.parse(open_note(note, keys).text)
    if checkpoint.origin != origin:
        raise NoteError(f"checkpoint origin: expected {origin!r}, got {checkpoint.origin!r}")
    return checkpoint
