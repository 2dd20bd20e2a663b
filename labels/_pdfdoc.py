"""A minimal PDF 1.7 writer: objects, compressed streams, form XObjects, glyphs as paths.

Label sheets need little of PDF, but need it fast and small: tens of thousands of codes as
filled rectangles, and the same text on every label. So text is drawn as glyph outlines, each
glyph once as a form XObject (any script, exactly as HarfBuzz shaped it, with no font
embedding or subsetting), and a batch's unchanging text once as a form reused on every label.
The cost: text in these PDFs cannot be searched or copied.
"""

from __future__ import annotations

import zlib

from isal import isal_zlib

from labels._fonts import Face
from labels._layout import MM_PER_INCH, TextLine
from labels._text import glyph_path

__all__ = ["PT_PER_MM", "PDFDocument"]

PT_PER_MM = 72 / MM_PER_INCH


class PDFDocument:
    """Builds one PDF: pages and form XObjects sharing one resource dictionary."""

    def __init__(self) -> None:
        self._objects: list[bytes | None] = [None, None, None, None]  # 1 catalog, 2 pages, 3 res
        self._pages: list[int] = []
        self._xobjects: dict[str, int] = {}
        self._glyphs: dict[tuple[Face, int], str] = {}
        self._texts: dict[tuple[str, float, float, float, float], str] = {}

    def add(self, body: bytes) -> int:
        """Add an object; return its number."""
        self._objects.append(body)
        return len(self._objects) - 1

    def add_stream(self, data: bytes, entries: str = "", level: int = 6) -> int:
        """Add a Flate-compressed stream object with extra dictionary ``entries``."""
        # Level 6 (zlib's default) for text and forms, which are small and written once: level
        # 9 makes sheets ~1% smaller and 3x slower to write. Pages use add_page's own deflate.
        return self._add_deflated(zlib.compress(data, level), entries)

    def _add_deflated(self, packed: bytes, entries: str = "") -> int:
        head = f"<< {entries} /Filter /FlateDecode /Length {len(packed)} >>\nstream\n"
        return self.add(head.encode() + packed + b"\nendstream")

    def add_form(self, name: str, content: str, width_pt: float, height_pt: float) -> None:
        """Add a form XObject called ``name``, drawable with ``/name Do`` on any page."""
        entries = (
            f"/Type /XObject /Subtype /Form /BBox [0 0 {width_pt:.2f} {height_pt:.2f}] "
            "/Resources 3 0 R"
        )
        self._xobjects[name] = self.add_stream(content.encode(), entries)

    def add_page(self, content: str, width_pt: float, height_pt: float) -> None:
        """Add a page with the given content stream."""
        # Pages are mostly QR rectangles (about 11 kB of text per signed code). ISA-L's
        # deflate at its level 1 writes them about 5 times as fast as zlib's level 1 and
        # about 15% smaller; the stream is ordinary zlib data (ADR 12, docs/performance.md).
        contents = self._add_deflated(isal_zlib.compress(content.encode(), 1))
        self._pages.append(
            self.add(
                f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width_pt:.2f} {height_pt:.2f}] "
                f"/Resources 3 0 R /Contents {contents} 0 R >>".encode()
            )
        )

    def has_form(self, name: str) -> bool:
        """Whether a form XObject called ``name`` exists."""
        return name in self._xobjects

    def glyph(self, face: Face, gid: int) -> str | None:
        """The XObject name drawing glyph ``gid`` in font units, or ``None`` if it has no ink."""
        key = (face, gid)
        name = self._glyphs.get(key)
        if name is None:
            path = glyph_path(face, gid)
            name = self._glyphs[key] = f"G{len(self._glyphs)}" if path else ""
            if path:
                em = face.units_per_em
                entries = (
                    f"/Type /XObject /Subtype /Form /BBox [{-em} {-em} {3 * em} {2 * em}]"
                    " /Resources << >>"
                )
                self._xobjects[name] = self.add_stream((path + " f").encode(), entries)
        return name or None

    def text(self, line: TextLine, height_mm: float) -> str:
        """Content drawing ``line`` in a label's space (points, (0, 0) bottom left)."""
        key = (line.line.text, line.line.size, line.x, line.baseline, height_mm)
        ops = self._texts.get(key)
        if ops is None:
            ops = self._texts[key] = self._text_ops(line, height_mm)
        return ops

    def _text_ops(self, line: TextLine, height_mm: float) -> str:
        # One transform for the line, in font units; then each glyph moves the pen by its
        # offset from the previous one, so operands are short integers.
        glyphs = line.line.glyphs
        if not glyphs:
            return ""
        face = glyphs[0].face
        unit = line.line.size / face.units_per_em
        ops = [
            f"q {unit:.6f} 0 0 {unit:.6f} {line.x * PT_PER_MM:.3f} "
            f"{(height_mm - line.baseline) * PT_PER_MM:.3f} cm"
        ]
        at_x = at_y = 0
        for glyph in glyphs:
            name = self.glyph(glyph.face, glyph.gid)
            if name is None:
                continue
            # Every face here is scaled by the same unit: rescale glyphs of another face.
            ratio = face.units_per_em / glyph.face.units_per_em
            gx, gy = round(glyph.x / unit), round(glyph.y / unit)
            if ratio != 1:
                ops.append(f"q {ratio:.6f} 0 0 {ratio:.6f} {gx - at_x} {gy - at_y} cm /{name} Do Q")
                continue
            ops.append(f"1 0 0 1 {gx - at_x} {gy - at_y} cm /{name} Do")
            at_x, at_y = gx, gy
        ops.append("Q")
        return "\n".join(ops)

    def to_bytes(self) -> bytes:
        """Finish the document and return the file's bytes."""
        kids = " ".join(f"{p} 0 R" for p in self._pages)
        self._objects[1] = b"<< /Type /Catalog /Pages 2 0 R >>"
        self._objects[2] = f"<< /Type /Pages /Kids [{kids}] /Count {len(self._pages)} >>".encode()
        xobjects = " ".join(f"/{n} {i} 0 R" for n, i in self._xobjects.items())
        self._objects[3] = f"<< /XObject << {xobjects} >> >>".encode()
        # Chunks joined once at the end: page streams are most of the file, copied only once.
        chunks = [b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"]
        at = len(chunks[0])
        offsets = []
        for number, entry in enumerate(self._objects[1:], start=1):
            offsets.append(at)
            head, body = f"{number} 0 obj\n".encode(), entry or b"null"
            chunks += (head, body, b"\nendobj\n")
            at += len(head) + len(body) + len(b"\nendobj\n")
        xref = at
        chunks.append(f"xref\n0 {len(self._objects)}\n0000000000 65535 f \n".encode())
        chunks.append("".join(f"{o:010d} 00000 n \n" for o in offsets).encode())
        trailer = f"trailer\n<< /Size {len(self._objects)} /Root 1 0 R >>\nstartxref\n{xref}\n"
        chunks.append(trailer.encode() + b"%%EOF\n")
        return b"".join(chunks)
