"""Records: a signed statement as the log wrapped it, and the bytes that are its Merkle leaf.

A record adds what only the log knows: the sequence number, the previous record's leaf hash
(so the records form a hash chain over the very leaves the Merkle tree commits to) and the
log's clock. Its canonical bytes are the leaf data; every timestamp is inside hashed data.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from typing import Any

from ledger._canonical import canonical_bytes, is_canonical
from ledger._errors import StatementError, StoreError
from ledger._merkle import HASH_SIZE, leaf_hash
from ledger._statement import SignedStatement, Statement, parse_time

__all__ = ["GENESIS_PREV", "Record"]

#: The ``prev`` of record 0: there is no record before it.
GENESIS_PREV = bytes(HASH_SIZE)

# RFC 8785 orders members by key; "statement" sorts after "log_time", "prev", "seq" and "sig",
# so a record's canonical bytes end with ``,"statement":<canonical statement>}``. The leaf is
# composed that way (one encoding of the statement, reused) and the signed statement bytes can
# be cut back out of a stored leaf without re-encoding. tests/ledger/test_statement.py checks the
# composition equals canonical_bytes() of the whole record.
_STATEMENT_MARK = b',"statement":'
# The log's time as RFC 3339 UTC in ASCII (a bytes pattern: \d is 0-9 only), and the largest
# integer RFC 8785 writes: a record within both has a head that needs no encoder.
_TIME_BYTES = re.compile(rb"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z")
_SAFE = 2**53 - 1
_RECORD_FIELDS = frozenset({"log_time", "prev", "seq", "sig", "statement"})


@dataclass(frozen=True)
class Record:
    """A statement as appended: position, link to the previous record, log time, signature."""

    seq: int
    prev: bytes
    log_time: str
    signed: SignedStatement

    def __post_init__(self) -> None:
        # bool is an int in Python, and True == 1: a leaf saying "seq":true must not pass.
        if not isinstance(self.seq, int) or isinstance(self.seq, bool) or self.seq < 0:
            raise StatementError(f"seq: expected an integer >= 0, got {self.seq!r}", field="seq")
        if not isinstance(self.prev, bytes) or len(self.prev) != HASH_SIZE:
            got = len(self.prev) if isinstance(self.prev, bytes) else type(self.prev).__name__
            raise StatementError(f"prev: expected {HASH_SIZE} bytes, got {got}", field="prev")
        parse_time(self.log_time, "log_time")

    @property
    def statement(self) -> Statement:
        """The signed statement this record holds."""
        return self.signed.statement

    def leaf(self) -> bytes:
        """Return the record's canonical bytes: the Merkle leaf data and hash-chain input."""
        sig = base64.b64encode(self.signed.signature)
        if self.seq <= _SAFE and _TIME_BYTES.fullmatch(time := self.log_time.encode()):
            # RFC 8785 written out: members in name order, and no character of these values
            # (digits, hex, base64, the checked time) needs escaping. Saves an encoder call
            # per entry appended or read back.
            head = b'{"log_time":"%s","prev":"%s","seq":%d,"sig":"%s"' % (
                time,
                self.prev.hex().encode(),
                self.seq,
                sig,
            )
        else:
            head = canonical_bytes(
                {
                    "log_time": self.log_time,
                    "prev": self.prev.hex(),
                    "seq": self.seq,
                    "sig": sig.decode(),
                }
            )[:-1]
        return head + _STATEMENT_MARK + self.statement.signing_bytes() + b"}"

    def leaf_hash(self) -> bytes:
        """Return the RFC 6962 leaf hash: the next record's ``prev``."""
        return leaf_hash(self.leaf())

    def to_json(self) -> dict[str, Any]:
        """Return the record as a JSON object (the same members its leaf encodes)."""
        return {
            "log_time": self.log_time,
            "prev": self.prev.hex(),
            "seq": self.seq,
            "sig": base64.b64encode(self.signed.signature).decode(),
            "statement": self.statement.to_json(),
        }

    @classmethod
    def from_leaf(cls, leaf: bytes, *, check_encoding: bool = True, parsed: Any = None) -> Record:
        """Parse stored leaf bytes back into a record.

        The statement keeps its stored bytes (what was signed). With ``check_encoding`` the
        parsed record is re-encoded and must reproduce the leaf exactly; the audit
        skips that (the hashes it checks cover the stored bytes whatever their form, and the
        re-encoding would cost more than the rest of the parse). ``parsed`` is
        ``json.loads(leaf)`` when the caller already has it (saves a parse).

        Raises:
            StoreError: the bytes are not a record this ledger writes.
        """
        try:
            value = json.loads(leaf) if parsed is None else parsed
            if not isinstance(value, dict) or set(value) != _RECORD_FIELDS:
                raise StoreError(
                    f"record: expected members {sorted(_RECORD_FIELDS)}", field="record"
                )
            signed = SignedStatement(
                Statement.from_signed_bytes(statement_bytes_of(leaf), value["statement"]),
                base64.b64decode(value["sig"], validate=True),
            )
            record = cls(value["seq"], bytes.fromhex(value["prev"]), value["log_time"], signed)
        except StoreError:
            raise
        except (ValueError, TypeError, KeyError, StatementError) as e:
            raise StoreError(f"record bytes do not parse: {e}") from e
        # record.leaf() reuses the stored statement bytes, so it cannot see a statement that is
        # not canonical (spaces, escapes, reordered or duplicate members); encode it all too.
        if check_encoding and (record.leaf() != leaf or not _encodes_to(value, leaf)):
            raise StoreError("record bytes are not in canonical form")
        return record


def _encodes_to(value: Any, data: bytes) -> bool:
    return is_canonical(value, data)


def statement_bytes_of(leaf: bytes) -> bytes:
    """Cut the signed statement bytes out of a leaf (see ``_STATEMENT_MARK``)."""
    at = leaf.find(_STATEMENT_MARK)
    if at < 0 or not leaf.endswith(b"}"):
        raise StoreError("record bytes hold no statement")
    return leaf[at + len(_STATEMENT_MARK) : -1]
