"""Ed25519 signature checks spread over every core.

Two pools. Threads serve batch appends: ``cryptography`` releases the GIL inside Ed25519
verification (measured: 5.4k/s on one thread, 11.4k/s on two), and a thread starts at once.
Processes serve the audit: there the main thread is busy too (parsing, chaining, hashing),
and measured runs showed verify threads starved by it; worker processes are not.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

__all__ = ["SignatureCheck", "collect", "first_bad_signature", "process_pool", "submit_checks"]

#: (raw public key, signature, signed bytes)
SignatureCheck = tuple[bytes, bytes, bytes]

# Below this many checks a thread hand-off costs more than it saves.
_PARALLEL_THRESHOLD = 64
# Checks per task sent to a worker process: large enough that pickling is a small share.
_PROCESS_TASK = 512


@lru_cache(maxsize=4096)
def _public_key(raw: bytes) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(raw)


@lru_cache(maxsize=1)
def _thread_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=os.cpu_count() or 2, thread_name_prefix="ed25519")


def _first_bad(checks: Sequence[SignatureCheck], offset: int) -> int | None:
    for i, (public_key, signature, message) in enumerate(checks):
        try:
            _public_key(public_key).verify(signature, message)
        except InvalidSignature:
            return offset + i
    return None


@contextmanager
def process_pool() -> Iterator[Executor]:
    """A pool of one verifier process per core, for long jobs such as the audit."""
    # forkserver: never fork a process that holds database connections and threads.
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 2, mp_context=context) as pool:
        yield pool


def submit_checks(
    checks: Sequence[SignatureCheck], pool: Executor | None = None
) -> list[Future[int | None]]:
    """Start verifying on every core; the caller may work meanwhile, then :func:`collect`.

    Args:
        checks: the signatures to verify.
        pool: a :func:`process_pool`, or None for the shared thread pool.
    """
    if pool is None:
        pool = _thread_pool()
        step = max(1, -(-len(checks) // (os.cpu_count() or 2)))
    else:
        step = _PROCESS_TASK
    return [pool.submit(_first_bad, checks[i : i + step], i) for i in range(0, len(checks), step)]


def collect(futures: Sequence[Future[int | None]]) -> int | None:
    """Wait for :func:`submit_checks`; return the index of the first failure, or None."""
    bad = [i for i in (f.result() for f in futures) if i is not None]
    return min(bad) if bad else None


def first_bad_signature(checks: Sequence[SignatureCheck]) -> int | None:
    """Verify every signature; return the index of the first that fails, or None."""
    if len(checks) < _PARALLEL_THRESHOLD or (os.cpu_count() or 1) == 1:
        return _first_bad(checks, 0)
    return collect(submit_checks(checks))
