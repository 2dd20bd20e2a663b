"""Label text is shaped as the font requires, checked against an independent shaping stack.

The PDF draws HarfBuzz-shaped glyph outlines (uharfbuzz + fontTools, rasterised here by
PDFium); the reference is Pillow's Raqm layout (libraqm with its own HarfBuzz and FriBiDi,
rasterised by FreeType). Uyghur only matches the reference when joined forms and right-to-left
order are right: the same comparison against Pillow's unshaped layout fails, as the control
test shows.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image, ImageChops, ImageDraw, ImageFont, ImageOps

from labels import DigitalLink, FontSet, LabelData, Layout, render_png
from labels._fonts import Face
from labels._layout import MM_PER_INCH, TextLine, place
from labels._pdfdoc import PT_PER_MM, PDFDocument
from labels._qr import QREncoder
from labels._text import _bidi_runs, _runs, is_rtl_char, shape_line
from tests.labels.conftest import CHINESE, UYGHUR, make_links, pdf_pages

SIZE_PT = 24
DPI = 288


def _ink(image: Image.Image) -> Image.Image:
    box = ImageOps.invert(image.convert("L")).getbbox()
    assert box is not None, "nothing was drawn"
    return image.convert("L").crop(box)


def _pdf_text(text: str, fonts: FontSet) -> Image.Image:
    doc = PDFDocument()
    line = shape_line(text, fonts, SIZE_PT)
    width, height = line.width / PT_PER_MM + 10, SIZE_PT / PT_PER_MM * 2.5
    doc.add_page(
        doc.text(TextLine(line, 5, height * 0.65, True), height),
        width * PT_PER_MM,
        height * PT_PER_MM,
    )
    (page,) = pdf_pages(doc.to_bytes(), DPI)
    return _ink(page)


def _pillow_text(text: str, face: Face, layout: ImageFont.Layout, rtl: bool) -> Image.Image:
    font = ImageFont.truetype(
        str(face.path), round(SIZE_PT * DPI / 72), index=face.index, layout_engine=layout
    )
    image = Image.new("L", (2400, 400), 255)
    direction = ("rtl" if rtl else "ltr") if layout == ImageFont.Layout.RAQM else None
    ImageDraw.Draw(image).text((40, 300), text, 0, font, "ls", direction=direction)
    return _ink(image)


def _overlap(a: Image.Image, b: Image.Image) -> float:
    """Intersection over union of the inked pixels, ``b`` scaled onto ``a``'s box."""
    if abs(a.width - b.width) > 0.03 * a.width or abs(a.height - b.height) > 0.1 * a.height:
        return 0.0
    inked = [
        img.point(lambda v: 255 if v < 128 else 0).convert("1") for img in (a, b.resize(a.size))
    ]
    inter = ImageChops.logical_and(*inked).histogram()[255]
    union = ImageChops.logical_or(*inked).histogram()[255]
    return inter / union


def test_uyghur_pdf_text_matches_reference_shaping(fonts: FontSet) -> None:
    reference = _pillow_text(UYGHUR, fonts.arabic, ImageFont.Layout.RAQM, rtl=True)
    assert _overlap(reference, _pdf_text(UYGHUR, fonts)) > 0.85


def test_unshaped_uyghur_does_not_match_the_reference(fonts: FontSet) -> None:
    # Control: isolated letters in typing order must fail the comparison used above.
    reference = _pillow_text(UYGHUR, fonts.arabic, ImageFont.Layout.RAQM, rtl=True)
    unshaped = _pillow_text(UYGHUR, fonts.arabic, ImageFont.Layout.BASIC, rtl=False)
    assert _overlap(reference, unshaped) < 0.5


def test_uyghur_uses_joined_forms_not_the_isolated_letters(fonts: FontSet) -> None:
    line = shape_line(UYGHUR, fonts, SIZE_PT)
    isolated = {fonts.arabic.cmap[ord(c)] for c in UYGHUR if not c.isspace()}
    from labels._text import _ttfont

    names = {_ttfont(fonts.arabic).getGlyphName(g.gid) for g in line.glyphs}
    assert names - isolated, "every glyph is an isolated form: the text was not shaped"


def test_chinese_pdf_text_matches_reference_rendering(fonts: FontSet) -> None:
    line = shape_line(CHINESE, fonts, SIZE_PT)
    assert all(g.gid != 0 for g in line.glyphs), "a character fell back to .notdef"
    reference = _pillow_text(CHINESE, fonts.cjk, ImageFont.Layout.RAQM, rtl=False)
    assert _overlap(reference, _pdf_text(CHINESE, fonts)) > 0.9


@pytest.mark.parametrize("text", [UYGHUR, CHINESE])
def test_png_label_text_matches_the_pdf_shaping(text: str, fonts: FontSet) -> None:
    # The PNG draws with Pillow; crop its product line and compare with the PDF's outlines.
    data = LabelData(text, "一级", dt.date(2026, 5, 20), CHINESE, "新疆")
    layout = Layout.named("100x150@300")
    (link,) = make_links(1)
    image = Image.open(io.BytesIO(render_png(data, link, layout, fonts)))
    code = QREncoder().encode(link.uri)
    product = place(layout, data, link, code.size, fonts).lines[0]
    px = layout.dpi / MM_PER_INCH
    height = product.line.size / 72 * MM_PER_INCH * px
    left = product.x * px - 4
    right = (product.x + product.line.width / 72 * MM_PER_INCH) * px + 4
    top, bottom = product.baseline * px - height, product.baseline * px + height * 0.25
    crop = _ink(image.crop((round(left), round(top), round(right), round(bottom))))
    doc = PDFDocument()
    doc.add_page(
        doc.text(product, layout.height_mm),
        layout.width_mm * PT_PER_MM,
        layout.height_mm * PT_PER_MM,
    )
    (page,) = pdf_pages(doc.to_bytes(), layout.dpi)
    assert _overlap(_ink(page), crop) > 0.8


# Letters, digits and punctuation of the scripts on labels, with Arabic-block characters that
# are not letters (Arabic comma, Arabic-Indic digits), which stay neutral or weak.
_MIXED = st.text(
    alphabet=st.sampled_from(list("aZ09 ()-/.,批号草莓") + list("قەشقەرئۈجمە") + ["،", "٣", "۴"]),
    max_size=24,
)


@given(_MIXED)
def test_runs_fast_path_agrees_with_the_bidi_rules(text: str) -> None:
    # The shortcut for text without Arabic-script characters must not change any run.
    expected = _bidi_runs(text)
    assert _runs(text) == expected
    if not any(is_rtl_char(c) for c in text):
        assert len(expected) <= 1
        assert all(not rtl for _, rtl in expected)


def test_per_label_lines_shaped_once_per_batch_and_never_stale(fonts: FontSet) -> None:
    data = LabelData(CHINESE, "一级", dt.date(2026, 5, 20), CHINESE, "新疆")
    layout = Layout.named("a4-3x8")
    first, second = make_links(2)
    other_lot = DigitalLink(first.resolver, first.gtin, "KS-OTHER-LOT", first.serial)
    size = QREncoder().encode(first.uri).size
    one, two, three = (
        place(layout, data, link, size, fonts, static=False).lines
        for link in (first, second, other_lot)
    )
    # Lines that repeat (lot, GTIN, lot element) are the same placed line, not shaped again.
    assert [a is b for a, b in zip(one, two, strict=True)] == [True, True, True, False]
    assert two[-1].line.text == f"(21){second.serial}"
    # A label with another lot gets its own lot lines, placed where the first label's were.
    assert three[0].line.text == "批号 KS-OTHER-LOT"
    assert [t.baseline for t in three] == [t.baseline for t in one]
    # The per-label lines are exactly the non-static lines of the whole label's placement.
    whole = place(layout, data, second, size, fonts).lines
    assert [t for t in whole if not t.static] == list(two)


def test_face_coverage_and_hash_agree_with_the_character_map(fonts: FontSet) -> None:
    face = fonts.cjk
    spaces = [c for c in "\u2028\u2029\u3000\u00a0\t" if ord(c) not in face.cmap]
    assert spaces, "expected a space character the font has no glyph for"
    # Spaces need no glyph; any other character must be in the map.
    assert face.covers("批号 KS-2026" + "".join(spaces))
    missing = next(chr(cp) for cp in range(0x10FFFF, 0, -1) if cp not in face.cmap)
    assert not face.covers("批号" + missing)
    assert not face.covers(missing + " " + spaces[0])
    # An equal face (read again from its file) hashes equal, so the caches keyed by faces
    # and font sets find it; another face does not collide.
    again = Face(face.path, face.index, face.units_per_em, face.ascent, face.descent, {})
    assert again == face
    assert hash(again) == hash(face)
    assert hash(FontSet(again, fonts.arabic)) == hash(fonts)
    assert hash(fonts.arabic) != hash(face)
