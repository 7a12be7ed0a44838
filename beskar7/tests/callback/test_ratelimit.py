"""The per-address token bucket, on explicit time."""

import pytest

from beskar7.callback.ratelimit import RateLimiter, retry_after_header


def test_a_burst_passes_then_requests_wait_for_the_refill() -> None:
    limiter = RateLimiter(rate=1.0, burst=5)

    assert [limiter.acquire("a", 100.0) for _ in range(5)] == [0.0] * 5
    assert limiter.acquire("a", 100.0) == pytest.approx(1.0)
    assert limiter.acquire("a", 100.5) == pytest.approx(0.5)
    assert limiter.acquire("a", 101.0) == 0.0
    assert limiter.acquire("a", 101.0) > 0


def test_the_bucket_refills_at_the_rate_up_to_the_burst() -> None:
    limiter = RateLimiter(rate=2.0, burst=3)
    for _ in range(3):
        limiter.acquire("a", 0.0)

    assert limiter.acquire("a", 1.0) == 0.0  # two tokens back after one second
    assert limiter.acquire("a", 1.0) == 0.0
    assert limiter.acquire("a", 1.0) == pytest.approx(0.5)
    allowed = sum(limiter.acquire("a", 1000.0) == 0.0 for _ in range(10))
    assert allowed == 3  # never more than the burst, however long the pause


def test_each_address_has_its_own_bucket() -> None:
    limiter = RateLimiter(rate=1.0, burst=1)

    assert limiter.acquire("192.0.2.1", 0.0) == 0.0
    assert limiter.acquire("192.0.2.1", 0.0) > 0
    assert limiter.acquire("192.0.2.2", 0.0) == 0.0


def test_a_clock_going_backwards_refills_nothing() -> None:
    limiter = RateLimiter(rate=1.0, burst=1)
    limiter.acquire("a", 100.0)

    assert limiter.acquire("a", 50.0) > 0
    assert limiter.acquire("a", 100.5) == pytest.approx(0.5)


def test_memory_is_bounded_least_recently_used_first() -> None:
    limiter = RateLimiter(rate=1.0, burst=1, max_keys=3)
    for key in ("a", "b", "c"):
        limiter.acquire(key, 0.0)
    limiter.acquire("a", 0.0)  # a is now the most recent
    limiter.acquire("d", 0.0)

    assert len(limiter) == 3
    assert limiter.acquire("a", 0.0) > 0  # still remembered
    assert limiter.acquire("b", 0.0) == 0.0  # forgotten: a fresh bucket


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        RateLimiter(rate=0, burst=1)
    with pytest.raises(ValueError):
        RateLimiter(rate=1, burst=0)


@pytest.mark.parametrize(("wait", "header"), [(0.01, "1"), (1.0, "1"), (1.2, "2"), (30.0, "30")])
def test_retry_after_is_whole_seconds_rounded_up(wait: float, header: str) -> None:
    assert retry_after_header(wait) == header
