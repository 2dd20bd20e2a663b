"""GS1 Digital Link URIs, QR codes, label sheets, the compliance certificate and reports.

Stands alone: imports nothing from ``ledger``, ``traceability`` or ``verifier_app``.

>>> link = DigitalLink("https://id.example.coop", "6912345678902", lot="KS-2026-0001")
>>> link.uri
'https://id.example.coop/01/06912345678902/10/KS-2026-0001'
>>> parse_digital_link(link.uri).element_string
'(01)06912345678902(10)KS-2026-0001'
"""

from labels._certificate import COMMITMENT_BASES, Certificate, render_certificate
from labels._chart import BarChart, ChartLabel, ChartRect, ChartSegment, chart_shapes
from labels._digital_link import DigitalLink, parse_digital_link
from labels._errors import (
    FontMissingError,
    GS1SyntaxError,
    LabelError,
    LabelSignatureError,
    LayoutError,
)
from labels._fonts import FontSet
from labels._gs1 import gs1_check_digit, normalize_gtin, validate_lot, validate_serial
from labels._layout import LabelData, Layout, freshness_line
from labels._pdf import render_pdf
from labels._png import render_png
from labels._report import Report, ReportSection, render_report
from labels._signature import load_private_key, load_public_key, sign_link, verify_link
from labels._zpl import render_zpl

__all__ = [
    "COMMITMENT_BASES",
    "BarChart",
    "Certificate",
    "ChartLabel",
    "ChartRect",
    "ChartSegment",
    "DigitalLink",
    "FontMissingError",
    "FontSet",
    "GS1SyntaxError",
    "LabelData",
    "LabelError",
    "LabelSignatureError",
    "Layout",
    "LayoutError",
    "Report",
    "ReportSection",
    "chart_shapes",
    "freshness_line",
    "gs1_check_digit",
    "load_private_key",
    "load_public_key",
    "normalize_gtin",
    "parse_digital_link",
    "render_certificate",
    "render_pdf",
    "render_png",
    "render_report",
    "render_zpl",
    "sign_link",
    "validate_lot",
    "validate_serial",
    "verify_link",
]
