"""A report as an A4 PDF: a title, sections of label-value rows, bar charts, small print.

Drawn with the label writer's own primitives (ADR 8): text as glyph outlines shaped by
HarfBuzz in the CJK and Arabic-script fonts the labels use (so Chinese and Uyghur render as
on the labels), rectangles and lines for the charts (:mod:`labels._chart`). Sections flow
down the page and start a new page when they would not fit. Text is laid out left to right
on the page; a right-to-left line is shaped right to left within itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from labels._chart import BarChart, ChartLabel, ChartRect, ChartSegment, Shape, chart_shapes
from labels._errors import LayoutError
from labels._fonts import FontSet
from labels._layout import TextLine
from labels._pdfdoc import PT_PER_MM, PDFDocument
from labels._text import shape_line

__all__ = ["Report", "ReportSection", "render_report"]

_WIDTH, _HEIGHT = 210.0, 297.0  # A4 portrait, mm
_MARGIN = 15.0
_CHART_HEIGHT = 62.0
_ROW = 5.6  # mm between rows of 9 pt text
_VALUE = 100.0  # mm from the margin to a row's value; a longer label is set smaller
_MAX_TEXT = 300


@dataclass(frozen=True)
class ReportSection:
    """One section: a heading, rows of (label, value), and optionally a chart under them."""

    heading: str
    rows: tuple[tuple[str, str], ...] = ()
    charts: tuple[BarChart, ...] = ()


@dataclass(frozen=True)
class Report:
    """What a report states: title, lines under it, sections, and small print at the end."""

    title: str
    subtitle: tuple[str, ...]
    sections: tuple[ReportSection, ...]
    small_print: tuple[str, ...] = ()
    #: Lay the text out from the right margin (a right-to-left language); charts stay as
    #: they are (numbers and codes read left to right).
    rtl: bool = False

    def __post_init__(self) -> None:
        texts = [self.title, *self.subtitle, *self.small_print]
        for section in self.sections:
            texts.append(section.heading)
            texts.extend(t for row in section.rows for t in row)
        for text in texts:
            if "\n" in text or len(text) > _MAX_TEXT:
                raise LayoutError(
                    f"report text: expected one line of at most {_MAX_TEXT} characters, "
                    f"got {text[:60]!r}"
                )


class _Pages:
    """Lays lines out top to bottom, opening a new page when the next block does not fit."""

    def __init__(self, doc: PDFDocument, fonts: FontSet, rtl: bool = False) -> None:
        self.doc, self.fonts, self.rtl = doc, fonts, rtl
        self.ops: list[str] = []
        self.y = _MARGIN

    def need(self, height: float) -> None:
        if self.y + height > _HEIGHT - _MARGIN and self.ops:
            self.finish()

    def finish(self) -> None:
        self.doc.add_page("\n".join(self.ops), _WIDTH * PT_PER_MM, _HEIGHT * PT_PER_MM)
        self.ops, self.y = [], _MARGIN

    def line(self, text: str, x: float, baseline: float, size_pt: float, room: float) -> None:
        """A line of the report's text, ``x`` from the start margin, shrunk to ``room`` mm."""
        if not text:
            return
        width_mm = shape_line(text, self.fonts, size_pt).width / PT_PER_MM
        if width_mm > room:
            size_pt = max(5.0, size_pt * room / width_mm)
        if self.rtl:
            self.text(text, _WIDTH - x, baseline, size_pt, "end")
        else:
            self.text(text, x, baseline, size_pt)

    def text(
        self, text: str, x: float, baseline: float, size_pt: float, anchor: str = "start"
    ) -> None:
        if not text:
            return
        shaped = shape_line(text, self.fonts, size_pt)
        width_mm = shaped.width / PT_PER_MM
        if anchor == "middle":
            x -= width_mm / 2
        elif anchor == "end":
            x -= width_mm
        self.ops.append(self.doc.text(TextLine(shaped, x, baseline, static=True), _HEIGHT))

    def colour(self, hex_colour: str, stroke: bool) -> str:
        r, g, b = (int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
        return f"{r:.3f} {g:.3f} {b:.3f} {'RG' if stroke else 'rg'}"

    def chart(self, chart: BarChart) -> None:
        self.need(_CHART_HEIGHT + 4)
        x0, y0, width = _MARGIN, self.y, _WIDTH - 2 * _MARGIN
        for shape in chart_shapes(chart, width, _CHART_HEIGHT):
            self._shape(shape, x0, y0)
        self.y += _CHART_HEIGHT + 4

    def _shape(self, shape: Shape, x0: float, y0: float) -> None:
        k = PT_PER_MM
        if isinstance(shape, ChartRect):
            x, y = (x0 + shape.x) * k, (_HEIGHT - y0 - shape.y - shape.height) * k
            self.ops.append(
                f"q {self.colour(shape.colour, False)} {x:.2f} {y:.2f} "
                f"{shape.width * k:.2f} {shape.height * k:.2f} re f Q"
            )
        elif isinstance(shape, ChartSegment):
            dash = "[2 1.5] 0 d " if shape.dashed else ""
            self.ops.append(
                f"q {self.colour(shape.colour, True)} {dash}{shape.width * k:.2f} w "
                f"{(x0 + shape.x1) * k:.2f} {(_HEIGHT - y0 - shape.y1) * k:.2f} m "
                f"{(x0 + shape.x2) * k:.2f} {(_HEIGHT - y0 - shape.y2) * k:.2f} l S Q"
            )
        elif isinstance(shape, ChartLabel):
            # Glyph outlines are filled with the current colour: set it around the text.
            self.ops.append(f"q {self.colour(shape.colour, False)}")
            self.text(shape.text, x0 + shape.x, y0 + shape.y, shape.size * k, shape.anchor)
            self.ops.append("Q")


def render_report(report: Report, fonts: FontSet | None = None) -> bytes:
    """Render ``report`` as an A4 portrait PDF of as many pages as it needs.

    Raises:
        FontMissingError: No font for the text's script.
        LayoutError: A text is not one line of at most 300 characters, or a chart is malformed.
    """
    fonts = fonts or FontSet.find()
    pages = _Pages(PDFDocument(), fonts, report.rtl)
    full = _WIDTH - 2 * _MARGIN
    pages.y += 8
    pages.line(report.title, _MARGIN, pages.y, 18, full)
    pages.y += 4
    for line in report.subtitle:
        pages.y += 5
        pages.line(line, _MARGIN, pages.y, 9, full)
    pages.y += 4
    pages.ops.append(_rule(pages.y))
    for section in report.sections:
        # The heading stays with its rows and its first chart.
        pages.need(12 + _ROW * len(section.rows) + (_CHART_HEIGHT + 8 if section.charts else 0))
        pages.y += 9
        pages.line(section.heading, _MARGIN, pages.y, 13, full)
        pages.y += 2
        for label, value in section.rows:
            pages.need(_ROW)
            pages.y += _ROW
            pages.line(label, _MARGIN + 2, pages.y, 9, _VALUE - 4)
            pages.line(value, _MARGIN + _VALUE, pages.y, 9, full - _VALUE)
        for chart in section.charts:
            pages.y += 4
            pages.chart(chart)
    if report.small_print:
        pages.need(6 + 4.2 * len(report.small_print))
        pages.y += 6
        pages.ops.append(_rule(pages.y - 3))
        for line in report.small_print:
            pages.y += 4.2
            pages.line(line, _MARGIN, pages.y, 7, full)
    pages.finish()
    return pages.doc.to_bytes()


def _rule(y: float) -> str:
    yy = (_HEIGHT - y) * PT_PER_MM
    x0, x1 = _MARGIN * PT_PER_MM, (_WIDTH - _MARGIN) * PT_PER_MM
    return f"0.5 w {x0:.2f} {yy:.2f} m {x1:.2f} {yy:.2f} l S"
