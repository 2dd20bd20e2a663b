"""Statements: what an actor says, signed with the actor's Ed25519 key.

A statement is the unit of meaning in the ledger: a *kind* (``"trace.harvest"``), a JSON
*body*, the id of the signing key, the signer's own clock, and the log it is meant for (so a
statement signed for one cooperative's log cannot be replayed into another's). The signature
covers :func:`~ledger._canonical.canonical_bytes` of exactly those five fields.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger._canonical import canonical_bytes, plain_bytes
from ledger._errors import EncodingError, SignatureError, StatementError

__all__ = [
    "MAX_BODY_BYTES",
    "SignedStatement",
    "Statement",
    "format_time",
    "key_id_for",
    "parse_time",
    "sign_statement",
]

#: Bodies are facts about produce, not files: 64 KiB holds a thousand logger readings.
MAX_BODY_BYTES = 64 * 1024

# Used with fullmatch: "$" alone also matches before a final newline ("trace.harvest\n").
_KIND = re.compile(r"^[a-z][a-z0-9_]{0,31}(\.[a-z][a-z0-9_]{0,31}){1,4}$")
_KEY_ID = re.compile(r"^[0-9a-f]{32}$")
# RFC 3339 in UTC with a "Z", whole seconds to microseconds: one spelling per instant.
_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$")
# A float such as 1e16 is written "10000000000000000" and reads back as an integer beyond
# I-JSON's safe range, which canonical_bytes refuses: only a run of 16+ digits can be one.
_LONG_DIGITS = re.compile(rb"\d{16}")
_SIGNATURE_SIZE = 64
_FIELDS = frozenset({"body", "key", "kind", "log", "time"})


def key_id_for(public_key: bytes) -> str:
    """Return the key id of a raw 32-byte Ed25519 public key: 128 bits of its SHA-256, hex."""
    if len(public_key) != 32:
        raise StatementError(f"expected a 32-byte Ed25519 public key, got {len(public_key)} bytes")
    return hashlib.sha256(b"agritrace key\n" + public_key).hexdigest()[:32]


def format_time(moment: datetime) -> str:
    """Return ``moment`` as RFC 3339 UTC with microseconds and a ``Z`` (the ledger's form)."""
    if moment.tzinfo is None:
        raise StatementError("expected a timezone-aware datetime, got a naive one")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(value: str, field: str = "time") -> datetime:
    """Parse the ledger's RFC 3339 UTC form; the error names ``field``."""
    if not isinstance(value, str) or not _TIME.fullmatch(value):
        raise StatementError(
            f"{field}: expected RFC 3339 UTC time like 2026-06-01T08:30:00Z, got {value!r}",
            field=field,
            expected="RFC 3339 UTC time",
            got=value,
        )
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as e:
        raise StatementError(
            f"{field}: not a valid date or time: {value!r}", field=field, got=value
        ) from e


@dataclass(frozen=True)
class Statement:
    """What an actor says: constructed valid or raises :class:`~ledger.StatementError`.

    Attributes:
        log: origin of the log this statement is for (e.g. ``"kashgar-coop.example/log"``).
        kind: dotted lowercase name, e.g. ``"trace.harvest"``; ``ledger.*`` is the log's own.
        body: a JSON object of at most :data:`MAX_BODY_BYTES` canonical bytes.
        key_id: id of the signing key (see :func:`key_id_for`).
        time: the signer's clock, RFC 3339 UTC (see :func:`format_time`).
    """

    log: str
    kind: str
    body: Mapping[str, Any]
    key_id: str
    time: str

    def __post_init__(self) -> None:
        self._check_fields()
        value = self.to_json()
        # Recording makes its statements here, so the common (plain) value takes C paths.
        encoded = plain_bytes(value)
        plain = encoded is not None
        if encoded is None:
            try:
                encoded = canonical_bytes(value)
            except EncodingError as e:
                # Name the field: a client told "body" alone cannot find one bad character.
                named = _first_text(value, _unpaired_surrogate) or "body"
                raise StatementError(f"{named}: {e}", field=named) from e
        self._check_size(encoded)
        if b"\\u0000" in encoded:
            # RFC 8785 writes U+0000 as this escape. PostgreSQL cannot hold it in text or
            # jsonb, so a statement holding one would make the log unreadable there.
            # (The bytes also match for text that spells the escape: look for the real one.)
            where = _first_text(self.to_json(), lambda text: "\x00" in text)
            if where is not None:
                raise StatementError(f"{where}: expected text without U+0000 (NUL)", field=where)
        # The statement is immutable from here on: keep a private deep copy of the body (the
        # caller's dict may change later) and the bytes that are signed, computed once.
        if plain:
            # Plain bytes hold no float and no integer beyond the safe range (plain_bytes), so
            # orjson reads back an equal value, which encodes to these bytes again: no run of
            # 16 digits outside a string, nothing for _check_round_trip to find.
            body = orjson.loads(encoded)["body"]
        else:
            body = json.loads(encoded)["body"]
            if _LONG_DIGITS.search(encoded):
                _check_round_trip(body)
        object.__setattr__(self, "body", body)
        object.__setattr__(self, "_encoded", encoded)

    def _check_fields(self) -> None:
        if not isinstance(self.log, str) or not 0 < len(self.log) <= 255:
            raise StatementError(
                f"log: expected a log origin of 1-255 characters, got {self.log!r}", field="log"
            )
        if not isinstance(self.kind, str) or not _KIND.fullmatch(self.kind):
            raise StatementError(
                f"kind: expected a dotted lowercase name like 'trace.harvest', got {self.kind!r}",
                field="kind",
            )
        if not isinstance(self.body, Mapping):
            raise StatementError(
                f"body: expected a JSON object, got {type(self.body).__name__}", field="body"
            )
        if not isinstance(self.key_id, str) or not _KEY_ID.fullmatch(self.key_id):
            raise StatementError(
                f"key_id: expected 32 lowercase hex digits, got {self.key_id!r}", field="key_id"
            )
        parse_time(self.time)

    def _check_size(self, encoded: bytes) -> None:
        # Cheap first test on the whole statement; measure the body alone only when close.
        if len(encoded) > MAX_BODY_BYTES:
            body_size = len(canonical_bytes(self.body))
            if body_size > MAX_BODY_BYTES:
                raise StatementError(
                    f"body: expected at most {MAX_BODY_BYTES} bytes when encoded, got {body_size}",
                    field="body",
                    expected=MAX_BODY_BYTES,
                    got=body_size,
                )

    @classmethod
    def from_signed_bytes(cls, data: bytes, parsed: Any = None) -> Statement:
        """Rebuild a statement from the exact bytes that were signed, e.g. cut from a leaf.

        The bytes are kept as they are rather than re-encoded: the signature and the leaf
        hash cover them, so they are what verification must use.

        Args:
            data: the signed bytes.
            parsed: ``json.loads(data)`` when the caller already has it (saves a parse).

        Raises:
            StatementError: the bytes are not a statement's JSON object.
        """
        try:
            value = json.loads(data) if parsed is None else parsed
        except ValueError as e:
            raise StatementError(f"statement: not JSON: {e}", field="statement") from e
        if not isinstance(value, dict) or set(value) != _FIELDS:
            raise StatementError(
                f"statement: expected exactly the fields {sorted(_FIELDS)}", field="statement"
            )
        statement = object.__new__(cls)
        for name, key in (("log", "log"), ("kind", "kind"), ("body", "body"), ("key_id", "key")):
            object.__setattr__(statement, name, value[key])
        object.__setattr__(statement, "time", value["time"])
        statement._check_fields()
        statement._check_size(data)
        object.__setattr__(statement, "_encoded", data)
        return statement

    def to_json(self) -> dict[str, Any]:
        """Return the statement as the JSON object that is signed and stored."""
        return {
            "body": dict(self.body),
            "key": self.key_id,
            "kind": self.kind,
            "log": self.log,
            "time": self.time,
        }

    def signing_bytes(self) -> bytes:
        """Return the canonical bytes the signature covers (computed once, at construction)."""
        encoded: bytes = self.__dict__["_encoded"]
        return encoded

    @classmethod
    def from_json(cls, value: Any) -> Statement:
        """Build a statement from its JSON object form, refusing unknown or missing fields."""
        if not isinstance(value, Mapping):
            raise StatementError(
                f"statement: expected a JSON object, got {type(value).__name__}", field="statement"
            )
        expected = _FIELDS
        if set(value) != expected:
            missing, extra = expected - set(value), set(value) - expected
            raise StatementError(
                f"statement: expected fields {sorted(expected)}; "
                f"missing {sorted(missing)}, unexpected {sorted(extra)}",
                field="statement",
            )
        return cls(value["log"], value["kind"], value["body"], value["key"], value["time"])


def _unpaired_surrogate(text: str) -> bool:
    return any("\ud800" <= char <= "\udfff" for char in text)


def _first_text(value: Any, bad: Callable[[str], bool], where: str = "") -> str | None:
    """The path of the first member name or string in ``value`` that is ``bad``, or None.

    A bad member name is named by its object and ``[key]``, never echoed into the path.
    """
    if isinstance(value, str):
        return (where or "statement") if bad(value) else None
    if isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str) and bad(key):
                return f"{where or 'statement'}[key]"
            found = _first_text(item, bad, f"{where}.{key}" if where else str(key))
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _first_text(item, bad, f"{where}[{index}]")
            if found is not None:
                return found
    return None


def _check_round_trip(body: Any) -> None:
    """Refuse a body that its own encoding would not give back (see ``_LONG_DIGITS``)."""
    try:
        canonical_bytes(body)
    except EncodingError as e:
        raise StatementError(
            f"body: {e} (a float of integral value beyond ±(2**53 - 1), e.g. 1e16, is "
            "written as such an integer)",
            field="body",
        ) from e


@dataclass(frozen=True)
class SignedStatement:
    """A statement and its Ed25519 signature over :meth:`Statement.signing_bytes`."""

    statement: Statement
    signature: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.signature, bytes) or len(self.signature) != _SIGNATURE_SIZE:
            got = len(self.signature) if isinstance(self.signature, bytes) else "not bytes"
            raise StatementError(
                f"signature: expected {_SIGNATURE_SIZE} bytes, got {got}",
                field="signature",
                expected=_SIGNATURE_SIZE,
                got=got,
            )

    def verify(self, public_key: bytes) -> None:
        """Check the signature with a raw Ed25519 public key; raise :class:`SignatureError`."""
        try:
            Ed25519PublicKey.from_public_bytes(public_key).verify(
                self.signature, self.statement.signing_bytes()
            )
        except InvalidSignature as e:
            raise SignatureError(
                f"signature on {self.statement.kind} does not verify with key "
                f"{self.statement.key_id}"
            ) from e

    def to_json(self) -> dict[str, Any]:
        """Return the wire form ``{"statement": {...}, "signature": "<base64>"}``."""
        return {
            "statement": self.statement.to_json(),
            "signature": base64.b64encode(self.signature).decode(),
        }

    @classmethod
    def from_json(cls, value: Any) -> SignedStatement:
        """Parse the wire form; every problem is a :class:`StatementError` naming the field."""
        if not isinstance(value, Mapping) or set(value) != {"statement", "signature"}:
            raise StatementError(
                "expected a JSON object with exactly 'statement' and 'signature', got "
                + (repr(sorted(value)) if isinstance(value, Mapping) else type(value).__name__)
            )
        signature = value["signature"]
        if not isinstance(signature, str):
            raise StatementError("signature: expected base64 text", field="signature")
        try:
            raw = base64.b64decode(signature, validate=True)
        except ValueError as e:
            raise StatementError("signature: not valid base64", field="signature") from e
        return cls(Statement.from_json(value["statement"]), raw)


def sign_statement(statement: Statement, private_key: Ed25519PrivateKey) -> SignedStatement:
    """Sign a statement; the key must be the one ``statement.key_id`` names."""
    public = private_key.public_key().public_bytes_raw()
    if key_id_for(public) != statement.key_id:
        raise StatementError(
            f"key_id: statement names key {statement.key_id}, but the signing key is "
            f"{key_id_for(public)}",
            field="key_id",
        )
    return SignedStatement(statement, private_key.sign(statement.signing_bytes()))


def now() -> str:
    """Return the current time in the ledger's form."""
    return format_time(datetime.now(UTC))
