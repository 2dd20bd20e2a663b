"""What a regulator's witness checks in the domain before it cosigns a checkpoint.

The ledger's witness (:class:`ledger.LogWitness`, ``witness_checkpoint``) checks the log's
signature and that the new tree extends the one it cosigned before: history did not change.
It cannot know whether the lot-status map the checkpoint ends with is the map of the log.
:func:`check_before_cosigning` adds that: the checkpoint must end with a
``trace.status_map`` entry covering every entry before it (else a phone cannot check the
page for omissions), and a replay of the log (:func:`~traceability.check_projection`)
must reproduce every map root up to it. A witness that calls it first therefore refuses
to cosign a wrong or stale map, so a green page rests on a root an auditor recomputed.

:class:`StatusMapWitnessCheck` is the same check for the HTTP witness
(``POST /witness/add-checkpoint``), which is handed only a signed note: it follows the log
as a :class:`~traceability.DomainMirror` (its entries, verified, and its own projection,
replayed incrementally), so each map entry is recomputed once, when the mirror takes it.
"""

from __future__ import annotations

import threading
from collections.abc import Collection

from ledger import (
    Checkpoint,
    ForkError,
    Ledger,
    LedgerError,
    MirrorError,
    MirrorNetworkError,
    WitnessCheckError,
    WitnessUnavailableError,
    parse_note,
)
from traceability._errors import TraceError
from traceability._mirror_follow import DomainMirror
from traceability._regulator_anchor import RegulatorKeyError, check_regulator_keys
from traceability._seal import is_sealing_entry
from traceability.events._events import StatusMap
from traceability.projection._anomalies import refused_entries
from traceability.projection._check import check_projection
from traceability.projection._replay import catch_up

__all__ = ["StatusMapError", "StatusMapWitnessCheck", "check_before_cosigning"]


class StatusMapError(TraceError):
    """The checkpoint's lot-status map is missing, stale, or not what the log gives."""


def _check_sealed(ledger: Ledger, size: int) -> None:
    if size == 0:
        raise StatusMapError("the checkpoint is of an empty log: no lot-status map")
    last = ledger.entry(size - 1).statement
    if not is_sealing_entry(last.kind, last.body, size - 1):
        raise StatusMapError(
            f"entry {size - 1}, the checkpoint's last, is {last.kind}, not a "
            f"trace.status_map of the {size - 1} entries before it: refusing to cosign"
        )


def check_before_cosigning(
    ledger: Ledger, note: str, regulator_keys: Collection[bytes] = ()
) -> None:
    """Refuse (raise) unless ``note``'s checkpoint ends with a map a replay reproduces.

    Args:
        ledger: The log the checkpoint is of (its projection tables must exist).
        note: The signed checkpoint the witness is asked to cosign.
        regulator_keys: The regulator's own public keys (raw Ed25519): when given, no other
            key may hold the regulator role in the log (:mod:`traceability._regulator_anchor`).

    Raises:
        StatusMapError: the last entry is not a ``trace.status_map`` of the entries before
            it, or a map entry up to it states a root the replay does not give (named).
        RegulatorKeyError: a key not among ``regulator_keys`` holds the regulator role.
    """
    size = Checkpoint.parse(parse_note(note.encode()).text).size
    _check_sealed(ledger, size)
    if regulator_keys:
        check_regulator_keys(ledger, size, regulator_keys)
    catch_up(ledger)  # the replay covers what the projection has applied: all of the log
    faults = [f for f in check_projection(ledger).map_faults if f.seq < size]
    if faults:
        named = "; ".join(f.describe() for f in faults)
        raise StatusMapError(f"refusing to cosign: {named}")


class StatusMapWitnessCheck:
    """A :class:`ledger.CheckpointCheck` for one log: recompute its map before cosigning.

    Given a checkpoint that passed the witness's signature and consistency checks, it
    brings the mirror up to at least the checkpoint's size (a sync over the log's tiles),
    checks that the mirrored tree at that size has the checkpoint's root (so the entries
    replayed are the ones the checkpoint commits to), replays the new entries into the
    mirror's projection — which recomputes every ``trace.status_map`` root and refuses one
    it does not reproduce — and then requires that the checkpoint end with a map of every
    entry before it and that no map entry up to it was refused.

    With ``regulator_keys`` (the regulator's own public keys) it also refuses a log in
    which any other key holds the regulator role: the cooperative registers every key, so
    only the witness can tell the regulator's keys from one the cooperative made.

    Args:
        mirror: The witness's mirror of the log (its own database).
        regulator_keys: Raw Ed25519 public keys of the regulator; empty: not checked.
    """

    def __init__(self, mirror: DomainMirror, regulator_keys: Collection[bytes] = ()) -> None:
        self.mirror = mirror
        self.regulator_keys = frozenset(regulator_keys)
        self._lock = threading.Lock()  # one sync and replay at a time per mirror

    def __call__(self, checkpoint: Checkpoint, note: bytes) -> None:
        """Refuse (raise) unless a replay reproduces the map ``checkpoint`` ends with.

        Raises:
            ledger.WitnessCheckError: the map is missing, stale or false (422), or the
                log's served entries are not the checkpoint's (a fork).
            ledger.WitnessUnavailableError: the log's entries cannot be fetched now (503).
        """
        with self._lock:
            self._bring_to(checkpoint.size)
            ledger = self.mirror.ledger
            if ledger.root(checkpoint.size) != checkpoint.root_hash:
                raise WitnessCheckError(
                    f"the log's entries at size {checkpoint.size} are not the ones this "
                    "checkpoint commits to (another root): refusing to cosign"
                )
            self.mirror.replay()
            try:
                _check_sealed(ledger, checkpoint.size)
            except StatusMapError as e:
                raise WitnessCheckError(str(e)) from e
            faults = [
                f"trace.status_map entry {seq} does not reproduce: {error}"
                for seq, error in refused_entries(ledger, checkpoint.size)
                if ledger.entry(seq).statement.kind == StatusMap.KIND
            ]
            if faults:
                raise WitnessCheckError(f"refusing to cosign: {'; '.join(faults)}")
            if self.regulator_keys:
                try:
                    check_regulator_keys(ledger, checkpoint.size, self.regulator_keys)
                except RegulatorKeyError as e:
                    raise WitnessCheckError(str(e)) from e

    def _bring_to(self, size: int) -> None:
        if self.mirror.ledger.size() >= size:
            return
        try:
            self.mirror.sync()
        except MirrorNetworkError as e:
            raise WitnessUnavailableError(
                f"cannot fetch the log's entries to recompute its lot-status map: {e}"
            ) from e
        except ForkError as e:
            raise WitnessCheckError(f"the log's tiles contradict its checkpoints: {e}") from e
        except (MirrorError, LedgerError) as e:
            # Bad tiles may be a broken cache in front of the log: not evidence, try later.
            raise WitnessUnavailableError(f"the log's tiles do not verify: {e}") from e
        held = self.mirror.ledger.size()
        if held < size:
            raise WitnessUnavailableError(
                f"the log serves {held} entries, fewer than the checkpoint's {size}: "
                "submit again once its tiles cover the checkpoint"
            )
