"""GS1 Digital Link URIs, QR codes, label sheets and the compliance certificate.

Stands alone: imports nothing from ``ledger``, ``traceability`` or ``verifier_app``.
"""

from labels._digital_link import DigitalLink, parse_digital_link
from labels._errors import (
    FontMissingError,
    GS1SyntaxError,
    LabelError,
    LabelSignatureError,
    LayoutError,
)
from labels._gs1 import gs1_check_digit, normalize_gtin, validate_lot, validate_serial

__all__ = [
    "DigitalLink",
    "FontMissingError",
    "GS1SyntaxError",
    "LabelError",
    "LabelSignatureError",
    "LayoutError",
    "gs1_check_digit",
    "normalize_gtin",
    "parse_digital_link",
    "validate_lot",
    "validate_serial",
]
