"""A signature-verifying worker process: frames of Ed25519 checks in on stdin, verdicts out.

Run by path with ``python -P`` (see ``_verify_processes.py``), so it imports nothing but the
standard library and ``cryptography``: never the ledger package, never the caller's main
script (a worker started by ``multiprocessing`` re-runs that script's top level, which a
user's unguarded script would turn into recording events twice).

A frame: job id (8 bytes), payload length (8 bytes), then per check the raw public key (32),
the signature (64), the signed bytes' length (4) and the signed bytes; little-endian. The
answer: job id (8) and the index of the first check that fails, or -1 (8, signed).
"""

from __future__ import annotations

import struct
import sys
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

HEADER = struct.Struct("<QQ")
ANSWER = struct.Struct("<Qq")
LENGTH = struct.Struct("<I")
KEY, SIGNATURE = 32, 64


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
            job, size = HEADER.unpack(_read(reader, HEADER.size))
            payload = _read(reader, size)
        except EOFError:
            return
        writer.write(ANSWER.pack(job, first_bad(payload)))
        writer.flush()


if __name__ == "__main__":
    main()
