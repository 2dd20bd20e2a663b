"""Ed25519 signature checks for a batch append, spread over every core.

``cryptography`` releases the GIL inside Ed25519 verification, so a thread pool scales with
cores (measured: 5.4k/s on one thread, 11.4k/s on two on the 2-core machine) and starts at
once. (The audit, whose main thread is busy too, uses worker processes instead.)
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from functools import lru_cache, partial

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

__all__ = [
    "SignatureCheck",
    "VerifyLater",
    "first_bad_signature",
    "first_bad_signature_later",
    "first_bad_signature_on",
    "signature_verifier",
]

#: (raw public key, signature, signed bytes)
SignatureCheck = tuple[bytes, bytes, bytes]
#: Starts verifying signatures; the function returned waits for the first bad one's index.
VerifyLater = Callable[[Sequence[SignatureCheck]], Callable[[], "int | None"]]

# Below this many checks a thread hand-off costs more than it saves.
_PARALLEL_THRESHOLD = 64


@lru_cache(maxsize=4096)
def _public_key(raw: bytes) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(raw)


@lru_cache(maxsize=1)
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=os.cpu_count() or 2, thread_name_prefix="ed25519")


def _first_bad(checks: Sequence[SignatureCheck], offset: int) -> int | None:
    for i, (public_key, signature, message) in enumerate(checks):
        try:
            _public_key(public_key).verify(signature, message)
        except InvalidSignature:
            return offset + i
    return None


def first_bad_signature(checks: Sequence[SignatureCheck]) -> int | None:
    """Verify every signature; return the index of the first that fails, or None."""
    return first_bad_signature_later(checks)()


def first_bad_signature_later(checks: Sequence[SignatureCheck]) -> Callable[[], int | None]:
    """Start verifying every signature on worker threads; return a function that waits.

    The returned function gives what :func:`first_bad_signature` would. Meanwhile the caller
    can do other work: the threads hold the GIL only between verifications.
    """
    workers = os.cpu_count() or 1
    if len(checks) < _PARALLEL_THRESHOLD or workers == 1:
        bad = _first_bad(checks, 0)
        return lambda: bad
    step = -(-len(checks) // workers)
    futures = [
        _pool().submit(_first_bad, checks[i : i + step], i) for i in range(0, len(checks), step)
    ]

    def wait() -> int | None:
        found = [i for i in (f.result() for f in futures) if i is not None]
        return min(found) if found else None

    return wait


def first_bad_signature_on(
    pool: Executor, workers: int, checks: Sequence[SignatureCheck]
) -> Callable[[], int | None]:
    """Like :func:`first_bad_signature_later`, in ``workers`` parts on ``pool``.

    For a pool of worker processes: a thread pool's verifiers need the GIL back between two
    verifications, and a main thread busy in Python keeps them waiting for it (the audit
    measured it, docs/adr/0005); worker processes never wait for the caller.
    """
    step = max(1, -(-len(checks) // workers))
    futures = [
        pool.submit(_first_bad, list(checks[i : i + step]), i) for i in range(0, len(checks), step)
    ]

    def wait() -> int | None:
        found = [i for i in (f.result() for f in futures) if i is not None]
        return min(found) if found else None

    return wait


@contextmanager
def signature_verifier(count: int, threshold: int) -> Iterator[VerifyLater]:
    """How a job of ``count`` signatures verifies them while its caller goes on.

    From ``threshold`` signatures on, worker processes, one per core: verifier threads would
    wait for the GIL between two signatures while the caller parses and writes (the audit
    measured it, docs/adr/0005; the mirror's catch-up, docs/adr/0026). Below it, the
    threads: starting processes would cost more than they save.
    """
    workers = os.cpu_count() or 1
    if count < threshold or workers == 1:
        yield first_bad_signature_later
        return
    # forkserver: never fork a process that holds database connections and threads.
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        yield partial(first_bad_signature_on, pool, workers)
