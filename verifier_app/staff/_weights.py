"""Weights as the shed says them: kg, 公斤 or 斤 (catty), converted to kg before the event.

People at a Xinjiang packing shed weigh in 斤 (jin; 1 斤 = 0.5 kg) as often as in 公斤
(kg). A weight box takes a number with or without one of these units; the event is always
recorded in kg, and the lot page shows the conversion made ("85 斤 = 42.5 kg") so the person
can check it. Text that is not a number with a known unit is passed on unchanged, so the
domain's own check names what it expected.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

__all__ = ["KG_PER", "Weighed", "read_weight"]

#: kg per unit, by every spelling accepted (Chinese, Uyghur, Latin).
KG_PER: Final[Mapping[str, Decimal]] = {
    "kg": Decimal(1),
    "公斤": Decimal(1),
    "千克": Decimal(1),
    "كىلو": Decimal(1),
    "كىلوگىرام": Decimal(1),
    "斤": Decimal("0.5"),
    "jin": Decimal("0.5"),
    "جىڭ": Decimal("0.5"),
}
# A decimal point only: "1,000 斤" must not read as one 斤 (a comma groups thousands).
_WEIGHT = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*(\S+)?\s*$")


@dataclass(frozen=True)
class Weighed:
    """A weight as typed and as recorded.

    Attributes:
        typed: The number as typed.
        unit: The unit as typed (``kg`` when none was given).
        kg: The weight in kg, as decimal text for the event.
    """

    typed: str
    unit: str
    kg: str

    @property
    def converted(self) -> bool:
        """Whether the unit was not kg (the page then shows the conversion)."""
        return KG_PER[self.unit] != 1


def read_weight(text: str) -> Weighed | None:
    """Read ``42.5``, ``42.5 kg``, ``42.5公斤`` or ``85 斤``; None when it is none of these."""
    found = _WEIGHT.match(text)
    if found is None:
        return None
    number, unit = found[1], (found[2] or "kg")
    unit = unit.lower() if unit.isascii() else unit
    factor = KG_PER.get(unit)
    if factor is None:
        return None
    if factor == 1:
        return Weighed(number, unit, number)  # recorded as typed
    return Weighed(number, unit, format((Decimal(number) * factor).normalize(), "f"))
