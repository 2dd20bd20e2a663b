"""Ed25519 checks on worker processes of the ledger's own, started once per process and kept.

Why processes: a verifier thread needs the GIL back between two signatures, and a caller
busy in Python (a batch's projection, a mirror parsing and writing) keeps it waiting for up
to the switch interval each time (ADR 5, ADR 26). Why not ``multiprocessing``: its workers
(spawn and forkserver alike) import the caller's main script again, so a user's script
without the ``if __name__ == "__main__"`` guard would run its own top level, recording
included, in every worker, or stop with ``BrokenProcessPool``. These workers are
``python -P _verify_worker.py``: the standard library and ``cryptography``, nothing else.
Checks cross as length-prefixed bytes (no pickling) through each worker's pipes; a feeder
thread per worker writes them, so the caller never blocks on a full pipe. The same workers
sign a large recording batch (ADR 29): the seeds cross to them for that job only.

A worker that stops (killed, out of memory) fails the job that waited for it with a
:class:`~ledger.LedgerError`: no signature counts as verified without a worker's answer, so
nothing is written; the next job starts new workers.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO

import cryptography

from ledger import _verify_worker as wire
from ledger._errors import LedgerError

__all__ = ["first_bad_on_processes", "sign_on_processes", "worker_pids"]

_SCRIPT = str(Path(wire.__file__).resolve())
# Where this process found cryptography, first on the worker's path whatever the site setup.
_CRYPTOGRAPHY = str(Path(cryptography.__file__).resolve().parent.parent)
_jobs = itertools.count()


class _Worker:
    """One worker process, its feeder thread and the answers read back but not yet claimed."""

    def __init__(self) -> None:
        path = os.pathsep.join(filter(None, [_CRYPTOGRAPHY, os.environ.get("PYTHONPATH")]))
        # -P: the script's own folder (the ledger package's) is not put on the path.
        self.process = subprocess.Popen(  # noqa: S603 (our interpreter, our own file)
            [sys.executable, "-P", _SCRIPT],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            close_fds=True,
            env={**os.environ, "PYTHONPATH": path},
        )
        self.frames: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self.answers: dict[int, tuple[int, bytes]] = {}
        self.reading = threading.Lock()  # one reader of the answers at a time
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.stdout: IO[bytes] = self.process.stdout
        threading.Thread(
            target=self._feed, args=(self.process.stdin,), daemon=True, name="ed25519-feed"
        ).start()

    def _feed(self, stdin: IO[bytes]) -> None:
        try:
            while (frame := self.frames.get()) is not None:
                stdin.write(frame)
                stdin.flush()
        except OSError:  # the worker is gone: its answer() reports it
            pass
        finally:
            with contextlib.suppress(OSError):
                stdin.close()  # the worker exits when its input ends

    def send(self, job: int, operation: int, payload: bytes) -> None:
        """Queue ``payload`` as job ``job`` of ``operation`` (``wire.VERIFY`` or ``wire.SIGN``)."""
        self.frames.put(wire.HEADER.pack(job, len(payload), operation) + payload)

    def answer(self, job: int) -> tuple[int, bytes]:
        """Wait for job ``job``'s answer: the first bad check's index or -1, and its bytes."""
        with self.reading:
            while job not in self.answers:
                data = self._read(wire.ANSWER.size)
                done, bad, size = wire.ANSWER.unpack(data)
                self.answers[done] = (bad, self._read(size) if size else b"")
            return self.answers.pop(job)

    def _read(self, size: int) -> bytes:
        try:
            data = self.stdout.read(size)
        except (OSError, ValueError):  # closed by _discard on another thread
            data = b""
        if len(data) != size:
            code = self.process.poll()
            raise LedgerError(
                f"a signature worker process stopped (exit code {code}) before its "
                "answer; nothing of this batch was written"
            )
        return bytes(data)

    def stop(self, *, kill: bool = False) -> None:
        """End the worker (closing its input, or killing it) and release its pipes."""
        if kill:
            self.process.kill()
        self.frames.put(None)
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.stdout.close()


class _Pool:
    def __init__(self, size: int) -> None:
        self.workers = [_Worker() for _ in range(size)]
        self.pid = os.getpid()

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()


_pool: _Pool | None = None
_lock = threading.Lock()


def _workers() -> list[_Worker]:
    global _pool
    with _lock:
        if _pool is None or _pool.pid != os.getpid():
            _pool = _Pool(os.cpu_count() or 1)
        return _pool.workers


def _discard(workers: list[_Worker]) -> None:
    """Drop the pool after a worker stopped, so that the next job starts new ones."""
    global _pool
    with _lock:
        if _pool is not None and _pool.workers is workers:
            _pool = None
    for worker in workers:
        worker.stop(kill=True)


def _stop_at_exit() -> None:
    if _pool is not None and _pool.pid == os.getpid():
        _pool.stop()


def _forget_in_child() -> None:
    # A forked child shares the parent's pipes: it must start workers of its own.
    global _pool, _lock
    _pool, _lock = None, threading.Lock()


atexit.register(_stop_at_exit)
os.register_at_fork(after_in_child=_forget_in_child)


def _spread(
    count: int, operation: int, frame: Callable[[int, int], bytes]
) -> Callable[[], list[tuple[int, int, bytes]]]:
    """Send items ``0 .. count-1`` in one slice per worker, ``frame(start, stop)`` each.

    The function returned waits for every slice's answer: (offset, bad index or -1, bytes).
    """
    workers = _workers()
    step = max(1, -(-count // len(workers)))
    parts: list[tuple[_Worker, int, int]] = []
    for worker, offset in zip(workers, range(0, count, step), strict=False):
        job = next(_jobs)
        worker.send(job, operation, frame(offset, min(offset + step, count)))
        parts.append((worker, job, offset))

    def wait() -> list[tuple[int, int, bytes]]:
        answers = []
        for worker, job, offset in parts:
            try:
                bad, extra = worker.answer(job)
            except LedgerError:
                _discard(workers)
                raise
            answers.append((offset, bad, extra))
        return answers

    return wait


def first_bad_on_processes(
    checks: Sequence[tuple[bytes, bytes, bytes]],
) -> Callable[[], int | None]:
    """Start verifying ``checks`` on the worker processes; return a function that waits.

    The function returns the index of the first check that fails, or None, and raises
    :class:`~ledger.LedgerError` if a worker stopped before answering. Every public key
    must be 32 bytes and every signature 64 (the caller's records guarantee it).
    """

    def frame(start: int, stop: int) -> bytes:
        parts: list[bytes] = []
        for public_key, signature, message in checks[start:stop]:
            parts += (public_key, signature, wire.LENGTH.pack(len(message)), message)
        return b"".join(parts)

    answers = _spread(len(checks), wire.VERIFY, frame)

    def wait() -> int | None:
        found = [offset + bad for offset, bad, _ in answers() if bad >= 0]
        return min(found) if found else None

    return wait


def sign_on_processes(
    items: Sequence[tuple[bytes, bytes, bytes]],
) -> Callable[[], tuple[list[bytes], int | None]]:
    """Start signing ``items`` (seed, registered public key, message) on the worker processes.

    Each signature is verified with the registered key before it comes back (ADR 29). The
    function returned waits and gives the signatures in order and None, or no signatures
    and the index of the first item whose signature did not verify; it raises
    :class:`~ledger.LedgerError` if a worker stopped before answering. Seeds and public keys
    must be 32 bytes each.
    """

    def frame(start: int, stop: int) -> bytes:
        table: dict[tuple[bytes, bytes], int] = {}
        body: list[bytes] = []
        for seed, public_key, message in items[start:stop]:
            which = table.setdefault((seed, public_key), len(table))
            body += (wire.INDEX.pack(which), wire.LENGTH.pack(len(message)), message)
        keys = [seed + public_key for seed, public_key in table]
        return b"".join([wire.INDEX.pack(len(table)), *keys, *body])

    answers = _spread(len(items), wire.SIGN, frame)

    def wait() -> tuple[list[bytes], int | None]:
        signatures: list[bytes] = []
        for offset, bad, extra in answers():
            if bad >= 0:
                return [], offset + bad
            signatures += (
                extra[i : i + wire.SIGNATURE] for i in range(0, len(extra), wire.SIGNATURE)
            )
        return signatures, None

    return wait


def worker_pids() -> list[int]:
    """The process ids of this process's signature workers (none until first used)."""
    with _lock:
        if _pool is None or _pool.pid != os.getpid():
            return []
        return [w.process.pid for w in _pool.workers]
