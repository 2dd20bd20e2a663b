"""Left-to-right runs inside right-to-left wording, isolated so they keep their order.

A Uyghur sentence on a staff or regulator page may carry a code, a unit or a number:
"مەھسۇلات GTIN", "EPCIS 2.0 (JSON-LD) چۈشۈرۈش", "(mg/kg)". Without isolation the
Unicode bidirectional algorithm reorders the run's neutral characters against the Arabic
script around it ("(JSON-LD) 2.0 EPCIS"). The templates isolate the values they insert in
``<bdi>``; wording ends up in places a ``<bdi>`` cannot go (an ``<option>``, a button, an
attribute), so each left-to-right run of right-to-left wording is put between the Unicode
isolates LRI (U+2066) and PDI (U+2069), which work in all of them. ``{name}`` placeholders
and ``%d`` ones are left as they are, for the code that fills them in.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Final

from verifier_app._i18n import DIRECTION, Language

__all__ = ["LRI", "PDI", "isolate_ltr", "isolated_wording"]

LRI: Final = "\u2066"
PDI: Final = "\u2069"
# A run is words of letters, digits and the punctuation inside codes and numbers ("2.0",
# "mg/kg", "<LOQ", "JSON-LD"), or a balanced bracket of them, separated by spaces; a
# sentence's own full stop or comma after it is not part of it. Placeholders are atoms.
_WORD = r"<?[0-9A-Za-z](?:[0-9A-Za-z.,:/+\-_%]*[0-9A-Za-z%])?"
_GROUP = r"\((?:" + _WORD + r")(?: +(?:" + _WORD + r"))*\)"
_TOKEN = f"(?:{_WORD}|{_GROUP})"
_RUN = re.compile(r"\{[^{}]*\}|%[-+0-9.]*[sdif]|" + _TOKEN + r"(?: +" + _TOKEN + r")*")


def isolate_ltr(text: str) -> str:
    """Return ``text`` with every left-to-right run between LRI and PDI (placeholders kept).

    >>> isolate_ltr("EPCIS 2.0 (JSON-LD) چۈشۈرۈش") == "\u2066EPCIS 2.0 (JSON-LD)\u2069 چۈشۈرۈش"
    True
    """

    def wrap(found: re.Match[str]) -> str:
        run = found[0]
        return run if run.startswith(("{", "%")) else f"{LRI}{run}{PDI}"

    return _RUN.sub(wrap, text)


@functools.cache
def _isolated(words: tuple[tuple[str, str], ...]) -> Mapping[str, str]:
    return {key: isolate_ltr(text) for key, text in words}


def isolated_wording(
    wording: Mapping[Language, Mapping[str, str]], language: Language
) -> Mapping[Language, Mapping[str, str]]:
    """Return ``wording`` with ``language``'s sentences isolated when it is right to left.

    Left-to-right languages come back unchanged; the isolated table is built once.
    """
    if DIRECTION[language] != "rtl":
        return wording
    return {**wording, language: _isolated(tuple(wording[language].items()))}
