"""Draw a lineage graph as a small, self-contained SVG: pure, text in, text out.

Columns run left to right (plots and growers, harvest lots, graded lots, processed lots,
shipments, receivers); a recalled box is red, a held one amber, the traced lot or shipment
has a thick border, and every box also says its status in words (colour alone does not
carry meaning). A column with more than ``max_per_column`` boxes draws the first ones and
one summary box counting the rest by status, so a lot with 10,000 descendants is still a
picture a person can read.

Safety: lot codes, names and villages are free text. Every piece of text is XML-escaped
and stripped of characters XML cannot hold, no free text ever goes into an attribute, and
the picture holds no script, no link and no external reference, so it can be inlined in a
page or served on its own.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final
from xml.sax.saxutils import escape

from traceability import LineageGraph, LineageNode

__all__ = ["MAX_PER_COLUMN", "SVG_MEDIA_TYPE", "lineage_svg"]

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


def _text(value: str, limit: int) -> str:
    """Escape ``value`` for XML character data, cut to ``limit`` characters."""
    clean = _NOT_XML.sub("\ufffd", value)
    if len(clean) > limit:
        clean = clean[: limit - 1] + "\u2026"
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


def _status_words(counts: Counter[str]) -> str:
    return ", ".join(f"{n:,} {status.replace('_', ' ')}" for status, n in counts.most_common())


def _boxes(graph: LineageGraph, limit: int) -> tuple[list[_Box], dict[str, str]]:
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
            state = (node.status or "").replace("_", " ")
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
            label = f"+ {len(rest):,} more"
            words = _status_words(counts)
            boxes.append(
                _Box(
                    summary,
                    label,
                    words,
                    "",
                    _SUMMARY,
                    False,
                    index,
                    len(shown),
                    f"{label}: {words}",
                )
            )
            for node in rest:
                drawn[node.id] = summary
    return boxes, drawn


def _edges(graph: LineageGraph, drawn: dict[str, str]) -> Iterable[tuple[str, str]]:
    seen: set[tuple[str, str]] = set()
    for edge in graph.edges:
        pair = (drawn.get(edge.source, ""), drawn.get(edge.target, ""))
        if pair[0] and pair[1] and pair[0] != pair[1] and pair not in seen:
            seen.add(pair)
            yield pair


def _xy(box: _Box) -> tuple[int, int]:
    return _MARGIN + box.column * (_BOX_W + _COL_GAP), _MARGIN + box.row * (_BOX_H + _ROW_GAP)


def lineage_svg(
    graph: LineageGraph,
    *,
    max_per_column: int = MAX_PER_COLUMN,
    legend: tuple[str, str, str] = ("recalled", "on hold", "ok"),
) -> str:
    """Return the graph drawn as an SVG document (UTF-8 text, no XML declaration).

    Args:
        graph: What to draw (from :func:`traceability.lineage_graph`).
        max_per_column: Boxes per column before the rest become one summary box
            (requires ``max_per_column >= 2``).
        legend: The words for the three colours (recalled, held, fine), in the page's
            language.
    """
    if max_per_column < 2:
        raise ValueError(f"expected max_per_column >= 2, got {max_per_column}")
    boxes, drawn = _boxes(graph, max_per_column)
    where = {box.id: _xy(box) for box in boxes}
    columns = max((b.column for b in boxes), default=0) + 1
    rows = max((b.row for b in boxes), default=0) + 1
    width = 2 * _MARGIN + columns * _BOX_W + (columns - 1) * _COL_GAP
    height = 2 * _MARGIN + rows * (_BOX_H + _ROW_GAP) + _LEGEND_H
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" font-family="system-ui, sans-serif" '
        'font-size="13">',
        "<title>lineage</title>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    for source, target in _edges(graph, drawn):
        (x1, y1), (x2, y2) = where[source], where[target]
        x1, y1, y2 = x1 + _BOX_W, y1 + _BOX_H // 2, y2 + _BOX_H // 2
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
        out.append(f"<title>{_text(box.title, 400)}</title>")
        out.append(
            f'<rect x="{x}" y="{y}" width="{_BOX_W}" height="{_BOX_H}" rx="6" '
            f'fill="{fill}" stroke="{stroke}" stroke-width="{border}"/>'
        )
        out.append(
            f'<text x="{x + 8}" y="{y + 18}" font-weight="bold">{_text(box.label, 26)}</text>'
        )
        out.append(f'<text x="{x + 8}" y="{y + 36}">{_text(box.detail, 30)}</text>')
        if box.state:
            out.append(
                f'<text x="{x + 8}" y="{y + 54}" fill="{stroke}" font-weight="bold">'
                f"{_text(box.state, 30)}</text>"
            )
        out.append("</g>")
    legend_y = height - _LEGEND_H + 8
    x = _MARGIN
    for name, status in zip(legend, ("recalled", "on_hold", "released"), strict=True):
        fill, stroke = _COLOURS[status]
        out.append(
            f'<rect x="{x}" y="{legend_y}" width="18" height="18" fill="{fill}" '
            f'stroke="{stroke}"/><text x="{x + 24}" y="{legend_y + 14}">{_text(name, 20)}</text>'
        )
        x += 160
    out.append("</svg>")
    return "\n".join(out)
