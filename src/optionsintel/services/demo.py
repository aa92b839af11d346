"""What the demo history is: recent synthetic trading days plus the recorded real days.

Planning and the daily history only. The intraday and derived tables of the demo days are
never built here: ``dagster_project/materialise.py`` runs a :class:`DemoPlan` through the
Dagster asset graph (``optionsintel up`` / ``optionsintel demo`` start it as a
subprocess; the tests and benchmarks call it directly), so the demo store holds exactly
what the assets write.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from optionsintel.calendar import calendar_coverage, session_bounds, trading_days
from optionsintel.collect.session import INDICES
from optionsintel.tz import EXCHANGE_TZ

if TYPE_CHECKING:
    from optionsintel.store import Store

DEMO_INTERVAL_SECONDS = 300

#: Two consecutive recorded real NIFTY days (previous, current): the notebooks' replay pair.
REPLAY_PAIR_DAYS: tuple[dt.date, dt.date] = (dt.date(2025, 7, 16), dt.date(2025, 7, 17))


@dataclass(frozen=True)
class DemoPlan:
    """Partitions to materialise per source, the synthetic snapshot interval, the indices."""

    days: dict[str, list[dt.date]]
    interval_seconds: int
    underlyings: tuple[str, ...] = INDICES

    @property
    def n_partitions(self) -> int:
        """Total number of (source, day) partitions."""
        return sum(len(v) for v in self.days.values())

    def last_day(self) -> dt.date:
        """The latest day of the plan (today when the plan is empty)."""
        days = [d for v in self.days.values() for d in v]
        return max(days) if days else dt.date.today()


def recent_trading_days(now: pd.Timestamp, n: int) -> list[dt.date]:
    """The last ``n`` trading days whose session has closed at instant ``now``.

    Past the end of the calendar's holiday coverage the demo keeps working on the last
    covered days (holidays of later years are unknown, so no later day can be called a
    trading day).
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    now = pd.Timestamp(now)
    now = now.tz_localize(EXCHANGE_TZ) if now.tzinfo is None else now
    last = pd.Timestamp(calendar_coverage().last_date).tz_localize(EXCHANGE_TZ)
    now = min(now, last + pd.Timedelta(hours=23, minutes=59))
    start = now.tz_convert(EXCHANGE_TZ).date() - dt.timedelta(days=max(14, 3 * n))
    days = [d.date() for d in trading_days(start, now.tz_convert(EXCHANGE_TZ).date())]
    closed = [d for d in days if session_bounds(d, tz="UTC")[1] <= now]
    return closed[-n:] if n else []


def replay_days(underlyings: Sequence[str] = INDICES) -> list[dt.date]:
    """Every day with a recorded real option-chain snapshot of ``underlyings``."""
    from optionsintel.providers.replay import ReplayProvider

    replay = ReplayProvider()
    return sorted({d for u in underlyings for d in replay.recorded_days(u)})


def demo_plan(
    now: pd.Timestamp | None = None,
    synthetic_days: int = 3,
    include_replay: bool = True,
    interval_seconds: int = DEMO_INTERVAL_SECONDS,
) -> DemoPlan:
    """The demo history: ``synthetic_days`` recent trading days and the replay days."""
    now = pd.Timestamp.now(tz="UTC") if now is None else pd.Timestamp(now)
    days: dict[str, list[dt.date]] = {"synthetic": recent_trading_days(now, synthetic_days)}
    if include_replay:
        days["replay"] = replay_days()
    return DemoPlan(days, interval_seconds)


#: Real daily histories served by replay (provider ``replay``).
REPLAY_DAILY_SYMBOLS: tuple[str, ...] = ("NIFTY", "BANKNIFTY", "INDIAVIX")


def daily_history_frames(
    end: dt.date,
    *,
    years: int = 3,
    equities: int = 200,
    seed: int = 7,
    replay_since: dt.date = dt.date(2015, 1, 1),
) -> dict[str, pd.DataFrame]:
    """Daily history for research and the analytics report, ready for the store.

    Returns frames for ``daily_ohlc`` (the recorded real NIFTY/BANKNIFTY/INDIAVIX bars
    from ``replay_since``, stamped ``replay``; synthetic index and equity bars for
    ``years`` up to ``end``, stamped ``synthetic``), ``instruments`` and
    ``equity_fundamentals`` (the synthetic equity universe). Real and synthetic bars
    share the table but never a key: ``provider`` is part of it.
    """
    from optionsintel.providers.replay import ReplayProvider
    from optionsintel.synthetic import equity_daily_ohlcv, equity_universe, index_daily_ohlc
    from optionsintel.transforms.daily import candles_to_daily_ohlc

    start = end - dt.timedelta(days=365 * years)
    replay = ReplayProvider(clock=lambda: dt.datetime.now(dt.UTC))
    lo = dt.datetime.combine(replay_since, dt.time(), dt.UTC)
    hi = dt.datetime.now(dt.UTC)
    candles = [replay.get_candles(s, "1d", lo, hi) for s in REPLAY_DAILY_SYMBOLS]
    candles += [index_daily_ohlc(u, start, end, seed=seed) for u in INDICES]
    universe = equity_universe(n=equities, seed=seed)
    candles.append(equity_daily_ohlcv(list(universe["symbol"]), start, end, seed=seed,
                                      universe_size=equities))  # fmt: skip
    bars = candles_to_daily_ohlc(pd.concat([c.astype({"symbol": str}) for c in candles]))
    instruments = pd.DataFrame({
        "symbol": universe["symbol"].astype(str), "segment": "equity", "exchange": "NSE",
        "name": universe["name"].astype(str), "sector": universe["sector"].astype(str),
        "provider": "synthetic",
    })  # fmt: skip
    fundamentals = universe.loc[:, ["symbol", "eps_growth", "revenue_growth", "profit_margin",
                                    "debt_to_equity", "market_cap"]].assign(
        symbol=lambda f: f["symbol"].astype(str), as_of=end, provider="synthetic")  # fmt: skip
    return {"daily_ohlc": bars, "instruments": instruments, "equity_fundamentals": fundamentals}


def load_daily_history(store: Store, end: dt.date, **kwargs: Any) -> dict[str, int]:
    """Write :func:`daily_history_frames` into ``store`` in one transaction.

    Parameters
    ----------
    store
        The target store (idempotent upserts: loading twice changes nothing).
    end
        Last day of the synthetic bars.
    **kwargs
        Passed to :func:`daily_history_frames` (``years``, ``equities``, ``seed``...).

    Returns
    -------
    dict of str to int
        Rows written per table.
    """
    frames = daily_history_frames(end, **kwargs)
    with store.transaction() as tx:
        return {name: tx.write(name, frame).rows for name, frame in frames.items()}
