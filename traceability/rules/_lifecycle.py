"""The lot lifecycle as an explicit table.

Which action is allowed in which state, and where it leads. Anything not in the table is
refused with the rule's name.

Quality conditions that are not about the state alone (release needs every required test
passed and no failing result) are checked by the recorder and named the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from traceability._errors import LifecycleError
from traceability.rules._refusals import lot_code

__all__ = ["TABLE", "Action", "LotStatus", "Transition", "transition"]


class LotStatus(StrEnum):
    """Where a lot stands."""

    ACTIVE = "active"  # recorded, not yet released for sale
    RELEASED = "released"  # required tests passed, released by the cooperative
    ON_HOLD = "on_hold"  # retained: failing result, cold-chain excursion or manual hold
    CONSUMED = "consumed"  # graded or processed into other lots
    SHIPPED = "shipped"  # left with a shipment
    RECEIVED = "received"  # arrived at the receiver
    RECALLED = "recalled"  # withdrawn, with everything derived from it (terminal)


class Action(StrEnum):
    """What can happen to an existing lot."""

    COOL = "cool"
    GRADE = "grade"  # as the input of a grading
    TEST = "test"
    PACK = "pack"
    LABEL = "label"  # print a sale label (no ledger entry; checked before printing)
    SHIP = "ship"
    RECEIVE = "receive"
    PROCESS = "process"  # as an input of processing
    HOLD = "hold"
    RELEASE = "release"
    RECALL = "recall"


@dataclass(frozen=True)
class Transition:
    """One row of the table: the states an action is allowed from and the state it leads to.

    ``to`` None keeps the lot's state; so does being in ``stays`` (a held lot that arrives
    is still held).
    """

    rule: str
    allowed: frozenset[LotStatus]
    to: LotStatus | None
    stays: frozenset[LotStatus] = frozenset()


_A, _R, _H, _C, _S, _V = (
    LotStatus.ACTIVE,
    LotStatus.RELEASED,
    LotStatus.ON_HOLD,
    LotStatus.CONSUMED,
    LotStatus.SHIPPED,
    LotStatus.RECEIVED,
)


def _row(
    rule: str, allowed: set[LotStatus], to: LotStatus | None, stays: set[LotStatus] | None = None
) -> Transition:
    return Transition(rule, frozenset(allowed), to, frozenset(stays or ()))


#: The lifecycle. "Listed only after passing": label and ship need RELEASED; a held lot
#: moves nowhere until released ("local retention"); a recalled lot accepts nothing.
TABLE: Mapping[Action, Transition] = {
    Action.COOL: _row("cool-only-before-shipping", {_A, _R, _H}, None),
    Action.GRADE: _row("grade-only-active-or-released", {_A, _R}, _C),
    Action.TEST: _row("test-not-after-recall", {_A, _R, _H, _C, _S, _V}, None),
    Action.PACK: _row("pack-only-active-or-released", {_A, _R}, None),
    Action.LABEL: _row("label-requires-released", {_R}, None),
    Action.SHIP: _row("ship-requires-released", {_R}, _S),
    # A lot held while in transit (failing result, manual hold) still arrives, held.
    Action.RECEIVE: _row("receive-requires-shipped", {_S, _H}, _V, {_H}),
    Action.PROCESS: _row("process-only-active-released-or-received", {_A, _R, _V}, _C),
    # A held lot may be held again (the regulator's hold beside the cooperative's): each
    # hold is lifted by its own authority (traceability.rules._holds).
    Action.HOLD: _row("hold-only-movable-lots", {_A, _R, _H, _S, _V}, _H),
    Action.RELEASE: _row("release-only-active-or-held", {_A, _H}, _R),
    Action.RECALL: _row("recall-once", {_A, _R, _H, _C, _S, _V}, LotStatus.RECALLED),
}


def transition(action: Action, status: LotStatus, lot: str) -> LotStatus:
    """Return the state ``action`` leads ``lot`` to from ``status``, or raise.

    Raises:
        LifecycleError: the table does not allow ``action`` in ``status``; names the rule.
    """
    row = TABLE[action]
    if status not in row.allowed:
        allowed = ", ".join(sorted(row.allowed))
        raise LifecycleError(
            row.rule,
            f"cannot {action} lot {lot}: it is {status}; {action} needs {allowed}",
            {"action": action, "lot": lot_code(lot), "status": status, "allowed": allowed},
        )
    return status if row.to is None or status in row.stays else row.to
