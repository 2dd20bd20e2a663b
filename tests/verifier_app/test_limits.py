"""The token bucket: a burst, then the refill rate; clients are limited separately."""

from __future__ import annotations

from verifier_app import Settings
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


def test_the_default_limit_serves_a_livestream_wave_from_one_carrier_nat_address() -> None:
    # 10,000 viewers within a minute behind ~4 carrier NAT addresses: 2,500 scans each,
    # arriving as fast as phones can send them.
    defaults = Settings(demo=True)
    now = [0.0]
    limiter = RateLimiter(defaults.rate_per_second, defaults.rate_burst, clock=lambda: now[0])
    served = 0
    for scan in range(2500):
        now[0] = scan * 0.001  # the whole wave within 2.5 s
        served += limiter.wait_time("198.51.100.1") == 0
    assert served == 2500
    # A flood far beyond any audience from that one address is still refused.
    refused = sum(limiter.wait_time("198.51.100.1") > 0 for _ in range(2000))
    assert refused > 1000
