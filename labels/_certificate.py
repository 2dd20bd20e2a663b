"""The per-batch compliance certificate (承诺达标合格证) as a one-page PDF with its QR code.

Fields and wording follow the national certificate template of the Ministry of Agriculture and
Rural Affairs under the Law on Quality and Safety of Agricultural Products (as published in its
2023 revision; check the wording against the template in force before relying on it). Since
2026-02-01 the certificate may carry a QR code: here the batch's Digital Link, carrying the
certificate's number (``?cert=N``, :data:`~labels._digital_link.CERTIFICATE_PARAM`) when it
was issued on a ledger, so that a scan checks this certificate, not only the lot.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from labels._digital_link import DigitalLink
from labels._errors import LayoutError
from labels._fonts import FontSet
from labels._layout import TextLine, freshness_line
from labels._pdfdoc import PT_PER_MM, PDFDocument
from labels._qr import QREncoder
from labels._qrpath import qr_ops
from labels._text import shape_line

__all__ = [
    "COMMITMENT_BASES",
    "COMMITMENT_STATEMENT",
    "Certificate",
    "certificate_text",
    "render_certificate",
]

COMMITMENT_STATEMENT = (
    "我承诺对生产销售的食用农产品：",
    "不使用禁用农药兽药、停用兽药和非法添加物",
    "常规农药兽药残留不超标",
    "对承诺的真实性负责",
)
COMMITMENT_BASES = ("委托检测", "自我检测", "内部质量控制", "自我承诺")
_WIDTH, _HEIGHT = 148.0, 105.0  # A6 landscape, mm
_MODULE = 0.6  # mm: the certificate is printed on office printers, 600 dpi or better


@dataclass(frozen=True)
class Certificate:
    """What one compliance certificate states.

    Attributes:
        producer: The producer (cooperative or farm) issuing it.
        contact: The producer's telephone number.
        product: The edible agricultural product.
        quantity: Quantity or weight, e.g. ``"500 kg"``.
        grown_in: Place of origin (printed as 产地).
        issued: Date of issue.
        link: The batch's Digital Link, printed as the QR code; its ``certificate`` (the
            certificate's number) is printed under the code too.
        bases: The grounds of the commitment, from ``COMMITMENT_BASES``.
        harvested: Harvest date (GS1 AI 7007); printed with ``best_before`` when both given.
        best_before: Best-before date (GS1 AI 15): the harvest date plus the shelf life.
    """

    producer: str
    contact: str
    product: str
    quantity: str
    grown_in: str
    issued: dt.date
    link: DigitalLink
    bases: tuple[str, ...] = ("自我承诺",)
    harvested: dt.date | None = None
    best_before: dt.date | None = None

    def __post_init__(self) -> None:
        for name in ("producer", "contact", "product", "quantity", "grown_in"):
            value = getattr(self, name)
            if not value.strip() or "\n" in value or len(value) > 40:
                raise LayoutError(f"{name}: expected 1 to 40 characters on one line, got {value!r}")
        unknown = [b for b in self.bases if b not in COMMITMENT_BASES]
        if unknown or not self.bases:
            raise LayoutError(
                f"bases: expected one or more of {', '.join(COMMITMENT_BASES)}, got {unknown or []}"
            )


def render_certificate(certificate: Certificate, fonts: FontSet | None = None) -> bytes:
    """Render the certificate as a one-page A6 landscape PDF.

    Raises:
        FontMissingError: No font for the text's script.
        LayoutError: The QR code does not fit.
    """
    fonts = fonts or FontSet.find()
    doc = PDFDocument()
    code = QREncoder().encode(certificate.link.uri)
    box = code.size * _MODULE
    if box > 48:
        raise LayoutError(f"certificate QR: expected at most 48 mm, got {box:.1f} mm")
    qr_left = _WIDTH - 10 - box
    ops: list[str] = []
    for text, x, y, size in certificate_text(certificate, qr_left, box):
        shaped = shape_line(text, fonts, size)
        if x < 0:  # centred
            x = (_WIDTH - shaped.width / PT_PER_MM) / 2
        ops.append(doc.text(TextLine(shaped, x, y, static=True), _HEIGHT))
    # A rule under each field, as on the printed form.
    ops.extend(_rule(42, 24 + 6.5 * i + 1.2, qr_left - 4) for i in range(6))
    ops.append(qr_ops(code, qr_left * PT_PER_MM, (_HEIGHT - 24) * PT_PER_MM, _MODULE * PT_PER_MM))
    ops.append(_frame())
    doc.add_page("\n".join(ops), _WIDTH * PT_PER_MM, _HEIGHT * PT_PER_MM)
    return doc.to_bytes()


def certificate_text(
    certificate: Certificate, qr_left: float, qr_box: float
) -> list[tuple[str, float, float, float]]:
    """Every line of the certificate as (text, x mm or -1 to centre, baseline y mm, size pt)."""
    c = certificate
    fields = [
        ("食用农产品名称", c.product),
        ("数量（重量）", c.quantity),
        ("产地", c.grown_in),
        ("生产者盖章或签名", c.producer),
        ("联系方式", c.contact),
        ("开具日期", c.issued.isoformat()),
    ]
    out = [("承诺达标合格证", -1.0, 14.0, 16.0)]
    y = 24.0
    for label, value in fields:
        out += [(f"{label}：", 8.0, y, 9.0), (value, 42.0, y, 9.0)]
        y += 6.5
    y += 2
    out.append((COMMITMENT_STATEMENT[0], 8.0, y, 8.5))
    for promise in COMMITMENT_STATEMENT[1:]:
        y += 5
        out.append(("■ " + promise, 12.0, y, 8.5))
    marks = "  ".join(("■ " if b in c.bases else "□ ") + b for b in COMMITMENT_BASES)
    out.append(("承诺依据：" + marks, 8.0, y + 6.5, 8.5))
    fresh = freshness_line(c.harvested, c.best_before)
    if fresh:
        out.append((fresh, 8.0, y + 12.5, 8.5))
    y = 24 + qr_box + 1
    for ai, value in c.link.path_elements:
        y += 3
        out.append((f"({ai}){value}", qr_left, y, 6.0))
    if c.link.certificate is not None:
        out.append((f"合格证编号 No. {c.link.certificate}", qr_left, y + 3, 6.0))
    return out


def _rule(x0: float, y: float, x1: float) -> str:
    yy = (_HEIGHT - y) * PT_PER_MM
    return f"0.4 w {x0 * PT_PER_MM:.2f} {yy:.2f} m {x1 * PT_PER_MM:.2f} {yy:.2f} l S"


def _frame() -> str:
    m = 4 * PT_PER_MM
    return (
        f"1 w {m:.2f} {m:.2f} {(_WIDTH - 8) * PT_PER_MM:.2f} {(_HEIGHT - 8) * PT_PER_MM:.2f} re S"
    )
