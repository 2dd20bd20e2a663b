"""The scan fast path replays the router's answers exactly, rate limited, and nothing else.

Each test drives the app with raw ASGI calls, so the bytes and headers compared are the ones
the server would write. The log version's clock is frozen: the version read by the first
(routed) scan stays fresh until a test moves the clock, so the second scan is a hit.
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.types import Message

from tests.verifier_app.test_scan_cache import _record, _settings, copy, season  # noqa: F401
from traceability import Recall
from traceability.demo import Season
from verifier_app import create_app
from verifier_app.consumer._scan_cache import Answer, LogVersion
from verifier_app.consumer._scan_fast import UNKNOWN_LOT_COST, is_scan_path


@dataclass
class Clock:
    """A monotonic clock that only moves when a test moves it."""

    now: float = 0.0

    def __call__(self) -> float:
        return self.now


@dataclass
class World:
    app: FastAPI
    clock: Clock
    routed: list[Hashable] = field(default_factory=list)  # keys the router was asked for

    def send(self, path: str, headers: dict[str, str] | None = None, method: str = "GET") -> Any:
        """Call the app once; return (status, headers, body) exactly as it sent them."""
        return asyncio.run(_call(self.app, method, path, headers or {}))


async def _call(
    app: FastAPI, method: str, path: str, headers: dict[str, str]
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    raw_path, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": raw_path,
        "raw_path": raw_path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("203.0.113.7", 50000),
        "server": ("127.0.0.1", 80),
    }
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    start, *bodies = sent
    return start["status"], list(start["headers"]), b"".join(m.get("body", b"") for m in bodies)


def _world(folder: Path, keys: Path, monkeypatch: pytest.MonkeyPatch, **options: Any) -> World:
    app = create_app(_settings(folder, keys, **options))
    clock = Clock()
    app.state.log_version = LogVersion(app.state.ledger, 0.5, clock)
    world = World(app, clock)
    cache = app.state.scan_answers
    compute = cache.get_or_compute

    async def counted(key: Hashable, *args: Any) -> Answer:
        world.routed.append(key)
        answer: Answer = await compute(key, *args)
        return answer

    monkeypatch.setattr(cache, "get_or_compute", counted)
    return world


def _limited(folder: Path, monkeypatch: pytest.MonkeyPatch, burst: int) -> World:
    """A world whose address gets ``burst`` tokens and next to no refill."""
    return _world(folder, folder / "no-keys", monkeypatch, rate_burst=burst, rate_per_second=0.001)


@pytest.fixture
def world(copy: Path, monkeypatch: pytest.MonkeyPatch) -> World:  # noqa: F811
    # No log key: no checkpoint publisher, so the log version moves only when a test appends.
    return _world(copy, copy / "no-keys", monkeypatch)


@pytest.mark.parametrize(
    ("suffix", "headers", "method"),
    [
        ("", {"Accept-Encoding": "gzip"}, "GET"),
        ("", {}, "GET"),
        ("", {"Accept-Language": "ug, en;q=0.5", "Accept-Encoding": "gzip"}, "GET"),
        ("?lang=en", {"Origin": "https://shop.example"}, "GET"),
        ("", {"Accept": "application/json", "Accept-Encoding": "gzip"}, "GET"),
        ("?linkType=linkset", {}, "GET"),
        ("", {"Accept": "application/linkset+json"}, "GET"),
        ("", {"If-None-Match": "*", "Accept-Encoding": "gzip"}, "GET"),
        ("", {"Accept-Encoding": "gzip"}, "HEAD"),
    ],
)
def test_a_replayed_scan_is_the_routers_answer_byte_for_byte(
    world: World,
    season: tuple[Path, Season],  # noqa: F811
    suffix: str,
    headers: dict[str, str],
    method: str,
) -> None:
    _, s = season
    path, _, query = f"/01/{s.gtin}/10/{s.released}{suffix}".partition("?")
    url = f"{path}?{query}" if query else path
    routed = world.send(url, headers, method)
    assert len(world.routed) == 1
    replayed = world.send(url, headers, method)
    assert len(world.routed) == 1  # the second never reached the router
    assert replayed == routed
    assert routed[0] in (200, 304)


def test_a_units_scan_is_answered_afresh_every_time(
    world: World,
    season: tuple[Path, Season],  # noqa: F811
) -> None:
    # A unit's answer counts its scan (docs/trust.md, "The label"): never kept, never replayed.
    _, s = season
    path = f"/01/{s.gtin}/10/{s.released}/21/SN000123"
    first = world.send(path, {"Accept": "application/json"})
    second = world.send(path, {"Accept": "application/json"})
    # This season packs no serialised units, so the serial was never issued.
    assert first[0] == second[0] == 404
    assert b"was never issued" in first[2]
    assert world.routed == []  # the answer cache was never asked


def test_an_unknown_code_is_replayed_as_404(
    world: World,
    season: tuple[Path, Season],  # noqa: F811
) -> None:
    _, s = season
    page = f"/01/{s.gtin}/10/NO-SUCH-LOT"
    first = world.send(page, {"If-None-Match": "*"})
    second = world.send(page, {"If-None-Match": "*"})
    assert len(world.routed) == 1
    assert first == second
    assert first[0] == 404


def test_the_rate_limit_applies_to_replayed_scans(
    copy: Path,  # noqa: F811
    season: tuple[Path, Season],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, s = season
    world = _limited(copy, monkeypatch, 2)
    page = f"/01/{s.gtin}/10/{s.released}"
    assert world.send(page)[0] == 200  # routed: one token, not two
    assert world.send(page)[0] == 200  # replayed: the second token
    status, headers, body = world.send(page)
    assert status == 429
    assert (b"retry-after", b"1000") in headers
    assert b"retry after 1000 s" in body  # the error handlers' words, without them
    assert len(world.routed) == 1  # refused before the cache and the router
    status, headers, body = world.send(page, {"Accept": "text/html"})
    assert status == 429
    assert body.startswith(b"<!doctype html>")  # a line for a person, made once


def test_a_recall_shows_once_the_freshness_runs_out(
    world: World,
    copy: Path,  # noqa: F811
    season: tuple[Path, Season],  # noqa: F811
) -> None:
    _, s = season
    page = f"/01/{s.gtin}/10/{s.released}?lang=en"
    assert b'class="banner released unchecked"' in world.send(page)[2]
    recall = Recall.from_body(
        {
            "lot": {"gtin": s.gtin, "lot": s.released},
            "reason": "listeria found in a retained sample",
            "time": "2026-06-10T09:00:00+08:00",
        }
    )
    _record(copy, season[0] / "keys", recall, "coop-admin")
    # Within the freshness window the read version stands (the documented bound) ...
    assert b'class="banner released unchecked"' in world.send(page)[2]
    world.clock.now += 0.5
    # ... and the first scan after it reads the head, misses and is built anew.
    assert b'class="banner recalled unchecked"' in world.send(page)[2]
    assert len(world.routed) == 2


@pytest.mark.parametrize("suffix", ["/junk", "/21/SN1/junk", "/22/A1"])
def test_paths_beyond_a_lot_or_unit_link_go_to_the_router(
    world: World,
    season: tuple[Path, Season],  # noqa: F811
    suffix: str,
) -> None:
    _, s = season
    path = f"/01/{s.gtin}/10/{s.released}{suffix}"
    assert not is_scan_path(path)
    first = world.send(path)
    second = world.send(path)
    assert first == second
    assert first[0] == 400
    assert len(world.routed) == 2


def test_trailing_slash_goes_to_the_router_and_gets_the_lots_answer(
    world: World,
    season: tuple[Path, Season],  # noqa: F811
) -> None:
    _, s = season
    path = f"/01/{s.gtin}/10/{s.released}/"
    assert not is_scan_path(path)
    status, _, body = world.send(path)
    assert status == 200  # the same lot as without the slash (GS1 resolver tolerance)
    assert b'class="banner released unchecked"' in body  # the released lot, check pending


def test_a_bad_code_is_answered_by_the_router_every_time(
    world: World,
    season: tuple[Path, Season],  # noqa: F811
) -> None:
    _, s = season
    path = f"/01/{s.gtin[:-1]}9/10/{s.released}"  # wrong check digit
    assert is_scan_path(path)
    assert world.send(path)[0] == 400
    assert world.send(path)[0] == 400
    assert len(world.routed) == 2  # a refused code is never kept, so never replayed


@pytest.mark.parametrize(
    ("path", "served"),
    [
        ("/01/06912345670012/10/SB26-H01-G1", True),
        ("/01/06912345670012/10/SB26-H01-G1/21/SN1", True),
        ("/01/06912345670012", False),
        ("/01/06912345670012/10/", False),
        ("/01/06912345670012/10/SB26/21/", False),
        ("/01/06912345670012/22/A1/10/SB26", False),
        ("/api/v1/log/checkpoint", False),
        ("/x/01/06912345670012/10/SB26", False),
    ],
)
def test_the_fast_path_serves_only_lot_and_unit_links(path: str, served: bool) -> None:
    assert is_scan_path(path) is served


def test_other_methods_go_to_the_router(
    world: World,
    season: tuple[Path, Season],  # noqa: F811
) -> None:
    _, s = season
    page = f"/01/{s.gtin}/10/{s.released}"
    world.send(page)
    status, headers, _ = world.send(page, method="OPTIONS")
    assert status == 204
    assert (b"allow", b"GET, HEAD, OPTIONS") in headers
    assert world.send(page, method="POST")[0] == 405


def test_guessing_unknown_lot_codes_costs_more_than_scanning_a_known_one(
    copy: Path,  # noqa: F811
    season: tuple[Path, Season],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A routed 404 costs UNKNOWN_LOT_COST tokens; its replay, and known codes, cost one."""
    _, s = season
    budget = 3 * UNKNOWN_LOT_COST
    world = _limited(copy, monkeypatch, budget)
    guesses = [world.send(f"/01/{s.gtin}/10/GUESS-{n}")[0] for n in range(5)]
    assert guesses[:3] == [404, 404, 404]
    assert guesses[3:] == [429, 429]  # three guesses spent the address's budget
    other = _limited(copy, monkeypatch, budget)
    page = f"/01/{s.gtin}/10/NO-SUCH-LOT"
    crowd = [other.send(page)[0] for _ in range(budget - UNKNOWN_LOT_COST + 1)]
    assert set(crowd) == {404}  # one surcharge, then the kept answer at one token each
    known = _limited(copy, monkeypatch, budget)
    assert {known.send(f"/01/{s.gtin}/10/{s.released}")[0] for _ in range(budget)} == {200}


def test_a_kept_404_the_router_replays_after_reading_the_log_costs_one_token(
    copy: Path,  # noqa: F811
    season: tuple[Path, Season],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The surcharge is for building "no such lot", not for each read of the log's size."""
    _, s = season
    budget = UNKNOWN_LOT_COST + 3
    world = _limited(copy, monkeypatch, budget)
    page = f"/01/{s.gtin}/10/NO-SUCH-LOT"
    statuses = []
    for _ in range(4):
        statuses.append(world.send(page)[0])
        world.clock.now += 1  # each scan goes the long way: the version needs reading
    assert len(world.routed) == 4  # all four through the router ...
    assert statuses == [404, 404, 404, 404]  # ... one surcharge, then a token each
    assert world.send(page)[0] == 429  # and the budget is spent (10 + 1 + 1 + 1)
