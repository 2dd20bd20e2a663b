"""What a regulator's witness checks in the domain before it cosigns a checkpoint.

The ledger's witness (:class:`ledger.LogWitness`, ``witness_checkpoint``) checks the log's
signature and that the new tree extends the one it cosigned before: history did not change.
It cannot know whether the lot-status map the checkpoint ends with is the map of the log.
:func:`check_before_cosigning` adds that: the checkpoint must end with a
``trace.status_map`` entry covering every entry before it (else a phone cannot check the
page for omissions), and a replay of the log (:func:`~traceability.check_projection`)
must reproduce every map root up to it. A witness that calls it first therefore refuses
to cosign a wrong or stale map, so a green page rests on a root an auditor recomputed.
"""

from __future__ import annotations

from ledger import Checkpoint, Ledger, parse_note
from traceability._errors import TraceError
from traceability._seal import is_sealing_entry
from traceability.projection._check import check_projection
from traceability.projection._replay import catch_up

__all__ = ["StatusMapError", "check_before_cosigning"]


class StatusMapError(TraceError):
    """The checkpoint's lot-status map is missing, stale, or not what the log gives."""


def check_before_cosigning(ledger: Ledger, note: str) -> None:
    """Refuse (raise) unless ``note``'s checkpoint ends with a map a replay reproduces.

    Args:
        ledger: The log the checkpoint is of (its projection tables must exist).
        note: The signed checkpoint the witness is asked to cosign.

    Raises:
        StatusMapError: the last entry is not a ``trace.status_map`` of the entries before
            it, or a map entry up to it states a root the replay does not give (named).
    """
    size = Checkpoint.parse(parse_note(note.encode()).text).size
    if size == 0:
        raise StatusMapError("the checkpoint is of an empty log: no lot-status map")
    last = ledger.entry(size - 1).statement
    if not is_sealing_entry(last.kind, last.body, size - 1):
        raise StatusMapError(
            f"entry {size - 1}, the checkpoint's last, is {last.kind}, not a "
            f"trace.status_map of the {size - 1} entries before it: refusing to cosign"
        )
    catch_up(ledger)  # the replay covers what the projection has applied: all of the log
    faults = [f for f in check_projection(ledger).map_faults if f.seq < size]
    if faults:
        named = "; ".join(f.describe() for f in faults)
        raise StatusMapError(f"refusing to cosign: {named}")
