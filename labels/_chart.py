"""Bar charts as plain shapes: rectangles, line segments and text, for any drawing surface.

The same chart is drawn into a report's PDF (:mod:`labels._report`, with the PDF writer's
own rectangles, lines and glyph outlines) and into a web page as SVG (the app's chart
helper): both draw the shapes :func:`chart_shapes` places, so the page and the PDF show the
same picture. Coordinates are in the caller's units, ``y`` growing downwards from the
chart's top left; text sizes are in the same units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from labels._errors import LayoutError

__all__ = ["BarChart", "ChartLabel", "ChartRect", "ChartSegment", "Shape", "chart_shapes"]

#: Bar colours per series (blue, green, amber): distinguishable in grey print too.
SERIES_COLOURS = ("#1e5fa8", "#5aa469", "#d08c00")
_TARGET = "#b3261e"
_INK = "#1b1b1b"
_GRID = "#c8c8c8"


@dataclass(frozen=True)
class BarChart:
    """A bar chart: categories along the bottom, one bar per series in each.

    Attributes:
        title: Printed above the chart.
        categories: The bars' names (weeks, routes), left to right; at most 60.
        series: (name, values) per series, 1 to 3, each with one value per category; a
            value of None is drawn as no bar (nothing measured).
        percent: Values are fractions shown as percentages (the axis runs 0-100%).
        target: A value drawn as a red line across the chart (e.g. the loss target).
        target_label: The target line's name.
    """

    title: str
    categories: tuple[str, ...]
    series: tuple[tuple[str, tuple[float | None, ...]], ...]
    percent: bool = False
    target: float | None = None
    target_label: str = ""

    def __post_init__(self) -> None:
        if not 1 <= len(self.series) <= len(SERIES_COLOURS):
            raise LayoutError(f"series: expected 1 to 3, got {len(self.series)}")
        if len(self.categories) > 60:
            raise LayoutError(f"categories: expected at most 60, got {len(self.categories)}")
        for name, values in self.series:
            if len(values) != len(self.categories):
                raise LayoutError(
                    f"series {name!r}: expected {len(self.categories)} values (one per "
                    f"category), got {len(values)}"
                )
            bad = [v for v in values if v is not None and not math.isfinite(v)]
            if bad:
                raise LayoutError(f"series {name!r}: expected finite values, got {bad[0]}")


@dataclass(frozen=True)
class ChartRect:
    """A filled rectangle (top left ``x``, ``y``)."""

    x: float
    y: float
    width: float
    height: float
    colour: str


@dataclass(frozen=True)
class ChartSegment:
    """A straight line."""

    x1: float
    y1: float
    x2: float
    y2: float
    colour: str
    width: float
    dashed: bool = False


@dataclass(frozen=True)
class ChartLabel:
    """Text on a baseline at ``y``; ``anchor`` says where ``x`` is (start, middle or end)."""

    x: float
    y: float
    text: str
    size: float
    anchor: Literal["start", "middle", "end"] = "start"
    colour: str = _INK


Shape = ChartRect | ChartSegment | ChartLabel


def _nice_top(largest: float) -> float:
    """The smallest 1, 2, 2.5 or 5 times a power of ten at or above ``largest``."""
    if largest <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(largest))
    for step in (1.0, 2.0, 2.5, 5.0):
        if step * power >= largest:
            return step * power
    return 10.0 * power


def _ems(text: str) -> float:
    """A text's rough width in ems: CJK characters are square, others about half as wide."""
    return sum(1.0 if ord(c) >= 0x2E80 else 0.55 for c in text)


def _number(value: float, percent: bool) -> str:
    if percent:
        return f"{value * 100:.0f}%" if abs(value) >= 0.1 or value == 0 else f"{value * 100:.1f}%"
    if abs(value) >= 100 or value == int(value):
        return f"{value:,.0f}"
    return f"{value:,.1f}"


def chart_shapes(chart: BarChart, width: float, height: float) -> list[Shape]:
    """Place ``chart`` in a ``width`` by ``height`` box: title, axis, grid, bars, legend.

    Negative values (a shipment that gained weight) are drawn as no bar above zero, and
    their number is printed.
    """
    text = height * 0.05  # type size: readable at the page's and the PDF's sizes alike
    left, right = text * 4.5, width - text
    top = text * 2.2 + (text * 1.4 if len(chart.series) > 1 or chart.target is not None else 0)
    bottom = height - text * 2.4
    values = [v for _, vs in chart.series for v in vs if v is not None]
    largest = max([*values, chart.target or 0.0, 0.0])
    # A rate's axis ends at the next round figure above the largest (20% for a 12% loss),
    # never past 100% unless a rate is over it.
    axis_top = _nice_top(largest)
    if chart.percent and largest <= 1:
        axis_top = min(1.0, axis_top)
    elif not chart.percent and all(v == int(v) for v in values):
        axis_top = max(4.0, axis_top)  # counts: whole steps on the axis (0, 1, 2, 3, 4)
    shapes: list[Shape] = [ChartLabel(0, text * 1.1, chart.title, text * 1.15)]
    # Legend: a swatch and a name per series, then the target's name.
    at = left
    legend_y = text * 2.4
    if len(chart.series) > 1 or chart.target is not None:
        for i, (name, _) in enumerate(chart.series):
            shapes.append(
                ChartRect(at, legend_y - text * 0.8, text * 0.8, text * 0.8, SERIES_COLOURS[i])
            )
            shapes.append(ChartLabel(at + text * 1.1, legend_y, name, text * 0.85))
            at += text * (2.5 + _ems(name))
        if chart.target is not None:
            shapes.append(
                ChartSegment(
                    at,
                    legend_y - text * 0.35,
                    at + text * 1.5,
                    legend_y - text * 0.35,
                    _TARGET,
                    text * 0.12,
                    True,
                )
            )
            shapes.append(
                ChartLabel(
                    at + text * 1.9, legend_y, chart.target_label, text * 0.85, colour=_TARGET
                )
            )
    # Grid and axis numbers: four steps.
    for step in range(5):
        value = axis_top * step / 4
        y = bottom - (bottom - top) * step / 4
        shapes.append(ChartSegment(left, y, right, y, _INK if step == 0 else _GRID, text * 0.06))
        shapes.append(
            ChartLabel(
                left - text * 0.4, y + text * 0.35, _number(value, chart.percent), text * 0.8, "end"
            )
        )
    count = len(chart.categories)
    if count == 0:
        return shapes
    # At least six slots' worth of room each: two bars do not fill the width.
    slot = (right - left) / max(count, 6)
    bar = slot * 0.8 / len(chart.series)
    # Category names shrink to their slot (a route's name is long, a week's short).
    widest = max(_ems(c) for c in chart.categories)
    label_size = min(text * 0.8, slot * 0.95 / max(1.0, widest))
    for i, category in enumerate(chart.categories):
        x0 = left + slot * i + slot * 0.1
        for j, (_, series_values) in enumerate(chart.series):
            found = series_values[i]
            if found is None:
                continue
            value = found
            h = (bottom - top) * max(0.0, min(value, axis_top)) / axis_top
            x = x0 + bar * j
            if h > 0:
                shapes.append(ChartRect(x, bottom - h, bar, h, SERIES_COLOURS[j]))
            if count * len(chart.series) <= 16:  # numbers on the bars while they fit
                shapes.append(
                    ChartLabel(
                        x + bar / 2,
                        bottom - h - text * 0.3,
                        _number(value, chart.percent),
                        text * 0.75,
                        "middle",
                    )
                )
        shapes.append(
            ChartLabel(left + slot * (i + 0.5), bottom + text * 1.3, category, label_size, "middle")
        )
    if chart.target is not None:
        y = bottom - (bottom - top) * min(chart.target, axis_top) / axis_top
        shapes.append(ChartSegment(left, y, right, y, _TARGET, text * 0.12, True))
    return shapes
