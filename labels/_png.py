"""One label as a PNG at the printer's resolution, drawn with Pillow.

Text is drawn run by run with Pillow's Raqm layout (HarfBuzz shaping, FriBiDi), each run at the
position the shared layout gave it, so the PNG matches the PDF and ZPL labels.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from functools import cache

from PIL import Image, ImageDraw, ImageFont

from labels._digital_link import DigitalLink
from labels._errors import LabelError
from labels._fonts import Face, FontSet
from labels._layout import MM_PER_INCH, LabelData, Layout, TextLine, place
from labels._qr import QRCode, QREncoder

__all__ = ["draw_lines", "label_image", "qr_image", "render_png"]

_TO_GREY = bytes.maketrans(b"01", b"\xff\x00")


def qr_image(code: QRCode, module_px: int, quiet: int = 4) -> Image.Image:
    """The code as a 1-bit image, ``module_px`` pixels a module, with its quiet zone."""
    n = code.size
    small = Image.frombytes("L", (n, n), "".join(code.rows).encode().translate(_TO_GREY))
    framed = Image.new("L", (n + 2 * quiet, n + 2 * quiet), 255)
    framed.paste(small, (quiet, quiet))
    side = (n + 2 * quiet) * module_px
    return framed.resize((side, side), Image.Resampling.NEAREST).convert("1")


@cache
def _pil_font(face: Face, size_px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(
        str(face.path), size_px, index=face.index, layout_engine=ImageFont.Layout.RAQM
    )


def label_image(
    data: LabelData,
    link: DigitalLink,
    layout: Layout,
    fonts: FontSet,
    encoder: QREncoder | None = None,
) -> Image.Image:
    """Draw one label at ``layout.dpi`` as a greyscale image."""
    code = (encoder or QREncoder()).encode(link.uri)
    placement = place(layout, data, link, code.size, fonts)
    px = layout.dpi / MM_PER_INCH
    image = Image.new("L", (round(layout.width_mm * px), round(layout.height_mm * px)), 255)
    module_px = round(placement.module * px)
    quiet = 4 * module_px
    corner = (round(placement.qr_x * px) - quiet, round(placement.qr_y * px) - quiet)
    image.paste(qr_image(code, module_px), corner)
    draw_lines(image, placement.lines, layout.dpi)
    return image


def draw_lines(image: Image.Image, lines: Iterable[TextLine], dpi: int) -> None:
    """Draw shaped lines (label millimetres) onto ``image`` at ``dpi``."""
    px = dpi / MM_PER_INCH
    draw = ImageDraw.Draw(image)
    for text in lines:
        size_px = max(1, round(text.line.size / 72 * dpi))
        for run in text.line.runs:
            if not run.text.strip():
                continue
            x = (text.x + run.x / 72 * MM_PER_INCH) * px
            font = _pil_font(run.face, size_px)
            direction = "rtl" if run.rtl else "ltr"
            draw.text((x, text.baseline * px), run.text, 0, font, "ls", direction=direction)


def render_png(
    data: LabelData, link: DigitalLink, layout: Layout, fonts: FontSet | None = None
) -> bytes:
    """Render one label as PNG bytes at the layout's resolution (DPI recorded in the file).

    Raises:
        LayoutError: The code does not fit the label at a readable size.
        FontMissingError: No font for the text's script.
    """
    image = label_image(data, link, layout, fonts or FontSet.find())
    out = io.BytesIO()
    try:
        image.save(out, format="PNG", dpi=(layout.dpi, layout.dpi), optimize=False)
    except OSError as e:  # pragma: no cover - Pillow without zlib
        raise LabelError(f"png: cannot encode: {e}") from e
    return out.getvalue()
