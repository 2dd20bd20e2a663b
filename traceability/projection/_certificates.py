"""Checking a certificate's number against the ledger: the read behind a certificate's QR.

A 承诺达标合格证 issued through the gate is a ``trace.certificate`` entry; its QR code names
that entry (``?cert=N``). :func:`certificate_check` answers, for a scanned lot and number:

- ``valid``: entry N is a certificate the projection accepted for this very lot, the entry
  on the ledger says so too (kind and lot), and the lot is still for sale (released, or
  shipped or received after that);
- ``withdrawn``: it was issued, but the lot is no longer sellable (held, recalled, used up
  in grading or processing); the reason is the lot's;
- ``invalid``: no certificate entry N for this lot (none at all, another kind of entry, a
  certificate of another lot, or an unknown lot).

Only ``valid`` vouches for the certificate; a page never calls the others genuine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Connection, select

from ledger import Ledger
from traceability.events._events import CertificateIssued
from traceability.events._ids import lot_key
from traceability.projection import _schema as t
from traceability.rules._lifecycle import LotStatus

__all__ = ["CertificateCheck", "certificate_check"]

#: Statuses in which a certified lot is still for sale (it left with its certificate).
_SELLABLE = frozenset({LotStatus.RELEASED, LotStatus.SHIPPED, LotStatus.RECEIVED})
#: Ledger positions are at most 18 digits (labels.DigitalLink refuses longer numbers).
_MAX_SEQ = 10**18


@dataclass(frozen=True)
class CertificateCheck:
    """A certificate number checked against the ledger for one lot.

    Attributes:
        number: The certificate's number (its entry's position on the ledger).
        state: ``valid``, ``withdrawn`` or ``invalid`` (see the module).
        reason: Why it is not valid (English, for the JSON and the logs); empty when valid.
        code: The reason as a code the pages translate: ``valid``, ``no_certificate``,
            ``other_lot``, ``unknown_lot`` or ``withdrawn``.
        issued: When it was issued (the entry's time, ISO 8601), if it exists for this lot.
        issuer: Who issued it (the signing key's actor), if it exists for this lot.
        status: The lot's status now, if the lot exists.
    """

    number: int
    state: Literal["valid", "withdrawn", "invalid"]
    reason: str
    code: Literal["valid", "no_certificate", "other_lot", "unknown_lot", "withdrawn"]
    issued: str | None = None
    issuer: str | None = None
    status: str | None = None


def certificate_check(conn: Connection, ledger: Ledger, key: str, number: int) -> CertificateCheck:
    """Check certificate ``number`` of lot ``key`` against the projection and the ledger entry."""
    lot = conn.execute(select(t.lots).where(t.lots.c.key == key)).first()
    if lot is None:
        return CertificateCheck(number, "invalid", f"no lot {key} on this ledger", "unknown_lot")
    row = (
        None
        if not 0 < number < _MAX_SEQ
        else conn.execute(
            select(t.issued).where(t.issued.c.seq == number, t.issued.c.kind == "certificate")
        ).first()
    )
    if row is None or number >= ledger.size():
        return CertificateCheck(
            number, "invalid", f"entry {number} is not a certificate", "no_certificate"
        )
    statement = ledger.entry(number).statement
    on_ledger = None
    if statement.kind == CertificateIssued.KIND:
        event = CertificateIssued.from_body(statement.body)
        on_ledger = lot_key(event.lot.gtin, event.lot.lot)
    if row.lot != key or on_ledger != key:
        # The table row and the signed entry must both name this lot: a row written into
        # the database by hand does not make a certificate.
        return CertificateCheck(
            number,
            "invalid",
            f"certificate {number} was not issued for lot {key}",
            "other_lot",
        )
    info = ledger.keys().get(statement.key_id)
    issuer = info.actor if info is not None else statement.key_id
    status = LotStatus(lot.status)
    if status not in _SELLABLE:
        why = f"lot {key} is {status.value}" + (
            f": {lot.status_reason}" if lot.status_reason else ""
        )
        return CertificateCheck(
            number, "withdrawn", why, "withdrawn", row.time, issuer, status.value
        )
    return CertificateCheck(number, "valid", "", "valid", row.time, issuer, status.value)
