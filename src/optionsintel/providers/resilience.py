"""Resilience primitives for providers: circuit breaker, token bucket, retry, TTL cache.

Every primitive takes its clock (and, where it waits, its ``sleep``) as an argument so
tests drive time by hand; the defaults are :func:`time.monotonic` and :func:`time.sleep`.
None of them knows about HTTP: providers raise
:class:`~optionsintel.providers.base.TransientProviderError` for failures worth retrying
and the primitives act on that.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import numpy as np

from optionsintel.errors import ConfigurationError
from optionsintel.providers.base import ProviderError, TransientProviderError

T = TypeVar("T")
MonotonicClock = Callable[[], float]
Sleep = Callable[[float], None]
BreakerState = Literal["closed", "open", "half_open"]
_EPS = 1e-9


class CircuitOpenError(ProviderError):
    """The provider's circuit breaker is open: calls are refused until it recovers."""


class CircuitBreaker:
    """Per-provider circuit breaker (closed -> open -> half-open -> closed).

    Parameters
    ----------
    failure_threshold
        Consecutive failures that open the breaker.
    recovery_timeout
        Seconds the breaker stays open before letting trial calls through (half-open).
    half_open_trials
        Trial calls admitted while half-open; that many successes close the breaker,
        any failure re-opens it.
    clock
        Monotonic clock in seconds.
    name
        Provider name, used in error messages.

    Notes
    -----
    The classic pattern of Nygard, *Release It!* (2007), ch. 5: a closed breaker passes
    calls and counts consecutive failures; once ``failure_threshold`` is reached it opens
    and rejects calls immediately; after ``recovery_timeout`` it becomes half-open.
    """

    def __init__(
        self,
        failure_threshold: int = 5,
        recovery_timeout: float = 30.0,
        half_open_trials: int = 1,
        *,
        clock: MonotonicClock = time.monotonic,
        name: str = "provider",
    ) -> None:
        if failure_threshold < 1 or half_open_trials < 1 or recovery_timeout < 0:
            raise ConfigurationError(
                "CircuitBreaker needs failure_threshold >= 1, half_open_trials >= 1 and "
                f"recovery_timeout >= 0; got {failure_threshold}, {half_open_trials}, "
                f"{recovery_timeout}"
            )
        self.failure_threshold = failure_threshold
        self.recovery_timeout = recovery_timeout
        self.half_open_trials = half_open_trials
        self.name = name
        self._clock = clock
        self._lock = threading.Lock()
        self._state: BreakerState = "closed"
        self._failures = 0
        self._opened_at = 0.0
        self._trials_started = 0
        self._trial_successes = 0

    def __repr__(self) -> str:
        return f"CircuitBreaker(name={self.name!r}, state={self.state!r})"

    @property
    def state(self) -> BreakerState:
        """Current state; an open breaker whose timeout has elapsed reads as half-open."""
        with self._lock:
            return self._current_state()

    def _current_state(self) -> BreakerState:
        if self._state == "open" and self._clock() - self._opened_at >= self.recovery_timeout:
            self._state = "half_open"
            self._trials_started = 0
            self._trial_successes = 0
        return self._state

    def allow_request(self) -> bool:
        """Return True if a call may go through now (and count it as a trial when half-open)."""
        with self._lock:
            state = self._current_state()
            if state == "closed":
                return True
            if state == "half_open" and self._trials_started < self.half_open_trials:
                self._trials_started += 1
                return True
            return False

    def record_success(self) -> None:
        """Record a successful call."""
        with self._lock:
            if self._current_state() == "half_open":
                self._trial_successes += 1
                if self._trial_successes >= self.half_open_trials:
                    self._close()
            else:
                self._failures = 0

    def record_failure(self) -> None:
        """Record a failed call; opens the breaker at the threshold or on a failed trial."""
        with self._lock:
            state = self._current_state()
            self._failures += 1
            if state == "half_open" or self._failures >= self.failure_threshold:
                self._state = "open"
                self._opened_at = self._clock()

    def _close(self) -> None:
        self._state = "closed"
        self._failures = 0
        self._trials_started = 0
        self._trial_successes = 0

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Call ``fn`` through the breaker.

        Raises
        ------
        CircuitOpenError
            If the breaker refuses the call.
        """
        if not self.allow_request():
            raise CircuitOpenError(
                f"circuit breaker for {self.name!r} is open after {self._failures} failures; "
                f"retry after {self.recovery_timeout:g} s or use another provider",
                provider=self.name,
            )
        try:
            result = fn(*args, **kwargs)
        except Exception:
            self.record_failure()
            raise
        self.record_success()
        return result


class TokenBucket:
    """Token-bucket rate limiter.

    Parameters
    ----------
    rate
        Tokens added per second.
    burst
        Bucket capacity (largest burst); the bucket starts full.
    clock, sleep
        Monotonic clock and sleep function (injectable for tests).

    Notes
    -----
    Tokens accrue continuously, ``tokens = min(burst, tokens + rate * elapsed)``; a call
    takes one token or waits ``(1 - tokens) / rate`` seconds. In any half-open window
    of length ``P`` the bucket admits at most ``burst + floor(rate * P)`` calls, so
    :func:`limit_bucket` picks ``rate = (N - burst + 1) / P`` to honour "N per P".
    """

    def __init__(
        self,
        rate: float,
        burst: float = 1.0,
        *,
        clock: MonotonicClock = time.monotonic,
        sleep: Sleep = time.sleep,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ConfigurationError(
                f"TokenBucket needs rate > 0 and burst >= 1; got rate={rate}, burst={burst}"
            )
        self.rate = float(rate)
        self.burst = float(burst)
        self._clock = clock
        self._sleep = sleep
        self._tokens = self.burst
        self._stamp = clock()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"TokenBucket(rate={self.rate:g}, burst={self.burst:g})"

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    def wait_time(self, tokens: float = 1.0) -> float:
        """Seconds until ``tokens`` are available (0 when they are)."""
        with self._lock:
            self._refill()
            missing = tokens - self._tokens
            # a tolerance so float round-off never leaves a never-ending sub-ulp wait
            return 0.0 if missing <= _EPS else missing / self.rate

    def try_acquire(self, tokens: float = 1.0) -> bool:
        """Take ``tokens`` if available now; never waits."""
        if tokens > self.burst:
            raise ConfigurationError(f"cannot take {tokens} tokens from a bucket of {self.burst}")
        with self._lock:
            self._refill()
            if self._tokens + _EPS >= tokens:
                self._tokens -= tokens
                return True
            return False

    def acquire(self, tokens: float = 1.0) -> float:
        """Take ``tokens``, sleeping as needed; return the seconds slept."""
        slept = 0.0
        while not self.try_acquire(tokens):
            wait = self.wait_time(tokens)
            self._sleep(wait)
            slept += wait
        return slept


def limit_bucket(
    max_calls: int,
    period: float,
    *,
    burst: int = 1,
    clock: MonotonicClock = time.monotonic,
    sleep: Sleep = time.sleep,
) -> TokenBucket:
    """Token bucket that admits at most ``max_calls`` in any window of ``period`` seconds.

    Notes
    -----
    With capacity ``B`` and rate ``r`` a window of length ``P`` admits at most
    ``B + floor(r P)`` calls (``B`` stored tokens plus those refilled strictly inside
    the window); ``r = (N - B + 1) / P`` makes that ``<= N``.
    """
    if not 1 <= burst <= max_calls:
        raise ConfigurationError(f"burst must be in [1, {max_calls}]; got {burst}")
    rate = (max_calls - burst + 1) / period
    return TokenBucket(rate, burst, clock=clock, sleep=sleep)


class RateLimiter:
    """Several token buckets that must all grant a call (per second, minute, hour...)."""

    def __init__(self, buckets: Sequence[TokenBucket], *, sleep: Sleep = time.sleep) -> None:
        self.buckets = tuple(buckets)
        self._sleep = sleep
        self._lock = threading.Lock()

    @classmethod
    def from_limits(
        cls,
        per_second: int | None = None,
        per_minute: int | None = None,
        per_hour: int | None = None,
        *,
        clock: MonotonicClock = time.monotonic,
        sleep: Sleep = time.sleep,
    ) -> RateLimiter:
        """Build a limiter from published "N per second/minute/hour" limits (None = no limit)."""
        limits = [(per_second, 1.0), (per_minute, 60.0), (per_hour, 3600.0)]
        buckets = [limit_bucket(n, p, clock=clock, sleep=sleep) for n, p in limits if n]
        return cls(buckets, sleep=sleep)

    def acquire(self) -> float:
        """Wait until every bucket grants one token, take them all; return seconds slept."""
        slept = 0.0
        with self._lock:
            while True:
                wait = max((b.wait_time() for b in self.buckets), default=0.0)
                if wait <= 0:
                    for b in self.buckets:
                        b.try_acquire()
                    return slept
                self._sleep(wait)
                slept += wait


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, for :class:`TransientProviderError` only.

    Parameters
    ----------
    max_attempts
        Total attempts including the first.
    base_delay, max_delay
        Backoff cap before attempt ``k`` (0-based retries) is
        ``min(max_delay, base_delay * 2**k)``.
    seed
        Seed of the jitter generator (``np.random.default_rng``).

    Notes
    -----
    "Full jitter" (Brooker, *Exponential Backoff And Jitter*, AWS Architecture Blog,
    2015): ``delay_k ~ Uniform(0, min(cap, base * 2**k))``. A server's ``retry_after``
    is a floor: ``delay = max(delay_k, retry_after)``.
    """

    max_attempts: int = 3
    base_delay: float = 0.5
    max_delay: float = 8.0
    seed: int | None = None
    rng: np.random.Generator = field(default=None, repr=False, compare=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.base_delay < 0 or self.max_delay < 0:
            raise ConfigurationError(
                "RetryPolicy needs max_attempts >= 1 and non-negative delays; got "
                f"{self.max_attempts}, {self.base_delay}, {self.max_delay}"
            )
        if self.rng is None:
            object.__setattr__(self, "rng", np.random.default_rng(self.seed))

    def delay(self, retry_index: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``retry_index`` (0-based)."""
        cap = min(self.max_delay, self.base_delay * 2.0**retry_index)
        jittered = float(self.rng.uniform(0.0, cap)) if cap > 0 else 0.0
        return max(jittered, retry_after or 0.0)


def retry(
    fn: Callable[..., T],
    *args: Any,
    policy: RetryPolicy | None = None,
    sleep: Sleep = time.sleep,
    **kwargs: Any,
) -> T:
    """Call ``fn(*args, **kwargs)``, retrying :class:`TransientProviderError` per ``policy``.

    Raises
    ------
    TransientProviderError
        The last transient error when every attempt failed.
    Exception
        Any other exception immediately (never retried).
    """
    policy = policy or RetryPolicy()
    for attempt in range(policy.max_attempts):
        try:
            return fn(*args, **kwargs)
        except TransientProviderError as exc:
            if attempt + 1 >= policy.max_attempts:
                raise
            sleep(policy.delay(attempt, exc.retry_after))
    raise AssertionError("unreachable")  # pragma: no cover


def cache_key(method: str, *args: Any, **kwargs: Any) -> tuple[Hashable, ...]:
    """Hashable key of a call: method name, positional args, sorted keyword args."""
    return (method, args, tuple(sorted(kwargs.items())))


class TTLCache:
    """Small in-memory cache whose entries expire ``ttl`` seconds after being stored.

    Parameters
    ----------
    ttl
        Lifetime of an entry in seconds (15 s by default: one intraday polling period).
    maxsize
        Entries kept; the oldest is evicted first.
    clock
        Monotonic clock.
    """

    def __init__(
        self, ttl: float = 15.0, *, maxsize: int = 256, clock: MonotonicClock = time.monotonic
    ) -> None:
        if ttl < 0 or maxsize < 1:
            raise ConfigurationError(
                f"TTLCache needs ttl >= 0 and maxsize >= 1; got {ttl}, {maxsize}"
            )
        self.ttl = ttl
        self.maxsize = maxsize
        self._clock = clock
        self._data: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._data)

    def get(self, key: Hashable, default: Any = None) -> Any:
        """Return the live value of ``key`` or ``default`` (expired entries are dropped)."""
        with self._lock:
            item = self._data.get(key)
            if item is None:
                return default
            if self._clock() - item[0] >= self.ttl:
                del self._data[key]
                return default
            return item[1]

    def set(self, key: Hashable, value: Any) -> None:
        """Store ``value`` under ``key`` (now)."""
        with self._lock:
            self._data[key] = (self._clock(), value)
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)

    def clear(self) -> None:
        """Drop every entry."""
        with self._lock:
            self._data.clear()

    def get_or_call(self, key: Hashable, fn: Callable[[], T]) -> T:
        """Return the cached value of ``key`` or compute it with ``fn()`` and store it."""
        sentinel = object()
        value = self.get(key, sentinel)
        if value is sentinel:
            value = fn()
            self.set(key, value)
        return value  # type: ignore[return-value]
