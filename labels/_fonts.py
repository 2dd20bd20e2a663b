"""Fonts for label text: one covering CJK and Latin, one for Uyghur's Arabic script.

Installed fonts are looked up in the standard Debian locations; either can be given by path
instead. A missing font is a ``FontMissingError`` that names the Debian package to install.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path

from fontTools.ttLib import TTFont, TTLibError

from labels._errors import FontMissingError

__all__ = ["Face", "FontSet", "load_face"]

_FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))
# (file name, index in a collection), best first, with the Debian package that ships them.
_CJK = (
    (("wqy-microhei.ttc", 0), ("NotoSansCJK-Regular.ttc", 2), ("wqy-zenhei.ttc", 0)),
    "fonts-wqy-microhei",
)
_ARABIC = (
    (("NotoSansArabic-Regular.ttf", 0), ("NotoNaskhArabic-Regular.ttf", 0)),
    "fonts-noto-core",
)


@dataclass(frozen=True)
class Face:
    """One font face: its file, its index in a collection, and what the shaper needs.

    Attributes:
        path: The font file.
        index: The face's index in a TrueType collection (0 for a single font).
        units_per_em: Design units per em.
        ascent: Typographic ascender in design units.
        descent: Typographic descender in design units (negative).
        cmap: Unicode code point to glyph name.
    """

    path: Path
    index: int
    units_per_em: int
    ascent: int
    descent: int
    cmap: dict[int, str] = field(compare=False, repr=False)

    def __hash__(self) -> int:
        # Faces key the shaping and glyph caches, looked up for every glyph of every label;
        # the generated hash would hash the path and four numbers each time.
        return self._hash

    @cached_property
    def _hash(self) -> int:
        return hash((self.path, self.index, self.units_per_em, self.ascent, self.descent))

    def covers(self, text: str) -> bool:
        """Whether every non-space character of ``text`` has a glyph in this face."""
        # One set test for the usual case; spaces without a glyph take the slow path.
        return self._chars.issuperset(text) or all(
            ord(c) in self.cmap for c in text if not c.isspace()
        )

    @cached_property
    def _chars(self) -> frozenset[str]:
        return frozenset(map(chr, self.cmap))


@cache
def load_face(path: Path, index: int = 0) -> Face:
    """Read a face's metrics and character map (cached per file and index).

    Raises:
        FontMissingError: The file is missing or is not a TrueType/OpenType font.
    """
    try:
        with TTFont(path, fontNumber=index, lazy=True) as font:
            cmap = dict(font.getBestCmap())
            hhea = font["hhea"]
            return Face(path, index, font["head"].unitsPerEm, hhea.ascent, hhea.descent, cmap)
    except (OSError, TTLibError) as e:
        raise FontMissingError(f"font {path}: expected a readable TrueType font: {e}") from e


@dataclass(frozen=True)
class FontSet:
    """The faces label text is set in.

    Attributes:
        cjk: Face for Chinese, Latin and digits.
        arabic: Face for Arabic-script text (Uyghur).
    """

    cjk: Face
    arabic: Face

    def __hash__(self) -> int:
        # A font set keys the line caches, looked up for each line of every label.
        return self._hash

    @cached_property
    def _hash(self) -> int:
        return hash((self.cjk, self.arabic))

    @classmethod
    def find(cls, cjk: Path | None = None, arabic: Path | None = None) -> FontSet:
        """Use the given font files, or find installed ones.

        Raises:
            FontMissingError: No suitable font installed (names the Debian package) or a given
                file is unreadable.
        """
        return cls(_face(cjk, _CJK, "CJK"), _face(arabic, _ARABIC, "Uyghur (Arabic script)"))


def _face(given: Path | None, wanted: tuple[tuple[tuple[str, int], ...], str], what: str) -> Face:
    if given is not None:
        if not given.is_file():
            raise FontMissingError(f"{what} font: expected a font file, got {str(given)!r}")
        return load_face(given, 0)
    names, package = wanted
    for name, index in names:
        for path in _installed(name):
            return load_face(path, index)
    raise FontMissingError(
        f"{what} font: none installed; expected one of {', '.join(n for n, _ in names)} "
        f"(install the Debian package {package}, or pass a font file)"
    )


@cache
def _installed(name: str) -> tuple[Path, ...]:
    return tuple(p for root in _FONT_DIRS if root.is_dir() for p in sorted(root.rglob(name)))
