"""Tier quotas and per-key rate limits.

* Daily API calls are counted per user and exchange (IST) day in the database, so every
  API worker shares one count; going over answers 429 with the reset instant (the next
  IST midnight).
* Counted limits (alerts, patterns, watchlist size) are checked before a create with
  :func:`check_allowance`; going over answers 403 (waiting does not help).
* Bursts are smoothed per key by a token bucket in the serving process
  (:class:`RateLimiter`): ``requests_per_second`` tokens refill a bucket of ``burst``.
  With several workers each holds its own buckets, so the effective rate is per worker.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pandas as pd

from optionsintel.auth import TIER_QUOTAS, Tier
from optionsintel.auth.tiers import COUNTED_LIMITS
from optionsintel.errors import InputError, QuotaExceededError, RateLimitedError
from optionsintel.services.identity import Identity
from optionsintel.store.accounts import count_api_call, read_api_calls
from optionsintel.tz import EXCHANGE_TZ

_EXCHANGE_ZONE = ZoneInfo(EXCHANGE_TZ)

if TYPE_CHECKING:
    from optionsintel.store import Store


def exchange_day(now: pd.Timestamp | None = None) -> dt.date:
    """Today on the exchange's clock."""
    if now is None:  # every API call asks: the standard library is ~20x cheaper than pandas
        return dt.datetime.now(_EXCHANGE_ZONE).date()
    return now.tz_convert(EXCHANGE_TZ).date()


def next_reset(now: pd.Timestamp | None = None) -> pd.Timestamp:
    """The next IST midnight (when daily quotas reset), in IST."""
    local = (now or pd.Timestamp.now(tz="UTC")).tz_convert(EXCHANGE_TZ)
    return local.normalize() + pd.Timedelta(days=1)


def count_call(store: Store, identity: Identity, *, now: pd.Timestamp | None = None) -> int:
    """Count one API call of ``identity``'s user and enforce the tier's daily limit.

    Raises
    ------
    QuotaExceededError
        ``retryable`` (429) when the day's calls are used up, with the reset instant.
    """
    return enforce_daily(identity, count_api_call(store, identity.username, exchange_day(now)), now)


def enforce_daily(identity: Identity, used: int, now: pd.Timestamp | None = None) -> int:
    """``used`` (calls today, this one included) if within the tier's daily limit.

    Raises
    ------
    QuotaExceededError
        ``retryable`` (429) when the day's calls are used up, with the reset instant.
    """
    allowed = TIER_QUOTAS[identity.tier].api_calls_per_day
    if allowed is not None and used > allowed:
        reset = next_reset(now)
        raise QuotaExceededError(
            f"the {identity.tier.value} tier allows {allowed} API calls a day; "
            f"they reset at {reset.isoformat()}",
            limit="api_calls_per_day",
            tier=identity.tier.value,
            allowed=allowed,
            used=used - 1,
            resets_at=reset,
            retryable=True,
        )
    return used


def calls_today(store: Store, username: str, *, now: pd.Timestamp | None = None) -> int:
    """API calls counted for ``username`` today (IST)."""
    return read_api_calls(store, username, exchange_day(now))


#: How a counted limit is said: what is counted, and what the caller holds.
_COUNTED_WORDS = {"watchlist_size": ("symbols in a watchlist", "this one would hold {n}")}


def check_allowance(tier: Tier, limit: str, current: int, adding: int = 1) -> None:
    """Refuse growing a counted holding (``alerts``, ``patterns``, ``watchlist_size``).

    Raises
    ------
    QuotaExceededError
        Not retryable (403): the user must delete something or change tier.
    InputError
        When ``limit`` is not a counted limit.
    """
    if limit not in COUNTED_LIMITS:
        raise InputError(f"{limit!r} is not a counted limit; those are {list(COUNTED_LIMITS)}")
    allowed = getattr(TIER_QUOTAS[tier], limit)
    if allowed is not None and current + adding > allowed:
        what, held = _COUNTED_WORDS.get(limit, (limit.replace("_", " "), "{n} are in use"))
        raise QuotaExceededError(
            f"the {tier.value} tier allows {allowed} {what}; " + held.format(n=current),
            limit=limit,
            tier=tier.value,
            allowed=allowed,
            used=current,
            retryable=False,
        )


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class RateLimiter:
    """Token buckets per key, safe across the server's threads.

    Parameters
    ----------
    clock
        Monotonic seconds (injectable for tests).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, key: str, *, rate: float, burst: int) -> None:
        """Spend one token of ``key``'s bucket.

        Raises
        ------
        RateLimitedError
            With the seconds until a token is available.
        """
        with self._lock:
            now = self._clock()
            b = self._buckets.get(key)
            if b is None:
                b = self._buckets[key] = _Bucket(float(burst), now)
            b.tokens = min(float(burst), b.tokens + (now - b.stamp) * rate)
            b.stamp = now
            if b.tokens >= 1.0:
                b.tokens -= 1.0
                return
            wait = (1.0 - b.tokens) / rate
        raise RateLimitedError(
            f"more than {rate:g} requests a second (burst {burst}); retry in {math.ceil(wait)} s",
            retry_after=wait,
            rate=rate,
            burst=burst,
        )

    def limit(self, identity: Identity) -> None:
        """Apply ``identity``'s tier rate to its key (or its user, for a login token)."""
        quota = TIER_QUOTAS[identity.tier]
        key = identity.key_prefix or f"user:{identity.username}"
        self.take(key, rate=quota.requests_per_second, burst=quota.burst)
