"""Ed25519: RFC 8032 §7.1 and every Wycheproof case through the ledger's verification paths.

Vectors: tests/vectors/conformance/ed25519/ (RFC 8032; C2SP/wycheproof @ dac1dd47, Apache-2.0),
read in place, not copied.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import ledger._verify
from ledger import SignatureError, SignedStatement, Statement, key_id_for, sign_statement
from ledger._verify import SignatureCheck, first_bad_signature

ED25519 = Path(__file__).resolve().parents[2] / "tests" / "vectors" / "conformance" / "ed25519"
RFC8032: list[dict[str, Any]] = json.loads(
    (ED25519 / "rfc8032_7_1.json").read_text(encoding="utf-8")
)["vectors"]
WYCHEPROOF: dict[str, Any] = json.loads(
    (ED25519 / "wycheproof_ed25519_test.json").read_text(encoding="utf-8")
)
CASES: list[tuple[bytes, dict[str, Any]]] = [
    (bytes.fromhex(group["publicKey"]["pk"]), test)
    for group in WYCHEPROOF["testGroups"]
    for test in group["tests"]
]
LOG = "kashgar-coop.example/log"
TIME = "2026-06-01T08:30:00Z"


def flip(data: bytes, bit: int) -> bytes:
    """Return ``data`` with one bit inverted (bit 0 is the low bit of byte 0)."""
    out = bytearray(data)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


def check_of(public_key: bytes, test: dict[str, Any]) -> SignatureCheck:
    return public_key, bytes.fromhex(test["sig"]), bytes.fromhex(test["msg"])


# --- RFC 8032 §7.1 ---------------------------------------------------------------------------


def test_rfc8032_file_holds_the_five_section_7_1_tests() -> None:
    names = [v["name"] for v in RFC8032]
    assert names == ["TEST 1", "TEST 2", "TEST 3", "TEST 1024", "TEST SHA(abc)"]


@pytest.mark.parametrize("vector", RFC8032, ids=lambda v: v["name"])
def test_rfc8032_secret_derives_public_key_and_signature(vector: dict[str, Any]) -> None:
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(vector["secret_key"]))
    message = bytes.fromhex(vector["message"])
    assert key.public_key().public_bytes_raw().hex() == vector["public_key"]
    assert key.sign(message).hex() == vector["signature"]  # Ed25519 signing is deterministic


@pytest.mark.parametrize("vector", RFC8032, ids=lambda v: v["name"])
def test_rfc8032_signature_accepted_by_ledger_verification(vector: dict[str, Any]) -> None:
    public_key = bytes.fromhex(vector["public_key"])
    signature = bytes.fromhex(vector["signature"])
    message = bytes.fromhex(vector["message"])
    assert first_bad_signature([(public_key, signature, message)]) is None
    # ...and the same check is not a rubber stamp: one flipped bit anywhere fails it.
    assert first_bad_signature([(public_key, flip(signature, 0), message)]) == 0
    assert first_bad_signature([(public_key, flip(signature, 511), message)]) == 0
    other = message + b"\x00" if not message else flip(message, 3)
    assert first_bad_signature([(public_key, signature, other)]) == 0


# --- Wycheproof --------------------------------------------------------------------------------


def test_wycheproof_file_is_complete() -> None:
    assert WYCHEPROOF["algorithm"] == "EDDSA"
    assert len(CASES) == WYCHEPROOF["numberOfTests"] == 151
    results = {test["result"] for _, test in CASES}
    assert results <= {"valid", "invalid", "acceptable"}
    assert sum(test["result"] == "invalid" for _, test in CASES) == 63


@pytest.mark.parametrize(
    ("public_key", "test"),
    CASES,
    ids=[f"tc{t['tcId']}-{t['result']}-{'-'.join(t['flags'])}" for _, t in CASES],
)
def test_wycheproof_case(public_key: bytes, test: dict[str, Any]) -> None:
    got = first_bad_signature([check_of(public_key, test)])
    if test["result"] == "valid":
        assert got is None
    elif test["result"] == "invalid":
        assert got == 0
    else:  # "acceptable": either verdict is allowed, but it must be a verdict, not a crash
        assert got in (None, 0)


def test_wycheproof_all_cases_as_one_batch_report_the_first_invalid() -> None:
    checks = [check_of(pk, test) for pk, test in CASES]
    first_invalid = next(i for i, (_, test) in enumerate(CASES) if test["result"] == "invalid")
    assert first_bad_signature(checks) == first_invalid
    only_valid = [check_of(pk, t) for pk, t in CASES if t["result"] == "valid"]
    assert len(only_valid) == 88
    assert first_bad_signature(only_valid) is None


# --- batches on the thread pool ----------------------------------------------------------------


def _valid_batch(count: int) -> list[SignatureCheck]:
    keys = [Ed25519PrivateKey.from_private_bytes(bytes([i + 1]) * 32) for i in range(4)]
    checks = []
    for i in range(count):
        key = keys[i % len(keys)]
        message = f"entry {i}".encode()
        checks.append((key.public_key().public_bytes_raw(), key.sign(message), message))
    return checks


BATCH = _valid_batch(240)


@pytest.fixture
def pool_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Force the parallel path (two cores) and record the size of each batch sent to it."""
    calls: list[int] = []
    real = ledger._verify._first_bad

    def spy(checks: Sequence[SignatureCheck], offset: int) -> int | None:
        if threading.current_thread() is not threading.main_thread():
            calls.append(len(checks))  # only work handed to the pool
        return real(checks, offset)

    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr(ledger._verify, "_first_bad", spy)
    return calls


def test_batch_of_valid_signatures_passes_on_the_thread_pool(pool_calls: list[int]) -> None:
    assert first_bad_signature(BATCH) is None
    assert pool_calls == [120, 120]


@pytest.mark.parametrize("bad", [0, 119, 120, 137, 239])
def test_batch_reports_exactly_the_one_bad_signature(bad: int, pool_calls: list[int]) -> None:
    checks = list(BATCH)
    public_key, signature, message = checks[bad]
    checks[bad] = (public_key, flip(signature, 200), message)
    assert first_bad_signature(checks) == bad
    assert pool_calls == [120, 120]


def test_batch_with_two_bad_reports_the_first_even_across_chunks(pool_calls: list[int]) -> None:
    checks = list(BATCH)
    for bad in (37, 201):  # one in each thread's half
        public_key, signature, message = checks[bad]
        checks[bad] = (public_key, signature, message + b"!")
    assert first_bad_signature(checks) == 37
    assert pool_calls == [120, 120]


def test_signature_moved_to_another_entry_is_caught(pool_calls: list[int]) -> None:
    # A valid signature, but over a different entry's bytes: the swap attack on a batch.
    checks = list(BATCH)
    a, b = checks[150], checks[154]  # same signer (index mod 4), different messages
    checks[150] = (a[0], b[1], a[2])
    assert first_bad_signature(checks) == 150


def test_small_batch_is_verified_inline(pool_calls: list[int]) -> None:
    checks = list(BATCH[:10])
    checks[7] = (checks[7][0], flip(checks[7][1], 9), checks[7][2])
    assert first_bad_signature(checks) == 7
    assert pool_calls == []  # below the threshold a thread hand-off costs more than it saves


# --- signed statements -------------------------------------------------------------------------

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
PUBLIC = KEY.public_key().public_bytes_raw()
KEY_ID = key_id_for(PUBLIC)


def _signed(body: dict[str, Any] | None = None) -> SignedStatement:
    statement = Statement(LOG, "trace.note", body or {"lot": "SB26-0001"}, KEY_ID, TIME)
    return sign_statement(statement, KEY)


def test_signed_statement_verifies_with_its_key() -> None:
    signed = _signed()
    signed.verify(PUBLIC)  # no exception
    assert (
        first_bad_signature([(PUBLIC, signed.signature, signed.statement.signing_bytes())]) is None
    )


@pytest.mark.parametrize("bit", [0, 7, 255, 256, 511])
def test_flipped_signature_bit_rejected(bit: int) -> None:
    signed = _signed()
    tampered = SignedStatement(signed.statement, flip(signed.signature, bit))
    with pytest.raises(
        SignatureError, match=rf"^signature on trace\.note does not verify with key {KEY_ID}$"
    ):
        tampered.verify(PUBLIC)


def test_statement_body_changed_after_signing_rejected() -> None:
    signed = _signed({"lot": "SB26-0001"})
    # "1" -> "3" is one bit: the smallest change to what was signed.
    changed = Statement(LOG, "trace.note", {"lot": "SB26-0003"}, KEY_ID, TIME)
    assert (
        bin(
            int.from_bytes(changed.signing_bytes(), "big")
            ^ int.from_bytes(signed.statement.signing_bytes(), "big")
        ).count("1")
        == 1
    )
    with pytest.raises(SignatureError, match=r"does not verify with key"):
        SignedStatement(changed, signed.signature).verify(PUBLIC)


@pytest.mark.parametrize("field", ["log", "kind", "key_id", "time"], ids=lambda f: f"{f}-replayed")
def test_signature_does_not_carry_over_to_other_fields(field: str) -> None:
    signed = _signed()
    values = {
        "log": "other-coop.example/log",
        "kind": "trace.harvest",
        "key_id": "0" * 32,
        "time": "2026-06-01T08:30:01Z",
    }
    fields: dict[str, Any] = {
        "log": LOG,
        "kind": "trace.note",
        "body": {"lot": "SB26-0001"},
        "key_id": KEY_ID,
        "time": TIME,
    }
    fields[field] = values[field]
    replayed = SignedStatement(Statement(**fields), signed.signature)
    with pytest.raises(SignatureError):
        replayed.verify(PUBLIC)


def test_signature_checked_with_the_wrong_key_rejected() -> None:
    signed = _signed()
    other = Ed25519PrivateKey.from_private_bytes(bytes(32)).public_key().public_bytes_raw()
    with pytest.raises(SignatureError, match=rf"does not verify with key {KEY_ID}$"):
        signed.verify(other)
