"""Every QR code in every PDF layout decodes with two independent decoders, off-grid too.

A PDF is rasterised by whatever prints or shows it, at its own resolution, with
anti-aliasing. Codes drawn as separately painted pieces (one per row) came out with light
hairline seams wherever a piece's edge fell between pixels, and zbar missed many of them.
Each page here is rasterised by pdfium with anti-aliasing on at 150, 203, 300 and 600 dpi,
none of which need match the layout's own resolution, and each label is cut out (as a
scanner sees one label) and decoded by zxing-cpp and by zbar; both must return exactly the
URI that was encoded.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image

from labels import (
    Certificate,
    DigitalLink,
    FontSet,
    LabelData,
    Layout,
    render_certificate,
    render_pdf,
    sign_link,
)
from labels._layout import LAYOUTS, MM_PER_INCH
from tests.labels.conftest import RESOLVER, decode_all, decode_zbar, make_links, pdf_pages

DPIS = (150, 203, 300, 600)
# Presets too small for a signed code at GS1's point-of-sale module size: tested as printed
# for other uses, with small modules allowed (0.375 mm at 203 dpi).
SMALL_MODULES = {"50x30@203"}
# A fixed key: the same symbols on every run, so a miss is reproducible.
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))


def _crop(page: Image.Image, dpi: int, box_mm: tuple[float, float, float, float]) -> Image.Image:
    scale = dpi / MM_PER_INCH
    left, top, width, height = box_mm
    return page.crop(
        (
            round(left * scale),
            round(top * scale),
            round((left + width) * scale),
            round((top + height) * scale),
        )
    )


def _misses(image: Image.Image, uri: str) -> list[str]:
    """The decoders that did not read exactly ``uri`` (and only it) from ``image``."""
    return [
        name
        for name, decode in (("zxing-cpp", decode_all), ("zbar", decode_zbar))
        if decode(image) != [uri]
    ]


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_every_pdf_code_decodes_with_zxing_and_zbar_at_any_dpi(
    name: str, data: LabelData, fonts: FontSet
) -> None:
    layout = Layout.named(name)
    if name in SMALL_MODULES:
        layout = dataclasses.replace(layout, allow_small_modules=True)
    # A full sheet, or three roll labels; signed, so the codes are as dense as they get.
    count = layout.per_page if layout.per_page > 1 else 3
    links = [sign_link(link, KEY) for link in make_links(count)]
    pdf = render_pdf(data, links, layout, fonts)
    failures = []
    for dpi in DPIS:
        pages = pdf_pages(pdf, dpi)
        for index, link in enumerate(links):
            page = pages[index // layout.per_page]
            left, top = layout.corner_mm(index % layout.per_page)
            label = _crop(page, dpi, (left, top, layout.width_mm, layout.height_mm))
            failures += [f"{dpi} dpi label {index}: {m}" for m in _misses(label, link.uri)]
    assert not failures, f"{len(failures)} misses of {2 * len(DPIS) * count} decodes: {failures}"


def test_certificate_code_decodes_with_zxing_and_zbar_at_any_dpi(fonts: FontSet) -> None:
    link = sign_link(DigitalLink(RESOLVER, "6912345678902", "KS-2026-STR-0001"), KEY)
    cert = Certificate(
        "喀什果农合作社", "0998-1234567", "草莓", "500 kg", "新疆喀什", dt.date(2026, 5, 20), link
    )
    pdf = render_certificate(cert, fonts)
    failures = []
    for dpi in DPIS:
        (page,) = pdf_pages(pdf, dpi)
        failures += [f"{dpi} dpi: {m}" for m in _misses(page, link.uri)]
    assert not failures, f"{len(failures)} misses of {2 * len(DPIS)} decodes: {failures}"


def test_a_certificate_code_naming_its_entry_decodes_at_any_dpi(fonts: FontSet) -> None:
    # The certificate's number (?cert=N) makes the code longer: it must still fit and decode.
    link = sign_link(
        DigitalLink(RESOLVER, "6912345678902", "KS-2026-STR-0001", certificate="123456789012"),
        KEY,
    )
    cert = Certificate(
        "喀什果农合作社", "0998-1234567", "草莓", "500 kg", "新疆喀什", dt.date(2026, 5, 20), link
    )
    pdf = render_certificate(cert, fonts)
    failures = []
    for dpi in DPIS:
        (page,) = pdf_pages(pdf, dpi)
        failures += [f"{dpi} dpi: {m}" for m in _misses(page, link.uri)]
    assert not failures, f"{len(failures)} misses of {2 * len(DPIS)} decodes: {failures}"
