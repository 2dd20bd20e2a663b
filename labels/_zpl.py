"""ZPL II for thermal label printers: one file per job.

The batch's unchanging text is sent once as a stored graphic (``~DG``) and recalled on every
label (``^XG``), so a job of thousands stays small. Per label come the changing lines and the
QR code, each as a graphic field (``^GFA``). The code is sent as a bitmap rather than with the
printer's own ``^BQ`` command so that the printed symbol is exactly the one this package made
and tested (same version, mask and error correction level), whatever the printer's firmware.
Chinese and Uyghur need no printer font for the same reason: all text arrives as graphics.
"""

from __future__ import annotations

from collections.abc import Iterable

from PIL import Image, ImageOps

from labels._digital_link import DigitalLink
from labels._errors import LayoutError
from labels._fonts import FontSet
from labels._layout import MM_PER_INCH, LabelData, Layout, Placement, place
from labels._png import draw_lines, qr_image
from labels._qr import QREncoder

__all__ = ["render_zpl"]


def render_zpl(
    data: LabelData,
    links: Iterable[DigitalLink],
    layout: Layout,
    fonts: FontSet | None = None,
) -> str:
    """Render one ZPL label per link, as one job for a printer at ``layout.dpi``.

    Raises:
        LayoutError: A sheet layout (ZPL printers take rolls), a code that does not fit, or
            no links.
        FontMissingError: No font for the text's script.
    """
    if layout.per_page != 1:
        raise LayoutError(f"layout {layout.name}: expected a roll size for ZPL, got a sheet")
    fonts = fonts or FontSet.find()
    encoder = QREncoder()
    px = layout.dpi / MM_PER_INCH
    width, height = round(layout.width_mm * px), round(layout.height_mm * px)
    placements: dict[int, Placement] = {}
    out: list[str] = []
    for link in links:
        code = encoder.encode(link.uri)
        stored = f"R:AT{code.size}.GRF"
        if code.size not in placements:
            placement = placements[code.size] = place(layout, data, link, code.size, fonts)
            static = Image.new("L", (width, height), 255)
            draw_lines(static, [t for t in placement.lines if t.static], layout.dpi)
            out.append(_download_graphic(stored, static))
        placement = placements[code.size]
        own = Image.new("L", (width, height), 255)
        dynamic = place(layout, data, link, code.size, fonts, static=False).lines
        draw_lines(own, dynamic, layout.dpi)
        module = round(placement.module * px)
        qr = qr_image(code, module, quiet=0)
        out.append(f"^XA^PW{width}^LL{height}^LH0,0^CI28")
        out.append(f"^FO0,0^XG{stored},1,1^FS")
        ink = ImageOps.invert(own).getbbox()
        if ink is not None:
            out.append(f"^FO{ink[0]},{ink[1]}" + _graphic_field(own.crop(ink)) + "^FS")
        x, y = round(placement.qr_x * px), round(placement.qr_y * px)
        out.append(f"^FO{x},{y}" + _graphic_field(qr) + "^FS")
        out.append("^PQ1^XZ")
    if not placements:
        raise LayoutError("links: expected at least one label, got none")
    return "\n".join(out) + "\n"


def _bitmap(image: Image.Image) -> tuple[int, int, str]:
    # ZPL graphics: rows of bytes, most significant bit leftmost, 1 = black.
    mono = image.convert("L").point(lambda v: 255 if v < 128 else 0).convert("1")
    row_bytes = (mono.width + 7) // 8
    raw = mono.tobytes()
    return row_bytes * mono.height, row_bytes, raw.hex().upper()


def _graphic_field(image: Image.Image) -> str:
    total, row_bytes, hexdata = _bitmap(image)
    return f"^GFA,{total},{total},{row_bytes},{hexdata}"


def _download_graphic(name: str, image: Image.Image) -> str:
    total, row_bytes, hexdata = _bitmap(image)
    return f"~DG{name},{total},{row_bytes},{hexdata}"
