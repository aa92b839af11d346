"""Subscription tiers as quota data.

Daily figures reset at midnight on the exchange's clock (IST), the day a trader thinks
in. ``None`` means unlimited. The token bucket (``requests_per_second`` refilled into a
bucket of ``burst``) smooths bursts per API key; the daily call count caps the volume
per user.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from optionsintel.errors import InputError


class Tier(StrEnum):
    """A subscription tier."""

    FREE = "FREE"
    PRO = "PRO"
    VIP = "VIP"
    INSTITUTIONAL = "INSTITUTIONAL"


@dataclass(frozen=True)
class TierQuota:
    """The limits of one tier (None: unlimited)."""

    api_calls_per_day: int | None
    alerts: int | None
    patterns: int | None
    watchlist_size: int | None
    backtests_per_day: int | None
    requests_per_second: float
    burst: int


#: Limits of every tier.
TIER_QUOTAS: Final = MappingProxyType(
    {
        Tier.FREE: TierQuota(1_000, 5, 10, 20, 5, requests_per_second=5, burst=10),
        Tier.PRO: TierQuota(20_000, 50, 100, 100, 50, requests_per_second=20, burst=40),
        Tier.VIP: TierQuota(200_000, 200, 500, 500, 500, requests_per_second=100, burst=200),
        Tier.INSTITUTIONAL: TierQuota(
            None, None, None, None, None, requests_per_second=1_000, burst=2_000
        ),
    }
)

#: Limits that count things a user holds (checked against a count, answered with 403).
COUNTED_LIMITS: Final = ("alerts", "patterns", "watchlist_size")


def parse_tier(value: str) -> Tier:
    """The :class:`Tier` named ``value`` (case-insensitive).

    Raises
    ------
    InputError
        When no tier has that name.
    """
    try:
        return Tier(str(value).strip().upper())
    except ValueError:
        raise InputError(f"unknown tier {value!r}; tiers are {[t.value for t in Tier]}") from None
