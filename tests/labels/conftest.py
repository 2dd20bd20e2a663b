"""Shared paths, fixtures and decoders for the label tests."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
import zxingcpp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image
from pyzbar import pyzbar

from labels import DigitalLink, FontSet, LabelData

REPO_ROOT = Path(__file__).parents[2]
SHARED = REPO_ROOT / "tests" / "vectors"
CONFORMANCE = SHARED / "conformance" / "gs1"
RESOLVER = "https://id.example.coop"
UYGHUR = "قەشقەر ئۈجمە"  # "Kashgar mulberry"
CHINESE = "喀什果农合作社"


def load_json(relative: str) -> Any:
    """Read a conformance file under ``tests/vectors/conformance/gs1``."""
    return json.loads((CONFORMANCE / relative).read_text(encoding="utf-8"))


def decode_all(image: Image.Image) -> list[str]:
    """Every QR code zxing-cpp finds in ``image``, as text."""
    return [
        str(r.text)
        for r in zxingcpp.read_barcodes(image)
        if r.format == zxingcpp.BarcodeFormat.QRCode
    ]


def decode_zbar(image: Image.Image) -> list[str]:
    """Every QR code zbar (a decoder sharing no code with zxing-cpp) finds in ``image``."""
    return [
        r.data.decode("utf-8") for r in pyzbar.decode(image, symbols=[pyzbar.ZBarSymbol.QRCODE])
    ]


def pdf_pages(pdf: bytes, dpi: int, pages: list[int] | None = None) -> list[Image.Image]:
    """Rasterise the given pages (all when ``None``) of a PDF at ``dpi``, greyscale."""
    doc = pdfium.PdfDocument(pdf)
    chosen = range(len(doc)) if pages is None else pages
    return [doc[i].render(scale=dpi / 72).to_pil().convert("L") for i in chosen]


def page_count(pdf: bytes) -> int:
    """Number of pages in a PDF."""
    return len(pdfium.PdfDocument(pdf))


@pytest.fixture(scope="session")
def fonts() -> FontSet:
    return FontSet.find()


@pytest.fixture(scope="session")
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def data() -> LabelData:
    return LabelData(
        product=f"草莓 {UYGHUR}",
        grade="一级 Grade I",
        pack_date=dt.date(2026, 5, 20),
        cooperative=CHINESE,
        grown_in="新疆喀什 قەشقەر",
    )


def make_links(count: int, lot: str = "KS-2026-STR-0001") -> list[DigitalLink]:
    """``count`` serialised links of one lot."""
    return [DigitalLink(RESOLVER, "6912345678902", lot, f"{i:06d}") for i in range(1, count + 1)]
