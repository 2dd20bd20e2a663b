"""The EPCIS event hash ID (CBV 2.0 section 8.9): ``ni:///sha-256;<hex>?ver=CBV2.0``.

Two parties holding the same event, in JSON-LD or XML, in any key order, compute the same
ID, so trading partners can deduplicate events without agreeing on who names them. The
algorithm, as GS1's reference implementation (RalphTro/epcis-event-hash-generator) runs it:

1. Read the event as a tree of (name, value, children), shaped like its XML form: a JSON
   list ``xList`` becomes an ``xList`` element holding one ``x`` per item (``inputEPC``
   and ``outputEPC`` items are ``epc``, quantity items ``quantityElement``); a
   business transaction's, source's or destination's own value is the element's text.
2. Canonicalise each value: timestamps in UTC at millisecond precision (the fourth
   decimal rounds half up) with ``Z``; numbers without trailing zeros; CBV values as GS1
   Web URIs (``shipping`` and ``urn:epcglobal:cbv:bizstep:shipping`` both
   ``https://ref.gs1.org/cbv/BizStep-shipping``); EPC URNs and any GS1 Digital Link as
   the constrained canonical Digital Link on ``https://id.gs1.org`` (finest key level,
   no query); extension names as ``{namespace}local``.
3. Concatenate ``eventType=<type>``, then the standard fields in the canonical order of
   :data:`_ORDER` (``name=value``, a list's items sorted), then every other field
   (``eventID`` and ``recordTime`` excluded) sorted, recursively; no separators.
4. Hash the UTF-8 bytes with SHA-256.

Pure: an event mapping (and the document's CURIE prefixes) in, the ID out.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from labels import gs1_check_digit

__all__ = ["event_hash", "event_prehash"]

_Order = tuple[tuple[str, "_Order | None"], ...]
_QUANTITY: _Order = (("epcClass", None), ("quantity", None), ("uom", None))
_METADATA = ("time", "startTime", "endTime", "deviceID", "deviceMetadata", "rawData")
_REPORT = (
    "type", "exception", "deviceID", "deviceMetadata", "rawData", "dataProcessingMethod",
    "time", "microorganism", "chemicalSubstance", "value", "component", "stringValue",
    "booleanValue", "hexBinaryValue", "uriValue", "minValue", "maxValue", "meanValue",
    "sDev", "percRank", "percValue", "uom", "coordinateReferenceSystem",
)  # fmt: skip
#: The canonical order of the standard fields (CBV 2.0 section 8.9.2); business
#: transactions, sources and destinations are not in it: they hash with the other fields.
_ORDER: _Order = (
    ("eventTime", None),
    ("eventTimeZoneOffset", None),
    ("certificationInfo", None),
    ("epcList", (("epc", None),)),
    ("parentID", None),
    ("inputEPCList", (("epc", None),)),
    ("childEPCs", (("epc", None),)),
    ("quantityList", (("quantityElement", _QUANTITY),)),
    ("childQuantityList", (("quantityElement", _QUANTITY),)),
    ("inputQuantityList", (("quantityElement", _QUANTITY),)),
    ("outputEPCList", (("epc", None),)),
    ("outputQuantityList", (("quantityElement", _QUANTITY),)),
    ("action", None),
    ("transformationID", None),
    ("bizStep", None),
    ("disposition", None),
    ("persistentDisposition", (("set", None), ("unset", None))),
    ("readPoint", (("id", None),)),
    ("bizLocation", (("id", None),)),
    (
        "sensorElementList",
        (
            (
                "sensorElement",
                (
                    (
                        "sensorMetadata",
                        tuple((n, None) for n in (*_METADATA, "dataProcessingMethod", "bizRules")),
                    ),
                    ("sensorReport", tuple((n, None) for n in _REPORT)),
                ),
            ),
        ),
    ),
)
_IGNORED = ("eventID", "recordTime", "type")  # ``type`` is hashed first, as eventType
_CBV = "https://ref.gs1.org/cbv/"
#: Field -> the CBV code list its bare and URN values belong to.
_CBV_LISTS = {
    "bizStep": "BizStep-",
    "disposition": "Disp-",
    "set": "Disp-",
    "unset": "Disp-",
    "reason": "ER-",
}
_URN_LISTS = {
    "urn:epcglobal:cbv:bizstep:": "BizStep-",
    "urn:epcglobal:cbv:disp:": "Disp-",
    "urn:epcglobal:cbv:btt:": "BTT-",
    "urn:epcglobal:cbv:sdt:": "SDT-",
    "urn:epcglobal:cbv:er:": "ER-",
}
_GS1_VOC = "https://gs1.org/voc/"  # sensor measurement types and alarm conditions


@dataclass
class _Node:
    name: str
    value: str = ""
    children: list[_Node] = field(default_factory=list)


# --- values --------------------------------------------------------------------------------


def _time(text: str) -> str:
    """UTC at millisecond precision, the fourth decimal rounded half up, with ``Z``."""
    match = re.fullmatch(r"(.*T\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)", text)
    if match is None:
        return text  # not an xsd:dateTime: hashed as written
    whole, fraction, zone = match.groups()
    moment = datetime.fromisoformat(whole + ("+00:00" if zone == "Z" else zone))
    millis = Decimal(fraction or "0").quantize(Decimal("0.001"), ROUND_HALF_UP)
    moment += timedelta(milliseconds=int(millis * 1000))  # .9995 carries into the second
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def _number(text: str) -> str:
    """A numeric value without trailing zeros or a plus sign; other text as it is."""
    if not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", text):
        return text
    number = float(text)
    return str(int(number)) if number.is_integer() else str(number)


def _gs1_key(company: str, reference: str, digit_first: bool = False) -> str:
    # EPC URNs split a key into company prefix and reference; the key adds a check digit.
    body = reference[:1] + company + reference[1:] if digit_first else company + reference
    return body + gs1_check_digit(body)


def _from_urn(uri: str) -> str | None:
    """The canonical Digital Link of an EPC URN this project meets, or None."""
    parts = uri.split(":")
    if len(parts) != 5 or parts[:2] != ["urn", "epc"]:
        return None
    kind, scheme, value = parts[2], parts[3], parts[4]
    fields = value.split(".")
    if kind == "id" and scheme == "sgtin" and len(fields) >= 3:
        serial = ".".join(fields[2:])
        return f"https://id.gs1.org/01/{_gs1_key(fields[0], fields[1], True)}/21/{serial}"
    if kind == "class" and scheme == "lgtin" and len(fields) >= 3:
        lot = ".".join(fields[2:])
        return f"https://id.gs1.org/01/{_gs1_key(fields[0], fields[1], True)}/10/{lot}"
    if kind == "id" and scheme == "sscc" and len(fields) == 2:
        return f"https://id.gs1.org/00/{_gs1_key(fields[0], fields[1], True)}"
    if kind == "id" and scheme in ("sgln", "pgln", "gdti") and len(fields) >= 2:
        key = _gs1_key(fields[0], fields[1])
        rest = ".".join(fields[2:])
        if scheme == "pgln":
            return f"https://id.gs1.org/417/{key}"
        if scheme == "gdti":
            return f"https://id.gs1.org/253/{key}{rest}"
        return f"https://id.gs1.org/414/{key}" + ("" if rest in ("", "0") else f"/254/{rest}")
    return None


#: GS1 primary keys a Digital Link path may start with (GS1 Digital Link 1.2, table 6-1).
_PRIMARY = {"00", "01", "253", "255", "401", "402", "414", "417", "8003", "8004", "8006",
            "8010", "8013", "8017", "8018"}  # fmt: skip


def _digital_link(uri: str) -> str | None:
    """A GS1 Digital Link on any host, as canonical, constrained to its finest key level."""
    match = re.fullmatch(r"https?://[^/?#]+((?:/[^/?#]+)+)/?(?:\?[^#]*)?", uri)
    if match is None:
        return None
    segments = match.group(1).strip("/").split("/")
    for start in range(len(segments) - 1):
        path = segments[start:]
        keys = path[0::2]
        if path[0] in _PRIMARY and len(path) % 2 == 0 and all(k.isdigit() for k in keys):
            pairs = list(zip(keys, path[1::2], strict=True))
            if pairs[0][0] == "01" and any(k == "21" for k, _ in pairs):
                pairs = [p for p in pairs if p[0] in ("01", "21")]  # a serial is finer than a lot
            return "https://id.gs1.org/" + "/".join(f"{k}/{v}" for k, v in pairs)
    return None


def _code_list(name: str, parent: str) -> str | None:
    """The vocabulary a bare value of ``name`` (under ``parent``) is a term of, if any."""
    if name == "type" and parent in ("bizTransaction", "bizTransactionList"):
        return _CBV + "BTT-"
    if name == "type" and parent in ("source", "destination", "sourceList", "destinationList"):
        return _CBV + "SDT-"
    if name in ("type", "exception") and parent == "sensorReport":
        return _GS1_VOC
    if name in _CBV_LISTS:
        return _CBV + _CBV_LISTS[name]
    return None


def _canonical(name: str, parent: str, text: str, prefixes: Mapping[str, str]) -> str:
    """One value in its canonical form (step 2 of the module's algorithm)."""
    text = text.strip()
    if "time" in name.lower() and "offset" not in name.lower():
        return _time(text)
    for urn, code_list in _URN_LISTS.items():
        if text.startswith(urn):
            return _CBV + code_list + text[len(urn) :]
    vocabulary = _code_list(name, parent)
    if vocabulary is not None and text and ":" not in text:
        return vocabulary + text
    prefix, _, local = text.partition(":")
    if prefix in ("gs1", "cbv") and prefix in prefixes and local:
        return prefixes[prefix] + local  # only standard vocabularies expand in values
    for convert in (_from_urn, _digital_link):
        converted = convert(text)
        if converted is not None:
            return converted
    return _number(text)


# --- the tree ------------------------------------------------------------------------------


def _name(key: str, prefixes: Mapping[str, str]) -> str:
    """A field name; an extension's ``prefix:local`` as ``{namespace}local``."""
    prefix, colon, local = key.partition(":")
    if colon and prefix in prefixes:
        return "{" + prefixes[prefix] + "}" + local
    return key


def _scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"  # as XML Schema writes booleans
    return str(value)


def _nodes(key: str, value: Any, parent: str, prefixes: Mapping[str, str]) -> list[_Node]:
    """The elements a JSON member becomes: one per list item, nested for objects."""
    name = _name(key, prefixes)
    if isinstance(value, list):
        return [n for item in value for n in _nodes(key, item, parent, prefixes)]
    if isinstance(value, Mapping):
        node = _Node(name, _canonical(name, parent, _scalar(value.get("#text", "")), prefixes))
        for k, v in value.items():
            if k not in ("#text", "rdfs:comment", "comment") and not k.startswith("@"):
                node.children += _nodes(k, v, name, prefixes)
        return [_reshape(node)]
    return [_Node(name, _canonical(name, parent, _scalar(value), prefixes))]


def _reshape(node: _Node) -> _Node:
    """Give a JSON-shaped node its XML shape (step 1 of the module's algorithm)."""
    if node.name in ("bizTransaction", "source", "destination"):
        for child in node.children:
            if child.name == node.name:  # {"type": ..., "source": id}: id is the text
                node.children.remove(child)
                node.value = child.value
                break
    return node


def _lists(nodes: list[_Node]) -> list[_Node]:
    """Group ``xList`` items into one ``xList`` element of ``x`` items, recursively."""
    grouped: dict[str, _Node] = {}
    out: list[_Node] = []
    for node in nodes:
        node.children = _lists(node.children)
        if node.name.endswith("List") or node.name == "childEPCs":
            holder = grouped.get(node.name)
            if holder is None:
                holder = grouped[node.name] = _Node(node.name)
                out.append(holder)
            item = "epc" if node.name == "childEPCs" else node.name[:-4]
            if item in ("inputEPC", "outputEPC"):
                item = "epc"
            elif item.endswith("Quantity") or item == "quantity":
                item = "quantityElement"
            holder.children.append(_reshape(_Node(item, node.value, node.children)))
        else:
            out.append(node)
    return out


# --- the pre-hash string -------------------------------------------------------------------


def _text(node: _Node, order: _Order | None) -> str:
    """``name=value`` then its children: the ordered ones first, the rest sorted."""
    inner = _ordered(node.children, order) if order else ""
    inner += _rest(node.children)
    value = f"={node.value}" if node.value else ""
    return node.name + value + inner if value or inner else ""


def _ordered(children: list[_Node], order: _Order) -> str:
    """The children named in ``order``, in that order, each name's items sorted; consumed."""
    out = ""
    for name, sub in order:
        same = [c for c in children if c.name == name]
        for c in same:
            children.remove(c)
        out += "".join(sorted(t for t in (_text(c, sub) for c in same) if t))
    return out


def _rest(children: list[_Node]) -> str:
    """Every remaining child, generically and sorted (extensions, ILMD, lists of parties)."""
    return "".join(sorted(_text(c, None) for c in children))


def event_prehash(event: Mapping[str, Any], prefixes: Mapping[str, str] | None = None) -> str:
    """Return the pre-hash string of an EPCIS 2.0 JSON(-LD) event (CBV 2.0 section 8.9).

    Args:
        event: one member of an EPCIS document's ``eventList``.
        prefixes: the document's ``@context`` prefixes (``{"ex": "https://ex.example/"}``)
            for extension names; ``gs1`` defaults to the GS1 Web Vocabulary.
    """
    known = {"gs1": "https://gs1.org/voc/", "cbv": _CBV} | dict(prefixes or {})
    children = [
        n
        for key, value in event.items()
        if key not in _IGNORED and not key.startswith("@")
        for n in _nodes(key, value, "event", known)
    ]
    children = _lists(children)
    return f"eventType={event['type']}" + _ordered(children, _ORDER) + _rest(children)


def event_hash(event: Mapping[str, Any], prefixes: Mapping[str, str] | None = None) -> str:
    """Return the event's hash ID, ``ni:///sha-256;<hex>?ver=CBV2.0`` (RFC 6920 form).

    >>> event = {"type": "ObjectEvent", "eventTime": "2026-06-01T08:00:00+08:00",
    ...          "eventTimeZoneOffset": "+08:00", "action": "OBSERVE"}
    >>> event_hash(event) == event_hash(dict(reversed(event.items())))
    True
    """
    digest = hashlib.sha256(event_prehash(event, prefixes).encode("utf-8")).hexdigest()
    return f"ni:///sha-256;{digest}?ver=CBV2.0"
