"""The clock a staff form's times are read in, chosen per device: Beijing or Xinjiang time.

A ``datetime-local`` box carries no offset. China keeps one official time (Beijing, UTC+8),
but many Uyghur households keep Xinjiang time (UTC+6), two hours behind; a harvest typed
"08:30" by someone on Xinjiang time happened at 10:30 Beijing time. So the forms name the
zone next to every time box, the staff home lets each device choose (a cookie, not the
person's account: a shared shed laptop keeps its own clock), and the event is built with the
chosen zone's UTC offset, which the ledger stores.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Final

from fastapi import Request

__all__ = ["COOKIE", "DEFAULT_ZONE", "ZONES", "Zone", "device_zone", "local_now", "read_time"]

#: The cookie that holds a device's choice (a zone's ``name``).
COOKIE: Final = "agritrace_zone"


@dataclass(frozen=True)
class Zone:
    """A clock the forms can be read in: its cookie value, wording key and offset."""

    name: str
    wording: str
    tz: timezone

    @property
    def utc(self) -> str:
        """The offset as people read it, e.g. ``UTC+8`` (shown beside the zone's name)."""
        hours = int(self.tz.utcoffset(None).total_seconds() // 3600)
        return f"UTC{hours:+d}"


ZONES: Final[Mapping[str, Zone]] = {
    "beijing": Zone("beijing", "zone_beijing", timezone(timedelta(hours=8))),
    "xinjiang": Zone("xinjiang", "zone_xinjiang", timezone(timedelta(hours=6))),
}
DEFAULT_ZONE: Final = ZONES["beijing"]


def device_zone(request: Request) -> Zone:
    """The zone this device chose (its cookie), or Beijing time when it chose none."""
    return ZONES.get(request.cookies.get(COOKIE, ""), DEFAULT_ZONE)


def local_now(zone: Zone = DEFAULT_ZONE) -> str:
    """Now on ``zone``'s clock, as a ``datetime-local`` box shows it."""
    return datetime.now(UTC).astimezone(zone.tz).strftime("%Y-%m-%dT%H:%M")


def read_time(text: str, zone: Zone) -> datetime:
    """Read a ``datetime-local`` value as a time on ``zone``'s clock (an offset given wins).

    Raises:
        ValueError: not a date and time.
    """
    moment = datetime.fromisoformat(text.strip())
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone.tz)
