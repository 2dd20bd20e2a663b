"""The fast path (orjson) of ``canonical_bytes`` and ``is_canonical`` agrees with the RFC 8785
encoder (the ``rfc8785`` package, called directly) on every input."""

from __future__ import annotations

import enum
import json
from pathlib import Path
from typing import Any

import orjson
import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import EncodingError, canonical_bytes
from ledger._canonical import is_canonical

JCS = Path(__file__).resolve().parents[2] / "tests" / "vectors" / "conformance" / "jcs"

_leaves = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
json_values = st.recursive(
    _leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


def reference(value: Any, data: bytes) -> bool:
    try:
        return bool(rfc8785.dumps(value) == data)
    except (rfc8785.CanonicalizationError, UnicodeEncodeError):
        return False


def reference_bytes(value: Any) -> bytes | None:
    """RFC 8785's bytes from the reference encoder, or None where it refuses the value."""
    try:
        return bytes(rfc8785.dumps(value))
    except (rfc8785.CanonicalizationError, UnicodeEncodeError):
        return None


def ours(value: Any) -> bytes | None:
    try:
        return canonical_bytes(value)
    except EncodingError:
        return None


def test_every_code_point_is_escaped_alike_by_both_encoders() -> None:
    # The fast path's premise: orjson writes every string as RFC 8785 does.
    for code in (c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF):
        assert orjson.dumps(chr(code)) == rfc8785.dumps(chr(code)), hex(code)


@settings(max_examples=600)
@given(json_values)
def test_canonical_bytes_equal_the_reference_encoder(value: Any) -> None:
    # Plain values take orjson, the rest the reference encoder: the bytes are the same, and
    # a value the reference refuses is refused.
    assert ours(value) == reference_bytes(value)


class Grade(enum.IntEnum):
    ONE = 1


class Code(str):
    pass


@pytest.mark.parametrize(
    "value",
    [
        {"seq": 2**53 - 1, "n": -(2**53 - 1)},  # the safe limit: orjson
        {"seq": 2**53},  # beyond it: refused by the reference
        {"n": 2**64},  # beyond orjson's own range
        {"grade": Grade.ONE},  # a subclass of int
        {"code": Code("SB26")},  # a subclass of str
        ("a", 1),  # a tuple
        {"a": [{"b": None, "c": True}], "A": "\u2028\x7f\x1f"},
        {"ok": "\ud800"},  # a lone surrogate: refused
    ],
    ids=repr,
)
def test_edges_of_the_fast_path(value: Any) -> None:
    assert ours(value) == reference_bytes(value)


def test_nesting_past_orjsons_limit_falls_back() -> None:
    deep: Any = 1
    for _ in range(300):  # orjson stops at 254 levels
        deep = [deep]
    assert ours(deep) == reference_bytes(deep)
    assert ours(deep) is not None


@settings(max_examples=400)
@given(json_values)
def test_canonical_bytes_are_canonical(value: Any) -> None:
    try:
        data = canonical_bytes(value)
    except EncodingError:
        return
    assert is_canonical(value, data)


@settings(max_examples=400)
@given(json_values)
def test_orjson_forms_judged_as_the_reference_does(value: Any) -> None:
    # orjson's own forms differ from RFC 8785 for floats ("1.0"), big integers and non-ASCII
    # names sorted by code point: whatever the bytes, the verdict is the reference's.
    for data in (orjson.dumps(value, option=orjson.OPT_SORT_KEYS), orjson.dumps(value)):
        assert is_canonical(value, data) == reference(value, data)


@pytest.mark.parametrize(
    ("value", "data"),
    [
        ({"a": 1.0}, b'{"a":1.0}'),  # orjson's float form; RFC 8785 writes 1
        ({"n": 2**53}, b'{"n":9007199254740992}'),  # outside I-JSON's safe range
        ({"\ue000": 1, "\U0001f600": 2}, '{"\ue000":1,"\U0001f600":2}'.encode()),  # UTF-16 order
        ({"b": 1, "a": 2}, b'{"b":1,"a":2}'),  # unsorted
        ({"a": "x"}, b'{"a": "x"}'),  # whitespace
    ],
    ids=["float", "big-integer", "utf16-order", "unsorted", "whitespace"],
)
def test_non_canonical_forms_refused(value: Any, data: bytes) -> None:
    assert not is_canonical(value, data)


@pytest.mark.parametrize("name", sorted(p.stem for p in (JCS / "output").glob("*.json")))
def test_reference_outputs_are_canonical(name: str) -> None:
    data = (JCS / "output" / f"{name}.json").read_bytes()
    assert is_canonical(json.loads(data), data)
