"""Import EPCIS 2.0 JSON / JSON-LD documents as the domain's event models.

Stages, each refusing the whole document with every problem it found (nothing half-read):

1. **document**: the bytes are JSON; the document validates against the ratified EPCIS
   2.0.1 JSON Schema with format checking (``traceability/data/``); no two events share an
   ``eventID`` (the schema cannot say this; EPCIS 2.0 §7.4.1 makes the eventID unique);
   an ``eventID`` in CBV 2.0 hash form (``ni:///…?ver=CBV2.0``) equals the hash of the
   event as given (a mismatch means the event was changed after it was named).
2. **events**: each event maps to one domain model (the reverse of
   :mod:`traceability.exports._epcis`) and validates as that model. Events with no domain
   counterpart (TransactionEvent, AssociationEvent, error declarations, instance EPCs
   without a lot) are refused naming the event, the field and why.

The document is accepted only if every event maps: a partial import would record a chain
with holes. Recording goes through :meth:`~traceability.Recorder.record_batch`, so the
checks of every lifecycle and quality rule still apply, all-or-nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from traceability._errors import RoleError, TraceError, ValidationError
from traceability.events._model import Model
from traceability.exports._epcis_read import EventReader
from traceability.exports._epcis_terms import Unsupported
from traceability.exports._event_hash import event_hash
from traceability.rules._actors import PERMITTED, Role

__all__ = ["EpcisImport", "EpcisImportError", "ImportProblem", "import_epcis", "signer_for"]

_SCHEMA = Path(__file__).parents[1] / "data" / "epcis-json-schema-2.0.1.json"

#: Refusal categories, coarse enough for a caller to act on.
CATEGORIES = (
    "not-json",
    "schema",
    "duplicate-event-id",
    "event-hash-mismatch",
    "unsupported",
    "invalid",
)


@dataclass(frozen=True)
class ImportProblem:
    """One reason a document was refused.

    Attributes:
        category: one of ``not-json``, ``schema``, ``duplicate-event-id``,
            ``event-hash-mismatch`` (a CBV 2.0 hash ``eventID`` that is not the event's
            hash), ``unsupported`` (valid EPCIS the domain has no place for) or ``invalid``
            (domain rules refuse it).
        event: the event's 1-based position in the event list, or None for the document.
        field: the offending field (a JSON path for schema problems).
        message: what was expected and what came.
    """

    category: str
    event: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"event {self.event}: " if self.event is not None else f"{self.category}: "
        return f"{where}{self.field}: {self.message}" if self.field else where + self.message


class EpcisImportError(TraceError):
    """A document was refused; ``problems`` lists every reason found (never empty).

    Attributes:
        problems: the reasons, in document order.
    """

    def __init__(self, problems: list[ImportProblem]) -> None:
        super().__init__("; ".join(str(p) for p in problems[:5]))
        self.problems = tuple(problems)

    @property
    def category(self) -> str:
        """The first problem's category."""
        return self.problems[0].category

    @property
    def categories(self) -> frozenset[str]:
        """Every problem's category."""
        return frozenset(p.category for p in self.problems)


@dataclass(frozen=True)
class EpcisImport:
    """An accepted document: one validated domain event per EPCIS event, in order.

    Attributes:
        events: the domain events.
        event_ids: each event's ``eventID`` (None where the document gave none).
    """

    events: tuple[Model, ...]
    event_ids: tuple[str | None, ...]

    def signed_by(
        self, keys: Mapping[Role, Ed25519PrivateKey]
    ) -> list[tuple[Model, Ed25519PrivateKey]]:
        """Pair each event with the key whose role may record it, for ``record_batch``.

        Args:
            keys: the caller's private keys by role; the narrowest permitted role signs
                (see :func:`signer_for`).

        Raises:
            RoleError: no key given may record one of the events.
        """
        return [(event, signer_for(event.KIND, keys)) for event in self.events]


@cache
def _validator() -> jsonschema.Draft7Validator:
    schema = json.loads(_SCHEMA.read_text(encoding="utf-8"))
    # With the rfc3986/rfc3339 validators installed the checker enforces "uri" and
    # "date-time"; without them jsonschema would silently skip both.
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())


def _events_of(document: Mapping[str, Any]) -> list[Any]:
    kind = document.get("type")
    if isinstance(kind, str) and kind not in ("EPCISDocument", "EPCISQueryDocument"):
        return [document]  # a bare event (the schema admits one at top level)
    body = document.get("epcisBody", {})
    if "queryResults" in body:
        return list(body["queryResults"].get("resultsBody", {}).get("eventList", []))
    if "event" in body:
        return [body["event"]]
    return list(body.get("eventList", []))


def _prefixes(document: Mapping[str, Any]) -> dict[str, str]:
    """The CURIE prefixes a document's ``@context`` declares (for extension names)."""
    context = document.get("@context", [])
    entries = context if isinstance(context, list) else [context]
    return {
        k: v
        for entry in entries
        if isinstance(entry, dict)
        for k, v in entry.items()
        if isinstance(k, str) and isinstance(v, str)
    }


def _document(data: bytes | str | Mapping[str, Any], check_hashes: bool) -> list[Any]:
    if isinstance(data, bytes | str):
        try:
            document = json.loads(data)
        except ValueError as e:
            raise EpcisImportError([ImportProblem("not-json", None, "", f"not JSON: {e}")]) from e
    else:
        document = dict(data)
    problems: list[ImportProblem] = []
    for error in sorted(_validator().iter_errors(document), key=lambda e: list(e.path)):
        path = "/".join(str(p) for p in error.absolute_path)
        message = error.message if len(error.message) < 200 else error.message[:200] + "…"
        problems.append(ImportProblem("schema", None, path or "(document)", message))
    if not isinstance(document, dict):
        raise EpcisImportError(problems or [ImportProblem("schema", None, "", "not a JSON object")])
    try:
        events = _events_of(document)
    except (AttributeError, TypeError) as e:
        # Only reachable for documents the schema already refused: report the schema.
        raise EpcisImportError(problems or [ImportProblem("schema", None, "", str(e))]) from e
    duplicates = []
    seen: dict[str, int] = {}
    for i, event in enumerate(events, 1):
        event_id = event.get("eventID") if isinstance(event, dict) else None
        if isinstance(event_id, str) and event_id in seen:
            duplicates.append(
                ImportProblem(
                    "duplicate-event-id",
                    i,
                    "eventID",
                    f"{event_id} already names event {seen[event_id]}",
                )
            )
        elif isinstance(event_id, str):
            seen[event_id] = i
    prefixes = _prefixes(document)
    for i, event in enumerate(events, 1):
        event_id = event.get("eventID") if isinstance(event, dict) else None
        hashed = isinstance(event_id, str) and event_id.startswith("ni:///")
        if check_hashes and hashed and isinstance(event, dict) and "type" in event:
            computed = event_hash(event, prefixes)
            if computed != event_id:
                why = f"expected the event's CBV 2.0 hash {computed}, got {event_id}"
                duplicates.append(ImportProblem("event-hash-mismatch", i, "eventID", why))
    if duplicates or problems:
        # Duplicates and hash mismatches first: they make the document ambiguous whatever
        # else is wrong.
        raise EpcisImportError(duplicates + problems)
    return events


def import_epcis(
    data: bytes | str | Mapping[str, Any], *, origin: str, check_event_hashes: bool = True
) -> EpcisImport:
    """Validate an EPCIS 2.0 document and map each event to a domain event model.

    Args:
        data: the document as JSON bytes or text, or already parsed.
        origin: the cooperative's ledger origin; plots, sites and units are URIs under
            ``https://<origin>/`` as :func:`~traceability.export_epcis` writes them.
        check_event_hashes: refuse an event whose CBV 2.0 hash ``eventID`` does not match
            its content (off only for documents whose hash IDs are known to be
            illustrative, like GS1's published examples).

    Raises:
        EpcisImportError: the document is refused; every problem found is listed.
    """
    events = _document(data, check_event_hashes)
    mapper = EventReader(f"https://{origin.rstrip('/')}")
    models: list[Model] = []
    problems: list[ImportProblem] = []
    for i, event in enumerate(events, 1):
        try:
            models.append(mapper.event(event))
        except Unsupported as e:
            problems.append(ImportProblem(e.category, i, e.field, str(e).split(": ", 1)[1]))
        except ValidationError as e:
            problems.append(
                ImportProblem("invalid", i, e.field, f"expected {e.expected}, got {e.got!r}")
            )
    if not events:
        problems.append(
            ImportProblem("unsupported", None, "eventList", "the document has no events")
        )
    if problems:
        raise EpcisImportError(problems)
    ids = tuple(e.get("eventID") if isinstance(e.get("eventID"), str) else None for e in events)
    return EpcisImport(tuple(models), ids)


# --- recording -----------------------------------------------------------------------------

# Which of the caller's keys signs an imported event: the narrowest role the permission
# table allows (a packing station before the cooperative; the cooperative before a
# regulator, whose hold or recall carries another authority).
_SIGNER_ORDER = (
    Role.PACKING_STATION,
    Role.LAB,
    Role.LOGISTICS,
    Role.COOPERATIVE,
    Role.GROWER,
    Role.REGULATOR,
)


def signer_for(kind: str, keys: Mapping[Role, Ed25519PrivateKey]) -> Ed25519PrivateKey:
    """Return the key among ``keys`` whose role may record ``kind`` (narrowest role first).

    Raises:
        RoleError: none of ``keys`` has a role the permission table allows for ``kind``.
    """
    allowed = PERMITTED.get(kind, frozenset())
    for role in _SIGNER_ORDER:
        if role in allowed and role in keys:
            return keys[role]
    raise RoleError(
        kind,
        tuple(keys),
        f"{kind} must be signed by a key with role {', '.join(sorted(allowed))}; "
        f"keys were given for {', '.join(sorted(keys)) or 'no roles'}",
    )
