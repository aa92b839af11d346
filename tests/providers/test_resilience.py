"""Circuit breaker, rate limiter, retry and TTL cache driven by a fake clock."""

from __future__ import annotations

import cachetools
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optionsintel.errors import ConfigurationError
from optionsintel.providers.base import AuthenticationError, TransientProviderError
from optionsintel.providers.resilience import (
    CircuitBreaker,
    CircuitOpenError,
    RateLimiter,
    RetryPolicy,
    cache_key,
    retry,
    ttl_cache,
)


class FakeClock:
    def __init__(self, t: float = 1000.0) -> None:
        self.t = t
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds


def _boom() -> None:
    raise TransientProviderError("boom")


# -- circuit breaker -------------------------------------------------------------------
def test_breaker_opens_after_threshold_and_rejects():
    clock = FakeClock()
    b = CircuitBreaker(failure_threshold=3, recovery_timeout=10, clock=clock, name="nse")
    for _ in range(2):
        with pytest.raises(TransientProviderError):
            b.call(_boom)
    assert b.state == "closed"
    with pytest.raises(TransientProviderError):
        b.call(_boom)
    assert b.state == "open"
    with pytest.raises(CircuitOpenError, match="nse"):
        b.call(lambda: 1)
    assert not b.allow_request()


def test_breaker_success_resets_consecutive_count():
    b = CircuitBreaker(failure_threshold=2, clock=FakeClock())
    b.record_failure()
    b.record_success()
    b.record_failure()
    assert b.state == "closed"


def test_breaker_half_open_after_timeout_then_success_closes():
    clock = FakeClock()
    b = CircuitBreaker(failure_threshold=1, recovery_timeout=10, half_open_trials=2, clock=clock)
    b.record_failure()
    assert b.state == "open"
    clock.t += 9.99
    assert b.state == "open"
    clock.t += 0.01
    assert b.state == "half_open"
    assert b.call(lambda: "a") == "a"
    assert b.state == "half_open"  # needs two successful trials
    assert b.call(lambda: "b") == "b"
    assert b.state == "closed"


def test_breaker_half_open_limits_trials_and_failure_reopens():
    clock = FakeClock()
    b = CircuitBreaker(failure_threshold=1, recovery_timeout=5, half_open_trials=1, clock=clock)
    b.record_failure()
    clock.t += 5
    assert b.allow_request()
    assert not b.allow_request()  # only one trial in flight
    b.record_failure()
    assert b.state == "open"
    clock.t += 4
    assert b.state == "open"
    clock.t += 1
    assert b.state == "half_open"


def test_breaker_rejects_bad_config():
    with pytest.raises(ConfigurationError):
        CircuitBreaker(failure_threshold=0)


# -- rate limiter -----------------------------------------------------------------------
def test_rate_limiter_admits_n_then_waits_for_the_window():
    clock = FakeClock()
    rl = RateLimiter([(3, 1.0)], clock=clock, sleep=clock.sleep)
    assert [rl.acquire() for _ in range(3)] == [0.0, 0.0, 0.0]  # N at once
    assert rl.acquire() == pytest.approx(1.0, abs=2e-6)  # until the first leaves the window
    assert clock.t == pytest.approx(1001.0, abs=2e-6)
    clock.t += 100
    assert [rl.acquire() for _ in range(3)] == [0.0, 0.0, 0.0]  # never more than N stored
    assert rl.acquire() == pytest.approx(1.0, abs=2e-6)


def test_rate_limiter_rejects_bad_config():
    with pytest.raises(ConfigurationError):
        RateLimiter([(0, 1.0)])
    with pytest.raises(ConfigurationError):
        RateLimiter([(1, 0.0)])
    with pytest.raises(ConfigurationError, match="inconsistent"):
        RateLimiter.from_limits(per_second=10, per_minute=5000)  # 5000/min > 10/s x 60


@settings(max_examples=60, deadline=None)
@given(
    max_calls=st.integers(1, 20),
    period=st.sampled_from([1.0, 60.0]),
    gaps=st.lists(st.floats(0, 2), min_size=1, max_size=80),
)
def test_rate_limiter_never_exceeds_n_per_window(max_calls, period, gaps):
    clock = FakeClock(0.0)
    rl = RateLimiter([(max_calls, period)], clock=clock, sleep=clock.sleep)
    times = []
    for gap in gaps:
        clock.t += gap * period / 4
        rl.acquire()
        times.append(clock.t)
    t = np.array(times)
    # any half-open window [t_i, t_i + P) holds at most max_calls admitted calls
    counts = np.searchsorted(t, t + period - 1e-9, side="left") - np.arange(len(t))
    assert counts.max() <= max_calls


def test_rate_limiter_combines_second_and_minute_limits():
    clock = FakeClock(0.0)
    rl = RateLimiter.from_limits(per_second=3, per_minute=10, clock=clock, sleep=clock.sleep)
    times = []
    for _ in range(30):
        rl.acquire()
        times.append(clock.t)
    t = np.array(times)
    per_sec = np.searchsorted(t, t + 1 - 1e-9) - np.arange(len(t))
    per_min = np.searchsorted(t, t + 60 - 1e-9) - np.arange(len(t))
    assert per_sec.max() <= 3
    assert per_min.max() <= 10
    assert t[-1] > 120  # 30 calls at 10/min need more than two minutes


# -- retry -----------------------------------------------------------------------------
def test_retry_only_transient_and_jitter_bounds():
    clock = FakeClock()
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 4:
            raise TransientProviderError("503")
        return "ok"

    policy = RetryPolicy(max_attempts=5, base_delay=1.0, max_delay=3.0, seed=42)
    assert retry(flaky, policy=policy, sleep=clock.sleep) == "ok"
    assert len(calls) == 4
    caps = [1.0, 2.0, 3.0]
    assert len(clock.sleeps) == 3
    for slept, cap in zip(clock.sleeps, caps, strict=True):
        assert 0.0 <= slept <= cap
    # same seed, same delays: the jitter comes from np.random.default_rng(seed)
    clock2 = FakeClock()
    calls.clear()
    retry(flaky, policy=RetryPolicy(5, 1.0, 3.0, seed=42), sleep=clock2.sleep)
    assert clock2.sleeps == clock.sleeps


def test_retry_jitter_is_spread_over_range():
    policy = RetryPolicy(base_delay=1.0, max_delay=100.0, seed=1)
    d = np.array([policy.delay(3) for _ in range(2000)])
    assert d.min() >= 0 and d.max() <= 8.0
    assert abs(d.mean() - 4.0) < 0.25  # Uniform(0, 8) has mean 4


def test_retry_does_not_retry_other_errors():
    calls = []

    def bad():
        calls.append(1)
        raise AuthenticationError("nope")

    with pytest.raises(AuthenticationError):
        retry(bad, policy=RetryPolicy(max_attempts=5), sleep=lambda s: None)
    assert len(calls) == 1


def test_retry_honours_retry_after_and_gives_up():
    clock = FakeClock()

    def limited():
        raise TransientProviderError("429", retry_after=7.5)

    with pytest.raises(TransientProviderError, match="429"):
        retry(limited, policy=RetryPolicy(3, 0.1, 0.2, seed=0), sleep=clock.sleep)
    assert clock.sleeps == [7.5, 7.5]


# -- TTL cache -------------------------------------------------------------------------
def test_ttl_cache_expiry_and_keys():
    clock = FakeClock()
    cache = ttl_cache(clock=clock)
    assert cache.ttl == 15.0
    k = cache_key("get_quote", "NIFTY")
    assert k != cache_key("get_quote", "BANKNIFTY")
    assert k == cache_key("get_quote", "NIFTY")
    cache[k] = 1
    clock.t += 14.9
    assert cache.get(k) == 1
    clock.t += 0.1
    assert cache.get(k) is None
    n = []
    assert cachetools.cached(cache, key=lambda: k)(lambda: n.append(1) or 2)() == 2
    assert cachetools.cached(cache, key=lambda: k)(lambda: n.append(1) or 3)() == 2
    assert len(n) == 1


def test_ttl_cache_evicts_oldest():
    cache = ttl_cache(10, maxsize=2, clock=FakeClock())
    for i in range(3):
        cache[i] = i
    assert cache.get(0) is None and cache.get(2) == 2 and len(cache) == 2


def test_ttl_cache_rejects_bad_config():
    with pytest.raises(ConfigurationError):
        ttl_cache(0)


def test_rate_limiter_terminates_at_large_clock_values():
    # float round-off once left a sub-ulp wait that sleep could not advance
    clock = FakeClock(1.7e9)
    rl = RateLimiter.from_limits(
        per_second=10, per_minute=500, per_hour=5000, clock=clock, sleep=clock.sleep
    )
    for _ in range(50):
        rl.acquire()
    assert clock.t > 1.7e9
