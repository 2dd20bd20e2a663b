"""QR module size: GS1's 0.396 mm retail point-of-sale minimum, whole printer dots."""

from __future__ import annotations

import dataclasses

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from labels import DigitalLink, FontSet, LabelData, Layout, LayoutError, render_pdf, sign_link
from labels._layout import LAYOUTS, MM_PER_INCH, POS_MIN_MODULE_MM, qr_module_mm
from labels._qr import QREncoder
from labels.cli import app
from tests.labels.conftest import RESOLVER, decode_all, decode_zbar, pdf_pages

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
UNSIGNED = DigitalLink(RESOLVER, "6912345678902", "KS-2026-STR-0001", "000001")
LONGEST = DigitalLink(RESOLVER, "6912345678902", "L" * 20, "s" * 20)
# The smallest labels (whole mm, code on the left of the text) in docs/labels.md.
SMALLEST = [
    (UNSIGNED, 203, 41, 25),
    (UNSIGNED, 300, 35, 21),
    (LONGEST, 203, 45, 27),
    (LONGEST, 300, 38, 23),
    (sign_link(UNSIGNED, KEY), 203, 55, 33),
    (sign_link(UNSIGNED, KEY), 300, 46, 28),
    (sign_link(LONGEST, KEY), 203, 58, 35),
    (sign_link(LONGEST, KEY), 300, 49, 30),
    (sign_link(LONGEST, KEY), 600, 49, 30),
]


def _modules(link: DigitalLink) -> int:
    return QREncoder().encode(link.uri).size


def test_signed_50x30_at_203_dpi_refused_naming_label_module_and_minimum(
    data: LabelData, fonts: FontSet
) -> None:
    with pytest.raises(
        LayoutError,
        match=r"layout 50x30@203 \(50 x 30 mm at 203 dpi\): a 57-module code would get 0.375 mm "
        r"modules, expected at least 0.396 mm \(GS1 retail point of sale\).*allow_small_modules",
    ):
        render_pdf(data, [sign_link(UNSIGNED, KEY)], Layout.named("50x30@203"), fonts)


def test_allow_small_modules_prints_below_pos_minimum_and_decodes(
    data: LabelData, fonts: FontSet
) -> None:
    layout = dataclasses.replace(Layout.named("50x30@203"), allow_small_modules=True)
    link = sign_link(UNSIGNED, KEY)
    assert qr_module_mm(layout, _modules(link))[0] == pytest.approx(3 * MM_PER_INCH / 203)
    (page,) = pdf_pages(render_pdf(data, [link], layout, fonts), 203)
    assert decode_all(page) == decode_zbar(page) == [link.uri]


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_default_layouts_hold_the_longest_signed_uri_at_pos_module_size(name: str) -> None:
    modules = _modules(sign_link(LONGEST, KEY))
    layout = Layout.named(name)
    if name == "50x30@203":  # documented exception: refused unless small modules allowed
        with pytest.raises(LayoutError, match=r"0\.396"):
            qr_module_mm(layout, modules)
        return
    module, _ = qr_module_mm(layout, modules)
    dots = module / (MM_PER_INCH / layout.dpi)
    assert module >= POS_MIN_MODULE_MM
    assert dots == pytest.approx(round(dots))  # whole printer dots


@pytest.mark.parametrize(("link", "dpi", "width", "height"), SMALLEST)
def test_documented_smallest_label_is_the_smallest(
    link: DigitalLink, dpi: int, width: int, height: int
) -> None:
    modules = _modules(link)
    module, on_top = qr_module_mm(Layout("smallest", width, height, dpi), modules)
    assert module >= POS_MIN_MODULE_MM
    assert not on_top
    for w, h in ((width - 1, height), (width, height - 1)):
        with pytest.raises(LayoutError, match=r"0\.396"):
            qr_module_mm(Layout("smaller", w, h, dpi), modules)


def test_cli_flag_allows_small_modules(tmp_path: object) -> None:
    from pathlib import Path

    out = Path(str(tmp_path)) / "l.pdf"
    args = [
        "make", "--gtin", "6912345678902", "--lot", "KS-1", "--count", "1",
        "--product", "草莓", "--grade", "一级", "--cooperative", "喀什果农合作社",
        "--origin", "新疆喀什", "--pack-date", "2026-05-20", "--layout", "30x20@300",
        "--out", str(out),
    ]  # fmt: skip
    refused = CliRunner().invoke(app, args)
    assert refused.exit_code != 0
    assert "0.396" in refused.output
    allowed = CliRunner().invoke(app, [*args, "--allow-small-modules"])
    assert allowed.exit_code == 0, allowed.output
    assert out.stat().st_size > 0
