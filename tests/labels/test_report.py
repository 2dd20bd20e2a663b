"""Bar charts as shapes and the report PDF: what is drawn where, and what is refused.

The chart geometry is checked against the numbers (a bar's height is its value over the
axis top); the PDF is rasterised and its bars found by colour where the shapes put them.
"""

from __future__ import annotations

import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageChops

from labels import (
    BarChart,
    ChartLabel,
    ChartRect,
    ChartSegment,
    FontSet,
    LayoutError,
    Report,
    ReportSection,
    chart_shapes,
    render_report,
)
from labels._text import shape_line
from tests.labels.conftest import CHINESE, UYGHUR, pdf_pages

W, H = 640.0, 260.0


def _bars(chart: BarChart) -> list[ChartRect]:
    # Legend swatches sit above the plot; bars stand on the axis.
    rects = [s for s in chart_shapes(chart, W, H) if isinstance(s, ChartRect)]
    floor = max(r.y + r.height for r in rects)
    return [r for r in rects if abs(r.y + r.height - floor) < 1e-6]


def test_bar_heights_are_proportional_to_values() -> None:
    chart = BarChart("t", ("a", "b", "c"), (("kg", (100.0, 50.0, 25.0)),))
    heights = [r.height for r in _bars(chart)]
    assert heights[0] == pytest.approx(2 * heights[1])
    assert heights[1] == pytest.approx(2 * heights[2])


def test_none_is_no_bar_and_zero_is_no_bar_but_a_number() -> None:
    chart = BarChart("t", ("a", "b", "c"), (("n", (3.0, None, 0.0)),))
    assert len(_bars(chart)) == 1
    numbers = [s.text for s in chart_shapes(chart, W, H) if isinstance(s, ChartLabel)]
    assert "0" in numbers
    assert numbers.count("3") >= 1


def test_rate_axis_ends_at_a_round_figure_above_the_largest_and_target_is_drawn() -> None:
    chart = BarChart("loss", ("r1", "r2"), (("rate", (0.03, 0.12)),), percent=True, target=0.10)
    labels = [s.text for s in chart_shapes(chart, W, H) if isinstance(s, ChartLabel)]
    assert "20%" in labels  # axis top for a 12% largest
    assert "100%" not in labels
    dashed = [s for s in chart_shapes(chart, W, H) if isinstance(s, ChartSegment) and s.dashed]
    assert len(dashed) == 2  # the target line and its legend sample


def test_counts_axis_has_whole_steps() -> None:
    chart = BarChart("n", ("a",), (("n", (0.0,)),))
    labels = {s.text for s in chart_shapes(chart, W, H) if isinstance(s, ChartLabel)}
    assert {"0", "1", "2", "3", "4"} <= labels


@pytest.mark.parametrize(
    ("categories", "series", "expected"),
    [
        (("a", "b"), (("s", (1.0,)),), "expected 2 values"),
        (("a",), (), "expected 1 to 3"),
        (("a",), tuple((f"s{i}", (1.0,)) for i in range(4)), "expected 1 to 3"),
        (tuple(str(i) for i in range(61)), (("s", (1.0,) * 61),), "at most 60"),
        (("a",), (("s", (float("nan"),)),), "finite"),
        (("a",), (("s", (float("inf"),)),), "finite"),
    ],
)
def test_malformed_chart_is_refused(
    categories: tuple[str, ...], series: tuple[tuple[str, tuple[float, ...]], ...], expected: str
) -> None:
    with pytest.raises(LayoutError, match=expected):
        BarChart("t", categories, series)


@pytest.mark.parametrize("text", ["a\nb", "x" * 301])
def test_report_text_must_be_one_short_line(text: str) -> None:
    with pytest.raises(LayoutError, match="one line"):
        Report(text, (), ())


def test_uyghur_brackets_and_arabic_comma_after_a_number_are_drawn(fonts: FontSet) -> None:
    # Noto Sans Arabic has no brackets; the CJK face has no Arabic comma: each is set in the
    # other face instead of refusing the line.
    for text in (f"({UYGHUR})", "133.5 كىلوگرام، 129.5", f"{UYGHUR}: 2026-Q2"):
        line = shape_line(text, fonts, 9)
        assert line.glyphs
        assert line.width > 0


def _blue_pixels(image: Image.Image) -> int:
    red, green, blue = image.convert("RGB").split()
    low_red = red.point(lambda v: 255 if v < 60 else 0)
    low_green = green.point(lambda v: 255 if v < 120 else 0)
    high_blue = blue.point(lambda v: 255 if v > 140 else 0)
    mask = ImageChops.multiply(ImageChops.multiply(low_red, low_green), high_blue)
    return mask.histogram()[255]


def test_report_pdf_draws_its_bars_and_flows_to_a_second_page(fonts: FontSet) -> None:
    chart = BarChart(CHINESE, ("W1", "W2"), (("kg", (10.0, 5.0)),))
    sections = tuple(
        ReportSection(f"{CHINESE} {i}", ((UYGHUR, str(i)), ("Tests", "6")), (chart,))
        for i in range(4)
    )
    pdf = render_report(Report("Quarterly 2026-Q2", ("sub",), sections, ("small",)), fonts)
    assert len(pdf_pages(pdf, 30)) >= 2
    first = pdfium.PdfDocument(pdf)[0].render(scale=0.7).to_pil()
    assert _blue_pixels(first) > 500  # the bars, in the first series' blue


def test_empty_chart_draws_its_axis_only() -> None:
    shapes = chart_shapes(BarChart("t", (), (("s", ()),)), W, H)
    assert not [s for s in shapes if isinstance(s, ChartRect)]
    assert [s for s in shapes if isinstance(s, ChartSegment)]
