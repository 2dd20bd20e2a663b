"""Post-traceability facts: a consumer's complaint about a lot and the regulator's decision.

A complaint arrives from the scan page without an account; the server signs it with its
intake key (role ``intake``, allowed nothing else) so the ledger says it came through the
form (docs/adr/0022-complaints-on-the-ledger.md). Its text is public on the log like every
entry; a contact (phone, e-mail) is personal data and is never signed: the body holds only
``contact_sha256``, the SHA-256 of a random salt and the contact, kept beside the
projection where it can be erased.

A decision is the regulator's accountable answer to one complaint: who (the signing key),
what rule it applies, what action (hold, recall, warning, dismiss) and why. A hold or
recall decision follows the ``trace.hold`` / ``trace.recall`` entry that carries it out
(recorded in the same batch), so every page that shows holds and recalls shows it.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Final, Literal

import pydantic
from pydantic import BeforeValidator, Field

from traceability._text import check_text
from traceability.events._model import LotRef, Model, SerialNo, Text, Time

__all__ = [
    "ACTIONS",
    "CATEGORIES",
    "MAX_COMPLAINT",
    "Complaint",
    "ComplaintAction",
    "ComplaintCategory",
    "Decision",
]

#: The longest complaint or decision reason, in code points: a few paragraphs from a
#: phone, small enough that one complaint is a small entry (the log publishes every byte).
MAX_COMPLAINT: Final = 1000

#: What a consumer may report (the form's choices, one word each in the signed body).
ComplaintCategory = Literal["spoiled", "illness", "foreign_matter", "label", "other"]
CATEGORIES: Final[tuple[str, ...]] = ("spoiled", "illness", "foreign_matter", "label", "other")

#: What a regulator may decide: hold or recall the lot (the decision follows the entry that
#: does it), warn the cooperative, or dismiss the complaint as unfounded.
ComplaintAction = Literal["hold", "recall", "warning", "dismiss"]
ACTIONS: Final[tuple[str, ...]] = ("hold", "recall", "warning", "dismiss")

#: Free text of several lines (a complaint, a decision's reason): the one text policy with
#: newlines allowed, bounded by :data:`MAX_COMPLAINT`.
LongText = Annotated[
    str,
    pydantic.StringConstraints(min_length=1, max_length=MAX_COMPLAINT, strip_whitespace=True),
    BeforeValidator(
        lambda v, i: check_text(v, i.field_name or "text", max_length=MAX_COMPLAINT, multiline=True)
    ),
]


class Complaint(Model):
    """A problem reported about a lot from its scan page (``trace.complaint``).

    Signed by the server's intake key (or a cooperative key, for a complaint taken by
    phone). ``serial`` is the unit whose label was scanned, when the label had one.
    """

    KIND: ClassVar[str] = "trace.complaint"
    lot: LotRef
    serial: SerialNo | None = None
    category: ComplaintCategory
    text: LongText
    #: The language the page was read in: the regulator answers in it.
    language: Literal["zh", "ug", "en"]
    #: SHA-256 (hex) of a 16-byte random salt followed by the contact's UTF-8: commits to a
    #: contact without publishing it; the salt and the contact are kept off the log.
    contact_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    time: Time


class Decision(Model):
    """The regulator's decision on a complaint (``trace.decision``): rule, action, reason.

    ``complaint`` is the complaint's entry; ``lot`` must be the lot it names. A ``hold`` or
    ``recall`` decision must directly follow the regulator's ``trace.hold`` /
    ``trace.recall`` of that lot (rules in :mod:`traceability.rules._complaints`).
    """

    KIND: ClassVar[str] = "trace.decision"
    complaint: int = Field(gt=0, le=2**53 - 1)
    lot: LotRef
    action: ComplaintAction
    #: The rule applied, as a regulator cites it (e.g. 《农产品质量安全法》第四十二条).
    rule: Text
    reason: LongText
    time: Time
