"""The rules of a decision on a complaint: one per complaint, about its lot, after its action.

A decision is the regulator's accountable answer to a complaint (who signed it, the rule it
applies, the action, the reason). It is refused when:

- ``decision-once``: the complaint was already decided (a second decision would leave two
  answers to one complaint; a later change of mind is a new hold, release or recall);
- ``decision-same-lot``: it names another lot than the complaint;
- ``decision-follows-action``: its action is ``hold`` or ``recall`` but the entry just
  before it is not a hold the regulator placed on that lot, or a recall of that lot — the
  decision says what was done, and the entry that did it stands next to it on the log.

Pure: facts in, a refusal naming the rule out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from traceability._errors import LifecycleError
from traceability.rules._refusals import lot_code

__all__ = ["ACTION_KINDS", "PreviousEntry", "check_decision"]

#: Decision action -> the entry kind that must directly precede the decision.
ACTION_KINDS: Final = {"hold": "trace.hold", "recall": "trace.recall"}


@dataclass(frozen=True)
class PreviousEntry:
    """The entry just before a decision: its kind, the lot it names, who placed a hold.

    ``authority`` is the role that placed a hold (None for a recall: any recall of the lot
    carries the decision out; the lifecycle already refuses a second one).
    """

    kind: str
    lot: str
    authority: str | None


def check_decision(
    *,
    complaint: int,
    complaint_lot: str,
    decided: int | None,
    lot: str,
    action: str,
    previous: PreviousEntry | None,
) -> None:
    """Refuse a decision on complaint entry ``complaint`` that breaks a rule (module doc).

    Args:
        complaint: the complaint's entry.
        complaint_lot: the lot key the complaint names.
        decided: the entry of an earlier decision on it, or None.
        lot: the lot key the decision names.
        action: the decision's action.
        previous: the entry just before the decision (None for the first entry).

    Raises:
        LifecycleError: ``decision-once``, ``decision-same-lot`` or
            ``decision-follows-action``.
    """
    if decided is not None:
        raise LifecycleError(
            "decision-once",
            f"complaint {complaint} was decided at entry {decided}; a complaint has one decision",
            {"complaint": complaint, "entry": decided},
        )
    if lot != complaint_lot:
        raise LifecycleError(
            "decision-same-lot",
            f"complaint {complaint} is about lot {lot_code(complaint_lot)}, "
            f"the decision names {lot_code(lot)}",
            {"complaint": complaint, "lot": lot_code(lot), "expected": lot_code(complaint_lot)},
        )
    kind = ACTION_KINDS.get(action)
    if kind is None:
        return
    if (
        previous is None
        or previous.kind != kind
        or previous.lot != lot
        or (kind == "trace.hold" and previous.authority != "regulator")
    ):
        raise LifecycleError(
            "decision-follows-action",
            f"a {action} decision on lot {lot_code(lot)} must directly follow the "
            f"{kind} of that lot (a hold the regulator placed); record both in one batch",
            {"action": action, "lot": lot_code(lot)},
        )
