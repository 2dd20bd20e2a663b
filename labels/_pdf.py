"""Label sheets as PDF: A4 label stock in a grid, or thermal rolls one label a page."""

from __future__ import annotations

from collections.abc import Iterable

from labels._digital_link import DigitalLink
from labels._errors import LayoutError
from labels._fonts import FontSet
from labels._layout import LabelData, Layout, Placement, place
from labels._pdfdoc import PT_PER_MM, PDFDocument
from labels._qr import QREncoder
from labels._qrpath import qr_ops

__all__ = ["render_pdf"]


def render_pdf(
    data: LabelData,
    links: Iterable[DigitalLink],
    layout: Layout,
    fonts: FontSet | None = None,
) -> bytes:
    """Render one label per link into a multi-page PDF (vector codes and text).

    Args:
        data: The batch's label text.
        links: One Digital Link per label, in print order.
        layout: A roll size (one label a page) or a sheet grid (labels row by row).
        fonts: Fonts for the text; installed ones are found when omitted.

    Returns:
        The PDF file's bytes.

    Raises:
        LayoutError: A code does not fit the label at a readable module size, or no links.
        FontMissingError: No font for the text's script.
    """
    fonts = fonts or FontSet.find()
    doc = PDFDocument()
    encoder = QREncoder()
    label_w, label_h = layout.width_mm, layout.height_mm
    page_w, page_h = layout.page_width_mm * PT_PER_MM, layout.page_height_mm * PT_PER_MM
    placements: dict[int, Placement] = {}
    page: list[str] = []
    slot = 0
    for link in links:
        code = encoder.encode(link.uri)
        placement = placements.get(code.size)
        if placement is None:
            placement = placements[code.size] = place(layout, data, link, code.size, fonts)
        static = f"S{code.size}"
        if not doc.has_form(static):
            # The batch-wide text, drawn once and reused by every label of this code size.
            content = "\n".join(doc.text(t, label_h) for t in placement.lines if t.static)
            doc.add_form(static, content, label_w * PT_PER_MM, label_h * PT_PER_MM)
        left, top = layout.corner_mm(slot)
        dx, dy = left * PT_PER_MM, (layout.page_height_mm - top - label_h) * PT_PER_MM
        page.append(f"q 1 0 0 1 {dx:.3f} {dy:.3f} cm /{static} Do")
        # Per-label lines (lot, element string) are re-shaped for this label's values.
        own = place(layout, data, link, code.size, fonts, static=False)
        page.extend(doc.text(t, label_h) for t in own.lines if not t.static)
        module_pt = placement.module * PT_PER_MM
        page.append(
            qr_ops(
                code, placement.qr_x * PT_PER_MM, (label_h - placement.qr_y) * PT_PER_MM, module_pt
            )
        )
        page.append("Q")
        slot += 1
        if slot == layout.per_page:
            doc.add_page("\n".join(page), page_w, page_h)
            page, slot = [], 0
    if page:
        doc.add_page("\n".join(page), page_w, page_h)
    if not placements:
        raise LayoutError("links: expected at least one label, got none")
    return doc.to_bytes()
