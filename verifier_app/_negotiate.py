"""Content negotiation for the resolver: the page, JSON, or an RFC 9264 linkset."""

from __future__ import annotations

from typing import Final, Literal

from fastapi import Request

from verifier_app._i18n import Language, choose_language

__all__ = ["LINKSET", "Representation", "page_language", "representation"]

LINKSET: Final = "application/linkset+json"
Representation = Literal["html", "json", "linkset"]


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
    """Choose the answer's form; ``linkType=linkset`` (or ``all``) asks for the linkset.

    A browser's ``*/*`` and a missing ``Accept`` get the page; so do ties, because a browser
    sending ``text/html, application/json`` wants a page.
    """
    if request.query_params.get("linkType") in ("linkset", "all"):
        return "linkset"
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
