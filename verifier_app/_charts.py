"""Server-rendered SVG bar charts for the dashboards and the published reports.

The chart is laid out once by :func:`labels.chart_shapes` (the same shapes the report's
PDF draws) and written here as inline SVG: no script, no external asset, text escaped. A
chart carries its title as the picture's accessible name, and the numbers it shows are in
a table beside it on every page (a picture alone is not the record).
"""

from __future__ import annotations

from html import escape

from labels import BarChart, ChartLabel, ChartRect, ChartSegment, chart_shapes

__all__ = ["chart_svg"]

_WIDTH, _HEIGHT = 640.0, 260.0


def chart_svg(chart: BarChart) -> str:
    """Return ``chart`` as an inline ``<svg>`` element (scales to its container's width)."""
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {_WIDTH:.0f} {_HEIGHT:.0f}" direction="ltr" '
        f'aria-label="{escape(chart.title)}" font-family="sans-serif">',
        f"<title>{escape(chart.title)}</title>",
    ]
    for shape in chart_shapes(chart, _WIDTH, _HEIGHT):
        if isinstance(shape, ChartRect):
            parts.append(
                f'<rect x="{shape.x:.1f}" y="{shape.y:.1f}" width="{shape.width:.1f}" '
                f'height="{shape.height:.1f}" fill="{shape.colour}"/>'
            )
        elif isinstance(shape, ChartSegment):
            dash = ' stroke-dasharray="6 4"' if shape.dashed else ""
            parts.append(
                f'<line x1="{shape.x1:.1f}" y1="{shape.y1:.1f}" x2="{shape.x2:.1f}" '
                f'y2="{shape.y2:.1f}" stroke="{shape.colour}" '
                f'stroke-width="{shape.width:.2f}"{dash}/>'
            )
        elif isinstance(shape, ChartLabel):
            parts.append(
                f'<text x="{shape.x:.1f}" y="{shape.y:.1f}" font-size="{shape.size:.1f}" '
                f'text-anchor="{shape.anchor}" fill="{shape.colour}">{escape(shape.text)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)
