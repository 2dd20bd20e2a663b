"""Every generated code decodes back to exactly its URI, in every output and size."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
import zlib
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image

from labels import (
    Certificate,
    DigitalLink,
    FontMissingError,
    FontSet,
    LabelData,
    Layout,
    LayoutError,
    render_certificate,
    render_pdf,
    render_png,
    render_zpl,
    sign_link,
)
from tests.labels.conftest import RESOLVER, decode_all, make_links, page_count, pdf_pages

ROLLS = ["50x30@300", "60x40@203", "100x150@203", "100x150@300"]


def _signed(count: int, key: Ed25519PrivateKey, lot: str = "KS-2026-STR-0001") -> list[DigitalLink]:
    return [sign_link(link, key) for link in make_links(count, lot)]


@pytest.mark.parametrize("name", ROLLS)
def test_png_label_decodes_to_its_signed_uri(
    name: str, data: LabelData, fonts: FontSet, key: Ed25519PrivateKey
) -> None:
    (link,) = _signed(1, key)
    layout = Layout.named(name)
    png = render_png(data, link, layout, fonts)
    image = Image.open(io.BytesIO(png))
    assert image.size == (
        round(layout.width_mm / 25.4 * layout.dpi),
        round(layout.height_mm / 25.4 * layout.dpi),
    )
    assert decode_all(image) == [link.uri]


@pytest.mark.parametrize("name", ROLLS)
def test_every_pdf_page_decodes_to_its_uri(
    name: str, data: LabelData, fonts: FontSet, key: Ed25519PrivateKey
) -> None:
    # A 20-character lot (the longest allowed) and a signature: the largest URI per label.
    links = _signed(6, key, lot="KS-2026-STR-00000001")
    layout = Layout.named(name)
    pdf = render_pdf(data, links, layout, fonts)
    assert page_count(pdf) == len(links)
    for page, link in zip(pdf_pages(pdf, layout.dpi), links, strict=True):
        assert decode_all(page) == [link.uri]


@pytest.mark.parametrize("name", ["50x30@300", "60x40@203"])
def test_smallest_label_fits_longest_signed_uri(
    name: str, data: LabelData, fonts: FontSet, key: Ed25519PrivateKey
) -> None:
    # 20-character lot and serial (the most AI 10 and 21 allow) plus the signature.
    links = [
        sign_link(DigitalLink(RESOLVER, "6912345678902", "L" * 19 + str(i), "s" * 20), key)
        for i in range(2)
    ]
    layout = Layout.named(name)
    pdf = render_pdf(data, links, layout, fonts)
    for page, link in zip(pdf_pages(pdf, layout.dpi), links, strict=True):
        assert decode_all(page) == [link.uri]
    image = Image.open(io.BytesIO(render_png(data, links[0], layout, fonts)))
    assert decode_all(image) == [links[0].uri]


@pytest.mark.parametrize("name", ["a4-3x8", "a4-2x7"])
def test_every_code_on_an_a4_sheet_decodes(
    name: str, data: LabelData, fonts: FontSet, key: Ed25519PrivateKey
) -> None:
    layout = Layout.named(name)
    links = _signed(layout.per_page + 2, key)
    pdf = render_pdf(data, links, layout, fonts)
    assert page_count(pdf) == 2
    first, second = pdf_pages(pdf, 300)
    assert sorted(decode_all(first)) == sorted(link.uri for link in links[: layout.per_page])
    assert sorted(decode_all(second)) == sorted(link.uri for link in links[layout.per_page :])


def test_zpl_job_codes_decode(data: LabelData, fonts: FontSet, key: Ed25519PrivateKey) -> None:
    links = _signed(3, key)
    zpl = render_zpl(data, links, Layout.named("60x40@203"), fonts)
    assert zpl.count("^XA") == 3
    assert zpl.count("~DG") == 1
    labels = zpl.split("^XA")[1:]
    for label, link in zip(labels, links, strict=True):
        # The last graphic field of each label is its QR code.
        total, row_bytes, hexdata = re.findall(r"\^GFA,(\d+),\d+,(\d+),([0-9A-F]+)", label)[-1]
        rows = int(total) // int(row_bytes)
        bitmap = Image.frombytes("1", (int(row_bytes) * 8, rows), bytes.fromhex(hexdata))
        framed = Image.new("L", (bitmap.width + 40, bitmap.height + 40), 255)
        framed.paste(Image.eval(bitmap.convert("L"), lambda v: 255 - v), (20, 20))
        assert decode_all(framed) == [link.uri]


def test_certificate_carries_the_batch_code(fonts: FontSet, key: Ed25519PrivateKey) -> None:
    link = sign_link(DigitalLink(RESOLVER, "6912345678902", "KS-2026-STR-0001"), key)
    cert = Certificate(
        "喀什果农合作社",
        "0998-1234567",
        "草莓",
        "500 kg",
        "新疆喀什",
        dt.date(2026, 5, 20),
        link,
    )
    (page,) = pdf_pages(render_certificate(cert, fonts), 300)
    assert decode_all(page) == [link.uri]


def test_unknown_layout_refused_with_choices() -> None:
    with pytest.raises(LayoutError, match=r"expected one of 50x30@203.*got 'a5-label'"):
        Layout.named("a5-label")


def test_code_too_dense_for_label_refused(data: LabelData, fonts: FontSet) -> None:
    link = DigitalLink(RESOLVER, "6912345678902", "L", attributes=(("99", "X" * 90),))
    small = dataclasses.replace(Layout.named("20x20@203"), allow_small_modules=True)
    with pytest.raises(
        LayoutError,
        match=r"20x20@203 \(20 x 20 mm at 203 dpi\): a 57-module code would get 0.125 mm modules, "
        r"expected at least 0.3 mm; 0.375 mm modules \(whole dots\) need 24.4 mm",
    ):
        render_pdf(data, [link], small, fonts)


def test_sheet_refused_for_zpl(data: LabelData, fonts: FontSet) -> None:
    with pytest.raises(LayoutError, match="roll"):
        render_zpl(data, make_links(1), Layout.named("a4-3x8"), fonts)


def test_missing_font_names_the_debian_package(monkeypatch: pytest.MonkeyPatch) -> None:
    import labels._fonts as fonts_module

    monkeypatch.setattr(fonts_module, "_FONT_DIRS", (Path("/nonexistent"),))
    fonts_module._installed.cache_clear()
    try:
        with pytest.raises(FontMissingError, match="fonts-wqy-microhei"):
            FontSet.find()
    finally:
        fonts_module._installed.cache_clear()


def test_given_font_file_missing_is_clear(tmp_path: Path) -> None:
    with pytest.raises(FontMissingError, match="expected a font file"):
        FontSet.find(cjk=tmp_path / "none.ttf")


def test_text_outside_the_fonts_refused(data: LabelData, fonts: FontSet) -> None:
    odd = LabelData("🍓", data.grade, data.pack_date, data.cooperative, data.grown_in)
    with pytest.raises(FontMissingError, match="U\\+1F353"):
        render_pdf(odd, make_links(1), Layout.named("50x30@203"), fonts)


def test_pdf_cross_reference_points_at_each_object(data: LabelData, fonts: FontSet) -> None:
    # Readers that seek by the table (rather than rebuild it by scanning) need exact offsets.
    pdf = render_pdf(data, make_links(30), Layout.named("a4-3x8"), fonts)
    start = int(re.search(rb"startxref\n(\d+)\n%%EOF\n$", pdf).group(1))  # type: ignore[union-attr]
    table = pdf[start:].split(b"\n")
    assert table[0] == b"xref"
    entries = table[3 : 2 + int(table[1].split()[1])]
    assert len(entries) > 30
    assert all(e.endswith(b" 00000 n ") for e in entries)
    for number, entry in enumerate(entries, start=1):
        offset = int(entry[:10])
        assert pdf[offset:].startswith(b"%d 0 obj\n" % number), (number, pdf[offset : offset + 20])
    # Every stream's stored /Length is exact (the two pages' deflated content among them).
    streams = list(re.finditer(rb"/Length (\d+)[^>]*>>\nstream\n", pdf))
    assert len(streams) >= 2  # 30 labels on 24-label sheets: two pages, and the forms
    for match in streams:
        end = match.end() + int(match.group(1))
        assert pdf[end : end + 10] == b"\nendstream"


def test_pdf_pages_deflated_to_under_2_8_kb_a_signed_label(
    data: LabelData, fonts: FontSet, key: Ed25519PrivateKey
) -> None:
    # Pages stay compressed (stored, they were 13.7 kB a label); ISA-L's deflate makes them
    # about 2.6 kB a signed label where zlib's level 1 made 3.1 kB (ADR 12).
    links = [sign_link(link, key) for link in make_links(48)]
    pdf = render_pdf(data, links, Layout.named("a4-3x8"), fonts)
    streams = [
        pdf[m.end() : m.end() + int(m.group(1))]
        for m in re.finditer(rb"/Length (\d+) >>\nstream\n", pdf)
    ]
    pages = [s for s in streams if b" re " in zlib.decompress(s)]
    assert len(pages) == 2
    assert all(zlib.decompress(page).count(b" re ") > 24 * 500 for page in pages)
    assert sum(len(page) for page in pages) / len(links) < 2800
