"""One error hierarchy for everything the labels package refuses."""

from __future__ import annotations

__all__ = [
    "FontMissingError",
    "GS1SyntaxError",
    "LabelError",
    "LabelSignatureError",
    "LayoutError",
]


class LabelError(Exception):
    """Base class of every error raised by :mod:`labels`."""


class GS1SyntaxError(LabelError, ValueError):
    """A GTIN, lot, serial, element string or Digital Link URI breaks the GS1 syntax rules.

    Attributes:
        field: The field that was wrong (for example ``"gtin"``, ``"lot"``, ``"uri"``).
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class FontMissingError(LabelError):
    """No font that covers the text's script was found; the message names the package."""


class LayoutError(LabelError, ValueError):
    """A label layout is unknown or its content does not fit the label."""


class LabelSignatureError(LabelError):
    """A label's signature is missing, malformed, or does not verify (a possible forgery)."""
