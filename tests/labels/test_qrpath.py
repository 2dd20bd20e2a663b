"""The PDF drawing of a code: one fill, whose rectangles cover exactly the dark modules."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from labels._qr import QREncoder
from labels._qrpath import qr_ops


@given(data=st.text(min_size=1, max_size=200), mask=st.integers(0, 7))
@settings(max_examples=30, deadline=None)
def test_rectangles_cover_exactly_the_dark_modules_in_one_fill(data: str, mask: int) -> None:
    code = QREncoder(mask=mask).encode(data)
    ops = qr_ops(code, 10.0, 200.0, 1.5)
    # One path and one paint: a second fill operator would bring the seams back.
    assert re.findall(r"(?m)(?:^| )(f|F|f\*|B|b|S|s|Do|TJ|Tj|')(?= |$)", ops) == ["f"]
    covered = [[0] * code.size for _ in range(code.size)]
    for x, y, w, h in re.findall(r"(\d+) (\d+) (\d+) (\d+) re", ops):
        for row in range(int(y), int(y) + int(h)):
            for col in range(int(x), int(x) + int(w)):
                covered[row][col] += 1
    # No overlaps (each dark module once) and nothing outside the dark modules.
    assert ["".join(str(c) for c in row) for row in covered] == list(code.rows)
