"""Daily quotas, counted limits and token buckets."""

from __future__ import annotations

import pandas as pd
import pytest

from accounts_helpers import SECRET, user_with_key
from optionsintel.auth import TIER_QUOTAS, Tier
from optionsintel.errors import QuotaExceededError, RateLimitedError
from optionsintel.services import quotas
from optionsintel.services.access import authenticate
from optionsintel.services.quotas import RateLimiter, check_allowance, count_call, next_reset
from optionsintel.store import Store


def test_next_reset_is_ist_midnight() -> None:
    at = pd.Timestamp("2025-07-16 20:00", tz="UTC")  # 01:30 IST on the 17th
    assert next_reset(at).isoformat() == "2025-07-18T00:00:00+05:30"
    assert quotas.exchange_day(at).isoformat() == "2025-07-17"


def test_daily_calls_are_counted_and_capped(accounts: Store, monkeypatch) -> None:
    small = dict(TIER_QUOTAS)
    small[Tier.FREE] = TIER_QUOTAS[Tier.FREE].__class__(3, 1, 1, 1, 1, 5, 10)
    monkeypatch.setattr(quotas, "TIER_QUOTAS", small)
    who = authenticate(accounts, user_with_key(accounts, "alice", tier="FREE"), secret=SECRET,
                       source=None)  # fmt: skip
    now = pd.Timestamp("2025-07-16 09:00", tz="UTC")
    assert [count_call(accounts, who, now=now) for _ in range(3)] == [1, 2, 3]
    with pytest.raises(QuotaExceededError) as err:
        count_call(accounts, who, now=now)
    e = err.value
    assert (e.limit, e.tier, e.allowed, e.used, e.retryable) == ("api_calls_per_day", "FREE", 3,
                                                                3, True)  # fmt: skip
    assert e.resets_at.isoformat() == "2025-07-17T00:00:00+05:30"
    assert count_call(accounts, who, now=now + pd.Timedelta(days=1)) == 1  # a new IST day


def test_counted_limits_answer_403_style() -> None:
    check_allowance(Tier.FREE, "alerts", 4)
    with pytest.raises(QuotaExceededError, match="FREE tier allows 5 alerts") as err:
        check_allowance(Tier.FREE, "alerts", 5)
    assert not err.value.retryable and err.value.resets_at is None
    check_allowance(Tier.INSTITUTIONAL, "patterns", 10**9)


def test_token_bucket_bursts_then_refills() -> None:
    t = [0.0]
    limiter = RateLimiter(clock=lambda: t[0])
    for _ in range(4):
        limiter.take("k", rate=2.0, burst=4)
    with pytest.raises(RateLimitedError) as err:
        limiter.take("k", rate=2.0, burst=4)
    assert err.value.retry_after == pytest.approx(0.5)
    limiter.take("other", rate=2.0, burst=4)  # buckets are per key
    t[0] = 0.5
    limiter.take("k", rate=2.0, burst=4)
    with pytest.raises(RateLimitedError):
        limiter.take("k", rate=2.0, burst=4)
    t[0] = 100.0  # refill is capped at the burst
    for _ in range(4):
        limiter.take("k", rate=2.0, burst=4)
    with pytest.raises(RateLimitedError):
        limiter.take("k", rate=2.0, burst=4)
