"""Token buckets in a memory-mapped file: one rate limit for every worker on the machine.

``agritrace serve --workers N`` runs N processes; with buckets in each one's memory, an
address could make N times the rate. This keeps the resolver's per-address buckets in one
file (by default under the server's run folder, ``run/`` next to the key folder) that every
worker maps into memory, so all of them take from the same bucket. No database round trip
and no server process: a take is a hash, a byte-range lock on one slot (``fcntl``), a read
and a write of 24 bytes in shared memory, and the unlock.

Layout: a 32-byte header (magic, slot count, a random secret), then fixed slots of
``(tag, tokens, updated)``. An address maps to a slot by a keyed BLAKE2b of it (the secret
is in the file, so nobody outside the machine can aim addresses at one slot); the tag tells
whose bucket the slot holds. An address finding another's tag takes the slot over with a
full bucket: like the in-memory limiter dropping its least recently used client, a
collision errs on the side of serving. Times are ``time.monotonic()``, one clock for every
process on the machine; a slot written before a reboot (a time ahead of now) is treated as
written now.

A busy address (a livestream behind one carrier NAT) would make every scan pay the lock.
So a worker takes a few tokens at once from the shared bucket (a lease: up to 16, never
more than a 200th of the burst, so a burst of 3,000 leases 15 and a burst under 400 leases
one at a time) and serves the next scans of that address from its memory, for at most a
second. Tokens a lease did not use in that second are not given back: the error is a few
tokens per worker per second, on the side of refusing, and for small bursts there is none.
An address found empty is refused from memory until its next token is due (exactly: only
refills add tokens), so a flood does not touch the file either.
"""

from __future__ import annotations

import fcntl
import hashlib
import mmap
import os
import secrets
import struct
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Final

__all__ = ["DEFAULT_SLOTS", "LEASE_SECONDS", "SharedRateLimiter"]

#: The longest a worker serves an address from leased tokens before asking the file again.
LEASE_SECONDS: Final = 1.0
# Addresses whose slot (and lease) a worker remembers; forgotten all at once when full.
_REMEMBERED = 4096

#: Slots in a new file: 65,536 addresses at once (1.5 MiB). A livestream's audience comes
#: from a few carrier addresses; a scan flood from many addresses shares slots, and the
#: newest takes a slot over, so no address is refused for another's scans.
DEFAULT_SLOTS: Final = 65_536

_MAGIC = b"AGRBKT01"
_HEADER = struct.Struct("<8sI4x16s")  # magic, slot count, secret: 32 bytes
_SLOT = struct.Struct("<Qdd")  # tag (0: empty), tokens, updated (monotonic seconds)


class SharedRateLimiter:
    """Token buckets per client key in a file shared by this machine's processes.

    The same interface as :class:`~verifier_app._limits.RateLimiter`: ``burst`` requests at
    once, refilled at ``rate`` per second.

    Args:
        path: The buckets' file; created (0600, in a 0700 folder) when missing.
        rate: Tokens per second a bucket refills.
        burst: A bucket's size.
        clock: A clock every sharing process agrees on (default ``time.monotonic``).
        slots: Slots of a new file (an existing file keeps its own count).
        lease: Tokens taken from the file at once (default: ``burst // 200``, 1 to 16).
    """

    def __init__(
        self,
        path: Path,
        rate: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        slots: int = DEFAULT_SLOTS,
        lease: int | None = None,
    ) -> None:
        self.path = path
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self.lease = lease if lease is not None else max(1, min(16, burst // 200))
        self._places: dict[str, tuple[int, int]] = {}
        # Address -> [tokens leased and not yet used, when the lease ends].
        self._leases: dict[str, list[float]] = {}
        # Address -> when its bucket has a token again. Exact, not a guess: only refills
        # add tokens, so no worker can find one earlier.
        self._empty: dict[str, float] = {}
        self._fd = _open(path, slots)
        size = os.fstat(self._fd).st_size
        self._map = mmap.mmap(self._fd, size)
        magic, self.slots, secret = _HEADER.unpack_from(self._map, 0)
        if magic != _MAGIC or size != _HEADER.size + self.slots * _SLOT.size:
            raise ValueError(f"{path}: not a rate-limit buckets file")
        self._secret = secret
        # fcntl locks belong to the process: threads of one process also need this one.
        self._lock = threading.Lock()

    def _place(self, key: str) -> tuple[int, int]:
        place = self._places.get(key)
        if place is None:
            digest = hashlib.blake2b(key.encode(), key=self._secret, digest_size=16).digest()
            tag = int.from_bytes(digest[:8], "little") | 1  # never 0, the empty slot's tag
            index = int.from_bytes(digest[8:], "little") % self.slots
            if len(self._places) >= _REMEMBERED:
                self._places.clear()
            place = self._places[key] = (tag, _HEADER.size + index * _SLOT.size)
        return place

    def wait_time(self, key: str, *, take: bool = True) -> float:
        """Take one token for ``key``; return 0 if granted, else seconds until one is due.

        With ``take=False`` only look: 0 if a token is there, and nothing is taken.
        """
        with self._lock:
            now = self.clock()
            leased = self._leases.get(key)
            if leased is not None and leased[0] >= 1 and now < leased[1]:
                if take:
                    leased[0] -= 1
                return 0.0
            due = self._empty.get(key)
            if due is not None and now < due:
                return due - now  # a flood is refused without touching the file
            tag, offset = self._place(key)
            fcntl.lockf(self._fd, fcntl.LOCK_EX, _SLOT.size, offset, os.SEEK_SET)
            try:
                held, stored, updated = _SLOT.unpack_from(self._map, offset)
                tokens: float = stored
                if held != tag:
                    tokens, updated = float(self.burst), now  # a new (or taken-over) slot
                elapsed = max(0.0, now - updated)  # a slot from before a reboot: from now
                tokens = min(float(self.burst), tokens + elapsed * self.rate)
                granted = tokens >= 1
                taken = min(self.lease, int(tokens)) if granted and take else 0
                _SLOT.pack_into(self._map, offset, tag, tokens - taken, now)
            finally:
                fcntl.lockf(self._fd, fcntl.LOCK_UN, _SLOT.size, offset, os.SEEK_SET)
            if taken > 1:
                if len(self._leases) >= _REMEMBERED:
                    self._leases.clear()
                self._leases[key] = [float(taken - 1), now + LEASE_SECONDS]
            if granted:
                return 0.0
            wait = (1 - tokens) / self.rate
            if len(self._empty) >= _REMEMBERED:
                self._empty.clear()
            self._empty[key] = now + wait
            return wait

    def close(self) -> None:
        """Unmap the file and close it."""
        self._map.close()
        os.close(self._fd)


def _open(path: Path, slots: int) -> int:
    """Open the buckets' file, creating it whole first if it is missing (0600)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        return os.open(path, os.O_RDWR)
    except FileNotFoundError:
        pass
    # Written whole under a temporary name, then linked into place: a worker starting at
    # the same moment opens either nothing (and makes its own) or a complete file, and
    # only one of the two links wins.
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        header = _HEADER.pack(_MAGIC, slots, secrets.token_bytes(16))
        os.write(fd, header)
        os.ftruncate(fd, _HEADER.size + slots * _SLOT.size)
        try:
            os.link(temporary, path)
        except FileExistsError:
            os.close(fd)
            fd = os.open(path, os.O_RDWR)
    finally:
        os.unlink(temporary)
    return fd
