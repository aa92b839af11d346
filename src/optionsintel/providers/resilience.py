"""Resilience for providers: retry, rate limits, a TTL cache and a circuit breaker.

Well-kept libraries do the generic work:

* retry with backoff: `tenacity <https://tenacity.readthedocs.io>`_ (:func:`retry`),
  with a wait strategy of our own only for what it lacks: seeded full jitter with the
  server's ``Retry-After`` as a floor (:class:`RetryPolicy`);
* rate limits: `pyrate-limiter <https://pyratelimiter.readthedocs.io>`_'s in-memory
  sliding-window log (:class:`RateLimiter`), which honours several "N per period"
  limits at once, exactly as Angel One publishes them;
* the TTL cache: `cachetools <https://cachetools.readthedocs.io>`_ ``TTLCache``
  (:func:`ttl_cache`).

The circuit breaker stays hand-written (about 100 lines, Nygard's pattern) because the
maintained libraries do not fit the failover chain: ``pybreaker`` and ``circuitbreaker``
only wrap calls (the chain must ask "may I call this provider now?" to skip it and
count the skip in its health figures, :meth:`CircuitBreaker.allow_request`), they
time the open state on the wall clock (``datetime.now``) so tests cannot drive it,
and they admit a single half-open trial where the chain takes ``half_open_trials``.

Every primitive takes its clock (and, where it waits, its ``sleep``) as an argument so
tests drive time by hand; the defaults are :func:`time.monotonic` and :func:`time.sleep`.
None of them knows about HTTP: providers raise
:class:`~optionsintel.providers.base.TransientProviderError` for failures worth retrying
and the primitives act on that.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar, cast

import cachetools
import numpy as np
import pyrate_limiter
import tenacity

from optionsintel.errors import ConfigurationError
from optionsintel.providers.base import ProviderError, TransientProviderError

T = TypeVar("T")
MonotonicClock = Callable[[], float]
Sleep = Callable[[float], None]
BreakerState = Literal["closed", "open", "half_open"]
_TICKS_PER_SECOND = 1_000_000  # the limiter's integer clock counts microseconds


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


class RateLimiter:
    """Several "N calls per period" limits that must all grant a call (per second, minute...).

    Parameters
    ----------
    limits
        ``(max_calls, period_seconds)`` pairs.
    clock, sleep
        Monotonic clock in seconds and sleep function (injectable for tests).

    Notes
    -----
    A sliding-window log (pyrate-limiter's ``InMemoryBucket``): a call at ``t`` is
    admitted when, for every limit, fewer than ``N`` admitted calls lie in
    ``(t - P, t]``; otherwise the limiter sleeps until the oldest of them leaves the
    window. Time is handed to the library in whole microseconds; a call is admitted
    only when its stamp is strictly more than ``P`` after the blocking one, so rounding
    can never let ``N + 1`` calls into a real window of length ``P``.
    """

    def __init__(
        self,
        limits: list[tuple[int, float]],
        *,
        clock: MonotonicClock = time.monotonic,
        sleep: Sleep = time.sleep,
    ) -> None:
        if any(n < 1 or p <= 0 for n, p in limits):
            raise ConfigurationError(f"rate limits need N >= 1 calls per P > 0 s; got {limits}")
        self.limits = tuple(limits)
        rates = [pyrate_limiter.Rate(n, round(p * _TICKS_PER_SECOND)) for n, p in limits]
        try:
            self._bucket = pyrate_limiter.InMemoryBucket(rates) if rates else None
        except ValueError as exc:  # e.g. a per-minute limit looser than 60 x per-second
            raise ConfigurationError(f"inconsistent rate limits {limits}: {exc}") from exc
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"RateLimiter(limits={list(self.limits)})"

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
        limits = [(n, p) for n, p in ((per_second, 1.0), (per_minute, 60.0), (per_hour, 3600.0))
                  if n is not None]  # fmt: skip
        return cls(limits, clock=clock, sleep=sleep)

    def _now(self) -> int:
        return int(self._clock() * _TICKS_PER_SECOND)

    def acquire(self) -> float:
        """Wait until every limit grants one call, take it; return the seconds slept."""
        if self._bucket is None:
            return 0.0
        slept = 0.0
        with self._lock:
            while True:
                item = pyrate_limiter.RateItem("call", self._now())
                if self._bucket.put(item):
                    self._bucket.leak(item.timestamp)  # forget calls older than every window
                    return slept
                ticks = cast(int, self._bucket.waiting(item))  # in-memory bucket: never async
                wait = max(ticks, 1) / _TICKS_PER_SECOND
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
    is a floor: ``delay = max(delay_k, retry_after)``. tenacity's own
    ``wait_random_exponential`` draws from the global ``random`` module (not seedable
    per policy) and knows no ``Retry-After``; hence this wait strategy.
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

    def wait(self, state: tenacity.RetryCallState) -> float:
        """Tenacity wait strategy: :meth:`delay` with the failed attempt's ``retry_after``."""
        error = state.outcome.exception() if state.outcome is not None else None
        return self.delay(state.attempt_number - 1, getattr(error, "retry_after", None))


def retrying(policy: RetryPolicy | None = None, sleep: Sleep = time.sleep) -> tenacity.Retrying:
    """A reusable (thread-safe) tenacity ``Retrying`` of transient errors per ``policy``."""
    policy = policy or RetryPolicy()
    return tenacity.Retrying(
        stop=tenacity.stop_after_attempt(policy.max_attempts),
        retry=tenacity.retry_if_exception_type(TransientProviderError),
        wait=policy.wait,
        sleep=sleep,
        reraise=True,
    )


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
    return retrying(policy, sleep)(fn, *args, **kwargs)


def cache_key(method: str, *args: Any, **kwargs: Any) -> tuple[Hashable, ...]:
    """Hashable key of a call: method name, positional args, sorted keyword args."""
    return (method, args, tuple(sorted(kwargs.items())))


def ttl_cache(
    ttl: float = 15.0, *, maxsize: int = 256, clock: MonotonicClock = time.monotonic
) -> cachetools.TTLCache:
    """A ``cachetools.TTLCache`` whose entries expire ``ttl`` seconds after being stored.

    Parameters
    ----------
    ttl
        Lifetime of an entry in seconds (15 s by default: one intraday polling period).
    maxsize
        Entries kept; the least recently used is evicted first.
    clock
        Monotonic clock (the cache's timer).

    Notes
    -----
    ``cachetools`` caches are not thread-safe: callers sharing one across threads hold
    a lock around each access (as :class:`~optionsintel.providers.failover.FailoverProvider` does).
    """
    if ttl <= 0 or maxsize < 1:
        raise ConfigurationError(f"ttl_cache needs ttl > 0 and maxsize >= 1; got {ttl}, {maxsize}")
    return cachetools.TTLCache(maxsize=maxsize, ttl=ttl, timer=clock)
