"""Numbers, dates and times as each page language writes them (Babel's CLDR data).

A time is always shown with its clock: the date and time in the reader's zone, then the
zone's name and its UTC offset ("2026年6月1日 10:30（北京时间，UTC+8）"), because Beijing and
Xinjiang time are two hours apart and a time without its zone is ambiguous (staff/_zones.py).
The zone names and the pattern that joins them are wording (the ``formats`` catalog), so a
translator fixes them in a ``.po`` file.
"""

from __future__ import annotations

import functools
from collections.abc import Hashable
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Final, Protocol

from babel import Locale
from babel.dates import format_date, format_time
from babel.numbers import format_decimal

from verifier_app._catalogs import wording
from verifier_app._i18n import LANGUAGES, Language

__all__ = [
    "BABEL_LOCALES",
    "BEIJING",
    "FORMAT_WORDING",
    "Clock",
    "format_day",
    "format_moment",
    "format_number",
    "utc_offset",
]

#: The CLDR locale each page language formats with.
BABEL_LOCALES: Final[dict[Language, Locale]] = {
    "zh": Locale.parse("zh_CN"),
    "ug": Locale.parse("ug_CN"),
    "en": Locale.parse("en"),
}

#: The zone names and the joining pattern, by language (``formats`` catalog).
FORMAT_WORDING = wording("formats", LANGUAGES)


class Clock(Hashable, Protocol):
    """A named clock (``staff._zones.Zone`` is one): ``name`` picks its wording (``tz_<name>``)."""

    @property
    def name(self) -> str:
        """The clock's short name: ``beijing``, ``xinjiang`` or ``utc``."""

    @property
    def tz(self) -> tzinfo:
        """The clock's offset from UTC."""


class _FixedClock:
    def __init__(self, name: str, hours: int) -> None:
        self.name = name
        self.tz: tzinfo = timezone(timedelta(hours=hours))


#: China's official time, the zone of every page that has no chosen clock.
BEIJING: Final[Clock] = _FixedClock("beijing", 8)


def utc_offset(tz: tzinfo, when: datetime | None = None) -> str:
    """The offset as people read it: ``UTC+8``, ``UTC+5:30``, ``UTC`` for zero."""
    offset = tz.utcoffset(when) or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def format_number(value: object, language: Language) -> str:
    """A number as ``language`` writes it (digit grouping, decimal sign); all digits kept.

    Text that is not a number (a code such as ``<LOQ``) is returned unchanged.
    """
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return str(value)
    if not number.is_finite():
        return str(value)
    return format_decimal(number, locale=BABEL_LOCALES[language], decimal_quantization=False)


def _as_datetime(value: datetime | str) -> datetime | None:
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        return None


def format_moment(value: datetime | str, language: Language, clock: Clock | None = None) -> str:
    """A moment as ``language`` writes it, on ``clock`` (Beijing time by default), zone named.

    A naive time is taken to be UTC (the ledger keeps offsets; only a bare value lacks one).
    Text that is not an ISO 8601 time is returned unchanged.
    """
    return _moment(value, language, clock or BEIJING)


# The consumer page shows the same checkpoint times to every scan: Babel's formatting costs
# tens of microseconds a call, a cached answer well under one.
@functools.lru_cache(maxsize=4096)
def _moment(value: datetime | str, language: Language, clock: Clock) -> str:
    moment = _as_datetime(value)
    if moment is None:
        return str(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(clock.tz)
    locale = BABEL_LOCALES[language]
    words = FORMAT_WORDING[language]
    joined = str(locale.datetime_formats["medium"]).format(
        format_time(local, "short", locale=locale), format_date(local, "medium", locale=locale)
    )
    zone = words.get(f"tz_{clock.name}", clock.name)
    return words["datetime_in_zone"].format(
        datetime=joined, zone=zone, offset=utc_offset(clock.tz, local)
    )


def format_day(value: date | datetime | str, language: Language) -> str:
    """A calendar day as ``language`` writes it (medium length: 2026年6月1日, Jun 1, 2026).

    An aware time gives its day in Beijing time.

    Text that is not an ISO 8601 date is returned unchanged.
    """
    day: date
    if isinstance(value, str) and len(value.strip()) > 10:
        value = _as_datetime(value) or value
    if isinstance(value, datetime):
        # The day on China's official clock: a scan at 23:00 UTC is the next day there.
        day = value.astimezone(BEIJING.tz).date() if value.tzinfo is not None else value.date()
    elif isinstance(value, date):
        day = value
    else:
        try:
            day = date.fromisoformat(value.strip()[:10])
        except ValueError:
            return str(value)
    return format_date(day, "medium", locale=BABEL_LOCALES[language])
