"""Text shaping and layout: HarfBuzz shapes each run; runs are ordered for bidirectional text.

Chinese and Latin need no more than a font with the glyphs; Uyghur is written in Arabic script,
right to left, with letters joined in contextual forms, which only a shaper produces. The
ordering here is the part of the Unicode Bidirectional Algorithm that label text needs: the
first strong character sets the paragraph direction, Arabic-script runs read right to left,
other runs (Latin, digits, Chinese) left to right, and spaces between two runs of the same
direction join them.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from functools import cache, lru_cache

import uharfbuzz as hb
from fontTools.pens.basePen import BasePen
from fontTools.ttLib import TTFont

from labels._errors import FontMissingError
from labels._fonts import Face, FontSet

__all__ = ["Glyph", "Line", "Run", "glyph_path", "is_rtl_char", "shape_line"]


@dataclass(frozen=True)
class Run:
    """A run of one direction and face, placed on the line.

    Attributes:
        text: The run's characters in logical order.
        face: The face it is set in.
        rtl: Whether it reads right to left.
        x: Its left edge from the line's start, in points.
        width: Its advance width in points.
    """

    text: str
    face: Face
    rtl: bool
    x: float
    width: float


@dataclass(frozen=True)
class Glyph:
    """A shaped glyph placed on the line (points, y up from the baseline)."""

    face: Face
    gid: int
    x: float
    y: float


@dataclass(frozen=True)
class Line:
    """A shaped line: its text, glyphs in visual order, runs, width and size in points."""

    text: str
    glyphs: tuple[Glyph, ...]
    runs: tuple[Run, ...]
    width: float
    size: float


def is_rtl_char(char: str) -> bool:
    """Whether ``char`` is an Arabic-script letter (a strong right-to-left character)."""
    cp = ord(char)
    return (
        0x0600 <= cp <= 0x06FF
        or 0x0750 <= cp <= 0x077F
        or 0x08A0 <= cp <= 0x08FF
        or 0xFB50 <= cp <= 0xFDFF
        or 0xFE70 <= cp <= 0xFEFF
    ) and char.isalpha()


# The blocks is_rtl_char looks in; a text with none of their characters has no RTL letter.
_ARABIC_BLOCKS = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")


@lru_cache(maxsize=4096)
def shape_line(text: str, fonts: FontSet, size: float) -> Line:
    """Shape one line of text at ``size`` points.

    Raises:
        FontMissingError: A character has no glyph in the face chosen for its script.
    """
    runs = _runs(text)
    # One left-to-right run means no right-to-left letter, so no right-to-left paragraph.
    paragraph_rtl = (len(runs) > 1 or (bool(runs) and runs[0][1])) and next(
        (is_rtl_char(c) for c in text if c.isalnum()), False
    )
    placed: list[Run] = []
    glyphs: list[Glyph] = []
    x = 0.0
    for run, rtl in reversed(runs) if paragraph_rtl else runs:
        for chunk, face in _faces(run, rtl, fonts):
            scale = size / face.units_per_em
            start = x
            for gid, dx, gx, gy in _shape(face, chunk, rtl):
                glyphs.append(Glyph(face, gid, x + gx * scale, gy * scale))
                x += dx * scale
            placed.append(Run(chunk, face, rtl, start, x - start))
    return Line(text, tuple(glyphs), tuple(placed), x, size)


def _faces(run: str, rtl: bool, fonts: FontSet) -> list[tuple[str, Face]]:
    """The run in pieces by face, left to right as drawn.

    A right-to-left run is set in the Arabic-script face, a left-to-right run in the CJK
    face; punctuation the run's face lacks (a bracket in Uyghur text, an Arabic comma after
    a number) is set in the other face, as its own piece, in the run's direction (HarfBuzz
    mirrors brackets in a right-to-left piece).
    """
    face, other = (fonts.arabic, fonts.cjk) if rtl else (fonts.cjk, fonts.arabic)
    if face.covers(run):
        return [(run, face)]
    pieces: list[tuple[str, Face]] = []
    for char in run:
        use = face if char.isspace() or ord(char) in face.cmap else other
        if pieces and pieces[-1][1] is use:
            pieces[-1] = (pieces[-1][0] + char, use)
        else:
            pieces.append((char, use))
    if all(f.covers(p) for p, f in pieces):
        # Right to left: the run's last piece is drawn leftmost.
        return list(reversed(pieces)) if rtl else pieces
    missing = next(c for c in run if not c.isspace() and ord(c) not in face.cmap)
    raise FontMissingError(
        f"text: no glyph for {missing!r} (U+{ord(missing):04X}) in {face.path.name}; "
        "pass a font that covers it"
    )


def _runs(text: str) -> list[tuple[str, bool]]:
    # Without an Arabic-script character every strong character is left to right, so the
    # neutrals are too: one run. Most label lines (element strings, lot, dates) are such, and
    # the serial's line is shaped anew for every label.
    if _ARABIC_BLOCKS.search(text) is None:
        return [(text, False)] if text else []
    return _bidi_runs(text)


def _bidi_runs(text: str) -> list[tuple[str, bool]]:
    # Strong direction per character; neutrals (spaces, punctuation) between two characters of
    # the same direction take it, others the paragraph's (UBA rules N1 and N2).
    strong = [True if is_rtl_char(c) else False if c.isalnum() else None for c in text]
    paragraph = next((s for s in strong if s is not None), False)
    out: list[tuple[str, bool]] = []
    for i, char in enumerate(text):
        rtl = strong[i]
        if rtl is None:
            before = next((s for s in reversed(strong[:i]) if s is not None), None)
            after = next((s for s in strong[i + 1 :] if s is not None), None)
            rtl = before if before is not None and before == after else paragraph
        if out and out[-1][1] == rtl:
            out[-1] = (out[-1][0] + char, rtl)
        else:
            out.append((char, rtl))
    return out


@cache
def _hb_font(face: Face) -> hb.Font:
    return hb.Font(hb.Face(hb.Blob.from_file_path(str(face.path)), face.index))


# Bounded: every label's serial line is a new text, and a long-running server renders many.
@lru_cache(maxsize=8192)
def _shape(face: Face, text: str, rtl: bool) -> tuple[tuple[int, int, int, int], ...]:
    buf = hb.Buffer()
    buf.add_str(text)
    buf.guess_segment_properties()
    buf.direction = "rtl" if rtl else "ltr"
    hb.shape(_hb_font(face), buf, {"kern": True, "liga": True})
    return tuple(
        (info.codepoint, pos.x_advance, pos.x_offset, pos.y_offset)
        for info, pos in zip(buf.glyph_infos, buf.glyph_positions, strict=True)
    )


@cache
def _ttfont(face: Face) -> TTFont:
    # From memory, not the file: a cached font must not hold a file handle open.
    return TTFont(io.BytesIO(face.path.read_bytes()), fontNumber=face.index, lazy=True)


class _PDFPathPen(BasePen):  # type: ignore[misc]
    """Collects a glyph outline as PDF path operators in font units."""

    def __init__(self, glyph_set: object) -> None:
        super().__init__(glyph_set)
        self.ops: list[str] = []

    def _moveTo(self, pt: tuple[float, float]) -> None:
        self.ops.append(f"{pt[0]:g} {pt[1]:g} m")

    def _lineTo(self, pt: tuple[float, float]) -> None:
        self.ops.append(f"{pt[0]:g} {pt[1]:g} l")

    def _curveToOne(
        self, p1: tuple[float, float], p2: tuple[float, float], p3: tuple[float, float]
    ) -> None:
        self.ops.append(f"{p1[0]:g} {p1[1]:g} {p2[0]:g} {p2[1]:g} {p3[0]:g} {p3[1]:g} c")

    def _closePath(self) -> None:
        self.ops.append("h")


@cache
def glyph_path(face: Face, gid: int) -> str:
    """A glyph's outline as PDF path operators in font units (filled with nonzero winding)."""
    font = _ttfont(face)
    glyph_set = font.getGlyphSet()
    pen = _PDFPathPen(glyph_set)
    glyph_set[font.getGlyphName(gid)].draw(pen)
    return " ".join(pen.ops)
