"""GS1 Digital Link URIs keyed by GTIN: build, and parse back to element strings.

Follows the GS1 Digital Link standard (URI syntax 1.2) as the GS1 reference engine
(gs1/gs1-syntax-engine ``dl.c``) implements it with its default options: the primary key
``/01/<GTIN-14>`` may follow any path stem, key qualifiers follow it in the standard's order
(``/22/`` CPV, ``/10/`` lot, ``/21/`` serial; or ``/235/`` TPX alone), and other AIs travel as
query parameters. Non-numeric query parameters are not GS1 data and are ignored, except
``s``, which carries the label signature (see ``_signature.py``), and ``cert``, the number of
the compliance certificate the code is printed on (a 承诺达标合格证's QR: the link still names
the lot, and a GS1 reader that ignores ``cert`` resolves it as the lot's link; ADR 13).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote

from labels._errors import GS1SyntaxError
from labels._gs1 import ai_rule, normalize_gtin, validate_ai_value

__all__ = ["CERTIFICATE_PARAM", "SIGNATURE_PARAM", "DigitalLink", "parse_digital_link"]

SIGNATURE_PARAM = "s"
#: The query parameter naming the certificate a link is printed on (not GS1 data).
CERTIFICATE_PARAM = "cert"
_CERTIFICATE = re.compile(r"[1-9][0-9]{0,17}")
_GTIN_QUALIFIERS = ("22", "10", "21")
_TPX = "235"
_FIELD_AI = {"cpv": "22", "lot": "10", "serial": "21", "tpx": "235"}

_SCHEME = re.compile(r"(http|HTTP|https|HTTPS)://")
# Characters a URI may hold at all (RFC 3986 unreserved, reserved and "%").
_URI_CHARS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*")
_HOST = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-.]+)(:[0-9]{1,5})?")
_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})?")


@dataclass(frozen=True)
class DigitalLink:
    """A GTIN-keyed GS1 Digital Link: resolver, key, qualifiers and data attributes.

    Construct valid or raise: the GTIN is normalised to 14 digits with its check digit
    checked, every value is checked against its AI's syntax, and qualifiers follow the
    standard (TPX excludes CPV, lot and serial).

    Attributes:
        resolver: Scheme, host and optional path stem, e.g. ``https://id.example.coop``.
        gtin: AI (01), normalised to GTIN-14.
        lot: AI (10), batch/lot, or ``None``.
        serial: AI (21), serial number, or ``None``.
        cpv: AI (22), consumer product variant, or ``None``.
        tpx: AI (235), third-party controlled serialised extension, or ``None``.
        attributes: Other AIs as ``(ai, value)`` pairs, sent as query parameters in order.
        signature: The label signature (query parameter ``s``), or ``None``; not GS1 data.
        certificate: The certificate number (query parameter ``cert``, 1 to 18 digits, no
            leading zero), or ``None``; not GS1 data and not covered by the label signature:
            the resolver checks it against the ledger's certificate entries.
    """

    resolver: str
    gtin: str
    lot: str | None = None
    serial: str | None = None
    cpv: str | None = None
    tpx: str | None = None
    attributes: tuple[tuple[str, str], ...] = ()
    signature: str | None = None
    certificate: str | None = None

    def __post_init__(self) -> None:
        resolver = self.resolver.rstrip("/")
        if resolver:
            _check_resolver(resolver)
        object.__setattr__(self, "resolver", resolver)
        object.__setattr__(self, "gtin", normalize_gtin(self.gtin))
        for name, ai in _FIELD_AI.items():
            value = getattr(self, name)
            if value is not None:
                validate_ai_value(ai, value, field=name)
        if self.tpx is not None and (self.cpv or self.lot or self.serial) is not None:
            raise GS1SyntaxError(
                "tpx", "expected TPX (235) alone after the GTIN, got it with CPV, lot or serial"
            )
        path_ais = {ai for ai, _ in self.path_elements}
        qualifiers = (_TPX,) if self.tpx is not None else _GTIN_QUALIFIERS
        seen: set[str] = set()
        for ai, value in self.attributes:
            rule = ai_rule(ai)
            if ai == "01" or ai in qualifiers or ai in path_ais:
                raise GS1SyntaxError(
                    f"AI ({ai})",
                    "expected it in the URI path as a key or qualifier, got it as a data attribute",
                )
            if not rule.dl_data_attribute or rule.dl_qualifier_paths is not None:
                raise GS1SyntaxError(
                    f"AI ({ai})", "expected an AI valid as a Digital Link data attribute"
                )
            if ai in seen:
                raise GS1SyntaxError(f"AI ({ai})", "expected at most one value, got two")
            seen.add(ai)
            validate_ai_value(ai, value)
        if self.signature is not None and not re.fullmatch(r"[A-Za-z0-9_\-]+", self.signature):
            raise GS1SyntaxError(
                "signature", f"expected base64url characters, got {self.signature!r}"
            )
        if self.certificate is not None and not _CERTIFICATE.fullmatch(self.certificate):
            raise GS1SyntaxError(
                "certificate",
                f"expected a certificate number (1 to 18 digits), got {self.certificate!r}",
            )

    @classmethod
    def from_elements(
        cls, resolver: str, elements: Iterable[tuple[str, str]], signature: str | None = None
    ) -> DigitalLink:
        """Build a Digital Link from ``(ai, value)`` pairs in any order, as an element string has.

        Repeated identical pairs collapse into one; the key and its qualifiers go into the
        path, everything else into the query in the order given.

        Raises:
            GS1SyntaxError: No GTIN, conflicting repeats, or an AI not allowed in a link.
        """
        fields: dict[str, str] = {}
        attributes: list[tuple[str, str]] = []
        names = {ai: name for name, ai in _FIELD_AI.items()} | {"01": "gtin"}
        for ai, value in elements:
            name = names.get(ai)
            if name is None:
                if (ai, value) not in attributes:
                    attributes.append((ai, value))
            elif fields.setdefault(name, value) != value:
                raise GS1SyntaxError(
                    f"AI ({ai})", f"expected one value, got {fields[name]!r} and {value!r}"
                )
        if "gtin" not in fields:
            raise GS1SyntaxError("gtin", "expected AI (01) in the element string, got none")
        return cls(resolver, attributes=tuple(attributes), signature=signature, **fields)

    @property
    def path_elements(self) -> tuple[tuple[str, str], ...]:
        """The key and its qualifiers as ``(ai, value)`` pairs, in URI path order."""
        pairs = [("01", self.gtin)]
        for name in ("cpv", "lot", "serial", "tpx"):
            value = getattr(self, name)
            if value is not None:
                pairs.append((_FIELD_AI[name], value))
        return tuple(pairs)

    @property
    def elements(self) -> tuple[tuple[str, str], ...]:
        """Every ``(ai, value)`` pair: the path first, then the data attributes."""
        return self.path_elements + self.attributes

    @property
    def element_string(self) -> str:
        """The human-readable bracketed element string, e.g. ``(01)09520123456788(10)ABC``."""
        return "".join(f"({ai}){value}" for ai, value in self.elements)

    @property
    def fnc1_element_string(self) -> str:
        """The element string as a barcode carries it, ``^`` standing for FNC1.

        A leading ``^`` is FNC1 in first position; a ``^`` follows each variable-length
        value that is not last.
        """
        out = ["^"]
        elements = self.elements
        for i, (ai, value) in enumerate(elements):
            out.append(ai + value)
            if ai_rule(ai).fnc1_required and i < len(elements) - 1:
                out.append("^")
        return "".join(out)

    @property
    def unsigned_uri(self) -> str:
        """The URI without the signature parameter (with the certificate number, if any)."""
        path = "".join(f"/{ai}/{quote(value, safe='')}" for ai, value in self.path_elements)
        params = [f"{ai}={quote(value, safe='')}" for ai, value in self.attributes]
        if self.certificate is not None:
            params.append(f"{CERTIFICATE_PARAM}={self.certificate}")
        return self.resolver + path + ("?" + "&".join(params) if params else "")

    @property
    def uri(self) -> str:
        """The URI, with the signature as the last query parameter when present."""
        uri = self.unsigned_uri
        if self.signature is None:
            return uri
        return f"{uri}{'&' if '?' in uri else '?'}{SIGNATURE_PARAM}={self.signature}"


def parse_digital_link(uri: str) -> DigitalLink:
    """Parse a GTIN-keyed GS1 Digital Link URI.

    Args:
        uri: An ``http``/``https`` URI such as
            ``https://id.example.coop/01/09520123456788/10/ABC1/21/12345?17=180426``.

    Returns:
        The link; its ``element_string`` is the data the URI carries.

    Raises:
        GS1SyntaxError: The URI is not a valid GTIN-keyed Digital Link; the message says
            which part and why.
    """
    if not _URI_CHARS.fullmatch(uri):
        bad = next(c for c in uri if not _URI_CHARS.fullmatch(c))
        raise GS1SyntaxError("uri", f"expected only URI characters, got {bad!r}")
    scheme = _SCHEME.match(uri)
    if scheme is None:
        raise GS1SyntaxError("uri", f"expected http:// or https://, got {uri[:10]!r}")
    rest = uri[scheme.end() :].split("#", 1)[0]
    rest, _, query = rest.partition("?")
    authority, slash, path = rest.partition("/")
    host = _HOST.fullmatch(authority)
    if host is None or (host.group(2) and int(host.group(2)[1:]) > 65535):
        raise GS1SyntaxError("uri", f"expected a host name or address, got {authority!r}")
    if not slash:
        raise GS1SyntaxError("uri", "expected a path holding /01/<gtin>, got none")
    segments = path.split("/")
    start = _find_gtin_key(segments)
    pairs = [
        (segments[i], _decode(segments[i + 1], plus_is_space=False))
        for i in range(start, len(segments), 2)
    ]
    resolver = uri[: scheme.end()] + authority + "".join("/" + s for s in segments[:start])
    values = dict(pairs)
    if len(values["01"]) != 14:
        # The standard's URI form is the full GTIN-14; zero-suppressed forms are refused as
        # the reference engine does by default.
        raise GS1SyntaxError(
            "gtin", f"expected 14 digits in a Digital Link URI, got {values['01']!r}"
        )
    attributes: list[tuple[str, str]] = []
    signature = certificate = None
    for param in query.split("&"):
        key, eq, raw = param.partition("=")
        if key == SIGNATURE_PARAM and eq:
            signature = raw
        elif key == CERTIFICATE_PARAM and eq:
            certificate = raw
        elif key.isdigit() and key.isascii():
            if not eq or not raw:
                raise GS1SyntaxError(f"AI ({key})", "expected a value, got none")
            ai_rule(key)
            attributes.append((key, _decode(raw, plus_is_space=True)))
        # Other parameters (empty, singletons, non-numeric keys) are not GS1 data: ignored,
        # as the standard requires.
    return DigitalLink(
        resolver,
        values["01"],
        lot=values.get("10"),
        serial=values.get("21"),
        cpv=values.get("22"),
        tpx=values.get(_TPX),
        attributes=tuple(attributes),
        signature=signature,
        certificate=certificate,
    )


def _find_gtin_key(segments: list[str]) -> int:
    # The key is the leftmost "01" segment after which the rest of the path is exactly
    # (AI, value) pairs forming an allowed qualifier sequence; earlier segments are the stem.
    for i, segment in enumerate(segments):
        if segment != "01" or (len(segments) - i) % 2:
            continue
        ais = segments[i + 2 :: 2]
        if _is_qualifier_path(ais):
            return i
    other = [s for s in segments if s.isdigit() and _is_other_key(s)]
    if other:
        raise GS1SyntaxError(
            "uri", f"expected a GTIN-keyed link (/01/...), got primary key AI ({other[0]})"
        )
    raise GS1SyntaxError(
        "uri", "expected a path ending /01/<gtin>[/22/<cpv>][/10/<lot>][/21/<serial>]"
    )


def _is_qualifier_path(ais: list[str]) -> bool:
    if ais == [_TPX] or not ais:
        return True
    order = [_GTIN_QUALIFIERS.index(ai) if ai in _GTIN_QUALIFIERS else -1 for ai in ais]
    return -1 not in order and order == sorted(set(order))


def _is_other_key(ai: str) -> bool:
    try:
        return ai != "01" and ai_rule(ai).dl_qualifier_paths is not None
    except GS1SyntaxError:
        return False


def _decode(raw: str, *, plus_is_space: bool) -> str:
    # Percent-decoding per RFC 3986; in the query "+" means a space (form encoding), which no
    # GS1 character set holds, so it is refused later by the AI's syntax check.
    if plus_is_space:
        raw = raw.replace("+", " ")
    out = bytearray()
    pos = 0
    for match in _PERCENT.finditer(raw):
        if match.group(1) is None:
            raise GS1SyntaxError("uri", f"expected %XX (two hex digits), got {raw!r}")
        out += raw[pos : match.start()].encode()
        out.append(int(match.group(1), 16))
        pos = match.end()
    out += raw[pos:].encode()
    try:
        return out.decode()
    except UnicodeDecodeError:
        raise GS1SyntaxError("uri", f"expected UTF-8 after percent-decoding {raw!r}") from None


def _check_resolver(resolver: str) -> None:
    scheme = _SCHEME.match(resolver)
    authority = resolver[scheme.end() :].split("/", 1)[0] if scheme else ""
    if (
        scheme is None
        or _HOST.fullmatch(authority) is None
        or not _URI_CHARS.fullmatch(resolver)
        or any(c in resolver for c in "?#")
    ):
        raise GS1SyntaxError(
            "resolver", f"expected http(s)://host[/stem] with no query, got {resolver!r}"
        )
