"""Statements, signed statements and records: valid on construction or a named refusal.

Also pins the leaf-composition trick in ``ledger/_record.py``: a record's leaf is assembled
from the canonical head and the statement's signed bytes, and must equal ``canonical_bytes``
of the whole record for any body.
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import hashlib
import json
import math
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from ledger import (
    MAX_BODY_BYTES,
    EncodingError,
    Record,
    SignedStatement,
    Statement,
    StatementError,
    StoreError,
    canonical_bytes,
    format_time,
    key_id_for,
    parse_time,
    sign_statement,
)

LOG = "kashgar-coop.example/log"
TIME = "2026-06-01T08:30:00Z"
LOG_TIME = "2026-06-01T08:30:01.250000Z"
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
KEY_ID = key_id_for(KEY.public_key().public_bytes_raw())
PREV = hashlib.sha256(b"entry 6").digest()
BODY: dict[str, Any] = {"lot": "SB26-0042", "crates": 24, "variety": "Benihoppe"}


def statement(**changes: Any) -> Statement:
    fields: dict[str, Any] = {
        "log": LOG,
        "kind": "trace.harvest",
        "body": BODY,
        "key_id": KEY_ID,
        "time": TIME,
    }
    fields.update(changes)
    return Statement(**fields)


def signed(**changes: Any) -> SignedStatement:
    return sign_statement(statement(**changes), KEY)


def record(body: Any = None, seq: int = 7) -> Record:
    return Record(seq, PREV, LOG_TIME, signed(body=BODY if body is None else body))


def wire(**changes: Any) -> dict[str, Any]:
    """The wire form of a good signed statement, with statement members changed."""
    value = signed().to_json()
    value["statement"].update(changes)
    return value


# --- Statement ---------------------------------------------------------------------------------


def test_statement_signs_the_canonical_bytes_of_its_json() -> None:
    s = statement()
    assert s.to_json() == {"body": BODY, "key": KEY_ID, "kind": "trace.harvest", "log": LOG,
                           "time": TIME}  # fmt: skip
    assert s.signing_bytes() == canonical_bytes(s.to_json())
    assert s.signing_bytes().startswith(b'{"body":{"crates":24,"lot":"SB26-0042"')


@pytest.mark.parametrize(
    "kind", ["trace.harvest", "ledger.key.register", "a.b.c.d.e", "trace.cold_chain2"]
)
def test_dotted_lowercase_kinds_accepted(kind: str) -> None:
    assert statement(kind=kind).kind == kind


@pytest.mark.parametrize(
    "kind",
    [
        "Harvest",
        "trace",  # no dot: every kind lives in a namespace
        "trace.Harvest",
        "trace.",
        ".trace",
        "trace..harvest",
        "trace.harvest ",
        "trace harvest",
        "trace.2harvest",
        "a.b.c.d.e.f",  # at most five parts
        "trace." + "h" * 33,  # parts of at most 32 characters
        "trace.harvest\n",
        "",
        42,
        None,
    ],
)
def test_malformed_kind_refused_naming_the_field(kind: Any) -> None:
    expected = f"kind: expected a dotted lowercase name like 'trace.harvest', got {kind!r}"
    with pytest.raises(StatementError, match=f"^{re.escape(expected)}$"):
        statement(kind=kind)


@pytest.mark.parametrize(
    "key_id",
    [KEY_ID.upper(), KEY_ID[:-1], KEY_ID + "0", KEY_ID + "\n", "g" * 32, "", None, 7],
)
def test_malformed_key_id_refused_naming_the_field(key_id: Any) -> None:
    expected = f"key_id: expected 32 lowercase hex digits, got {key_id!r}"
    with pytest.raises(StatementError, match=f"^{re.escape(expected)}$"):
        statement(key_id=key_id)


@pytest.mark.parametrize("log", ["", "x" * 256, None, b"kashgar"])
def test_malformed_log_origin_refused_naming_the_field(log: Any) -> None:
    with pytest.raises(StatementError, match=r"^log: expected a log origin of 1-255 characters"):
        statement(log=log)


@pytest.mark.parametrize(
    "time",
    [
        "2026-06-01T08:30:00",  # naive: no zone
        "2026-06-01T08:30:00+00:00",  # UTC, but not the one spelling
        "2026-06-01T10:30:00+02:00",
        "2026-06-01 08:30:00Z",
        "2026-06-01T08:30Z",
        "2026-06-01T08:30:00.1234567Z",  # beyond microseconds
        "2026-06-01t08:30:00z",
        "2026-06-01T08:30:00Z\n",  # "$" alone would let this through
        "1 June 2026",
        "",
        None,
        1780302600,
    ],
)
def test_time_not_in_the_ledger_form_refused(time: Any) -> None:
    expected = f"time: expected RFC 3339 UTC time like 2026-06-01T08:30:00Z, got {time!r}"
    with pytest.raises(StatementError, match=f"^{re.escape(expected)}$"):
        statement(time=time)


@pytest.mark.parametrize(
    "time", ["2026-13-01T08:30:00Z", "2026-02-30T08:30:00Z", "2026-06-01T24:30:00Z"]
)
def test_garbled_date_in_the_right_shape_refused(time: str) -> None:
    with pytest.raises(StatementError, match=f"^time: not a valid date or time: '{time}'$"):
        statement(time=time)


def test_format_time_refuses_naive_and_normalises_to_utc() -> None:
    with pytest.raises(StatementError, match=r"^expected a timezone-aware datetime, got a naive"):
        format_time(datetime(2026, 6, 1, 8, 30))  # naive on purpose
    kashgar = timezone(timedelta(hours=6))
    moment = datetime(2026, 6, 1, 14, 30, 0, 5, tzinfo=kashgar)
    assert format_time(moment) == "2026-06-01T08:30:00.000005Z"
    assert parse_time(format_time(moment)) == moment
    assert parse_time(TIME) == datetime(2026, 6, 1, 8, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("body", "kind"),
    [([BODY], "list"), ("lot SB26-0042", "str"), (None, "NoneType"), (3, "int")],
)
def test_body_that_is_not_an_object_refused(body: Any, kind: str) -> None:
    with pytest.raises(StatementError, match=f"^body: expected a JSON object, got {kind}$"):
        statement(body=body)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"temp_c": math.nan}, "nan is not representable"),
        ({"readings": [4.1, math.inf]}, "inf is not representable"),
        ({"count": 2**53}, "exceeds safe integer domain"),
        ({1: "one"}, "object keys must be strings"),
        ({"photo": b"\xff\xd8"}, "unsupported type"),
        ({"note": "\ud83d"}, "non-UTF-8 codepoints"),
        ({"\ud83d": "note"}, "unpaired surrogate"),
        # Written "10000000000000000", read back as an integer beyond the safe range.
        ({"weight_mg": 1e16}, "10000000000000000 exceeds safe integer domain"),
        ({"n": [-(2.0**53)]}, "-9007199254740992 exceeds safe integer domain"),
    ],
    ids=[
        "nan",
        "inf",
        "big-int",
        "int-key",
        "bytes",
        "surrogate-value",
        "surrogate-key",
        "float-1e16",
        "float-minus-2-53",
    ],
)
def test_body_that_is_not_canonical_json_refused(body: dict[Any, Any], reason: str) -> None:
    # Named by the body, or by the text that holds an unpaired surrogate (tests/ledger/test_nul).
    with pytest.raises(
        StatementError, match=r"^body(\.note|\[key\])?: cannot encode canonically"
    ) as e:
        statement(body=body)
    assert reason in str(e.value)


@pytest.mark.parametrize(
    "number", [2.0**53 - 1, 1e21, -1e21, 1.5e300, 123456789012345.6, 0.1], ids=repr
)
def test_float_body_values_that_read_back_exactly_accepted(number: float) -> None:
    s = statement(body={"n": number, "digits": "12345678901234567890"})
    assert Statement.from_json(s.to_json()) == s
    assert s.body["n"] == number


def test_body_of_exactly_max_bytes_accepted_one_more_refused() -> None:
    overhead = len(canonical_bytes({"x": ""}))
    fits = {"x": "a" * (MAX_BODY_BYTES - overhead)}
    assert len(canonical_bytes(fits)) == MAX_BODY_BYTES
    assert statement(body=fits).body == fits
    over = {"x": "a" * (MAX_BODY_BYTES - overhead + 1)}
    with pytest.raises(
        StatementError,
        match=f"^body: expected at most {MAX_BODY_BYTES} bytes when encoded, got "
        f"{MAX_BODY_BYTES + 1}$",
    ):
        statement(body=over)


def test_body_size_counts_encoded_bytes_not_characters() -> None:
    # 30,000 strawberries are 30,000 characters but 120,000 UTF-8 bytes.
    with pytest.raises(StatementError, match=r"^body: expected at most 65536 bytes"):
        statement(body={"x": "\U0001f353" * 30_000})


def test_body_is_deep_copied_so_later_changes_to_the_callers_dict_change_nothing() -> None:
    body: dict[str, Any] = {"lot": "SB26-0042", "readings": [{"t": 4.0}], "tags": ["cold"]}
    original = copy.deepcopy(body)
    s = statement(body=body)
    signed_bytes = s.signing_bytes()
    body["lot"] = "SB26-9999"
    body["readings"][0]["t"] = 30.0
    body["tags"].append("warm")
    body["new"] = True
    assert s.body == original
    assert s.to_json()["body"] == original
    assert s.signing_bytes() == signed_bytes
    sign_statement(s, KEY).verify(KEY.public_key().public_bytes_raw())


def test_plain_body_is_deep_copied_too() -> None:
    # No float: the body takes the C path (orjson encodes and reads back), which must copy
    # as deeply as the RFC 8785 path the test above takes.
    body: dict[str, Any] = {"lot": "SB26-0042", "readings": [{"t": "4.0"}], "n": [1, None]}
    original = copy.deepcopy(body)
    s = statement(body=body)
    body["readings"][0]["t"] = "30.0"
    body["n"].append(True)
    assert s.body == original
    assert s.body["readings"] is not body["readings"]


# Plain values: ASCII member names, no float, integers within the safe range.
PLAIN: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53 - 1), max_value=2**53 - 1)
    | st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=24)
    | st.from_regex(r"\A-?\d{16,24}\Z"),  # digit runs, as text: never a number to refuse
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.text(st.characters(min_codepoint=1, max_codepoint=127), max_size=6),
            inner,
            max_size=4,
        )
    ),
    max_leaves=20,
)


@given(
    body=st.dictionaries(
        st.text(st.characters(min_codepoint=1, max_codepoint=127), max_size=6), PLAIN
    )
)
def test_plain_body_reads_back_as_the_rfc8785_path_did(body: dict[str, Any]) -> None:
    # The old path: the RFC 8785 encoder's bytes, read back with the standard library.
    s = statement(body=body)
    expected = rfc8785.dumps({**statement().to_json(), "body": body})
    assert s.signing_bytes() == expected
    assert s.body == json.loads(expected)["body"]
    assert _types(s.body) == _types(json.loads(expected)["body"])


def _types(value: Any) -> Any:
    """The value's shape with every leaf replaced by its exact type."""
    if isinstance(value, dict):
        return {k: _types(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_types(v) for v in value]
    return type(value)


def test_statement_is_frozen() -> None:
    s = statement()
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.kind = "ledger.key.register"  # type: ignore[misc]


@pytest.mark.parametrize("missing", ["body", "key", "kind", "log", "time"])
def test_from_json_with_a_missing_field_names_it(missing: str) -> None:
    value = statement().to_json()
    del value[missing]
    with pytest.raises(
        StatementError,
        match=re.escape(f"missing [{missing!r}], unexpected []"),
    ):
        Statement.from_json(value)


@pytest.mark.parametrize("extra", ["key_id", "signature", "seq"])
def test_from_json_with_an_extra_field_names_it(extra: str) -> None:
    value = {**statement().to_json(), extra: "x"}
    with pytest.raises(StatementError, match=re.escape(f"missing [], unexpected [{extra!r}]")):
        Statement.from_json(value)


def test_from_json_round_trips_and_refuses_non_objects() -> None:
    s = statement()
    assert Statement.from_json(s.to_json()) == s
    with pytest.raises(StatementError, match=r"^statement: expected a JSON object, got list$"):
        Statement.from_json([s.to_json()])


# --- SignedStatement ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("signature", "got"), [(b"\x00" * 63, "63"), (b"\x00" * 65, "65"), (b"", "0")]
)
def test_signature_of_wrong_length_refused(signature: bytes, got: str) -> None:
    with pytest.raises(StatementError, match=f"^signature: expected 64 bytes, got {got}$"):
        SignedStatement(statement(), signature)


def test_signature_that_is_not_bytes_refused() -> None:
    with pytest.raises(StatementError, match=r"^signature: expected 64 bytes, got not bytes$"):
        SignedStatement(statement(), "A" * 64)  # type: ignore[arg-type]


def test_signed_statement_wire_form_round_trips() -> None:
    s = signed()
    value = s.to_json()
    assert set(value) == {"statement", "signature"}
    assert base64.b64decode(value["signature"]) == s.signature
    assert SignedStatement.from_json(value) == s


@pytest.mark.parametrize(
    ("value", "got"),
    [
        ({"statement": {}}, "['statement']"),
        ({"signature": ""}, "['signature']"),
        ({"statement": {}, "signature": "", "seq": 1}, "['seq', 'signature', 'statement']"),
        ([], "list"),
        ("statement", "str"),
    ],
)
def test_wire_form_with_wrong_members_refused(value: Any, got: str) -> None:
    expected = f"expected a JSON object with exactly 'statement' and 'signature', got {got}"
    with pytest.raises(StatementError, match=f"^{re.escape(expected)}$"):
        SignedStatement.from_json(value)


@pytest.mark.parametrize(
    "signature",
    [
        "not base64!",
        "QUJD RA==",  # a space inside
        "QUJDRA==\n",
        "QUJDRA",  # padding missing
        "-_-_" * 22,  # URL-safe alphabet
    ],
)
def test_signature_that_is_not_standard_base64_refused(signature: str) -> None:
    value = {**signed().to_json(), "signature": signature}
    with pytest.raises(StatementError, match=r"^signature: not valid base64$"):
        SignedStatement.from_json(value)


def test_signature_that_is_not_text_refused() -> None:
    value = {**signed().to_json(), "signature": list(signed().signature)}
    with pytest.raises(StatementError, match=r"^signature: expected base64 text$"):
        SignedStatement.from_json(value)


def test_base64_signature_of_wrong_length_refused() -> None:
    value = {**signed().to_json(), "signature": base64.b64encode(b"\x01" * 48).decode()}
    with pytest.raises(StatementError, match=r"^signature: expected 64 bytes, got 48$"):
        SignedStatement.from_json(value)


def test_wire_form_with_bad_statement_names_the_statement_field() -> None:
    with pytest.raises(StatementError, match=r"^kind: expected a dotted lowercase name"):
        SignedStatement.from_json(wire(kind="Harvest"))
    with pytest.raises(StatementError, match=re.escape("unexpected ['key_id']")):
        SignedStatement.from_json(wire(key_id=KEY_ID))


def test_sign_statement_refuses_a_key_other_than_the_one_named() -> None:
    other = Ed25519PrivateKey.from_private_bytes(bytes(32))
    other_id = key_id_for(other.public_key().public_bytes_raw())
    expected = f"key_id: statement names key {KEY_ID}, but the signing key is {other_id}"
    with pytest.raises(StatementError, match=f"^{re.escape(expected)}$"):
        sign_statement(statement(), other)


def test_key_id_for_refuses_a_key_that_is_not_32_bytes() -> None:
    with pytest.raises(StatementError, match=r"^expected a 32-byte Ed25519 public key, got 33"):
        key_id_for(b"\x00" * 33)


# --- Record ------------------------------------------------------------------------------------


def reads_back_exactly(number: float) -> bool:
    """False for floats written as integers beyond the safe range (refused; tested above)."""
    return not (number.is_integer() and 2**53 <= abs(number) < 1e21)


# Without U+0000: the ledger refuses it (PostgreSQL cannot store it; tests/ledger/test_nul.py).
TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12) | (
    st.sampled_from(["新疆草莓", "مزرعة الفراولة", "🍓🌡️❄️", "Ŋ̊", "", "\u2028", '"\\/\x01\x1f'])
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53 - 1), max_value=2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False).filter(reads_back_exactly)
    | TEXT
)
JSON: st.SearchStrategy[Any] = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=20,
)
BODIES = st.dictionaries(TEXT, JSON, max_size=6)


@given(body=BODIES, seq=st.integers(min_value=0, max_value=2**53 - 1))
def test_leaf_equals_canonical_bytes_of_the_whole_record(body: dict[str, Any], seq: int) -> None:
    r = record(body, seq)
    assert r.leaf() == canonical_bytes(r.to_json())


@pytest.mark.parametrize("log_time", ["2026-06-01T08:30:00Z", "2026-06-01T08:30:00.123456Z"])
@pytest.mark.parametrize("seq", [0, 2**53 - 1])
def test_leaf_head_written_out_equals_the_encoders(seq: int, log_time: str) -> None:
    # The head (log_time, prev, seq, sig) is written without the encoder; at the edges of
    # the values it accepts it must still be RFC 8785's bytes.
    r = Record(seq, PREV, log_time, signed())
    assert r.leaf() == rfc8785.dumps(r.to_json())


def test_leaf_beyond_the_safe_integer_refused() -> None:
    with pytest.raises(EncodingError):
        Record(2**53, PREV, LOG_TIME, signed()).leaf()


@given(body=BODIES)
def test_record_round_trips_through_its_leaf(body: dict[str, Any]) -> None:
    r = record(body)
    leaf = r.leaf()
    back = Record.from_leaf(leaf)
    assert back == r
    assert back.leaf() == leaf
    assert back.statement.signing_bytes() == r.statement.signing_bytes()
    back.signed.verify(KEY.public_key().public_bytes_raw())


@given(number=st.floats(allow_nan=False, allow_infinity=False))
def test_every_finite_float_is_accepted_or_refused_by_name_never_half_accepted(
    number: float,
) -> None:
    if not reads_back_exactly(number):
        with pytest.raises(StatementError, match=r"^body: cannot encode canonically"):
            statement(body={"n": number})
        return
    s = statement(body={"n": number})
    assert Statement.from_json(s.to_json()) == s
    assert canonical_bytes(s.to_json()) == s.signing_bytes()


def test_leaf_hash_is_rfc6962_leaf_hash_of_the_leaf() -> None:
    r = record()
    assert r.leaf_hash() == hashlib.sha256(b"\x00" + r.leaf()).digest()


def test_body_mimicking_the_statement_member_does_not_confuse_the_leaf_cut() -> None:
    body = {"statement": {"kind": "ledger.key.revoke"}, ',"statement":': ',"statement":{}}'}
    r = record(body)
    assert Record.from_leaf(r.leaf()) == r
    assert r.leaf() == canonical_bytes(r.to_json())


GOOD_LEAF = record({"note": "AB", "n": [1, 2]}).leaf()

NON_CANONICAL = {
    "space-after-seq-colon": (b'"seq":7', b'"seq": 7'),
    "space-before-statement": (b'"statement":{', b'"statement": {'),
    "space-inside-statement": (b'"kind":"trace.harvest"', b'"kind": "trace.harvest"'),
    "space-inside-body": (b'"n":[1,2]', b'"n":[1, 2]'),
    "escaped-letter-in-body": (b'"note":"AB"', b'"note":"\\u0041B"'),
    "exponent-integer": (b'"n":[1,2]', b'"n":[1,2e0]'),
    "duplicate-kind": (b'"kind":"trace.harvest"', b'"kind":"trace.harvest","kind":"trace.note"'),
    "statement-members-reordered": (
        b'"kind":"trace.harvest","log":"kashgar-coop.example/log"',
        b'"log":"kashgar-coop.example/log","kind":"trace.harvest"',
    ),
    "upper-case-prev": (PREV.hex().encode(), PREV.hex().upper().encode()),
    "record-members-reordered": (
        b'"log_time":"' + LOG_TIME.encode() + b'","prev":"' + PREV.hex().encode() + b'"',
        b'"prev":"' + PREV.hex().encode() + b'","log_time":"' + LOG_TIME.encode() + b'"',
    ),
}


@pytest.mark.parametrize(("old", "new"), NON_CANONICAL.values(), ids=NON_CANONICAL.keys())
def test_leaf_not_in_canonical_form_refused(old: bytes, new: bytes) -> None:
    assert GOOD_LEAF.count(old) == 1
    tampered = GOOD_LEAF.replace(old, new)
    with pytest.raises(StoreError, match=r"^record bytes are not in canonical form$"):
        Record.from_leaf(tampered)


@pytest.mark.parametrize(
    ("leaf", "message"),
    [
        (b"", r"^record bytes do not parse: "),
        (b"\xff", r"^record bytes do not parse: "),
        (b"[1]", r"^record: expected members \['log_time', 'prev', 'seq', 'sig', 'statement'\]$"),
        (GOOD_LEAF.replace(b'"seq":7', b'"seq":-7'), r"^record bytes do not parse: seq: "),
        (GOOD_LEAF.replace(b'"seq":7', b'"seq":"7"'), r"^record bytes do not parse: seq: "),
        (GOOD_LEAF.replace(b'"prev":"', b'"prev":"00'), r"^record bytes do not parse: prev: "),
        (GOOD_LEAF.replace(b'"sig":"', b'"sig":"*'), r"^record bytes do not parse: "),
        (GOOD_LEAF + b"\n", r"^record bytes hold no statement$"),
        (
            GOOD_LEAF.replace(b'"kind":"trace.harvest"', b'"kind":"Trace"'),
            r"^record bytes do not parse: kind: expected a dotted lowercase name",
        ),
    ],
    ids=[
        "empty",
        "not-utf8",
        "not-object",
        "negative-seq",
        "string-seq",
        "long-prev",
        "bad-sig-base64",
        "trailing-newline",
        "bad-kind",
    ],
)
def test_leaf_that_is_not_a_record_refused(leaf: bytes, message: str) -> None:
    with pytest.raises(StoreError, match=message):
        Record.from_leaf(leaf)


@pytest.mark.parametrize("seq", [-1, True, 7.0, "7", None])
def test_record_seq_must_be_a_non_negative_integer(seq: Any) -> None:
    with pytest.raises(StatementError, match=f"^seq: expected an integer >= 0, got {seq!r}$"):
        Record(seq, PREV, LOG_TIME, signed())


@pytest.mark.parametrize("prev", [PREV[:-1], PREV + b"\x00", b"", PREV.hex(), "a" * 32])
def test_record_prev_must_be_32_bytes(prev: Any) -> None:
    with pytest.raises(StatementError, match=r"^prev: expected 32 bytes, got "):
        Record(7, prev, LOG_TIME, signed())


def test_record_log_time_names_its_field() -> None:
    with pytest.raises(StatementError, match=r"^log_time: expected RFC 3339 UTC time"):
        Record(7, PREV, "2026-06-01T08:30:01+00:00", signed())
