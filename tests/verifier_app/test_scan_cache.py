"""Cached scan answers: a warm scan reads only the log's head; any append changes the answer.

The cache keys every answer by the log's size and checkpoint size, so a recall, a hold or a
newly recorded lot shows on the first scan after the app reads the log again; in between
(``scan_freshness_seconds``) the one read of the head serves every scan.
"""

from __future__ import annotations

import asyncio
import gzip
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from ledger import KeyFolder, Ledger
from tests.verifier_app.conftest import RESOLVER
from traceability import Harvest, Recall, Recorder
from traceability.demo import Season, build_season
from traceability.demo._cast import FARMS
from verifier_app import Settings, create_app
from verifier_app.consumer._scan_cache import Answer, AnswerCache, LogVersion, accepts_gzip

ORIGIN = "cache.kashgar-coop.example/log"
JSON = {"Accept": "application/json"}


@pytest.fixture(scope="module")
def season(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Season]:
    folder = tmp_path_factory.mktemp("season")
    keys = KeyFolder(folder / "keys")
    root = keys.create("root")
    url = f"sqlite:///{folder / 'ledger.db'}"
    with Ledger.create(url, ORIGIN, root, keys.create_log_signer(ORIGIN)) as ledger:
        built = build_season(ledger, root, keys.create)
        ledger.checkpoint()
    return folder, built


@pytest.fixture
def copy(season: tuple[Path, Season], tmp_path: Path) -> Path:
    """A copy of the season's folder, for tests that append to its ledger."""
    (tmp_path / "ledger.db").write_bytes((season[0] / "ledger.db").read_bytes())
    return tmp_path


def _settings(folder: Path, keys: Path, **options: Any) -> Settings:
    values: dict[str, Any] = {
        "db": f"sqlite:///{folder / 'ledger.db'}",
        "keys": keys,
        "resolver": RESOLVER,
        "demo": True,
        "rate_burst": 1000,
    }
    return Settings(**(values | options))


@pytest.fixture
def lasting(copy: Path) -> TestClient:
    """A server (not started: ``with`` it) that reuses its read of the log for 5 s.

    No log key: no checkpoint publisher reading the head in the background meanwhile.
    """
    return TestClient(create_app(_settings(copy, copy / "no-keys", scan_freshness_seconds=5)))


@pytest.fixture
def client(copy: Path, season: tuple[Path, Season]) -> Iterator[TestClient]:
    settings = _settings(copy, season[0] / "keys", scan_freshness_seconds=0)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _record(folder: Path, keys: Path, event_model: Any, signer: str) -> None:
    with Ledger.open(f"sqlite:///{folder / 'ledger.db'}") as ledger:
        Recorder(ledger).record(event_model, KeyFolder(keys).load(signer))


def _count_queries(engine: Any) -> Callable[[], list[str]]:
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    return lambda: statements


def test_a_warm_scan_reads_only_the_log_head(
    client: TestClient, season: tuple[Path, Season]
) -> None:
    _, s = season
    page = f"/01/{s.gtin}/10/{s.released}"
    assert client.get(page).status_code == 200  # builds and keeps the answer
    statements = _count_queries(client.app.state.ledger.engine)  # type: ignore[attr-defined]
    again = client.get(page)
    assert again.status_code == 200
    assert len(statements()) == 1, statements()
    assert "ledger_head" in statements()[0]


def test_within_its_freshness_a_warm_scan_reads_nothing(
    lasting: TestClient, season: tuple[Path, Season]
) -> None:
    _, s = season
    with lasting as c:
        page = f"/01/{s.gtin}/10/{s.released}"
        assert c.get(page).status_code == 200
        assert c.get(page, headers=JSON).status_code == 200
        # The dashboards' warm-up reads the log in the background at start: not a scan's.
        warming = c.app.state.warming  # type: ignore[attr-defined]
        deadline = time.monotonic() + 60
        while warming is not None and not warming.done() and time.monotonic() < deadline:
            time.sleep(0.05)
        statements = _count_queries(c.app.state.ledger.engine)  # type: ignore[attr-defined]
        assert c.get(page).status_code == 200
        assert c.get(page, headers=JSON).status_code == 200
    assert statements() == []


def test_a_recall_shows_on_the_first_scan_after_the_log_grows(
    client: TestClient, copy: Path, season: tuple[Path, Season]
) -> None:
    _, s = season
    page = f"/01/{s.gtin}/10/{s.released}"
    before = client.get(page, params={"lang": "en"})
    assert 'class="banner released unchecked"' in before.text
    assert client.get(page, headers=JSON).json()["status"] == "verified"
    _record(copy, season[0] / "keys", _recall(s), "coop-admin")
    after = client.get(page, params={"lang": "en"})
    assert 'class="banner recalled unchecked"' in after.text
    assert "listeria" in after.text
    assert after.headers["ETag"] != before.headers["ETag"]
    assert client.get(page, headers=JSON).json()["status"] == "recalled"


def test_a_lot_recorded_after_an_unknown_scan_is_found(
    client: TestClient, copy: Path, season: tuple[Path, Season]
) -> None:
    _, s = season
    page = f"/01/{s.gtin}/10/SB26-NEW1"
    assert client.get(page, headers=JSON).status_code == 404  # kept as unknown
    farm = FARMS[0]
    harvest = Harvest.from_body(
        {
            "lot": {"gtin": s.gtin, "lot": "SB26-NEW1"},
            "plot": farm.plots[0],
            "variety": "红颜 Benihoppe",
            "quantity": "40",
            "time": "2026-06-10T07:00:00+08:00",
        }
    )
    _record(copy, season[0] / "keys", harvest, farm.grower_actor)
    answer = client.get(page, headers=JSON)
    assert answer.status_code == 200
    assert answer.json()["status"] == "on_hold", answer.json()["verification"]  # not yet tested


def test_the_page_is_gzipped_and_revalidated_by_its_etag(
    client: TestClient, season: tuple[Path, Season]
) -> None:
    _, s = season
    page = f"/01/{s.gtin}/10/{s.released}"
    plain = client.get(page, headers={"Accept-Encoding": "identity"})
    zipped = client.get(page, headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in plain.headers
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert zipped.content == plain.content  # httpx decoded it
    assert int(zipped.headers["Content-Length"]) < len(plain.content) // 2
    assert "Accept-Encoding" in zipped.headers["Vary"]
    assert zipped.headers["ETag"] != plain.headers["ETag"]
    assert plain.headers["Cache-Control"] == "public, no-cache"
    for tag in (plain.headers["ETag"], zipped.headers["ETag"]):
        unchanged = client.get(page, headers={"If-None-Match": tag})
        assert unchanged.status_code == 304
        assert unchanged.content == b""
    assert client.get(page, headers={"If-None-Match": '"other"'}).status_code == 200


def test_an_unknown_code_never_answers_304(client: TestClient, season: tuple[Path, Season]) -> None:
    _, s = season
    page = f"/01/{s.gtin}/10/NO-SUCH-LOT"
    first = client.get(page)
    assert first.status_code == 404
    assert client.get(page, headers={"If-None-Match": first.headers["ETag"]}).status_code == 404
    assert client.get(page, headers={"If-None-Match": "*"}).status_code == 404


# --- the parts ------------------------------------------------------------------------


def _answer(size: int) -> Answer:
    return Answer(200, "text/plain", b"x" * size, None, (), '"t"')


def test_the_cache_is_bounded_by_bytes_and_drops_the_least_recently_used() -> None:
    cache = AnswerCache(max_bytes=10_000)
    for key in range(30):
        cache.put(key, _answer(1000))
        assert cache.get(0) is not None  # kept in use: never the one dropped
        assert cache.bytes_held <= 10_000
    assert len(cache) == 10
    assert cache.get(1) is None
    assert cache.get(29) is not None
    cache.put("huge", _answer(20_000))  # larger than the whole cache: not kept
    assert cache.get("huge") is None
    assert len(cache) == 10


def test_concurrent_misses_build_the_answer_once() -> None:
    cache = AnswerCache(max_bytes=10_000)
    built: list[int] = []

    def build() -> Answer:
        built.append(1)
        return _answer(10)

    async def run(compute: Callable[[], Answer]) -> Answer:
        await asyncio.sleep(0.01)  # the build takes a while; the others arrive meanwhile
        return compute()

    async def scans() -> list[Answer]:
        return await asyncio.gather(*(cache.get_or_compute("k", build, run) for _ in range(20)))

    answers = asyncio.run(scans())
    assert built == [1]
    assert all(a is answers[0] for a in answers)


def test_a_failed_build_is_not_kept() -> None:
    cache = AnswerCache(max_bytes=10_000)

    def broken() -> Answer:
        raise RuntimeError("database gone")

    async def run(compute: Callable[[], Answer]) -> Answer:
        return compute()

    with pytest.raises(RuntimeError, match="database gone"):
        asyncio.run(cache.get_or_compute("k", broken, run))
    assert cache.get("k") is None
    assert asyncio.run(cache.get_or_compute("k", lambda: _answer(1), run)).body == b"x"


def test_the_log_version_is_reused_only_within_its_freshness(copy: Path) -> None:
    now = [100.0]
    with Ledger.open(f"sqlite:///{copy / 'ledger.db'}") as ledger:
        version = LogVersion(ledger, freshness=0.5, clock=lambda: now[0])
        assert version.cached() is None
        read = version.read()
        assert read == (ledger.size(), ledger.head().checkpoint_size)
        now[0] += 0.4
        assert version.cached() == read
        now[0] += 0.2
        assert version.cached() is None
        assert LogVersion(ledger).cached() is None  # freshness 0: always read


def _recall(s: Season) -> Recall:
    return Recall.from_body(
        {
            "lot": {"gtin": s.gtin, "lot": s.released},
            "reason": "listeria found in a retained sample",
            "time": "2026-06-10T09:00:00+08:00",
        }
    )


def test_a_write_through_the_ledger_ends_the_reuse_at_once(
    copy: Path, season: tuple[Path, Season]
) -> None:
    now = [100.0]
    keys = KeyFolder(season[0] / "keys")
    with Ledger.open(f"sqlite:///{copy / 'ledger.db'}") as ledger:
        version = LogVersion(ledger, freshness=5, clock=lambda: now[0])
        read = version.read()
        assert version.cached() == read
        Recorder(ledger).record(_recall(season[1]), keys.load("coop-admin"))
        assert version.cached() is None  # still "fresh" by the clock, but written since
        assert version.read() == (read[0] + 1, read[1])
        assert version.cached() == (read[0] + 1, read[1])


def test_a_recall_made_on_this_server_shows_on_the_next_scan_within_the_freshness(
    lasting: TestClient, season: tuple[Path, Season]
) -> None:
    _, s = season
    # Five seconds: without the write count, the scan after the recall would be answered
    # from the page kept before it (a regulator's own recall, not shown to them).
    with lasting as c:
        page = f"/01/{s.gtin}/10/{s.released}"
        before = c.get(page, params={"lang": "en"})
        assert 'class="banner released unchecked"' in before.text
        recorder: Recorder = c.app.state.recorder.recorder  # type: ignore[attr-defined]
        recorder.record(_recall(s), KeyFolder(season[0] / "keys").load("coop-admin"))
        after = c.get(page, params={"lang": "en"})
        assert 'class="banner recalled unchecked"' in after.text
        assert c.get(page, headers=JSON).json()["status"] == "recalled"


@pytest.mark.parametrize(
    ("header", "gzip_ok"),
    [("gzip, deflate, br", True), ("br;q=1.0, gzip;q=0.8", True), ("gzip;q=0", False),
     ("identity", False), ("", False), ("x-gzip", True)],
)  # fmt: skip
def test_accept_encoding(header: str, gzip_ok: bool) -> None:
    assert accepts_gzip(header) is gzip_ok


def test_the_gzip_form_is_the_body_compressed() -> None:
    answer = Answer.build(200, "text/html", b"<p>strawberries</p>" * 200, {})
    assert answer.gzipped is not None
    assert gzip.decompress(answer.gzipped) == answer.body
    assert Answer.build(200, "text/html", b"small", {}).gzipped is None


def test_when_the_freshness_runs_out_one_read_serves_the_waiting_scans(copy: Path) -> None:
    reads: list[int] = []

    async def run(read: Callable[[], Any]) -> Any:
        reads.append(1)
        await asyncio.sleep(0.01)  # the read takes a while; other scans arrive meanwhile
        return read()

    async def scans(version: LogVersion) -> list[Any]:
        return await asyncio.gather(*(version.current(run) for _ in range(20)))

    with Ledger.open(f"sqlite:///{copy / 'ledger.db'}") as ledger:
        shared = asyncio.run(scans(LogVersion(ledger, freshness=0.5)))
        assert reads == [1]
        assert shared == [(ledger.size(), ledger.head().checkpoint_size)] * 20
        reads.clear()
        asyncio.run(scans(LogVersion(ledger, freshness=0)))  # exact: each scan reads
        assert len(reads) == 20
