"""The label itself, checked on scan: its offline signature and whether its serial was issued.

A label's ``s`` parameter is the cooperative's Ed25519 signature over GTIN, lot and serial
(:mod:`labels._signature`), checked with the label keys registered on the ledger
(:func:`traceability.label_keys`), the same keys the phone checks it with, proven; a serial
(AI 21) is issued by a packing entry on the ledger (:func:`traceability.issued_serials`). A
bad signature, a serialised label without one while the cooperative signs its labels, or a
serial nobody issued is a possible counterfeit, with the reason. A lot-level link without
``s`` (a shared or typed link, the linkset's page links) is only "unsigned": nothing says it
came from a label.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from labels import DigitalLink, LabelSignatureError, verify_link
from traceability import ScanCount

__all__ = ["LabelCheck", "check_label"]

LabelState = Literal["signed", "unsigned", "counterfeit", "not_checked"]
#: Why, as a code the page says in the reader's language (``label_<code>`` wording).
LabelCode = Literal["signed", "unsigned", "never_issued", "bad_signature", "no_signature", "no_key"]


@dataclass(frozen=True)
class LabelCheck:
    """What the scan found about the label (``scans``: counted for an issued serial only).

    ``reason`` is English (the JSON, the logs); ``code`` names it for the page's wording.
    """

    state: LabelState
    reason: str = ""
    scans: ScanCount | None = None
    code: LabelCode = "signed"


def check_label(
    link: DigitalLink, keys: Sequence[Ed25519PublicKey], issued: frozenset[str] | None
) -> LabelCheck:
    """Check the scanned label's signature and serial.

    Args:
        link: The scanned Digital Link (with ``signature`` if the label carries ``s``).
        keys: The cooperative's valid label public keys; none when it signs no labels.
        issued: The serials issued for the link's lot; None when the lot is unknown.
    """
    if link.serial is not None and issued is not None and link.serial not in issued:
        why = f"serial {link.serial} was never issued for this lot"
        return LabelCheck("counterfeit", why, code="never_issued")
    if link.signature is not None:
        if not keys:
            why = "no label key is registered on the ledger"
            return LabelCheck("not_checked", why, code="no_key")
        problem = ""
        for key in keys:  # during a rotation two keys are valid
            try:
                verify_link(link, key)
            except LabelSignatureError as e:
                problem = str(e)
            else:
                return LabelCheck("signed")
        return LabelCheck("counterfeit", f"label {problem}", code="bad_signature")
    if keys and link.serial is not None:
        why = "a serialised label without the cooperative's signature"
        return LabelCheck("counterfeit", why, code="no_signature")
    return LabelCheck("unsigned", "the link carries no label signature", code="unsigned")
