"""``Idempotency-Key`` on every write: a retried request gets the first answer, appends nothing.

The IETF httpapi idempotency-key draft, as this app applies it:

- A write (``POST /api/v1/events/*``, ``/api/v1/statements``, ``/api/v1/holds``,
  ``/api/v1/recalls``, the staff and regulator forms) may carry a key: the
  ``Idempotency-Key`` header (1-255 printable ASCII; a structured-field string in quotes is
  accepted too), or for a form the hidden ``idempotency_key`` field each render carries.
- The key is scoped to the caller (the token's actor) and stored with a fingerprint of the
  request (method, path and query, the body in canonical form) in the transaction that
  appends the request's entries (:mod:`traceability._once`).
- The same key with the same request again: the first answer (status and body) with
  ``Idempotent-Replayed: true``, and nothing appended. With another request: 422 naming
  ``Idempotency-Key``. While the first request with the key is still running in this
  process: 409 (retry later); in another worker process, the second waits for the log's
  append lock and is then answered as a replay.
- A refused write stores nothing: its retry is checked again.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Final, TypeVar

from fastapi import Depends, Header, Request, Response
from pydantic import BaseModel

from traceability import IdempotencyKey, IdempotencyKeyUsedError, StoredKey, ValidationError
from verifier_app._auth import Caller
from verifier_app._errors import ApiError

if TYPE_CHECKING:
    from verifier_app._signing import AppRecorder

__all__ = [
    "FORM_FIELD",
    "HEADER",
    "REPLAYED",
    "IdempotencyDep",
    "InFlight",
    "KeyInUseError",
    "KeyMismatchError",
    "Sent",
    "check_key",
    "check_same",
    "fingerprint",
    "form_fingerprint",
    "form_key",
    "previous",
    "run_once",
    "scoped",
]

HEADER: Final = "Idempotency-Key"
#: The header a replayed answer carries (its value ``true``).
REPLAYED: Final = "Idempotent-Replayed"
#: The hidden field of the staff and regulator forms (a fresh random key per render).
FORM_FIELD: Final = "idempotency_key"
# A form's own per-session value says nothing about the request: left out of its fingerprint.
_NOT_FINGERPRINTED = frozenset({FORM_FIELD, "csrf"})
_UNCHECKED = "0" * 64  # a placeholder fingerprint while only the key's form is checked

M = TypeVar("M", bound=BaseModel)


class InvalidKeyError(ApiError):
    """The ``Idempotency-Key`` header is not 1-255 printable ASCII characters."""

    status = 422
    code = "invalid_idempotency_key"


class KeyMismatchError(ApiError):
    """The key was used before with another request: not replayed, not recorded."""

    status = 422
    code = "idempotency_key_reused"


class KeyInUseError(ApiError):
    """A request with this key is still running: retry later (draft: 409 Conflict)."""

    status = 409
    code = "idempotency_key_in_use"


@dataclass(frozen=True)
class Sent:
    """The key a request carried and its request's fingerprint (before the caller is known)."""

    key: str
    fingerprint: str


def _canonical_body(body: bytes) -> bytes:
    # The same JSON written with other spacing or key order is the same request; anything
    # that is not JSON is compared byte for byte.
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return body
    # ASCII escapes: a lone surrogate ("\ud800") is valid JSON but not encodable UTF-8.
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def fingerprint(method: str, target: str, body: bytes) -> str:
    """SHA-256 (hex) of a request: method, path with query, body in canonical form."""
    digest = hashlib.sha256()
    for part in (method.upper().encode(), target.encode(), _canonical_body(body)):
        digest.update(len(part).to_bytes(8, "big"))  # length-prefixed: no ambiguity
        digest.update(part)
    return digest.hexdigest()


def form_fingerprint(request: Request, form: Mapping[str, str]) -> str:
    """The fingerprint of a form post: its fields (minus the csrf and key fields), sorted."""
    fields = {k: v for k, v in form.items() if k not in _NOT_FINGERPRINTED}
    body = json.dumps(fields, sort_keys=True, separators=(",", ":"))
    return fingerprint(request.method, _target(request), body.encode())


def _target(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def _unquote(value: str) -> str:
    # The draft defines the header as a structured-field string ("..."); a bare token is
    # what most clients send. Both name the same key.
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return value


def check_key(value: str, field: str = HEADER) -> str:
    """Return the key if it is 1-255 printable ASCII characters, else refuse (422)."""
    try:
        IdempotencyKey("-", value, _UNCHECKED)
    except ValidationError as e:
        raise InvalidKeyError(f"{field}: expected {e.expected}, got {value[:80]!r}", field) from e
    return value


async def _sent(
    request: Request,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias=HEADER,
            description="Your key for this write (1-255 printable ASCII, e.g. a UUID): a "
            "retry with the same key and request appends nothing and gets the first answer "
            f"back with `{REPLAYED}: true` (docs/security.md).",
        ),
    ] = None,
) -> Sent | None:
    if idempotency_key is None:
        return None
    key = check_key(_unquote(idempotency_key))
    # The body is read once and kept by the request: the route's own parsing reuses it.
    body = await request.body()
    return Sent(key, fingerprint(request.method, _target(request), body))


#: A write route's dependency: the request's key and fingerprint, or None without a key.
IdempotencyDep = Annotated[Sent | None, Depends(_sent)]


class InFlight:
    """Keys whose request is running in this process: a second request with one gets 409."""

    def __init__(self) -> None:
        self._running: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    @contextmanager
    def running(self, once: IdempotencyKey) -> Iterator[None]:
        """Mark ``once`` as running for the block.

        Raises:
            KeyInUseError: a request with the same caller and key is running.
        """
        name = (once.scope, once.key)
        with self._lock:
            if name in self._running:
                raise KeyInUseError(
                    f"{HEADER}: a request with this key is still running; retry later", HEADER
                )
            self._running.add(name)
        try:
            yield
        finally:
            with self._lock:
                self._running.discard(name)


def scoped(caller: Caller, sent: Sent) -> IdempotencyKey:
    """The key as the recorder stores it: scoped to the caller (the token's actor)."""
    return IdempotencyKey(caller.actor, sent.key, sent.fingerprint)


def form_key(caller: Caller, request: Request, form: Mapping[str, str]) -> IdempotencyKey | None:
    """The key a staff or regulator form carried (its hidden field), scoped and fingerprinted.

    None when the form has no key (a form rendered before keys existed, a script).

    Raises:
        InvalidKeyError: the field is not 1-255 printable ASCII characters.
    """
    value = form.get(FORM_FIELD, "")
    if not value:
        return None
    key = check_key(value, FORM_FIELD)
    sent = form_fingerprint(request, form)
    # A form's key is per render, and one rendered page may rightly be sent again with other
    # values: the packer downloads the PNG, then the PDF, from one lot page (no new render
    # between). That is a new request, not a misused key. So the key stored is the pair
    # (form key, what was sent): a form sent twice as it was replays, an edited one records.
    paired = hashlib.sha256(f"{key}\n{sent}".encode()).hexdigest()
    return IdempotencyKey(caller.actor, paired, sent)


def previous(holder: AppRecorder, once: IdempotencyKey) -> StoredKey | None:
    """The key as stored when a request with it committed before, else None.

    Raises:
        KeyMismatchError: it came with another request.
    """
    stored = holder.projection.idempotency(once.scope, once.key)
    if stored is not None:
        check_same(once, stored)
    return stored


def check_same(once: IdempotencyKey, stored: StoredKey) -> None:
    """Refuse (422) a key whose stored fingerprint is another request's."""
    if stored.fingerprint != once.fingerprint:
        raise KeyMismatchError(
            f"{HEADER}: this key was used for another request; send a new key for a new request",
            HEADER,
        )


def run_once(
    holder: AppRecorder,
    caller: Caller,
    sent: Sent | None,
    response: Response,
    model: type[M],
    write: Callable[[IdempotencyKey | None], M],
    rebuild: Callable[[StoredKey], tuple[M, int]],
    created: int = 201,
) -> M:
    """Run ``write`` once per key: a retry answers what the first attempt answered.

    Args:
        holder: the app's recorder.
        caller: who sent the request (the key's scope).
        sent: the request's key, or None (then ``write(None)`` runs, as without keys).
        response: the route's response, whose status and headers a replay sets.
        model: the answer's type (a stored answer is parsed back into it).
        write: records the request (passing the key on to the recorder) and builds its answer.
        rebuild: the answer and its status from a key's receipts, for a key whose answer
            was not stored (the server stopped between the commit and storing it).
        created: the route's status for a first answer.

    Raises:
        KeyMismatchError: the key came before with another request.
        KeyInUseError: a request with the key is running in this process.
    """
    if sent is None:
        return write(None)
    once = scoped(caller, sent)
    with holder.in_flight.running(once):
        stored = holder.projection.idempotency(once.scope, once.key)
        if stored is None:
            try:
                result = write(once)
            except IdempotencyKeyUsedError as e:
                stored = e.stored  # another worker committed it meanwhile
            else:
                status = response.status_code or created
                holder.recorder.remember(once, status, result.model_dump_json())
                return result
    check_same(once, stored)
    response.headers[REPLAYED] = "true"
    if stored.status is not None and stored.response is not None:
        response.status_code = stored.status
        return model.model_validate_json(stored.response)
    answer, status = rebuild(stored)
    response.status_code = status
    return answer
