"""Contacts left with complaints: personal data kept beside the projection, never signed.

A complaint's signed body holds only ``contact_sha256`` = SHA-256(salt || contact), with a
random 16-byte salt, so the log neither publishes the contact nor lets anyone confirm a
guessed phone number against it; this table keeps the salt and the contact, so the
regulator can read it and an auditor can check it against the entry. Deleting a row
(:func:`forget_contact`) erases the contact and leaves the log as it was (docs/adr/0022).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Engine

from traceability._text import check_text
from traceability.projection import _schema as t
from traceability.projection._ddl import ensure_tables

__all__ = ["MAX_CONTACT", "contact_digest", "find_contact", "forget_contact", "keep_contact"]

#: The longest contact, in code points: a phone number or an e-mail address with a name.
MAX_CONTACT = 120


def contact_digest(salt: bytes, contact: str) -> str:
    """Return the hex SHA-256 of ``salt`` followed by ``contact``'s UTF-8 (what is signed)."""
    return hashlib.sha256(salt + contact.encode("utf-8")).hexdigest()


def keep_contact(engine: Engine, contact: str) -> str:
    """Store ``contact`` (the text policy applies) with a fresh salt; return its digest.

    Raises:
        ValidationError: the contact is not text, too long, or holds a control character
            (field ``contact``).
    """
    text = check_text(contact.strip(), "contact", max_length=MAX_CONTACT)
    salt = secrets.token_bytes(16)
    digest = contact_digest(salt, text)
    ensure_tables(engine, t.retained)
    with engine.begin() as conn:
        conn.execute(
            insert(t.complaint_contacts),
            {
                "digest": digest,
                "salt": salt.hex(),
                "contact": text,
                "created": int(datetime.now(UTC).timestamp()),
            },
        )
    return digest


def forget_contact(engine: Engine, digest: str) -> bool:
    """Delete the contact ``digest`` names; return whether there was one."""
    with engine.begin() as conn:
        done = conn.execute(
            delete(t.complaint_contacts).where(t.complaint_contacts.c.digest == digest)
        )
    return bool(done.rowcount)


def find_contact(engine: Engine, digest: str) -> str | None:
    """Return the contact ``digest`` names, checked against the digest, or None.

    A row whose salt and contact do not give its digest (edited in the database) is not
    answered: the signed digest is what the contact must match.
    """
    with engine.connect() as conn:
        row = conn.execute(
            select(t.complaint_contacts).where(t.complaint_contacts.c.digest == digest)
        ).first()
    if row is None or contact_digest(bytes.fromhex(row.salt), row.contact) != digest:
        return None
    return str(row.contact)
