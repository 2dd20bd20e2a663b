"""Label sizes and where things go on a label: the QR box and the text lines.

Every renderer (PNG, PDF, ZPL) draws from the same ``Placement``, so a label looks the same
whichever way it is printed. Lengths are millimetres, (0, 0) top left, y down.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from functools import lru_cache

from labels._digital_link import DigitalLink
from labels._errors import LayoutError
from labels._fonts import FontSet
from labels._text import Line, shape_line

__all__ = [
    "LAYOUTS",
    "POS_MIN_MODULE_MM",
    "LabelData",
    "Layout",
    "Placement",
    "TextLine",
    "freshness_line",
    "place",
    "qr_module_mm",
]

MM_PER_INCH = 25.4
_MARGIN = 1.5  # mm inside the label edge: thermal printers cannot print to the very edge
_QUIET = 4  # modules of quiet zone round the code, as ISO/IEC 18004 requires
# GS1 General Specifications, symbol specification table for QR Code on trade items scanned at
# retail point of sale: X-dimension (module) at least 0.396 mm. Smaller modules are refused
# unless the layout allows them (codes not scanned at a till: cartons, pallets, staff use),
# and even then not below _FLOOR_MODULE_MM, the smallest the tests decode reliably.
POS_MIN_MODULE_MM = 0.396
_FLOOR_MODULE_MM = 0.3
_LINE_GAP = 1.22


@dataclass(frozen=True)
class LabelData:
    """What a batch's labels say besides the code.

    Attributes:
        product: Product name, e.g. ``"草莓 Strawberries"`` or Uyghur text.
        grade: Grade, e.g. ``"一级 Grade I"``.
        pack_date: Packing date.
        cooperative: The cooperative's name.
        grown_in: Place of origin, e.g. ``"新疆喀什 Kashgar"``.
        harvested: Harvest date (GS1 AI 7007), printed with ``best_before`` when both given.
        best_before: Best-before date (GS1 AI 15): the harvest date plus the shelf life.
    """

    product: str
    grade: str
    pack_date: dt.date
    cooperative: str
    grown_in: str
    harvested: dt.date | None = None
    best_before: dt.date | None = None

    def __post_init__(self) -> None:
        for name in ("product", "grade", "cooperative", "grown_in"):
            value = getattr(self, name)
            if not value.strip() or "\n" in value or len(value) > 60:
                raise LayoutError(f"{name}: expected 1 to 60 characters on one line, got {value!r}")


@dataclass(frozen=True)
class Layout:
    """A label size, and for sheets the page and grid that holds the labels.

    Attributes:
        name: The layout's name, e.g. ``"50x30@203"`` or ``"a4-3x8"``.
        width_mm: Label width.
        height_mm: Label height.
        dpi: Printer resolution; QR modules are snapped to whole printer dots.
        columns: Labels across a sheet (1 for a roll).
        rows: Labels down a sheet (1 for a roll).
        page_width_mm: Sheet width (the label width for a roll).
        page_height_mm: Sheet height (the label height for a roll).
        allow_small_modules: Accept QR modules below GS1's 0.396 mm point-of-sale minimum
            (down to 0.3 mm), for codes that are not scanned at a retail till.
    """

    name: str
    width_mm: float
    height_mm: float
    dpi: int
    columns: int = 1
    rows: int = 1
    page_width_mm: float = 0.0
    page_height_mm: float = 0.0
    allow_small_modules: bool = False

    def __post_init__(self) -> None:
        if not (10 <= self.width_mm <= 300 and 10 <= self.height_mm <= 300):
            raise LayoutError(
                f"layout {self.name}: expected 10-300 mm sides, got "
                f"{self.width_mm:g} x {self.height_mm:g}"
            )
        if self.dpi not in (150, 203, 300, 600, 1200):
            raise LayoutError(
                f"layout {self.name}: expected 150/203/300/600/1200 dpi, got {self.dpi}"
            )
        if not self.page_width_mm:
            object.__setattr__(self, "page_width_mm", self.width_mm * self.columns)
            object.__setattr__(self, "page_height_mm", self.height_mm * self.rows)

    @property
    def per_page(self) -> int:
        """Labels on one page."""
        return self.columns * self.rows

    def corner_mm(self, slot: int) -> tuple[float, float]:
        """Top-left corner of label ``slot`` (0-based, row by row) on its page."""
        left = (self.page_width_mm - self.columns * self.width_mm) / 2
        top = (self.page_height_mm - self.rows * self.height_mm) / 2
        row, col = divmod(slot, self.columns)
        return left + col * self.width_mm, top + row * self.height_mm

    @classmethod
    def named(cls, name: str) -> Layout:
        """Return a layout by name: ``WxH@DPI`` (mm, roll) or ``a4-CxR`` (sheet grid).

        Raises:
            LayoutError: An unknown name; the message lists the forms and presets.
        """
        if name in LAYOUTS:
            return LAYOUTS[name]
        roll = re.fullmatch(r"(\d+(?:\.\d+)?)x(\d+(?:\.\d+)?)@(\d+)", name)
        if roll:
            return cls(name, float(roll[1]), float(roll[2]), int(roll[3]))
        sheet = re.fullmatch(r"a4-(\d{1,2})x(\d{1,2})", name)
        if sheet and int(sheet[1]) and int(sheet[2]):
            cols, rows = int(sheet[1]), int(sheet[2])
            # Whole-mm labels filling A4 less a 4 mm printer margin all round.
            return cls(
                name, math.floor(202 / cols), math.floor(289 / rows), 600, cols, rows, 210.0, 297.0
            )
        raise LayoutError(
            f"layout: expected one of {', '.join(LAYOUTS)} or WxH@DPI or a4-CxR, got {name!r}"
        )


# The defaults hold a signed URI at GS1's point-of-sale module size (0.396 mm or more),
# except 50x30@203: 203 dpi dots make 0.375 or 0.501 mm modules, and a signed code needs
# 0.501 mm x 65 modules = 32.5 mm with its quiet zone (see docs/labels.md for the sizes).
LAYOUTS = {
    "50x30@203": Layout("50x30@203", 50, 30, 203),
    "60x40@203": Layout("60x40@203", 60, 40, 203),
    "50x30@300": Layout("50x30@300", 50, 30, 300),
    "100x150@203": Layout("100x150@203", 100, 150, 203),
    "100x150@300": Layout("100x150@300", 100, 150, 300),
    # Common A4 label stock: 3 x 8 of 70 x 36 mm and 2 x 7 of 99 x 38 mm, printed at 600 dpi.
    "a4-3x8": Layout("a4-3x8", 70, 36, 600, 3, 8, 210.0, 297.0),
    "a4-2x7": Layout("a4-2x7", 99, 38, 600, 2, 7, 210.0, 297.0),
}


@dataclass(frozen=True)
class TextLine:
    """A shaped line placed on the label: ``x``/``baseline`` in mm, static if batch-wide."""

    line: Line
    x: float
    baseline: float
    static: bool


@dataclass(frozen=True)
class Placement:
    """Where the code and the text go on one label (mm from the label's top left).

    Attributes:
        qr_x: Left of the code's first module (inside the quiet zone).
        qr_y: Top of the code's first module.
        module: Module size in mm, a whole number of printer dots.
        lines: The text lines.
    """

    qr_x: float
    qr_y: float
    module: float
    lines: tuple[TextLine, ...]


def qr_module_mm(layout: Layout, modules: int) -> tuple[float, bool]:
    """Module size for a code of ``modules`` per side, and whether the code sits on top.

    The module is the largest whole number of printer dots for which the code and its quiet
    zone fit the code's share of the label (up to 60% of the long side). The quiet zone may
    lie in the unprintable edge margin, as both are blank.

    Raises:
        LayoutError: The module would be below GS1's 0.396 mm point-of-sale minimum (below
            0.3 mm with ``allow_small_modules``); the message names the label, the module
            size it would get and the minimum.
    """
    w, h = layout.width_mm, layout.height_mm
    on_top = h - 2 * _MARGIN > 1.3 * (w - 2 * _MARGIN)
    across, along = (w, h * 0.6) if on_top else (h, w * 0.6)
    dot = MM_PER_INCH / layout.dpi
    dots = math.floor(min(across, along) / dot / (modules + 2 * _QUIET))
    while dots > 0 and not _fits(dots * dot, modules, across, along):
        dots -= 1
    module = dots * dot
    least = _FLOOR_MODULE_MM if layout.allow_small_modules else POS_MIN_MODULE_MM
    if module < least - 1e-9:
        need = math.ceil(least / dot - 1e-9) * dot
        box = (modules + 2 * _QUIET) * need
        hint = (
            "shorten the resolver, lot or serial, or use a larger label"
            if layout.allow_small_modules
            else "use a larger label, or allow_small_modules (CLI --allow-small-modules) for "
            "codes not scanned at a retail till"
        )
        raise LayoutError(
            f"layout {layout.name} ({w:g} x {h:g} mm at {layout.dpi} dpi): a {modules}-module "
            f"code would get {module:.3f} mm modules, expected at least {least} mm"
            f"{'' if layout.allow_small_modules else ' (GS1 retail point of sale)'}; "
            f"{need:.3f} mm modules (whole dots) need {box:.1f} mm with the quiet zone ({hint})"
        )
    return module, on_top


def _fits(module: float, modules: int, across: float, along: float) -> bool:
    inset = max(0.0, _MARGIN - _QUIET * module)  # the margin not covered by the quiet zone
    box = (modules + 2 * _QUIET) * module
    return box + 2 * inset <= across + 1e-9 and box + inset <= along + 1e-9


def freshness_line(harvested: dt.date | None, best_before: dt.date | None) -> str:
    """The human-readable freshness line: ``采收 2026-06-01 保质至 2026-06-08`` (empty: none).

    The harvest date is GS1 AI 7007 and the best-before date AI 15; printed in words, as a
    shopper reads them, beside the code.
    """
    if harvested is None or best_before is None:
        return ""
    if best_before < harvested:
        raise LayoutError(
            f"best_before: expected on or after the harvest date {harvested}, got {best_before}"
        )
    return f"采收 {harvested.isoformat()} 保质至 {best_before.isoformat()}"


def place(
    layout: Layout,
    data: LabelData,
    link: DigitalLink,
    modules: int,
    fonts: FontSet,
    *,
    static: bool = True,
) -> Placement:
    """Place the code and the text of one label (``static=False``: only per-label lines).

    Raises:
        LayoutError: The code does not fit at a readable module size.
    """
    module, qr_x, qr_y, tx, tw, ty, th = _frame(layout, modules)
    texts = [
        (data.product, True, 1.3),
        (data.grade, True, 1.0),
        (f"批号 {link.lot}" if link.lot else "", False, 1.0),
        (f"包装 {data.pack_date.isoformat()}", True, 1.0),
        (freshness_line(data.harvested, data.best_before), True, 1.0),
        (data.cooperative, True, 1.0),
        (data.grown_in, True, 1.0),
    ]
    texts = [t for t in texts if t[0]]
    # The human-readable element string, one AI per line so it fits narrow labels.
    texts += [(f"({ai}){value}", False, 0.9) for ai, value in link.path_elements]
    sizes = _line_slots(th, ty, tuple(w for _, _, w in texts))
    lines = tuple(
        _text_line(text, fonts, size, baseline, tx, tw, fixed)
        for (text, fixed, _), (size, baseline) in zip(texts, sizes, strict=True)
        if static or not fixed
    )
    return Placement(qr_x, qr_y, module, lines)


@lru_cache(maxsize=256)
def _frame(layout: Layout, modules: int) -> tuple[float, float, float, float, float, float, float]:
    """The module, the code's first module corner, and the text column (x, width, top, height)."""
    module, on_top = qr_module_mm(layout, modules)
    box = (modules + 2 * _QUIET) * module
    inset = max(0.0, _MARGIN - _QUIET * module)
    if on_top:
        qr_left, qr_top = (layout.width_mm - box) / 2, inset
        tx, ty = _MARGIN, inset + box + 1
        tw, th = layout.width_mm - 2 * _MARGIN, layout.height_mm - ty - _MARGIN
    else:
        qr_left, qr_top = inset, (layout.height_mm - box) / 2
        tx, ty = inset + box + 0.5, _MARGIN
        tw, th = layout.width_mm - tx - _MARGIN, layout.height_mm - 2 * _MARGIN
    return module, qr_left + _QUIET * module, qr_top + _QUIET * module, tx, tw, ty, th


@lru_cache(maxsize=256)
def _line_slots(
    th: float, ty: float, weights: tuple[float, ...]
) -> tuple[tuple[float, float], ...]:
    """Each line's size (points) and baseline (mm) in a text column of height ``th`` at ``ty``."""
    base_pt = min(14.0, th / (sum(weights) * _LINE_GAP) / MM_PER_INCH * 72)
    slots = []
    y = ty
    for weight in weights:
        size = base_pt * weight
        height = size / 72 * MM_PER_INCH
        y += height * _LINE_GAP
        slots.append((size, y - height * 0.22))
    return tuple(slots)


# Labels of a batch repeat most of their per-label lines (lot, GTIN): kept shaped and placed
# here, they cost a lookup; only the serial's line is shaped for each label. The size holds a
# batch's repeated lines while unique serial lines pass through.
@lru_cache(maxsize=1024)
def _text_line(
    text: str, fonts: FontSet, size: float, baseline: float, tx: float, tw: float, fixed: bool
) -> TextLine:
    """``text`` shaped at ``size``, narrowed to the column width ``tw`` if wider, and placed."""
    shaped = shape_line(text, fonts, size)
    width_mm = shaped.width / 72 * MM_PER_INCH
    if width_mm > tw:
        shaped = shape_line(text, fonts, size * tw / width_mm)
        width_mm = shaped.width / 72 * MM_PER_INCH
    # Right-to-left paragraphs align to the right edge of the text column.
    rtl = bool(shaped.runs) and shaped.runs[-1].rtl and shaped.runs[0].rtl
    x = tx + (tw - width_mm if rtl else 0.0)
    return TextLine(shaped, x, baseline, fixed)
