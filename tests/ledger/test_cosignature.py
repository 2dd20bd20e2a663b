"""C2SP tlog-cosignature v1: a real witnessed checkpoint, the spec's example, round trips.

Vectors: tests/vectors/conformance/notes/checkpoint_vectors.json (`witnessed_checkpoint`
from transparency-dev/witness @ 54dbcdd1 and transparency-dev/distributor @ c3e02e9f;
`cosignature_format` from C2SP tlog-cosignature v1.0.1; `witness_consistency`), read in place.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from hypothesis import given
from hypothesis import strategies as st

from ledger import (
    Checkpoint,
    CosignatureVerifier,
    Cosigner,
    Note,
    NoteError,
    NoteSignature,
    NoteSigner,
    NoteVerifier,
    open_checkpoint,
    open_note,
    parse_note,
    sign_checkpoint,
    verify_cosignature,
)

VECTORS = Path(__file__).resolve().parents[2] / "tests" / "vectors" / "conformance" / "notes"
DATA: dict[str, Any] = json.loads((VECTORS / "checkpoint_vectors.json").read_text("utf-8"))
WITNESSED = DATA["witnessed_checkpoint"]
FORMAT = DATA["cosignature_format"]
MAX_TS = 2**63 - 1


def cosig_vkey(name: str, public_key: bytes) -> str:
    """The type-0x04 vkey for a witness key published as a type-0x01 vkey."""
    typed = b"\x04" + public_key
    kid = hashlib.sha256(name.encode() + b"\n" + typed).digest()[:4]
    return f"{name}+{kid.hex()}+{base64.b64encode(typed).decode()}"


WITNESSES = WITNESSED["cosignatures"]


@pytest.mark.parametrize("cosig", WITNESSES, ids=lambda c: c["witness"])
def test_real_cosignature_verifies(cosig: dict[str, Any]) -> None:
    note = parse_note(WITNESSED["note"].encode())
    cp = Checkpoint.parse(note.text)
    assert (cp.origin, cp.size) == ("developers.google.com/android/binary_transparency/0", 611)
    verifier = CosignatureVerifier.from_key_string(
        cosig_vkey(cosig["witness"], bytes.fromhex(cosig["ed25519_public_key_hex"]))
    )
    assert verifier.key_id.hex() == cosig["cosignature_key_id_hex"]
    assert verify_cosignature(cp, note, verifier) == cosig["timestamp"]
    line = next(s for s in note.signatures if s.name == cosig["witness"])
    assert line.key_id.hex() == cosig["key_id_in_signature_hex"]
    assert line.signature[8:].hex() == cosig["signature_hex"]
    # The vector's signed message is what our code signs: it verifies under the witness key.
    key = Ed25519PublicKey.from_public_bytes(verifier.public_key)
    key.verify(line.signature[8:], cosig["signed_message"].encode())


def test_real_witnessed_checkpoint_counts() -> None:
    note = parse_note(WITNESSED["note"].encode())
    cp = Checkpoint.parse(note.text)
    valid = [
        verify_cosignature(
            cp,
            note,
            CosignatureVerifier.from_key_string(
                cosig_vkey(c["witness"], bytes.fromhex(c["ed25519_public_key_hex"]))
            ),
        )
        for c in WITNESSES
    ]
    assert len(valid) == WITNESSED["expect"]["cosignatures_valid"] == 2
    assert [s.name for s in note.signatures] == [
        "pixel_transparency_log",
        "ArmoredWitness-small-breeze",
        "ArmoredWitness-autumn-wood",
    ]


def test_ecdsa_log_signature_kept_byte_exact_but_not_supported() -> None:
    # The pixel log signs with type 0x02 (ECDSA P-256). We only verify Ed25519, so its vkey
    # is refused; the line is still parsed and kept, and its bytes verify under ECDSA.
    with pytest.raises(NoteError, match="key ID 72c878db does not match the key"):
        NoteVerifier.from_key_string(WITNESSED["log_vkey"])
    note = parse_note(WITNESSED["note"].encode())
    log_line = note.signatures[0]
    assert log_line.key_id.hex() == "72c878db"
    spki = base64.b64decode(WITNESSED["log_vkey"].split("+", 2)[2])[1:]
    assert hashlib.sha256(spki).digest()[:4] == log_line.key_id
    key = serialization.load_der_public_key(spki)
    assert isinstance(key, ec.EllipticCurvePublicKey)
    key.verify(log_line.signature, note.text.encode(), ec.ECDSA(hashes.SHA256()))
    assert WITNESSED["expect"]["log_signature_valid"] is True


@pytest.mark.parametrize("cosig", WITNESSES, ids=lambda c: c["witness"])
def test_published_type_1_witness_key_is_not_a_cosignature_key(cosig: dict[str, Any]) -> None:
    vkey = cosig["vkey_type1_as_published"]
    with pytest.raises(NoteError, match="expected algorithm 0x04, got 0x01"):
        CosignatureVerifier.from_key_string(vkey)
    # As a plain note key it parses, but its 0x01 key ID never matches a cosignature line.
    as_note_key = NoteVerifier.from_key_string(vkey)
    assert as_note_key.public_key.hex() == cosig["ed25519_public_key_hex"]
    with pytest.raises(NoteError, match="no signature by a trusted key verified"):
        open_note(WITNESSED["note"].encode(), [as_note_key])


def test_spec_example_cosignature_decodes() -> None:
    note = parse_note(f"{FORMAT['checkpoint_text']}\n{FORMAT['cosignature_line']}\n".encode())
    (sig,) = note.signatures
    want = FORMAT["expected_decoding"]
    assert sig.name == "witness.example.com/w1"
    assert sig.key_id.hex() == want["key_id_hex"]
    assert int.from_bytes(sig.signature[:8], "big") == want["timestamp"]
    assert len(sig.signature[8:]) == want["signature_len"]


def test_cosign_signs_the_spec_message() -> None:
    cp = Checkpoint.parse(FORMAT["checkpoint_text"])
    witness = Cosigner.generate("witness.example.com/w1")
    sig = parse_note(f"{cp.body()}\n{witness.cosign(cp, 1679315147)}".encode()).signatures[0]
    assert sig.signature[:8] == (1679315147).to_bytes(8, "big")
    key = Ed25519PublicKey.from_public_bytes(witness.public_key)
    key.verify(sig.signature[8:], FORMAT["expected_signed_message"].encode())


def test_witness_cosigns_the_consistent_checkpoint() -> None:
    pair = DATA["witness_consistency"]
    log = NoteVerifier.from_key_string(pair["log_vkey"])
    cp, _ = open_checkpoint(pair["new_checkpoint"].encode(), "monkeys", log)
    witness = Cosigner.generate("witness.example/w")
    msg = pair["new_checkpoint"] + witness.cosign(cp, 1_700_000_000)
    cp2, note = open_checkpoint(msg.encode(), "monkeys", log)
    verifier = CosignatureVerifier.from_key_string(witness.verifier_key())
    assert verify_cosignature(cp2, note, verifier) == 1_700_000_000


LOG = NoteSigner.generate("example.com/log")
WITNESS = Cosigner.generate("witness.example/w1")
CP = Checkpoint("example.com/log", 12, hashlib.sha256(b"root").digest(), ("ext",))


def cosigned(cp: Checkpoint = CP, ts: int = 1_700_000_000) -> bytes:
    return (sign_checkpoint(cp, LOG) + WITNESS.cosign(cp, ts)).encode()


def witness_verifier() -> CosignatureVerifier:
    return CosignatureVerifier.from_key_string(WITNESS.verifier_key())


def test_cosigner_key_id_uses_type_0x04() -> None:
    as_note_signer = NoteSigner(WITNESS.name, WITNESS.private_key)
    assert WITNESS.public_key == as_note_signer.public_key
    assert WITNESS.key_id != as_note_signer.key_id
    want = hashlib.sha256(WITNESS.name.encode() + b"\n\x04" + WITNESS.public_key).digest()[:4]
    assert WITNESS.key_id == want
    assert base64.b64decode(WITNESS.verifier_key().split("+", 2)[2])[0] == 0x04


@given(ts=st.integers(0, MAX_TS))
def test_cosign_verify_round_trips(ts: int) -> None:
    msg = cosigned(ts=ts)
    cp, note = open_checkpoint(msg, CP.origin, NoteVerifier.from_key_string(LOG.verifier_key()))
    assert verify_cosignature(cp, note, witness_verifier()) == ts


def test_signature_by_untrusted_key_rejected() -> None:
    impostor = Cosigner.generate(WITNESS.name)  # same name, other key, other key ID
    msg = (sign_checkpoint(CP, LOG) + impostor.cosign(CP, 1)).encode()
    with pytest.raises(NoteError, match=r"^no cosignature by witness\.example/w1\+"):
        verify_cosignature(CP, parse_note(msg), witness_verifier())


def test_flipped_bit_in_signature_rejected() -> None:
    note = parse_note(cosigned())
    line = note.signatures[1]
    bad = bytearray(line.signature)
    bad[20] ^= 0x01
    forged = Note(
        note.text, (note.signatures[0], NoteSignature(line.name, line.key_id, bytes(bad)))
    )
    with pytest.raises(NoteError, match=r"^invalid cosignature for key witness\.example/w1\+"):
        verify_cosignature(CP, forged, witness_verifier())


def test_changed_timestamp_rejected() -> None:
    # Backdating or postdating the cosignature breaks it: the time line is signed.
    text = cosigned(ts=1000).decode()
    note = parse_note(text.encode())
    line = note.signatures[1]
    moved = (1001).to_bytes(8, "big") + line.signature[8:]
    forged = Note(note.text, (NoteSignature(line.name, line.key_id, moved),))
    with pytest.raises(NoteError, match="invalid cosignature"):
        verify_cosignature(CP, forged, witness_verifier())


def test_checkpoint_for_other_origin_rejected() -> None:
    other = Checkpoint("example.com/other-log", CP.size, CP.root_hash, CP.extensions)
    with pytest.raises(NoteError, match="note text is not this checkpoint's body"):
        verify_cosignature(other, parse_note(cosigned()), witness_verifier())


def test_cosignature_moved_to_other_checkpoint_rejected() -> None:
    grown = Checkpoint(CP.origin, CP.size + 1, hashlib.sha256(b"other").digest(), CP.extensions)
    stolen_line = cosigned().decode().splitlines(keepends=True)[-1]
    msg = (sign_checkpoint(grown, LOG) + stolen_line).encode()
    with pytest.raises(NoteError, match="invalid cosignature"):
        verify_cosignature(grown, parse_note(msg), witness_verifier())


def test_extension_lines_are_cosigned() -> None:
    plain = Checkpoint(CP.origin, CP.size, CP.root_hash)
    stolen_line = cosigned().decode().splitlines(keepends=True)[-1]
    msg = (sign_checkpoint(plain, LOG) + stolen_line).encode()
    with pytest.raises(NoteError, match="invalid cosignature"):
        verify_cosignature(plain, parse_note(msg), witness_verifier())


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (bytes(64), "expected 72 bytes after the key ID, got 64"),
        (bytes(73), "expected 72 bytes after the key ID, got 73"),
        ((2**63).to_bytes(8, "big") + bytes(64), r"timestamp 9223372036854775808 exceeds"),
    ],
    ids=["no-timestamp", "too-long", "timestamp-over-2^63-1"],
)
def test_malformed_cosignature_payload_rejected(payload: bytes, reason: str) -> None:
    note = parse_note(cosigned())
    line = note.signatures[1]
    forged = Note(note.text, (NoteSignature(line.name, line.key_id, payload),))
    with pytest.raises(NoteError, match=reason):
        verify_cosignature(CP, forged, witness_verifier())


@pytest.mark.parametrize("ts", [-1, MAX_TS + 1])
def test_cosign_refuses_out_of_range_timestamp(ts: int) -> None:
    with pytest.raises(NoteError, match=r"expected timestamp in 0..2\*\*63-1"):
        WITNESS.cosign(CP, ts)


def test_cosignature_verifier_checks_key_id() -> None:
    v = witness_verifier()
    with pytest.raises(NoteError, match="does not match cosigner"):
        CosignatureVerifier(v.name, b"\x00\x00\x00\x00", v.public_key)


SIGNED = cosigned()
COSIG_START = SIGNED.rindex("— witness".encode()) + len("— witness.example/w1 ".encode())


@given(index=st.integers(COSIG_START, len(SIGNED) - 2), flip=st.integers(1, 255))
def test_any_flipped_byte_in_cosignature_fails(index: int, flip: int) -> None:
    tampered = bytearray(SIGNED)
    tampered[index] ^= flip
    with pytest.raises(NoteError):
        verify_from_bytes(bytes(tampered))


def verify_from_bytes(message: bytes) -> int:
    return verify_cosignature(CP, parse_note(message), witness_verifier())
