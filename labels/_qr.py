"""QR codes for labels: the ``qrcode`` package's tables and patterns, tuned for thousands.

``qrcode``'s default path searches all eight masks for every code (scoring each with its
penalty rules) and builds everything bit by bit, about 130 codes per second here. Labels in one
print job share a size, so this module fixes the version and the mask per job and caches,
per (version, mask): the function patterns with format and version information, the order in
which data bits fill the matrix, and the mask already applied. Encoding a code is then segment
encoding (digit groups from a table), Reed-Solomon (table-driven, big-integer XOR) and one
gather of base-4 digits, two modules each (see ``_template``).
Any mask yields a valid code (ISO/IEC 18004 allows all eight); the mask is chosen once per
job by ``qrcode``'s own penalty score so the job's codes still read well.

Matrices equal ``qrcode``'s for the same version, mask and segments (checked in the tests).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, cached_property

import qrcode
import qrcode.util as qrutil
from qrcode import base as qrbase
from qrcode.constants import ERROR_CORRECT_Q

from labels._errors import LayoutError

__all__ = ["ERROR_CORRECTION", "QRCode", "QREncoder"]

# Level Q restores up to 25% of the codewords. Produce cartons and punnets get scuffed, wet and
# stained in cold rooms and trucks; M (15%) leaves too little margin there and H (30%) makes the
# code a version or two larger, which the 50 x 30 mm label cannot spare with a signature.
ERROR_CORRECTION = ERROR_CORRECT_Q
_EC_NAME = {
    qrcode.constants.ERROR_CORRECT_L: "L",
    qrcode.constants.ERROR_CORRECT_M: "M",
    ERROR_CORRECT_Q: "Q",
    qrcode.constants.ERROR_CORRECT_H: "H",
}
_DIGIT_RUN = re.compile(rb"[0-9]{8,}")
_PAD = (0xEC, 0x11)


@dataclass(frozen=True)
class QRCode:
    """One QR symbol, no quiet zone.

    Attributes:
        data: The encoded text.
        version: The QR version (1 to 40); the symbol is ``4 * version + 17`` modules wide.
        mask: The mask pattern (0 to 7).
        packed: The rows as bytes, each padded to whole bytes, leftmost module in the top bit.
        size: Modules per side.
    """

    data: str
    version: int
    mask: int
    packed: bytes = field(repr=False)
    size: int

    @cached_property
    def rows(self) -> tuple[str, ...]:
        """One string per row, ``"1"`` for a dark module (made on first use: PDFs need none)."""
        n, stride = self.size, (self.size + 7) // 8 * 8
        flat = format(int.from_bytes(self.packed, "big"), f"0{n * stride}b")
        return tuple(flat[i : i + n] for i in range(0, n * stride, stride))


@dataclass(frozen=True)
class _Template:
    size: int
    stride: int  # bits per row: the size rounded up to whole bytes
    function_dark: int  # dark function modules as bits of one row-major integer
    mask_bits: int  # the mask over every data module
    # Per cell of the layout without column 6 (see _template), row-major: where its base-4
    # digit is in the sources encode builds from the codewords.
    order: Callable[[str], tuple[str, ...]]
    left: int  # layout bits of columns 0-5, in place
    right: int  # layout bits of columns 7 on, one place left of where they belong


class QREncoder:
    """Encode many URIs at one error-correction level with a per-job version and mask.

    Args:
        min_version: Smallest version to use; codes of one job are usually given the same one
            so that every label's code has the same size.
        mask: A mask pattern 0-7, or ``None`` to choose one by penalty score on the first code.
    """

    def __init__(self, min_version: int = 1, mask: int | None = None) -> None:
        self.min_version = min_version
        self.mask = mask

    def version_for(self, data: str) -> int:
        """Return the smallest version at least ``min_version`` that holds ``data``.

        Raises:
            LayoutError: The data does not fit in a version 40 symbol.
        """
        return _version_for(_encoded_segments(data.encode()), self.min_version)

    def encode(self, data: str) -> QRCode:
        """Encode ``data`` (UTF-8) into a QR symbol."""
        segments = _encoded_segments(data.encode())
        version = _version_for(segments, self.min_version)
        if self.mask is None:
            self.mask = _best_mask(version, data)
        template = _template(version, self.mask)
        codewords = _codewords(version, segments)
        width = len(codewords) * 8
        bits = format(int.from_bytes(codewords, "big"), f"0{width}b")
        # Read in base 16, the bit string has one bit a hex digit; adding twice itself moved up
        # one digit gives, at digit k, bit k + 2 x bit k + 1 (no carries): the digit of a cell
        # whose right module takes bit k and left module bit k + 1, for every k at once.
        spread = int(bits, 16)
        pairs = format(spread + (((spread << 4) & _hex_mask(width)) << 1), f"0{width}x")
        # The sources of every cell's digit: bit pairs from each bit on; single bits in the
        # right column, then in the left; "0" for function modules and remainder bits.
        sources = "".join((pairs, bits, bits.replace("1", "2"), "0"))
        layout = int("".join(template.order(sources)), 4)
        value = (layout & template.left | (layout & template.right) >> 1) ^ template.mask_bits
        value |= template.function_dark
        n, stride = template.size, template.stride
        return QRCode(data, version, self.mask, value.to_bytes(n * stride // 8, "big"), n)


@cache
def _hex_mask(digits: int) -> int:
    return (1 << (4 * digits)) - 1


def reference_qr(data: str, version: int, mask: int) -> tuple[str, ...]:
    """The same symbol made by ``qrcode``'s own (slow) path, for checking this module."""
    qr = qrcode.QRCode(
        version=version, error_correction=ERROR_CORRECTION, mask_pattern=mask, border=0
    )
    for mode, chunk in _segments(data.encode()):
        qr.add_data(qrutil.QRData(chunk, mode=mode, check_data=False))
    qr.make(fit=False)
    return tuple("".join("1" if m else "0" for m in row) for row in qr.get_matrix())


def _segments(raw: bytes) -> list[tuple[int, bytes]]:
    # Runs of 8+ digits (the GTIN, the decimal signature) go in numeric mode, 3.33 bits a digit;
    # the rest in byte mode. Shorter runs cost more in segment headers than they save.
    out: list[tuple[int, bytes]] = []
    pos = 0
    for match in _DIGIT_RUN.finditer(raw):
        if match.start() > pos:
            out.append((qrutil.MODE_8BIT_BYTE, raw[pos : match.start()]))
        out.append((qrutil.MODE_NUMBER, match.group()))
        pos = match.end()
    if pos < len(raw) or not out:
        out.append((qrutil.MODE_8BIT_BYTE, raw[pos:]))
    return out


def _segment_bits(mode: int, chunk: bytes) -> tuple[int, int]:
    """The payload of one segment as (value, bit count)."""
    if mode == qrutil.MODE_8BIT_BYTE:
        return int.from_bytes(chunk, "big"), 8 * len(chunk)
    # Groups of three digits in 10 bits, a last group of two in 7 or one in 4 (ISO/IEC 18004
    # 7.4.3); the groups come out of one regex pass and their bits out of a table, so the
    # 155-digit signature costs no Python loop.
    bits = "".join(map(_NUMERIC_GROUP_BITS.__getitem__, _DIGIT_GROUPS.findall(chunk)))
    return int(bits, 2), len(bits)


_DIGIT_GROUPS = re.compile(rb"[0-9]{1,3}")
_NUMERIC_GROUP_BITS = {
    f"{value:0{digits}d}".encode(): format(value, f"0{qrutil.NUMBER_LENGTH[digits]}b")
    for digits in (1, 2, 3)
    for value in range(10**digits)
}


# A segment ready to place: mode, character count, payload value, payload bit count.
_Segment = tuple[int, int, int, int]


def _encoded_segments(raw: bytes) -> list[_Segment]:
    return [(mode, len(chunk), *_segment_bits(mode, chunk)) for mode, chunk in _segments(raw)]


def _version_for(segments: list[_Segment], min_version: int) -> int:
    # Character-count fields have one width for versions 1-9, 10-26 and 27-40.
    for first, last in ((1, 9), (10, 26), (27, 40)):
        if last < min_version:
            continue
        widths = _count_widths(first)
        bits = sum(4 + widths[s[0]] + s[3] for s in segments)
        for version in range(max(first, min_version), last + 1):
            if bits <= _capacity_bits(version):
                return version
    raise LayoutError(
        f"QR data: expected at most a version 40 symbol, got {sum(s[1] for s in segments)} "
        "characters"
    )


@cache
def _count_widths(version: int) -> dict[int, int]:
    """Character-count field width per mode at ``version``."""
    return {
        mode: qrutil.length_in_bits(mode, version)
        for mode in (qrutil.MODE_NUMBER, qrutil.MODE_8BIT_BYTE)
    }


@cache
def _capacity_bits(version: int) -> int:
    return sum(block.data_count * 8 for block in qrbase.rs_blocks(version, ERROR_CORRECTION))


@cache
def _blocks(version: int) -> tuple[tuple[int, int], ...]:
    """(data codewords, error-correction codewords) of each block at ``version``."""
    return tuple(
        (b.data_count, b.total_count - b.data_count)
        for b in qrbase.rs_blocks(version, ERROR_CORRECTION)
    )


@cache
def _pad_codewords(count: int) -> bytes:
    return bytes(_PAD[i % 2] for i in range(count))


def _codewords(version: int, segments: list[_Segment]) -> bytes:
    value = 0
    count = 0
    widths = _count_widths(version)
    for mode, length, payload, width in segments:
        length_bits = widths[mode]
        value = (((value << 4 | mode) << length_bits | length) << width) | payload
        count += 4 + length_bits + width
    capacity = _capacity_bits(version)
    if count > capacity:
        raise LayoutError(f"QR data: expected at most {capacity} bits, got {count}")
    pad = min(4, capacity - count) + (-(count + min(4, capacity - count))) % 8
    value <<= pad
    count += pad
    data = value.to_bytes(count // 8, "big") + _pad_codewords((capacity - count) // 8)
    ec = []
    offset = 0
    for data_count, ec_count in _blocks(version):
        ec.append(_reed_solomon(data[offset : offset + data_count], ec_count))
        offset += data_count
    return bytes(_interleave(version)(data + b"".join(ec)))


@cache
def _interleave(version: int) -> Callable[[bytes], tuple[int, ...]]:
    # Codewords leave block by block in turn (ISO/IEC 18004 7.6): a fixed permutation of the
    # concatenated data blocks then error-correction blocks.
    blocks = qrbase.rs_blocks(version, ERROR_CORRECTION)
    starts, pos = [], 0
    for block in blocks:
        starts.append(pos)
        pos += block.data_count
    ec_starts = []
    for block in blocks:
        ec_starts.append(pos)
        pos += block.total_count - block.data_count
    order: list[int] = []
    for firsts, lengths in (
        (starts, [b.data_count for b in blocks]),
        (ec_starts, [b.total_count - b.data_count for b in blocks]),
    ):
        for i in range(max(lengths)):
            order.extend(
                first + i for first, length in zip(firsts, lengths, strict=True) if i < length
            )
    return operator.itemgetter(*order)


@cache
def _rs_table(ec_count: int) -> tuple[int, ...]:
    # Row f: the generator polynomial (without its leading 1) times f, as one big integer,
    # so a division step is a shift and one XOR.
    generator = [1]
    for i in range(ec_count):
        nxt = [0] * (len(generator) + 1)
        for j, coef in enumerate(generator):
            nxt[j] ^= coef
            if coef:
                nxt[j + 1] ^= qrbase.gexp(qrbase.glog(coef) + i)
        generator = nxt
    rows = [0]
    for factor in range(1, 256):
        log_f = qrbase.glog(factor)
        coefs = bytes(qrbase.gexp(qrbase.glog(c) + log_f) if c else 0 for c in generator[1:])
        rows.append(int.from_bytes(coefs, "big"))
    return tuple(rows)


def _reed_solomon(data: bytes, ec_count: int) -> bytes:
    table = _rs_table(ec_count)
    shift = 8 * (ec_count - 1)
    mask = (1 << (8 * ec_count)) - 1
    rem = 0
    for byte in data:
        rem = ((rem << 8) & mask) ^ table[byte ^ (rem >> shift)]
    return rem.to_bytes(ec_count, "big")


@cache
def _template(version: int, mask: int) -> _Template:
    n = version * 4 + 17
    qr = qrcode.QRCode(version=version, error_correction=ERROR_CORRECTION, mask_pattern=mask)
    qr.modules_count = n
    qr.modules = [[None] * n for _ in range(n)]
    qr.setup_position_probe_pattern(0, 0)
    qr.setup_position_probe_pattern(n - 7, 0)
    qr.setup_position_probe_pattern(0, n - 7)
    qr.setup_position_adjust_pattern()
    qr.setup_timing_pattern()
    qr.setup_type_info(False, mask)
    if version >= 7:
        qr.setup_type_number(False)
    modules: list[list[bool | None]] = qr.modules
    data_bits = sum((d + e) * 8 for d, e in _blocks(version))
    stride = (n + 7) // 8 * 8
    # Data bit index per data module, in the zigzag of ISO/IEC 18004 7.7.3 as qrcode's
    # map_data walks it; remainder bits (past the codewords) are left out, they read 0.
    index_of: dict[tuple[int, int], int] = {}
    is_masked = qrutil.mask_func(mask)
    mask_bits = 0
    index = 0
    row, step = n - 1, -1
    for col in range(n - 1, 0, -2):
        if col <= 6:
            col -= 1
        while 0 <= row < n:
            for c in (col, col - 1):
                if modules[row][c] is None:
                    if index < data_bits:
                        index_of[row, c] = index
                    index += 1
                    if is_masked(row, c):
                        mask_bits |= 1 << (n * stride - 1 - (row * stride + c))
            row += step
        row -= step
        step = -step
    # The matrix is assembled in a layout without column 6 (the vertical timing pattern, the
    # only column outside the zigzag's column pairs), so each pair of columns the zigzag fills
    # is one cell of two bits: one base-4 digit. A code is then one gather of n x stride / 2
    # digits and one int(..., 4), half the items of a gather per module.
    # Offsets in the sources (see encode): pairs from each bit, right bits, left bits, "0".
    right_bits, left_bits, zero = data_bits, 2 * data_bits, 3 * data_bits
    order = []
    left = right = 0
    for r in range(n):
        for cell in range(stride // 2):
            # Layout columns 2 cell and 2 cell + 1 hold matrix columns (c, c + 1).
            c = 2 * cell if 2 * cell < 6 else 2 * cell + 1
            if c + 1 >= n:
                order.append(zero)
                continue
            at_right, at_left = index_of.get((r, c + 1)), index_of.get((r, c))
            if at_right is not None and at_left is not None:
                # The zigzag fills a row's right module, then its left: consecutive bits.
                assert at_left == at_right + 1
                order.append(at_right)
            elif at_right is not None:
                order.append(right_bits + at_right)
            elif at_left is not None:
                order.append(left_bits + at_left)
            else:
                order.append(zero)
        position = n * stride - 1 - r * stride
        for i in range(n - 1):
            if i < 6:
                left |= 1 << (position - i)
            else:
                right |= 1 << (position - i)
    dark = 0
    for r in range(n):
        for c in range(n):
            if modules[r][c]:
                dark |= 1 << (n * stride - 1 - (r * stride + c))
    return _Template(n, stride, dark, mask_bits, operator.itemgetter(*order), left, right)


def _best_mask(version: int, data: str) -> int:
    scores = []
    for mask in range(8):
        rows = QREncoder(version, mask).encode(data).rows
        scores.append(qrutil.lost_point([[c == "1" for c in row] for row in rows]))
    return scores.index(min(scores))
