"""A provider chain with circuit breakers, retries, a short cache and health figures.

:class:`FailoverProvider` asks its providers in order and returns the first answer;
providers whose breaker is open are skipped. Synthetic data is used only as an explicit,
opt-in last resort: such frames carry ``provider == "synthetic"`` on every row and
``frame.attrs["fallback"] is True``, and real and synthetic rows are never mixed.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from optionsintel.errors import ConfigurationError
from optionsintel.providers.base import (
    Clock,
    MarketDataProvider,
    NoDataError,
    ProviderError,
    Snapshot,
    utc_now,
)
from optionsintel.providers.resilience import (
    BreakerState,
    CircuitBreaker,
    MonotonicClock,
    RetryPolicy,
    Sleep,
    cache_key,
    retrying,
    ttl_cache,
)

logger = logging.getLogger(__name__)

SYNTHETIC = "synthetic"
HEALTH_COLUMNS: tuple[str, ...] = (
    "provider", "requests", "successes", "failures", "consecutive_failures",
    "latency_p50_ms", "latency_p95_ms", "latency_last_ms", "breaker_state", "last_error",
    "last_error_at",
)  # fmt: skip
METRICS_COLUMNS: tuple[str, ...] = (
    "provider", "ts", "requests", "successes", "failures", "avg_latency_ms", "p95_latency_ms",
    "breaker_state", "last_error",
)  # fmt: skip
#: Seconds an answer is cached: well below the 15-s tick, so tick k's answer is gone at k+1.
DEFAULT_CACHE_TTL = 5.0
MetricsSink = Callable[[pd.DataFrame], None]
Answer: TypeAlias = pd.DataFrame | Snapshot


class AllProvidersFailedError(ProviderError):
    """Every provider of the chain failed (or was skipped) and no fallback was allowed."""

    def __init__(self, method: str, errors: dict[str, str]) -> None:
        detail = "; ".join(f"{name}: {err}" for name, err in errors.items()) or "no providers"
        super().__init__(
            f"{method} failed on every provider ({detail}). Check the providers' health with "
            "`optionsintel providers status`; set OPTIONSINTEL_ALLOW_SYNTHETIC_FALLBACK=true "
            "only if synthetic data is acceptable.",
            provider="failover",
        )
        self.errors = errors


@dataclass
class ProviderHealth:
    """Running health figures of one provider (in memory)."""

    provider: str
    requests: int = 0
    successes: int = 0
    failures: int = 0
    consecutive_failures: int = 0
    latencies_ms: deque[float] = field(default_factory=lambda: deque(maxlen=1000))
    last_error: str | None = None
    last_error_at: dt.datetime | None = None

    def record(self, latency_ms: float, error: str | None, at: dt.datetime) -> None:
        """Count one request and its outcome."""
        self.requests += 1
        self.latencies_ms.append(latency_ms)
        if error is None:
            self.successes += 1
            self.consecutive_failures = 0
        else:
            self.failures += 1
            self.consecutive_failures += 1
            self.last_error = error
            self.last_error_at = at

    def latency_stats(self) -> tuple[float, float, float, float]:
        """(p50, p95, last, mean) latency in ms; NaN without requests."""
        if not self.latencies_ms:
            return (np.nan, np.nan, np.nan, np.nan)
        arr = np.fromiter(self.latencies_ms, dtype=float)
        p50, p95 = np.percentile(arr, [50, 95])
        return (float(p50), float(p95), float(arr[-1]), float(arr.mean()))


class FailoverProvider:
    """Market-data provider that fails over along a chain of providers.

    Parameters
    ----------
    providers
        Providers in order of preference (must not be empty unless a synthetic fallback
        is enabled). A provider named ``"synthetic"`` here is treated as the fallback.
    allow_synthetic_fallback
        Use ``synthetic_provider`` when every real provider failed (resolved by the
        caller, e.g. :meth:`ProviderConfig.from_settings
        <optionsintel.providers.registry.ProviderConfig.from_settings>`).
    synthetic_provider
        The fallback provider, or a zero-argument factory building it on first use.
    failure_threshold, recovery_timeout, half_open_trials
        Circuit-breaker settings applied to every provider.
    retry_policy
        Retries of transient errors per provider (default: 2 attempts).
    cache_ttl
        Seconds a successful answer is reused for the same call (0 disables the cache);
        a third of the 15-s tick by default. A collection loop sizes it to its interval
        with :meth:`fit_to_cadence`, so a cached answer never reaches the next tick.
    metrics_sink
        Called with :meth:`metrics_frame` at most every ``metrics_interval`` seconds.
    clock, wall_clock, sleep
        Monotonic clock (breakers, cache, latency), aware UTC clock (timestamps) and
        sleep (retries); injectable for tests.
    """

    name = "failover"

    def __init__(
        self,
        providers: Sequence[MarketDataProvider],
        *,
        allow_synthetic_fallback: bool = False,
        synthetic_provider: MarketDataProvider | Callable[[], MarketDataProvider] | None = None,
        failure_threshold: int = 3,
        recovery_timeout: float = 60.0,
        half_open_trials: int = 1,
        retry_policy: RetryPolicy | None = None,
        cache_ttl: float = DEFAULT_CACHE_TTL,
        metrics_sink: MetricsSink | None = None,
        metrics_interval: float = 60.0,
        clock: MonotonicClock = time.monotonic,
        wall_clock: Clock = utc_now,
        sleep: Sleep = time.sleep,
    ) -> None:
        real = [p for p in providers if p.name != SYNTHETIC]
        listed_synth = [p for p in providers if p.name == SYNTHETIC]
        if listed_synth and not allow_synthetic_fallback:
            raise ConfigurationError(
                "a synthetic provider is in the chain but synthetic fallback is disabled; "
                "pass allow_synthetic_fallback=True (OPTIONSINTEL_ALLOW_SYNTHETIC_FALLBACK) "
                "or remove it from the chain"
            )
        if not real and not allow_synthetic_fallback:
            raise ConfigurationError("FailoverProvider needs at least one real provider")
        self.providers: tuple[MarketDataProvider, ...] = tuple(real)
        self.allow_synthetic_fallback = bool(allow_synthetic_fallback)
        self._synthetic: MarketDataProvider | Callable[[], MarketDataProvider] | None = (
            listed_synth[0] if listed_synth else synthetic_provider
        )
        self.breakers = {
            p.name: CircuitBreaker(
                failure_threshold, recovery_timeout, half_open_trials, clock=clock, name=p.name
            )
            for p in real
        }
        self._health = {p.name: ProviderHealth(p.name) for p in real}
        self.retry_policy = retry_policy or RetryPolicy(max_attempts=2, base_delay=0.25)
        self._retrying = retrying(self.retry_policy, sleep)
        self.cache = ttl_cache(cache_ttl, clock=clock) if cache_ttl > 0 else None
        self._cache_lock = threading.Lock()
        self.metrics_sink = metrics_sink
        self.metrics_interval = metrics_interval
        self._last_emit: float | None = None
        self._clock, self._wall_clock = clock, wall_clock

    def __repr__(self) -> str:
        names = [p.name for p in self.providers]
        fallback = self.allow_synthetic_fallback
        return f"FailoverProvider(providers={names}, synthetic_fallback={fallback})"

    def fit_to_cadence(self, interval_seconds: float) -> None:
        """Keep cached answers strictly shorter-lived than a polling ``interval_seconds``.

        With a TTL equal to the interval, the answer cached at the end of tick k's fetch
        is still fresh at tick k+1 and would be stored again as a new snapshot; the TTL
        is therefore cut to a third of the interval when it is not already below it.
        """
        if self.cache is None or self.cache.ttl < interval_seconds:
            return
        ttl = interval_seconds / 3.0
        with self._cache_lock:
            self.cache = ttl_cache(ttl, clock=self._clock) if ttl > 0 else None
        logger.info("failover cache TTL cut to %.3g s for a %g s cadence", ttl, interval_seconds)

    # -- MarketDataProvider protocol ------------------------------------------------
    def get_quote(self, underlying: str) -> pd.DataFrame:
        """Latest quote of ``underlying`` from the first healthy provider."""
        return self._call("get_quote", underlying)

    def get_option_chain(self, underlying: str, expiry: dt.date | None = None) -> pd.DataFrame:
        """Latest option chain from the first healthy provider."""
        return self._call("get_option_chain", underlying, expiry)

    def get_candles(
        self, symbol: str, interval: str, start: dt.datetime, end: dt.datetime
    ) -> pd.DataFrame:
        """OHLCV bars from the first healthy provider."""
        return self._call("get_candles", symbol, interval, start, end)

    def snapshot(self, underlying: str) -> Snapshot:
        """Quote and chain of ``underlying`` from the first healthy provider (never mixed)."""
        return self._call("snapshot", underlying)

    # -- core -------------------------------------------------------------------------
    def _call(self, method: str, *args: Any) -> Any:
        key = cache_key(method, *args)
        if self.cache is not None:
            with self._cache_lock:
                hit = self.cache.get(key)
            if hit is not None:
                return hit.copy()
        errors: dict[str, str] = {}
        for provider in self.providers:
            frame = self._try(provider, method, args, errors)
            if frame is not None:
                return self._finish(key, frame, fallback=False)
        if self.allow_synthetic_fallback and self._synthetic is not None:
            return self._finish(key, self._call_synthetic(method, args, errors), fallback=True)
        self._maybe_emit()
        raise AllProvidersFailedError(method, errors)

    def _try(
        self, provider: MarketDataProvider, method: str, args: tuple[Any, ...], errors: dict
    ) -> Answer | None:
        breaker = self.breakers[provider.name]
        if not breaker.allow_request():
            errors[provider.name] = f"skipped: circuit breaker {breaker.state}"
            return None
        start = self._clock()
        try:
            frame = self._retrying(getattr(provider, method), *args)
            _check_real(frame, provider.name)
        except NoDataError as exc:
            # The provider answered correctly that it has nothing: not a health failure.
            breaker.record_success()
            self._record(provider.name, start, None)
            errors[provider.name] = str(exc)
            return None
        except Exception as exc:
            breaker.record_failure()
            message = f"{type(exc).__name__}: {exc}"
            self._record(provider.name, start, message)
            errors[provider.name] = message
            logger.warning("provider %s failed on %s: %s", provider.name, method, message)
            return None
        breaker.record_success()
        self._record(provider.name, start, None)
        return frame

    def _synthetic_provider(self) -> MarketDataProvider:
        """The fallback provider; a factory (or class) is called once, on first use."""
        synth = self._synthetic
        if synth is None:
            raise ConfigurationError(
                "synthetic fallback needs a provider: pass synthetic_provider= or list one"
            )
        if isinstance(synth, type) or not hasattr(synth, "get_quote"):
            synth = synth()
            self._synthetic = synth
        return synth  # type: ignore[return-value]

    def _call_synthetic(self, method: str, args: tuple[Any, ...], errors: dict) -> Answer:
        frame = getattr(self._synthetic_provider(), method)(*args)
        providers = {str(p) for f in _frames(frame) if "provider" in f for p in f["provider"]}
        if providers - {SYNTHETIC}:
            raise ProviderError(
                f"synthetic fallback returned rows of providers {sorted(providers)}; "
                "fallback frames must be entirely synthetic",
                provider=SYNTHETIC,
            )
        logger.warning(
            "all real providers failed on %s%r (%s); returning SYNTHETIC data",
            method, args, "; ".join(f"{k}: {v}" for k, v in errors.items()),
        )  # fmt: skip
        return frame

    def _finish(self, key: tuple, frame: Answer, *, fallback: bool) -> Answer:
        frame = frame.copy()
        for part in _frames(frame):
            part.attrs["fallback"] = fallback
        if self.cache is not None:
            with self._cache_lock:
                self.cache[key] = frame
        self._maybe_emit()
        return frame.copy()

    def _record(self, name: str, start: float, error: str | None) -> None:
        latency_ms = (self._clock() - start) * 1000.0
        self._health[name].record(latency_ms, error, self._wall_clock())

    # -- health -----------------------------------------------------------------------
    def health(self) -> pd.DataFrame:
        """Health of every provider, one row each (columns :data:`HEALTH_COLUMNS`)."""
        rows = []
        for name, h in self._health.items():
            p50, p95, last, _ = h.latency_stats()
            rows.append(
                (name, h.requests, h.successes, h.failures, h.consecutive_failures, p50, p95,
                 last, self.breakers[name].state, h.last_error, h.last_error_at)
            )  # fmt: skip
        frame = pd.DataFrame(rows, columns=list(HEALTH_COLUMNS))
        frame["last_error_at"] = pd.to_datetime(frame["last_error_at"], utc=True)
        return frame

    def metrics_frame(self) -> pd.DataFrame:
        """Rows for the store's data-source metrics table (columns :data:`METRICS_COLUMNS`)."""
        now = self._wall_clock()
        rows = []
        for name, h in self._health.items():
            _, p95, _, mean = h.latency_stats()
            rows.append(
                (name, now, h.requests, h.successes, h.failures, mean, p95,
                 self.breakers[name].state, h.last_error)
            )  # fmt: skip
        frame = pd.DataFrame(rows, columns=list(METRICS_COLUMNS))
        frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
        return frame

    def emit_metrics(self) -> None:
        """Send :meth:`metrics_frame` to the sink now (no-op without a sink)."""
        if self.metrics_sink is None:
            return
        self._last_emit = self._clock()
        try:
            self.metrics_sink(self.metrics_frame())
        except Exception:  # a broken sink must not break market data
            logger.exception("metrics sink failed")

    def _maybe_emit(self) -> None:
        if self.metrics_sink is None:
            return
        if self._last_emit is None or self._clock() - self._last_emit >= self.metrics_interval:
            self.emit_metrics()

    def probe(self, underlying: str = "NIFTY") -> pd.DataFrame:
        """Ask every provider (not just the first healthy one) for a quote; return :meth:`health`.

        Open breakers are respected; each probe updates the health figures.
        """
        errors: dict[str, str] = {}
        for provider in self.providers:
            self._try(provider, "get_quote", (underlying,), errors)
        self._maybe_emit()
        return self.health()

    def breaker_states(self) -> dict[str, BreakerState]:
        """Breaker state of every provider."""
        return {name: b.state for name, b in self.breakers.items()}


def _frames(answer: Answer) -> tuple[pd.DataFrame, ...]:
    """The frames of an answer (one frame, or a snapshot's quote and chain)."""
    return answer.frames() if isinstance(answer, Snapshot) else (answer,)


def _check_real(answer: Answer, provider: str) -> None:
    """Refuse answers that are not frames or that carry synthetic rows from a real provider."""
    if not isinstance(answer, pd.DataFrame | Snapshot):
        raise ProviderError(f"{provider} returned {type(answer).__name__}, not a DataFrame")
    if any("provider" in f and (f["provider"].astype(str) == SYNTHETIC).any()
           for f in _frames(answer)):  # fmt: skip
        raise ProviderError(
            f"real provider {provider!r} returned rows labelled 'synthetic'; refusing to mix "
            "real and synthetic data",
            provider=provider,
        )
