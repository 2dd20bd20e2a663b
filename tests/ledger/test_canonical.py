"""RFC 8785 (JCS) through ``ledger.canonical_bytes``: the reference pairs, ES6 numbers, refusals.

Vectors: tests/vectors/conformance/jcs/ (cyberphone/json-canonicalization @ 19d51d7f,
Apache-2.0), read in place, not copied.
"""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path
from typing import Any

import pytest

from ledger import EncodingError, LedgerError, canonical_bytes

JCS = Path(__file__).resolve().parents[2] / "tests" / "vectors" / "conformance" / "jcs"
NAMES = sorted(p.stem for p in (JCS / "input").glob("*.json"))
SAFE = 2**53 - 1  # I-JSON's largest exactly representable integer


def test_vector_folders_hold_the_same_six_cases() -> None:
    assert NAMES == ["arrays", "french", "structures", "unicode", "values", "weird"]
    assert sorted(p.stem for p in (JCS / "output").glob("*.json")) == NAMES
    assert sorted(p.stem for p in (JCS / "outhex").glob("*.txt")) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_reference_input_encodes_to_reference_output(name: str) -> None:
    value = json.loads((JCS / "input" / f"{name}.json").read_text(encoding="utf-8"))
    expected = (JCS / "output" / f"{name}.json").read_bytes()
    assert canonical_bytes(value) == expected


@pytest.mark.parametrize("name", NAMES)
def test_reference_input_encodes_to_reference_hex(name: str) -> None:
    value = json.loads((JCS / "input" / f"{name}.json").read_text(encoding="utf-8"))
    expected = bytes.fromhex((JCS / "outhex" / f"{name}.txt").read_text(encoding="ascii"))
    assert canonical_bytes(value).hex() == expected.hex()


def test_reference_output_is_a_fixed_point() -> None:
    # Canonical bytes parsed and encoded again are the same bytes: one form per value.
    for name in NAMES:
        expected = (JCS / "output" / f"{name}.json").read_bytes()
        assert canonical_bytes(json.loads(expected)) == expected, name


def _es6_lines() -> list[tuple[str, str]]:
    # Format: "<IEEE-754 bits as hex, leading zeros dropped>,<ES6 Number.toString()>".
    text = (JCS / "es6_numbers_first10000.txt").read_text(encoding="ascii")
    return [(bits, expected) for bits, expected in (line.split(",") for line in text.splitlines())]


def test_es6_number_formatting_all_10000_lines() -> None:
    lines = _es6_lines()
    assert len(lines) == 10_000
    wrong = []
    for bits, expected in lines:
        (number,) = struct.unpack(">d", bytes.fromhex(bits.zfill(16)))
        assert math.isfinite(number), bits  # the file holds no NaN or infinity
        got = canonical_bytes(number).decode("ascii")
        if got != expected:
            wrong.append(f"{bits}: expected {expected}, got {got}")
    assert wrong == []


@pytest.mark.parametrize(
    ("bits", "expected"),
    [
        ("0", "0"),
        ("8000000000000000", "0"),  # -0 is written 0
        ("1", "5e-324"),  # smallest subnormal
        ("7fefffffffffffff", "1.7976931348623157e+308"),  # largest double
        ("444b1ae4d6e2ef50", "1e+21"),  # first power of ten in exponent form
        ("444b1ae4d6e2ef4f", "999999999999999900000"),  # the last below it, in full
        ("3eb0c6f7a0b5ed8d", "0.000001"),  # smallest in plain decimal
        ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),  # just below: exponent form
    ],
)
def test_es6_number_boundaries(bits: str, expected: str) -> None:
    (number,) = struct.unpack(">d", bytes.fromhex(bits.zfill(16)))
    assert canonical_bytes(number) == expected.encode()


@pytest.mark.parametrize("value", [SAFE, -SAFE, 0, {"n": SAFE}])
def test_integers_at_the_safe_limit_are_accepted(value: Any) -> None:
    assert canonical_bytes(value) == json.dumps(value, separators=(",", ":")).encode()


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (math.nan, "nan is not representable"),
        (math.inf, "inf is not representable"),
        (-math.inf, "inf is not representable"),
        ({"reading": [1.5, math.nan]}, "nan is not representable"),
        (SAFE + 1, "exceeds safe integer domain"),
        (-(SAFE + 1), "exceeds safe integer domain"),
        (2**64, "exceeds safe integer domain"),
        ({1: "one"}, "object keys must be strings"),
        ({("a", "b"): 1}, "object keys must be strings"),
        (b"bytes", "unsupported type"),
        ({"sig": b"\x00" * 64}, "unsupported type"),
        ({1, 2}, "unsupported type"),
        ("\ud800", "non-UTF-8 codepoints"),  # lone high surrogate
        ("ok \udc00", "non-UTF-8 codepoints"),  # lone low surrogate
        ({"\udfff": "key"}, "unpaired surrogate"),  # in a key: the library's sort trips first
        ({"ok": {"\ud800x": 1}}, "unpaired surrogate"),
    ],
    ids=lambda v: repr(v)[:40],
)
def test_non_json_values_are_refused(value: Any, reason: str) -> None:
    with pytest.raises(EncodingError, match=r"^cannot encode canonically \(RFC 8785\): ") as info:
        canonical_bytes(value)
    assert reason in str(info.value)
    assert isinstance(info.value, LedgerError)
    assert info.value.__cause__ is not None  # the library's own error is kept


def test_paired_surrogates_from_json_escapes_are_one_character() -> None:
    # "\ud83d\ude02" in JSON text is one code point, U+1F602, written as raw UTF-8.
    assert canonical_bytes(json.loads('"\\ud83d\\ude02"')) == '"\U0001f602"'.encode()
