"""Draw a lineage graph as a small, self-contained SVG: pure, text in, text out.

Columns run left to right (plots and growers, harvest lots, graded lots, processed lots,
shipments, receivers), or right to left for a right-to-left page (Uyghur): the farm then
stands at the right, where the reader starts, and the arrows flow leftwards. A recalled box
is red, a held one amber, the traced lot or shipment has a thick border, and every box also
says its status in words, in the page's language (colour alone does not carry meaning).
Text is fitted to its box by its drawn width (a Chinese character is about twice as wide as
a Latin letter), a plot's grower and village wrap onto a second line, and every value is a
Unicode isolate (FSI ... PDI) so a code or a name in another script keeps its order inside
a right-to-left line. A column with more than ``max_per_column`` boxes draws the first ones
and one summary box counting the rest by status, so a lot with 10,000 descendants is still
a picture a person can read.

Safety: lot codes, names and villages are free text. Every piece of text is XML-escaped
and stripped of characters XML cannot hold, no free text ever goes into an attribute, and
the picture holds no script, no link and no external reference, so it can be inlined in a
page or served on its own.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final
from xml.sax.saxutils import escape

from traceability import LineageGraph, LineageNode

__all__ = ["MAX_PER_COLUMN", "SVG_MEDIA_TYPE", "fit", "lineage_svg"]

SVG_MEDIA_TYPE: Final = "image/svg+xml"
#: Boxes drawn per column before the rest are summarised in one box.
MAX_PER_COLUMN: Final = 12

_BOX_W, _BOX_H, _COL_GAP, _ROW_GAP, _MARGIN = 210, 62, 60, 14, 16
_LEGEND_H = 36
# XML 1.0 §2.2 Char: anything else (NUL, most C0 controls, lone surrogates) breaks parsers.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

# status -> (fill, stroke); colours as on the consumer page's banners.
_COLOURS: Final = {
    "recalled": ("#fde2e1", "#b3261e"),
    "on_hold": ("#fff4d6", "#a86b00"),
    "released": ("#e3f4e6", "#1e7b34"),
    "shipped": ("#e3f4e6", "#1e7b34"),
    "received": ("#e3f4e6", "#1e7b34"),
    "in_transit": ("#e3f4e6", "#1e7b34"),
    "consumed": ("#ecebe4", "#777777"),
    "active": ("#ffffff", "#777777"),
}
_PLACE = ("#e8f0fb", "#1e5fa8")  # plots and receivers: places, not goods
_SUMMARY = ("#f4f4f4", "#555555")


_FONT_PX = 13
_TEXT_W = _BOX_W - 16  # 8 px inside each side of the box
_FSI, _PDI = "\u2068", "\u2069"


def _em(char: str) -> float:
    """The width of ``char`` in ems, roughly: wide (CJK) 1, combining 0, others about 0.6."""
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Cf"):
        return 0.0
    return 1.0 if unicodedata.east_asian_width(char) in ("W", "F") else 0.62


def fit(value: str, width_px: float, font_px: int = _FONT_PX) -> tuple[str, str]:
    """Split ``value`` into what fits in ``width_px`` and the rest (cut with an ellipsis).

    The first part ends in "…" when the rest is not empty; widths are estimated per
    character (:func:`_em`), generous for bold text.
    """
    used, room = 0.0, width_px / font_px
    for i, char in enumerate(value):
        used += _em(char)
        if used > room:
            cut = max(0, i - 1)
            return value[:cut] + "\u2026", value[cut:]
    return value, ""


def _text(value: str, width_px: float = _TEXT_W) -> str:
    """Escape ``value`` for XML character data, fitted to ``width_px`` and isolated."""
    clean = _NOT_XML.sub("\ufffd", value)
    return escape(_FSI + fit(clean, width_px)[0] + _PDI)


def _title(value: str) -> str:
    clean = _NOT_XML.sub("\ufffd", value)[:400]
    return escape(clean)


@dataclass(frozen=True)
class _Box:
    id: str
    label: str
    detail: str
    state: str
    colours: tuple[str, str]
    focus: bool
    column: int
    row: int
    title: str


def _word(status: str, words: Mapping[str, str]) -> str:
    return words.get(status, status.replace("_", " "))


def _status_words(counts: Counter[str], words: Mapping[str, str]) -> str:
    return ", ".join(f"{n:,} {_word(status, words)}" for status, n in counts.most_common())


def _boxes(
    graph: LineageGraph, limit: int, words: Mapping[str, str]
) -> tuple[list[_Box], dict[str, str]]:
    """Lay out boxes per column; return them and each node id's drawn box id."""
    columns: dict[int, list[LineageNode]] = {}
    for node in graph.nodes:
        columns.setdefault(node.column, []).append(node)
    boxes: list[_Box] = []
    drawn: dict[str, str] = {}
    for index, column in enumerate(sorted(columns)):
        nodes = columns[column]
        # The traced node always shows, even when it sorts beyond the limit.
        nodes = sorted(nodes, key=lambda n: not n.focus)
        shown = nodes if len(nodes) <= limit else nodes[: limit - 1]
        for row, node in enumerate(shown):
            colours = (
                _PLACE
                if node.kind in ("plot", "receiver")
                else _COLOURS.get(node.status or "", _COLOURS["active"])
            )
            state = _word(node.status, words) if node.status else ""
            title = " \u2014 ".join(part for part in (node.label, node.detail, state) if part)
            box = _Box(
                node.id, node.label, node.detail, state, colours, node.focus, index, row, title
            )
            boxes.append(box)
            drawn[node.id] = node.id
        rest = nodes[len(shown) :]
        if rest:
            summary = f"more:{column}"
            counts = Counter(n.status or n.kind for n in rest)
            label = f"+ {len(rest):,}"
            said = _status_words(counts, words)
            boxes.append(
                _Box(
                    summary,
                    label,
                    said,
                    "",
                    _SUMMARY,
                    False,
                    index,
                    len(shown),
                    f"{label}: {said}",
                )
            )
            for node in rest:
                drawn[node.id] = summary
    return boxes, drawn


def _wrap(detail: str) -> tuple[str, str]:
    """Split a detail over two lines at a comma when it does not fit on one."""
    first, rest = fit(detail, _TEXT_W)
    if not rest:
        return detail, ""
    head, comma, tail = detail.partition(", ")
    if comma and not fit(head, _TEXT_W)[1]:
        return head, tail
    return first.removesuffix("\u2026"), rest


def _edges(graph: LineageGraph, drawn: dict[str, str]) -> Iterable[tuple[str, str]]:
    seen: set[tuple[str, str]] = set()
    for edge in graph.edges:
        pair = (drawn.get(edge.source, ""), drawn.get(edge.target, ""))
        if pair[0] and pair[1] and pair[0] != pair[1] and pair not in seen:
            seen.add(pair)
            yield pair


def _xy(box: _Box, width: int, rtl: bool) -> tuple[int, int]:
    x = _MARGIN + box.column * (_BOX_W + _COL_GAP)
    # Right to left: column 0 (the farm) at the right edge, later columns leftwards.
    return (width - x - _BOX_W if rtl else x), _MARGIN + box.row * (_BOX_H + _ROW_GAP)


def lineage_svg(
    graph: LineageGraph,
    *,
    max_per_column: int = MAX_PER_COLUMN,
    legend: tuple[str, str, str] = ("recalled", "on hold", "ok"),
    words: Mapping[str, str] | None = None,
    rtl: bool = False,
) -> str:
    """Return the graph drawn as an SVG document (UTF-8 text, no XML declaration).

    Args:
        graph: What to draw (from :func:`traceability.lineage_graph`).
        max_per_column: Boxes per column before the rest become one summary box
            (requires ``max_per_column >= 2``).
        legend: The words for the three colours (recalled, held, fine), in the page's
            language.
        words: Status -> its words in the page's language (default: the status's name).
        rtl: Lay the picture out right to left (columns, arrows, text alignment).
    """
    if max_per_column < 2:
        raise ValueError(f"expected max_per_column >= 2, got {max_per_column}")
    boxes, drawn = _boxes(graph, max_per_column, words or {})
    columns = max((b.column for b in boxes), default=0) + 1
    rows = max((b.row for b in boxes), default=0) + 1
    width = max(2 * _MARGIN + columns * _BOX_W + (columns - 1) * _COL_GAP, 3 * 160)
    height = 2 * _MARGIN + rows * (_BOX_H + _ROW_GAP) + _LEGEND_H
    where = {box.id: _xy(box, width, rtl) for box in boxes}
    # Text starts at the box's start side: its left edge, or its right edge right to left.
    inset, anchor = (_BOX_W - 8, ' direction="rtl" text-anchor="start"') if rtl else (8, "")
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" font-family="system-ui, sans-serif" '
        f'font-size="{_FONT_PX}">',
        "<title>lineage</title>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    for source, target in _edges(graph, drawn):
        (x1, y1), (x2, y2) = where[source], where[target]
        y1, y2 = y1 + _BOX_H // 2, y2 + _BOX_H // 2
        if rtl:  # from the source's left side to the target's right side
            x2 += _BOX_W
            bend = -max(20, (x1 - x2) // 2)
        else:
            x1 += _BOX_W
            bend = max(20, (x2 - x1) // 2)
        out.append(
            f'<path d="M{x1},{y1} C{x1 + bend},{y1} {x2 - bend},{y2} {x2},{y2}" '
            'fill="none" stroke="#888888" stroke-width="1.5"/>'
        )
    for box in boxes:
        x, y = where[box.id]
        fill, stroke = box.colours
        border = 4 if box.focus else 1.5
        out.append("<g>")
        out.append(f"<title>{_title(box.title)}</title>")
        out.append(
            f'<rect x="{x}" y="{y}" width="{_BOX_W}" height="{_BOX_H}" rx="6" '
            f'fill="{fill}" stroke="{stroke}" stroke-width="{border}"/>'
        )
        tx = x + inset
        out.append(
            f'<text x="{tx}" y="{y + 18}" font-weight="bold"{anchor}>'
            f"{_text(box.label, _TEXT_W * 0.9)}</text>"
        )
        line, rest = box.detail, ""
        if not box.state:
            # No status line (a plot, a receiver): the detail may take two lines.
            line, rest = _wrap(box.detail)
        if line:
            out.append(f'<text x="{tx}" y="{y + 36}"{anchor}>{_text(line)}</text>')
        third, colour = (box.state, stroke) if box.state else (rest, "#1b1b1b")
        if third:
            weight = ' font-weight="bold"' if box.state else ""
            out.append(
                f'<text x="{tx}" y="{y + 54}" fill="{colour}"{weight}{anchor}>{_text(third)}</text>'
            )
        out.append("</g>")
    legend_y = height - _LEGEND_H + 8
    x = width - _MARGIN - 18 if rtl else _MARGIN
    for name, status in zip(legend, ("recalled", "on_hold", "released"), strict=True):
        fill, stroke = _COLOURS[status]
        label_x = x - 6 if rtl else x + 24
        out.append(
            f'<rect x="{x}" y="{legend_y}" width="18" height="18" fill="{fill}" '
            f'stroke="{stroke}"/><text x="{label_x}" y="{legend_y + 14}"{anchor}>'
            f"{_text(name, 130)}</text>"
        )
        x += -160 if rtl else 160
    out.append("</svg>")
    return "\n".join(out)
