"""The one text policy for every free-text value the domain accepts.

Free text (a variety, a grower's name, a reason for a recall) comes from forms, the API,
CSV files, the CLI and other actors' signed statements, and ends up signed on the ledger,
in PostgreSQL, on pages in three languages and in exports. One function decides what may
pass, so every boundary refuses the same things with the same words:

- **Control characters** (C0 except tab and newline where a field allows several lines,
  DEL, C1): NUL cannot be stored in PostgreSQL text at all, and the others are invisible
  on a page and break CSV and terminal output.
- **Bidirectional controls** (U+202A-U+202E, U+2066-U+2069, U+200E/U+200F, U+061C): they
  reorder neighbouring text on a page ("Trojan Source", CVE-2021-42574), so a grower's
  name could visually swap two facts. The pages isolate each value (``dir="auto"`` and
  ``<bdi>``) and Uyghur and Chinese need none of these controls.
- **Invisible formatting** (zero-width space U+200B, word joiner U+2060, invisible
  operators U+2061-U+2064, BOM U+FEFF, soft hyphen U+00AD, interlinear annotation
  U+FFF9-U+FFFB, tag characters U+E0000-U+E007F): they make two different values look the
  same. ZWNJ (U+200C) and ZWJ (U+200D) are allowed: Uyghur and Persian spelling and emoji
  sequences need them.
- **Non-characters and unpaired surrogates**: not text; a surrogate cannot even be
  encoded as UTF-8.

What passes is normalised to NFC (so "é" typed two ways is signed one way) and bounded in
length, counted in code points after normalisation.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Final

from traceability._errors import ValidationError

__all__ = ["MAX_TEXT", "check_text", "forbidden_character", "unnormalised_text"]

#: The longest free-text value, in code points: a name, an address, a reason.
MAX_TEXT: Final = 200

_FORBIDDEN = re.compile(
    "["
    "\x00-\x08\x0b-\x1f\x7f-\x9f"  # C0 but tab and newline, DEL, C1
    "\u00ad\u061c\u180e"  # soft hyphen, Arabic letter mark, Mongolian vowel separator
    "\u200b\u200e\u200f\u2028\u2029"  # zero-width space, LRM/RLM, line/paragraph separator
    "\u202a-\u202e\u2060-\u2069"  # bidi embeddings and overrides, word joiner, isolates
    "\ufeff\ufff9-\ufffb"  # BOM / zero-width no-break space, interlinear annotations
    "\ufdd0-\ufdef\ufffe\uffff"  # non-characters
    "\U000e0000-\U000e007f"  # tag characters
    "\ud800-\udfff"  # unpaired surrogates (a str only holds them unpaired)
    "]"
)

_NAMES: Final = {"\x00": "NUL", "\t": "TAB", "\n": "LINE FEED", "\r": "CARRIAGE RETURN"}


def _describe(char: str) -> str:
    name = _NAMES.get(char) or unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" {name}" if name else "")


def forbidden_character(value: str, *, multiline: bool = False) -> str | None:
    """Return the first character ``value`` may not hold (described), or None.

    Args:
        value: The text.
        multiline: Whether a newline is allowed (a note); a tab always is.
    """
    match = _FORBIDDEN.search(value)
    if match is not None:
        return _describe(match.group())
    if not multiline and "\n" in value:
        return _describe("\n")
    return None


def check_text(
    value: object, field: str, *, max_length: int = MAX_TEXT, multiline: bool = False
) -> str:
    """Return ``value`` as NFC text that passes the policy (module docstring), or raise.

    Args:
        value: What came: must be a string.
        field: The field's name, for the error.
        max_length: The most code points allowed after normalisation.
        multiline: Whether the field allows newlines.

    Raises:
        ValidationError: not a string, a forbidden character (named, with its position),
            or too long.
    """
    if not isinstance(value, str):
        raise ValidationError(field, "text", value)
    bad = forbidden_character(value, multiline=multiline)
    if bad is not None:
        where = next(i for i, c in enumerate(value) if forbidden_character(c, multiline=multiline))
        raise ValidationError(
            field, f"text without control or invisible characters ({bad} at {where})", value
        )
    text = unicodedata.normalize("NFC", value)
    if len(text) > max_length:
        raise ValidationError(field, f"at most {max_length} characters", f"{len(text)} characters")
    return text


def unnormalised_text(signed: Any, written: Any, where: str = "") -> tuple[str, str] | None:
    """Where a body someone signed holds text the policy would have written otherwise.

    The server normalises what it signs itself; a statement a caller signed (a lab's
    results) cannot be changed without breaking its signature, so text in it that is not
    NFC, or has white space around it, would sit on the log in a second spelling of the
    same value. ``written`` is the model's own body for ``signed``; the first text (or
    member name) whose normalised form is what the model wrote, but which differs from it,
    is returned as ``(path, text)``. Other differences (a time written another way) are not
    text and are left alone.
    """

    def respelled(text: str, other: Any) -> bool:
        return isinstance(other, str) and text != other and nfc_trimmed(text) == other

    def nfc_trimmed(text: str) -> str:
        return unicodedata.normalize("NFC", text).strip()

    if isinstance(signed, str):
        return (where or "body", signed) if respelled(signed, written) else None
    if isinstance(signed, dict) and isinstance(written, dict):
        for key, item in signed.items():
            if key in written:
                found = unnormalised_text(item, written[key], f"{where}.{key}" if where else key)
                if found is not None:
                    return found
            elif any(respelled(key, other) for other in written):
                return f"{where or 'body'}[key]", key
    elif isinstance(signed, list) and isinstance(written, list):
        for index, (item, other) in enumerate(zip(signed, written, strict=False)):
            found = unnormalised_text(item, other, f"{where}[{index}]")
            if found is not None:
                return found
    return None
