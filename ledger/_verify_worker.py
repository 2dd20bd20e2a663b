"""A signature worker process: frames of Ed25519 checks (or signings) in on stdin, answers out.

Run by path with ``python -P`` (see ``_verify_processes.py``), so it imports nothing but the
standard library and ``cryptography``: never the ledger package, never the caller's main
script (a worker started by ``multiprocessing`` re-runs that script's top level, which a
user's unguarded script would turn into recording events twice).

A frame (little-endian): job id (8 bytes), payload length (8), operation (1), payload.

- ``VERIFY``: per check the raw public key (32), the signature (64), the signed bytes'
  length (4) and the signed bytes.
- ``SIGN`` (ADR 29): the number of keys (2), per key its private seed (32) and the public
  key registered for it (32); then per message its key's index (2), its length (4) and its
  bytes. Each message is signed, and the signature verified with the registered key.

The answer: job id (8), the index of the first check that fails or -1 (8, signed), the
length of what follows (8), then for ``SIGN`` with nothing failed, the 64-byte signatures
in order. A signing job's private keys live only while the job runs.
"""

from __future__ import annotations

import struct
import sys
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

HEADER = struct.Struct("<QQB")
ANSWER = struct.Struct("<QqQ")
LENGTH = struct.Struct("<I")
INDEX = struct.Struct("<H")
KEY, SIGNATURE, SEED = 32, 64, 32
VERIFY, SIGN = 0, 1


@lru_cache(maxsize=4096)
def _public_key(raw: bytes) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(raw)


def first_bad(payload: bytes) -> int:
    """Verify every check in ``payload``; the index of the first that fails, or -1."""
    at, index, end = 0, 0, len(payload)
    while at < end:
        key = payload[at : at + KEY]
        signature = payload[at + KEY : at + KEY + SIGNATURE]
        (size,) = LENGTH.unpack_from(payload, at + KEY + SIGNATURE)
        start = at + KEY + SIGNATURE + LENGTH.size
        try:
            _public_key(key).verify(signature, payload[start : start + size])
        except (InvalidSignature, ValueError):  # ValueError: not a valid public key
            return index
        at, index = start + size, index + 1
    return -1


def sign_all(payload: bytes) -> tuple[int, bytes]:
    """Sign every message in ``payload``, each verified with its registered key.

    Returns the index of the first message whose signature does not verify with the key
    registered for it (the seed is not that key's), or -1 and the signatures joined.
    """
    (count,) = INDEX.unpack_from(payload, 0)
    at = INDEX.size
    signers: list[tuple[Ed25519PrivateKey, Ed25519PublicKey]] = []
    for _ in range(count):
        seed, public = payload[at : at + SEED], payload[at + SEED : at + SEED + KEY]
        signers.append((Ed25519PrivateKey.from_private_bytes(seed), _public_key(public)))
        at += SEED + KEY
    signatures: list[bytes] = []
    index, end = 0, len(payload)
    while at < end:
        (which,) = INDEX.unpack_from(payload, at)
        (size,) = LENGTH.unpack_from(payload, at + INDEX.size)
        start = at + INDEX.size + LENGTH.size
        message = payload[start : start + size]
        private, public = signers[which]
        signature = private.sign(message)
        try:
            # Checked before it leaves: a signature that does not verify under the key the
            # log registered (a wrong seed, a fault while signing) is never handed back.
            public.verify(signature, message)
        except InvalidSignature:
            return index, b""
        signatures.append(signature)
        at, index = start + size, index + 1
    return -1, b"".join(signatures)


def _read(stream: object, size: int) -> bytes:
    data = stream.read(size)  # type: ignore[attr-defined]
    if len(data) != size:
        raise EOFError
    return bytes(data)


def main() -> None:
    """Answer frames until stdin closes (the parent exited or closed the pool)."""
    reader, writer = sys.stdin.buffer, sys.stdout.buffer
    while True:
        try:
            job, size, operation = HEADER.unpack(_read(reader, HEADER.size))
            payload = _read(reader, size)
        except EOFError:
            return
        if operation == SIGN:
            bad, extra = sign_all(payload)
        else:
            bad, extra = first_bad(payload), b""
        del payload  # a signing job's seeds go with it
        writer.write(ANSWER.pack(job, bad, len(extra)) + extra)
        writer.flush()


if __name__ == "__main__":
    main()
