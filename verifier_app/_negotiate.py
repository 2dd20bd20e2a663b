"""Content negotiation for the resolver: the page, JSON, or an RFC 9264 linkset."""

from __future__ import annotations

from typing import Final, Literal

from fastapi import Request

from verifier_app._i18n import Language, choose_language

__all__ = [
    "JSON_LINK_TYPES",
    "LINKSET",
    "Representation",
    "link_type_form",
    "page_language",
    "representation",
]

LINKSET: Final = "application/linkset+json"
Representation = Literal["html", "json", "linkset"]

#: GS1 Web Vocabulary link types whose target the linkset declares as JSON (the data and
#: its proofs); the page's link types (``pip``, ``defaultLink``) are HTML.
JSON_LINK_TYPES: Final = ("verificationService", "traceability", "recallStatus")
_HTML_LINK_TYPES: Final = ("pip", "defaultLink")
# A link type may be asked for as a CURIE or in full, under either namespace GS1 publishes.
_VOC_PREFIXES: Final = ("gs1:", "https://gs1.org/voc/", "https://ref.gs1.org/voc/")


def link_type_form(link_type: str | None) -> Representation | None:
    """The form the linkset declares for a requested ``linkType``, or None if it names none.

    >>> link_type_form("gs1:traceability"), link_type_form("https://gs1.org/voc/pip")
    ('json', 'html')
    """
    if link_type is None:
        return None
    if link_type in ("linkset", "all"):
        return "linkset"
    for prefix in _VOC_PREFIXES:
        if link_type.startswith(prefix):
            term = link_type[len(prefix) :]
            if term in JSON_LINK_TYPES:
                return "json"
            if term in _HTML_LINK_TYPES:
                return "html"
    return None


def _accepts(accept: str) -> dict[str, float]:
    """Media ranges with their quality values (RFC 9110 §12.5.1)."""
    qualities: dict[str, float] = {}
    for part in accept.split(",")[:30]:
        media, *params = (p.strip() for p in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        qualities[media.lower()] = max(quality, qualities.get(media.lower(), 0.0))
    return qualities


def representation(request: Request) -> Representation:
    """Choose the answer's form: a ``linkType`` first, else the ``Accept`` header.

    ``linkType=linkset`` (or ``all``) asks for the linkset; a link type the linkset offers
    is answered with the target it declares (GS1-Conformant Resolver 1.2: JSON for
    ``gs1:verificationService``, ``gs1:traceability``, ``gs1:recallStatus``). Otherwise a
    browser's ``*/*`` and a missing ``Accept`` get the page; so do ties, because a browser
    sending ``text/html, application/json`` wants a page.
    """
    chosen = link_type_form(request.query_params.get("linkType"))
    if chosen is not None:
        return chosen
    accept = _accepts(request.headers.get("accept", ""))
    scores: dict[Representation, float] = {
        "linkset": accept.get(LINKSET, 0.0),
        "json": accept.get("application/json", 0.0),
        "html": max(accept.get("text/html", 0.0), accept.get("*/*", 0.0), 0.001),
    }
    return max(("html", "json", "linkset"), key=lambda r: scores[r])


def page_language(request: Request) -> Language:
    """The page language: ``?lang=``, else ``Accept-Language``, else Chinese."""
    return choose_language(request.query_params.get("lang"), request.headers.get("accept-language"))
