"""Values in the page's language: substances, grades, commodities, quantities, lineage lines.

Each formatter takes a recorded code and the page language and returns text for the page.
None of them fails on a code it does not know: it returns the code as recorded (a new grade
or unit shows as typed, never a 500), and the page-words test
(tests/verifier_app/test_page_words.py) then names it, so it gets its wording.

Substance names come from the reviewed table ``traceability/data/substances.csv`` (zh from
GB 4839 / GB 2763, en ISO 1750, CAS numbers; ug pending native review), read by
:func:`substance_names` -- the same function shape as the consumer story's
``consumer._story.substance_names``, so one can later point at the other.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from importlib.resources import files
from typing import Final

from verifier_app._formats import format_number
from verifier_app._i18n import Language
from verifier_app._value_wording import VALUE_WORDING

__all__ = [
    "JIN_PER_KG",
    "commodity_name",
    "grade_name",
    "lineage_detail",
    "quantity_text",
    "rule_name",
    "split_quantity",
    "substance_name",
    "substance_names",
    "value_word",
]

#: One 斤 (市斤) is 500 g: the market unit Chinese readers weigh fruit in.
JIN_PER_KG: Final = Decimal(2)


def value_word(language: Language, key: str, **values: object) -> str:
    """The wording ``key`` in ``language`` filled with ``values``; the key itself if unknown."""
    text = VALUE_WORDING[language].get(key)
    return key if text is None else text.format(**values)


@functools.cache
def substance_names() -> Mapping[str, Mapping[str, str]]:
    """The reviewed substance names (``traceability/data/substances.csv``).

    Returns:
        Substance code (lower case) -> its row: ``cas``, ``zh``, ``ug``, ``en``.
    """
    text = (files("traceability") / "data" / "substances.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    return {row["substance"].lower(): row for row in rows}


def substance_name(code: str, language: Language) -> str:
    """A pesticide's name in ``language`` (``chlorpyrifos`` -> ``毒死蜱``); unknown: as recorded."""
    row = substance_names().get(code.strip().lower())
    return (row.get(language) or code) if row else code


def grade_name(code: str, language: Language) -> str:
    """A grade band's name (``super`` -> ``特级``); an unknown band as recorded."""
    return VALUE_WORDING[language].get(f"v_grade_{code}", code)


def commodity_name(commodity: str, language: Language, recorded: str = "") -> str:
    """The product's name from its commodity (``strawberry`` -> ``草莓``).

    The registered product name is free text (the demo writes it in three languages at once);
    the commodity is a code the app can word. Unknown commodity: the ``recorded`` name, else
    the code.
    """
    return VALUE_WORDING[language].get(f"v_commodity_{commodity}", recorded or commodity)


def rule_name(code: str, language: Language) -> str:
    """A rule's name (``cold-chain-precool`` -> ``预冷不达标``); unknown: says it is a rule."""
    words = VALUE_WORDING[language]
    return words.get(f"v_rule_{code}") or words["v_rule_unknown"].format(code=code)


def quantity_text(value: str, unit: str, language: Language, *, jin: bool = True) -> str:
    """A quantity with its unit in words: ``120 KGM`` -> ``120 公斤（240 斤）`` / ``120 kg``.

    ``value`` is the recorded decimal text (all digits kept); ``unit`` its UN/CEFACT code.
    Chinese pages add the weight in 斤 for kilograms (``jin=False``: not, where space is
    short). A value that is not a number or a unit without wording is shown as recorded.
    """
    key = f"v_unit_{unit.strip()}"
    words = VALUE_WORDING[language]
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        return f"{value} {unit}".strip()
    if key not in words or not number.is_finite():
        return f"{format_number(value, language)} {unit}".strip()
    text = words[key].format(n=format_number(value, language))
    if jin and unit.strip() == "KGM" and words["v_jin"]:
        jin_count = (number * JIN_PER_KG).normalize()
        text += words["v_jin"].format(n=format_number(format(jin_count, "f"), language))
    return text


def split_quantity(text: str) -> tuple[str, str]:
    """``"42.0 KGM"`` -> ``("42.0", "KGM")``; no unit -> ``(text, "")``."""
    value, _, unit = text.strip().partition(" ")
    return value, unit.strip()


def lineage_detail(
    grade: str | None, kind: str, quantity: str, unit: str, packed: bool, language: Language
) -> str:
    """A lot box's second line: its grade (else how it was made), quantity, whether packed.

    ``kind``: the event that made the lot, without ``trace.`` (``harvest``, ``grading``...).
    """
    words = VALUE_WORDING[language]
    what = grade_name(grade, language) if grade else words.get(f"v_kind_{kind}", kind)
    parts = [what] if what else []
    if quantity:
        parts.append(quantity_text(quantity, unit, language, jin=False))  # boxes are narrow
    if packed:
        parts.append(words["v_packed"])
    return words["v_list"].join(parts)
