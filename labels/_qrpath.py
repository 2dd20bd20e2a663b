"""QR codes in PDF content: every dark module of a code in one filled path.

A PDF rasteriser with anti-aliasing gives a pixel on a shape's edge partial coverage. When two
touching shapes are painted one after the other, a pixel on their common edge is covered
partly by each and blended twice, so it comes out lighter than the inside: a hairline seam
wherever the edge falls between device pixels. Codes drawn as one painted shape per row (or
per glyph) get such seams between rows at most rendering resolutions, and zbar then misses
many symbols. Here the whole code is one path, filled once with the nonzero rule: rectangles
that touch share their edge exactly (integer coordinates in module units), the rasteriser
sums the coverage of the whole path before painting, and the shared edge cancels out.

Speed: a code is several hundred rectangles. Writing them one by one from the rows costs more
than encoding the code, so each packed byte of the matrix (8 modules of one row) is looked up
in a table of ready-made rectangle text per (byte column, byte value), built once per code
size, with a placeholder ``Y`` for the row; a row is one ``join`` over its packed bytes and
one ``replace`` of the placeholder, with no loop per module or run in Python. The tables are
small (256 strings per byte column) so they stay in the processor's cache between codes: the
earlier tables per (row, column, value), 116,000 strings for a signed code, were mostly
missed in cache and made a whole PDF run about 15% slower (docs/performance.md).
Runs are split where they cross a byte boundary; the two pieces share their edge exactly,
which the single fill makes invisible (and the tests check by decoding rendered pages).
"""

from __future__ import annotations

import operator
import re
from functools import lru_cache

from labels._qr import QRCode

__all__ = ["qr_ops"]

# Dark runs of each byte value as (first module, width), leftmost module in the top bit.
_RUNS = tuple(
    tuple((m.start(), len(m.group())) for m in re.finditer("1+", format(value, "08b")))
    for value in range(256)
)


@lru_cache(maxsize=8)
def _tables(size: int) -> tuple[tuple[list[str], ...], tuple[tuple[slice, str], ...]]:
    """Rectangle text per (byte column, value) with ``Y`` for the row; each row's bytes and y."""
    stride = (size + 7) // 8
    columns = tuple(
        ["".join(f"{column * 8 + s} Y {w} 1 re " for s, w in runs) for runs in _RUNS]
        for column in range(stride)
    )
    rows = tuple((slice(row * stride, (row + 1) * stride), str(row)) for row in range(size))
    return columns, rows


def qr_ops(code: QRCode, x_pt: float, top_pt: float, module_pt: float) -> str:
    """Content drawing ``code`` with its top-left module corner at (``x_pt``, ``top_pt``).

    Args:
        code: The symbol; its quiet zone is not drawn (the label leaves it blank).
        x_pt: Left edge of the first module column, in points.
        top_pt: Top edge of the first module row, in points (PDF's y grows upwards).
        module_pt: Module size in points.

    Returns:
        Content-stream operators: a saved graphics state, a transform to module units with y
        down, one path of rectangles (one per dark run within a byte), one fill, restore.
    """
    columns, rows = _tables(code.size)
    packed, join, lookup = code.packed, "".join, operator.getitem
    parts = [f"q {module_pt:.4f} 0 0 {-module_pt:.4f} {x_pt:.3f} {top_pt:.3f} cm\n"]
    parts += [join(map(lookup, columns, packed[at])).replace("Y", y) for at, y in rows]
    parts.append("f\nQ")
    # One join for the whole code: the text is ~11 kB, and each extra copy of it shows.
    return join(parts)
