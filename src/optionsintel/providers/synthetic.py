"""The synthetic market (:mod:`optionsintel.synthetic`) behind the provider interface.

:class:`~optionsintel.synthetic.SyntheticMarket` is the configuration (seed, underlyings,
snapshot interval) with the bulk generators; :class:`SyntheticProvider` answers the
provider interface at the instant given by its ``clock``: the latest 15-second tick at or
before that instant on a trading day, or the last close before it outside the session.
:class:`SyntheticBackfill` serves whole days (the
:class:`~optionsintel.providers.base.BackfillSource` interface).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import lru_cache

import pandas as pd

from optionsintel.calendar import previous_trading_day, session_bounds, trading_days
from optionsintel.frames import CANDLE_COLUMNS, empty_frame
from optionsintel.providers.base import Clock, DaySnapshots, NoDataError, Snapshot, utc_now
from optionsintel.synthetic import calibration as cal
from optionsintel.synthetic.day import DayChains, generate_day
from optionsintel.synthetic.market import SyntheticMarket
from optionsintel.synthetic.quotes import (
    index_daily_ohlc,
    interval_seconds_of,
    intraday_candles,
    quotes_frame,
)
from optionsintel.tz import EXCHANGE_TZ


@lru_cache(maxsize=16)
def _day_chains(underlying: str, day: dt.date, seed: int) -> DayChains:
    return DayChains(underlying, day, seed)


class SyntheticProvider:
    """Market-data provider backed by the synthetic market (provider name ``synthetic``).

    Parameters
    ----------
    seed
        Market seed.
    clock
        Callable returning the current aware datetime; defaults to the wall clock.
        Pass a simulated clock to replay any instant.
    market
        Full configuration (overrides ``seed`` when given).
    """

    name = "synthetic"

    def __init__(
        self, seed: int = 0, clock: Clock | None = None, market: SyntheticMarket | None = None
    ) -> None:
        self.market = market if market is not None else SyntheticMarket(seed=seed)
        self.clock: Clock = clock if clock is not None else utc_now
        self._symbols: set[str] | None = None

    def _now(self) -> tuple[dt.date, int]:
        """Trading day and snapshot index that the clock points at."""
        now = pd.Timestamp(self.clock())
        if now.tzinfo is None:
            raise ValueError("the clock must return a timezone-aware datetime")
        day = now.tz_convert(EXCHANGE_TZ).date()
        days = trading_days(day - dt.timedelta(days=15), day)
        if len(days) and pd.Timestamp(days[-1]).date() == day:
            open_utc, _ = session_bounds(day)
            if now >= pd.Timestamp(open_utc):
                seconds = (now - pd.Timestamp(open_utc)).total_seconds()
                return day, int(seconds // cal.BASE_INTERVAL_SECONDS)
        return pd.Timestamp(previous_trading_day(day)).date(), -1

    def _chains(self, underlying: str) -> tuple[DayChains, int]:
        if underlying.upper() not in self.market.underlyings:
            raise NoDataError(
                f"{underlying!r} is not simulated; choose one of {self.market.underlyings}",
                provider=self.name,
            )
        day, index = self._now()
        chains = _day_chains(underlying.upper(), day, self.market.seed)
        return chains, min(index, chains.n_snapshots - 1) if index >= 0 else -1

    def get_quote(self, underlying: str) -> pd.DataFrame:
        """Latest quote of one index (one row, canonical quote frame)."""
        chains, index = self._chains(underlying)
        pos = chains.positions[[index]]
        return quotes_frame(chains.underlying, chains.path, pos)

    def get_option_chain(self, underlying: str, expiry: dt.date | None = None) -> pd.DataFrame:
        """Latest chain; all listed expiries when ``expiry`` is None.

        Raises
        ------
        NoDataError
            If ``expiry`` is not listed at that instant.
        """
        chains, index = self._chains(underlying)
        frame = chains.snapshot(index)
        if expiry is None:
            return frame
        out = frame.loc[frame["expiry"] == pd.Timestamp(expiry)].reset_index(drop=True)
        if out.empty:
            listed = sorted({pd.Timestamp(e).date() for e in frame["expiry"].unique()})
            raise NoDataError(
                f"{underlying} has no expiry {expiry}; listed: {listed}", provider=self.name
            )
        return out

    def snapshot(self, underlying: str) -> Snapshot:
        """Quote and full chain of the same 15-second tick (one generator lookup)."""
        chains, index = self._chains(underlying)
        quote = quotes_frame(chains.underlying, chains.path, chains.positions[[index]])
        return Snapshot(quote, chains.snapshot(index))

    def get_candles(
        self, symbol: str, interval: str, start: dt.datetime, end: dt.datetime
    ) -> pd.DataFrame:
        """Index or equity candles in ``[start, end]``; equities only with ``1d``."""
        seconds = interval_seconds_of(interval)
        lo, hi = pd.Timestamp(start), pd.Timestamp(end)
        lo = lo.tz_localize("UTC") if lo.tzinfo is None else lo
        hi = hi.tz_localize("UTC") if hi.tzinfo is None else hi
        first = lo.tz_convert(EXCHANGE_TZ).date()
        last = hi.tz_convert(EXCHANGE_TZ).date()
        if symbol.upper() in cal.UNDERLYINGS:
            frame = self._index_candles(symbol.upper(), seconds, first, last)
        elif interval == "1d":
            frame = self.market.equity_daily([symbol], first, last)
        else:
            raise NoDataError(
                f"synthetic equities have daily candles only; ask for '1d' of {symbol}",
                provider=self.name,
            )
        keep = (frame["ts"] >= lo) & (frame["ts"] <= hi)
        return frame.loc[keep].reset_index(drop=True)

    def _index_candles(
        self, symbol: str, seconds: int, first: dt.date, last: dt.date
    ) -> pd.DataFrame:
        if seconds >= 86400:
            return self.market.index_daily(symbol, first, last)
        days = [pd.Timestamp(d).date() for d in trading_days(first, last)]
        frames = [
            intraday_candles(symbol, _day_chains(symbol, d, self.market.seed).path, seconds)
            for d in days  # one vectorised resample per day
        ]
        return pd.concat(frames, ignore_index=True) if frames else empty_frame(CANDLE_COLUMNS)


class SyntheticBackfill:
    """Whole synthetic trading days (a :class:`~optionsintel.providers.base.BackfillSource`).

    Parameters
    ----------
    seed
        Market seed; every day is a pure function of it.
    """

    name = "synthetic"
    regular_cadence = True

    def __init__(self, seed: int = 7) -> None:
        self.seed = seed

    def __repr__(self) -> str:
        return f"SyntheticBackfill(seed={self.seed})"

    def day_snapshots(
        self, day: dt.date, underlyings: Sequence[str], interval_seconds: int
    ) -> DaySnapshots:
        """Every aligned snapshot of ``day``, ``interval_seconds`` apart (multiple of 15)."""
        gen = generate_day(
            list(underlyings), day, interval_seconds=interval_seconds, seed=self.seed
        )
        chains = pd.concat(list(gen.iter_frames(batch_size=100)), ignore_index=True)
        return DaySnapshots(gen.quotes, chains, requests=len(gen.quotes))

    def daily_candles(self, underlying: str, day: dt.date) -> pd.DataFrame:
        """The ``1d`` index candle of ``day``."""
        return index_daily_ohlc(underlying, day, day, seed=self.seed)
