"""CSV the way spreadsheets read it safely: formula cells neutralised, UTF-8 with a BOM.

Every CSV the project writes goes through :func:`csv_text` (or :func:`safe_cell` where a
caller drives its own writer), and every CSV it reads is decoded by :func:`decode_csv`.

- **Formula injection** (OWASP "CSV Injection"): Excel, LibreOffice and Google Sheets run
  a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula, and a leading tab or
  carriage return can hide such a start. A free-text field (a harvest's variety, a grower's
  name) could then carry ``=HYPERLINK(...)`` into a regulator's spreadsheet. Such cells get
  a leading ``'``, which spreadsheets show as text and never evaluate.
- **Encoding**: Excel opens a CSV without a byte-order mark in the system's ANSI code page,
  which turns Chinese and Uyghur into mojibake; with ``U+FEFF`` first it reads UTF-8.
- **Reading**: Excel on Chinese Windows saves "CSV" as GBK. Input is tried as strict UTF-8
  (a BOM is dropped), then as GB18030 (a superset of GBK and GB2312); anything else is a
  :class:`CsvEncodingError` naming the file and the byte that fits neither.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence

from traceability._errors import TraceError

__all__ = ["BOM", "CsvEncodingError", "csv_text", "decode_csv", "safe_cell"]

#: The UTF-8 byte-order mark as text: the first character of every CSV written here.
BOM = "\ufeff"

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: A plain signed number ("-1.5" °C) is data, not a formula: left as it is.
_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")


def safe_cell(value: object) -> str:
    r"""Return ``value`` as CSV cell text that no spreadsheet evaluates.

    >>> safe_cell('=HYPERLINK("http://x","y")')
    '\'=HYPERLINK("http://x","y")'
    >>> safe_cell("Hongyan"), safe_cell("-1.5"), safe_cell("-1+1")
    ('Hongyan', '-1.5', "'-1+1")
    """
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_STARTS) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_text(header: Sequence[str], rows: Iterable[Mapping[str, object] | Sequence[object]]) -> str:
    r"""Return a CSV document (BOM, header, rows) with every cell passed through :func:`safe_cell`.

    Rows are mappings keyed by ``header`` (missing keys are empty cells) or sequences in
    header order. Lines end in ``\n``.
    """
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        values = [row.get(h, "") for h in header] if isinstance(row, Mapping) else list(row)
        writer.writerow([safe_cell(v) for v in values])
    return out.getvalue()


class CsvEncodingError(TraceError):
    """A CSV file is neither UTF-8 (with or without a BOM) nor GB18030/GBK."""

    def __init__(self, source: str, detail: str) -> None:
        """Name the file and where decoding failed."""
        super().__init__(f"{source}: expected UTF-8, UTF-8 with BOM, GBK or GB18030 text; {detail}")
        self.source = source


def decode_csv(data: bytes, source: str = "CSV") -> str:
    r"""Decode CSV bytes: strict UTF-8 (BOM dropped), else GB18030; else :class:`CsvEncodingError`.

    UTF-8 is tried first: GBK-encoded Chinese is almost never valid UTF-8, while GB18030
    accepts nearly any byte sequence, so the other order would misread UTF-8 files.

    >>> decode_csv("品种".encode("gbk"))
    '品种'
    >>> decode_csv(b"\xef\xbb\xbfvariety")
    'variety'
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as utf8:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError:
            bad = data[utf8.start : utf8.start + 4].hex(" ")
            raise CsvEncodingError(
                source, f"byte {utf8.start} ({bad}) is not UTF-8, and the file is not GB18030"
            ) from None
