"""Scan answers kept ready: the rendered page, JSON or linkset per code, per state of the log.

A lot's answer is a function of the ledger's contents, so it can only change when the log
grows or a new checkpoint is published (the proof bundle is built at the latest checkpoint).
An answer is therefore cached under a key that ends with the log's *version*: its size and
the size of its latest checkpoint, both read from the log's head row in one indexed query.
Any append (a recall, a hold, a newly recorded lot) changes the size, so no request after it
is answered from an answer built before it; the cache never holds a status longer than it is
true, and answers for codes nobody scans again are simply evicted.

The cache is bounded by the bytes it holds (least recently used first out), because the
key space is open to anyone who can type a URL. Concurrent misses for one key are computed
once: the others wait for that answer instead of piling 64 identical renders onto the
thread pool when a checkpoint moves the version under load.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from starlette.requests import Request
from starlette.responses import Response

from ledger import Ledger
from verifier_app._i18n import Language
from verifier_app._negotiate import Representation, page_language, representation

__all__ = [
    "BUILT",
    "Answer",
    "AnswerCache",
    "AnswerKey",
    "LogVersion",
    "Version",
    "accepts_gzip",
    "answer_key",
    "respond",
    "today",
]

#: The log's size and the size of its latest checkpoint.
Version = tuple[int, int]
#: What an answer is kept under: raw path, query, form, language, log version, and the day
#: (Beijing time) it is built on: the page says plainly when a best-before date has passed,
#: so an answer kept from yesterday must not be replayed today.
AnswerKey = tuple[bytes, str, Representation, Language, Version, str]
#: Runs a blocking function off the event loop (``run_in_threadpool``).
AsyncRunner = Callable[[Callable[[], "Answer"]], Awaitable["Answer"]]

_BEIJING = timezone(timedelta(hours=8))

#: Marks (in the ASGI scope) a request whose answer was built for it, not replayed: only
#: such a "no such lot" answer took the lookups the unknown-code surcharge is for.
BUILT = "agritrace.answer_built"

# Shared caches may keep an answer but must ask again before reusing it: a recall has to
# reach the next scan, and asking again costs one round trip and, with the ETag, no body.
CACHE_CONTROL = "public, no-cache"

# Below this the gzip header and a second copy cost more than they save.
_GZIP_MIN_BYTES = 1024


@dataclass(frozen=True)
class Answer:
    """One finished answer: status, body (and its gzip form), headers, and a strong ETag.

    Attributes:
        status_code: The HTTP status (200 for a known lot, 404 for an unknown code).
        media_type: The body's media type.
        body: The body as sent without content coding.
        gzipped: The body gzip-compressed once, or None when it is too small to bother.
        headers: Headers every form of the answer carries (``Link``, ``Vary``, ...).
        etag: A strong validator of ``body`` (quoted); the gzip form's adds ``-gz``.
    """

    status_code: int
    media_type: str
    body: bytes
    gzipped: bytes | None
    headers: tuple[tuple[str, str], ...]
    etag: str

    @classmethod
    def build(
        cls, status_code: int, media_type: str, body: bytes, headers: dict[str, str]
    ) -> Answer:
        """Compress ``body`` once (if worth it) and derive its ETag from its bytes."""
        gzipped = gzip.compress(body, 6, mtime=0) if len(body) >= _GZIP_MIN_BYTES else None
        etag = f'"{hashlib.blake2b(body, digest_size=12).hexdigest()}"'
        return cls(status_code, media_type, body, gzipped, tuple(headers.items()), etag)

    @property
    def gzip_etag(self) -> str:
        """The ETag of the gzip form: a different representation needs a different tag."""
        return self.etag[:-1] + '-gz"'

    @property
    def size(self) -> int:
        """Bytes this answer holds in memory (bodies only; the rest is small and fixed)."""
        return len(self.body) + (len(self.gzipped) if self.gzipped is not None else 0)


def answer_key(request: Request, version: Version) -> AnswerKey:
    """The key of the answer to ``request`` at ``version``: the one place it is computed.

    The router keeps answers under it and the fast path (:mod:`verifier_app.consumer._scan_fast`)
    looks them up under it, so the two cannot disagree on what makes answers differ. The
    raw path keeps percent-escapes (a lot may hold "/" as %2F); the whole query is keyed,
    so a parameter the resolver ignores only costs a separate entry, never a wrong answer.
    """
    form = representation(request)
    language = page_language(request) if form == "html" else "zh"
    raw_path: bytes = request.scope.get("raw_path") or request.url.path.encode()
    return (raw_path, request.url.query, form, language, version, today().isoformat())


def today() -> date:
    """The date in Beijing time (UTC+8), the time zone the cooperatives' labels print."""
    return datetime.now(_BEIJING).date()


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an ``Accept-Encoding`` value accepts gzip (RFC 9110 §12.5.3; ``q=0`` refuses)."""
    for part in accept_encoding.lower().split(",")[:20]:
        coding, _, params = part.partition(";")
        if coding.strip() in ("gzip", "x-gzip"):
            name, _, value = params.strip().partition("=")
            return not (name.strip() == "q" and value.strip() in ("0", "0.0", "0.00", "0.000"))
    return False


def respond(answer: Answer, request: Request) -> Response:
    """Send ``answer``: gzip if the client takes it, 304 if it already holds this version."""
    gzipped = answer.gzipped is not None and accepts_gzip(
        request.headers.get("accept-encoding", "")
    )
    etag = answer.gzip_etag if gzipped else answer.etag
    headers = dict(answer.headers)
    headers |= {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if answer.gzipped is not None:
        headers["Vary"] = headers.get("Vary", "") + ", Accept-Encoding"
    # Weak comparison (RFC 9110 §13.1.2): either form's tag names the same content.
    wanted = request.headers.get("if-none-match")
    if (
        answer.status_code == 200
        and wanted is not None
        and (wanted.strip() == "*" or answer.etag in wanted or answer.gzip_etag in wanted)
    ):
        return Response(status_code=304, headers=headers)
    if gzipped:
        headers["Content-Encoding"] = "gzip"
    body = answer.gzipped if gzipped and answer.gzipped is not None else answer.body
    return Response(body, answer.status_code, headers, media_type=answer.media_type)


class AnswerCache:
    """A least-recently-used map from answer keys to answers, bounded by bytes held.

    Args:
        max_bytes: The most body bytes kept; the least recently used answers go first.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._answers: OrderedDict[Hashable, Answer] = OrderedDict()
        self._bytes = 0
        self._pending: dict[Hashable, asyncio.Future[Answer]] = {}

    def __len__(self) -> int:
        return len(self._answers)

    @property
    def bytes_held(self) -> int:
        """Body bytes currently held."""
        return self._bytes

    def get(self, key: Hashable) -> Answer | None:
        """Return the answer for ``key`` (and mark it recently used), or None."""
        answer = self._answers.get(key)
        if answer is not None:
            self._answers.move_to_end(key)
        return answer

    def put(self, key: Hashable, answer: Answer) -> None:
        """Keep ``answer``; evict the least recently used until within ``max_bytes``."""
        old = self._answers.pop(key, None)
        if old is not None:
            self._bytes -= old.size
        if answer.size > self.max_bytes:
            return  # would evict everything else and still not fit
        self._answers[key] = answer
        self._bytes += answer.size
        while self._bytes > self.max_bytes:
            _, evicted = self._answers.popitem(last=False)
            self._bytes -= evicted.size

    async def get_or_compute(
        self, key: Hashable, compute: Callable[[], Answer], run: AsyncRunner
    ) -> Answer:
        """Return the cached answer, or compute it once however many requests ask at once.

        Args:
            key: The answer's key (it must end with the log version it was read at).
            compute: Builds the answer (blocking: reads the database, renders).
            run: Runs ``compute`` off the event loop (the thread pool).

        Raises:
            Exception: whatever ``compute`` raised; nothing is cached then.
        """
        answer = self.get(key)
        if answer is not None:
            return answer
        pending = self._pending.get(key)
        if pending is not None:
            # shield: one waiter's disconnect must not cancel the others' answer.
            return await asyncio.shield(pending)
        future: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        try:
            answer = await run(compute)
        except BaseException as e:
            future.set_exception(e)
            future.exception()  # retrieved: no "never retrieved" warning without waiters
            raise
        else:
            future.set_result(answer)
            self.put(key, answer)
            return answer
        finally:
            del self._pending[key]


class LogVersion:
    """The log's version (size, checkpoint size), read from its head row.

    Args:
        ledger: The app's ledger.
        freshness: Seconds a read version may be reused. 0 (the default) reads the head on
            every call, so an answer is never older than the request; a positive value
            saves that one query under load and lets a status lag by up to that long, but
            only a status written by another process: a write through this ledger (a
            recall decided on this server) ends the reuse at once.
        clock: Monotonic seconds (tests pass their own).
    """

    def __init__(
        self, ledger: Ledger, freshness: float = 0.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ledger = ledger
        self.freshness = freshness
        self._clock = clock
        self._lock = threading.Lock()
        # One tuple, replaced whole: the event loop reads it while a pool thread writes.
        self._last: tuple[float, Version, int] = (float("-inf"), (-1, -1), -1)
        self._reading: asyncio.Future[Version] | None = None

    def cached(self) -> Version | None:
        """The version read less than ``freshness`` seconds ago, or None (read it then).

        None too when this process wrote to the log since that read: whoever decided a
        recall here and scans the lot next must see it, not a page kept from before.
        """
        read_at, version, writes = self._last
        if self._clock() - read_at < self.freshness and writes == self._ledger.writes:
            return version
        return None

    async def current(self, run: Callable[[Callable[[], Version]], Awaitable[Version]]) -> Version:
        """The version: the cached one while fresh, else one read shared by the callers.

        When the freshness runs out under load, every request would start its own read of
        the head and the pool's few connections would queue them (seconds at p99 on
        PostgreSQL); instead the first caller reads and the others wait for its answer,
        which is younger than the read they skip. With freshness 0 each caller reads.

        Args:
            run: Runs the blocking read off the event loop (``run_in_threadpool``).
        """
        version = self.cached()
        if version is not None:
            return version
        if self.freshness <= 0:
            return await run(self.read)
        if self._reading is not None:
            return await asyncio.shield(self._reading)
        reading: asyncio.Future[Version] = asyncio.get_running_loop().create_future()
        self._reading = reading
        try:
            version = await run(self.read)
        except BaseException as e:
            reading.set_exception(e)
            reading.exception()  # retrieved: no warning when nobody else was waiting
            raise
        else:
            reading.set_result(version)
            return version
        finally:
            self._reading = None

    def read(self) -> Version:
        """Read the head row now (one query) and remember what it said."""
        started = self._clock()
        # Counted before the read: a write ending during it makes this read stale at once.
        writes = self._ledger.writes
        head = self._ledger.head()
        version = (head.size, head.checkpoint_size)
        with self._lock:
            # A slower, older read must not overwrite a newer one.
            if started >= self._last[0]:
                self._last = (started, version, writes)
        return version
