"""The token bucket: a burst, then the refill rate; clients are limited separately."""

from __future__ import annotations

from verifier_app._limits import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_burst_then_refused_until_a_token_is_due() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=2.0, burst=3, clock=clock)
    assert [limiter.wait_time("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.wait_time("a") == 0.5
    clock.now += 0.5
    assert limiter.wait_time("a") == 0.0
    assert limiter.wait_time("a") > 0


def test_clients_have_their_own_buckets() -> None:
    limiter = RateLimiter(rate=1.0, burst=1, clock=Clock())
    assert limiter.wait_time("a") == 0.0
    assert limiter.wait_time("a") > 0
    assert limiter.wait_time("b") == 0.0


def test_bucket_never_holds_more_than_the_burst() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=10.0, burst=2, clock=clock)
    limiter.wait_time("a")
    clock.now += 3600
    assert [limiter.wait_time("a") == 0.0 for _ in range(3)] == [True, True, False]


def test_least_recently_seen_clients_are_forgotten_first() -> None:
    limiter = RateLimiter(rate=0.001, burst=1, clock=Clock(), max_clients=2)
    for client in ("a", "b", "c"):
        assert limiter.wait_time(client) == 0.0
    # "a" was dropped, so it starts with a full bucket again; "c" was kept.
    assert limiter.wait_time("a") == 0.0
    assert limiter.wait_time("c") > 0
