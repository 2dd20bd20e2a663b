"""A temperature log as a small inline SVG chart: the readings over the allowed band.

Drawn on the server, so the page shows it without JavaScript and in one request; a few
hundred bytes for the demo's logs (the page must stay under 30 KB gzipped). Pure: readings
in, markup out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal

from markupsafe import Markup

__all__ = ["temperature_chart"]

# The drawing area inside a 320 x 120 view box: room on the left for the degree labels,
# below for the first and last time.
_LEFT, _RIGHT, _TOP, _BOTTOM = 34.0, 314.0, 8.0, 96.0


def _hhmm(text: str) -> str:
    return datetime.fromisoformat(text).strftime("%H:%M")


def temperature_chart(
    readings: Sequence[Mapping[str, str]],
    low: Decimal,
    high: Decimal,
    title: str,
    start: str | None = None,
    *,
    settling: bool = False,
    due: str | None = None,
) -> Markup:
    """Return an ``<svg>`` of ``readings`` (``{time, celsius}``) with the band low..high shaded.

    Args:
        readings: The log's readings in time order (decimal strings, ISO times).
        low: The band's lower edge in °C.
        high: The band's upper edge in °C.
        title: What the chart shows, in the page's language (its accessible name).
        start: Where the time axis starts (e.g. the harvest), if before the first reading.
        settling: The log starts outside the band on purpose (pre-cooling takes the field
            heat out): readings before the first one inside the band are not marked.
        due: When the band must be reached (e.g. harvest + 60 min): a dashed upright line.

    A reading outside the band is drawn as a red dot. An empty log draws nothing.
    """
    if not readings:
        return Markup("")
    times = [datetime.fromisoformat(r["time"]) for r in readings]
    origin = min([*times, *([datetime.fromisoformat(start)] if start else [])])
    until = max([*times, *([datetime.fromisoformat(due)] if due else [])])
    span = max((until - origin).total_seconds(), 60.0)
    values = [Decimal(r["celsius"]) for r in readings]
    inside = [low <= v <= high for v in values]
    settled = inside.index(True) if settling and True in inside else 0
    marked = [not ok and i >= settled for i, ok in enumerate(inside)]
    bottom = min([low, *values]) - 1
    top = max([high, *values]) + 1

    def x(at: datetime) -> float:
        return _LEFT + (_RIGHT - _LEFT) * (at - origin).total_seconds() / span

    def y(celsius: Decimal) -> float:
        return _BOTTOM - (_BOTTOM - _TOP) * float((celsius - bottom) / (top - bottom))

    points = " ".join(f"{x(t):.0f},{y(v):.0f}" for t, v in zip(times, values, strict=True))
    dots = Markup("").join(
        Markup('<circle cx="{}" cy="{}" r="3"{}/>').format(
            f"{x(t):.0f}", f"{y(v):.0f}", Markup(' class="out"') if out else ""
        )
        for t, v, out in zip(times, values, marked, strict=True)
    )
    band_top, band_bottom = y(high), y(low)
    deadline = Markup("")
    if due is not None:
        at = f"{x(datetime.fromisoformat(due)):.0f}"
        deadline = Markup('<line class="due" x1="{x}" y1="8" x2="{x}" y2="96"/>').format(x=at)
    first = _hhmm(start) if start else _hhmm(readings[0]["time"])
    return Markup(
        '<svg class="chart" dir="ltr" viewBox="0 0 320 120" role="img" aria-label="{title}">'
        "<title>{title}</title>"
        '<rect class="band" x="{l}" y="{bt:.0f}" width="{w}" height="{bh:.0f}"/>'
        '{deadline}<polyline points="{points}"/>{dots}'
        '<text x="30" y="12" text-anchor="end">{top}°</text>'
        '<text x="30" y="{bt:.0f}" text-anchor="end">{high}°</text>'
        '<text x="30" y="{bb:.0f}" text-anchor="end">{low}°</text>'
        '<text x="{l}" y="114">{first}</text>'
        '<text x="{r}" y="114" text-anchor="end">{last}</text></svg>'
    ).format(
        title=title,
        l=f"{_LEFT:.0f}",
        r=f"{_RIGHT:.0f}",
        w=f"{_RIGHT - _LEFT:.0f}",
        bt=band_top,
        bb=band_bottom + 4,
        bh=band_bottom - band_top,
        points=points,
        dots=dots,
        deadline=deadline,
        top=top,
        high=high,
        low=low,
        first=first,
        last=_hhmm(readings[-1]["time"]),
    )
