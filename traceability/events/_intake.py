"""A lot taken in from another cooperative's log (``trace.intake``): the link between two logs.

An alliance's packing centre (or any member) keeps its own log. When cooperative A ships a
lot to it, A's log holds the ``trace.shipping`` entry; the centre's log then records a
``trace.intake`` naming that entry exactly: A's log (its origin line), the shipment, the lot
as A knows it, the entry's position (``source_seq``) and its RFC 6962 leaf hash
(``source_leaf``, hex, as a record's ``prev``). From then on the lot is the centre's like
any lot of its own (packed, graded, processed, tested, released under its rules).

No database joins two logs, so the link is checked where both logs are read:
:mod:`traceability._alliance_links` verifies that A's entry at ``source_seq`` has that leaf
hash, is a shipping of that shipment to the intake's site, and carries that lot
(docs/adr/0024-county-cross-log-intake.md).
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator

from traceability._errors import ValidationError
from traceability.events._events import LotRef
from traceability.events._model import Amount, LocalId, Model, Text, Time

__all__ = ["INTAKE_TYPES", "Intake"]


class Intake(Model):
    """A lot received from another member's log, named by the shipping entry that sent it.

    Attributes:
        lot: the lot as this log knows it from now on (often the source's own GTIN and lot).
        quantity: what was taken in (``unit``: kilograms or pieces).
        site: where it was received; the source shipment's ``destination`` must name it.
        source_log: the origin line of the source log (its checkpoints' first line).
        source_lot: the lot as the source log names it.
        source_shipment: the shipment id in the source log.
        source_seq: the position of the source's ``trace.shipping`` entry.
        source_leaf: that entry's RFC 6962 leaf hash, 64 lowercase hex digits.
        time: when it was taken in.
    """

    KIND: ClassVar[str] = "trace.intake"
    lot: LotRef
    quantity: Amount
    unit: Literal["KGM", "H87"] = "KGM"
    site: LocalId
    source_log: Text = Field(max_length=200)
    source_lot: LotRef
    source_shipment: LocalId
    source_seq: int = Field(ge=1, le=2**53 - 1)  # entry 0 is the genesis, never a shipping
    source_leaf: str = Field(pattern=r"^[0-9a-f]{64}$")
    time: Time

    @model_validator(mode="after")
    def _one_line_origin(self) -> Intake:
        # tlog-checkpoint: the origin is one non-empty line (checked again on the source).
        if any(c.isspace() and c != " " for c in self.source_log):
            raise ValidationError("source_log", "a log origin on one line", self.source_log)
        return self


#: Statement kind -> model, merged into :data:`traceability.events._events.EVENT_TYPES`.
INTAKE_TYPES: dict[str, type[Model]] = {Intake.KIND: Intake}
