"""The synthetic market's configuration and bulk generators (pure: no provider interface).

:class:`SyntheticMarket` bundles the seed, the underlyings and the snapshot interval with
the generators of whole days, end-of-day chains and daily candles. The provider adapter
that answers "now" from it is :class:`optionsintel.providers.synthetic.SyntheticProvider`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from optionsintel.synthetic import calibration as cal
from optionsintel.synthetic.day import SyntheticDay, generate_day, generate_eod_chain
from optionsintel.synthetic.equities import equity_daily_ohlcv, equity_universe
from optionsintel.synthetic.quotes import index_daily_ohlc


@dataclass(frozen=True)
class SyntheticMarket:
    """Configuration of the synthetic market and its bulk generators.

    Attributes
    ----------
    seed
        Market seed; every output is a pure function of it and the request.
    underlyings
        Index underlyings simulated (subset of ``NIFTY``, ``BANKNIFTY``, ``FINNIFTY``).
    interval_seconds
        Snapshot spacing of :meth:`day` (multiple of 15).
    universe_size
        Number of synthetic equities.
    """

    seed: int = 0
    underlyings: tuple[str, ...] = ("NIFTY", "BANKNIFTY", "FINNIFTY")
    interval_seconds: int = 15
    universe_size: int = 2000

    def __post_init__(self) -> None:
        for u in self.underlyings:
            cal.underlying_params(u)  # raises NoDataError for unknown names

    def day(self, date: dt.date | str) -> SyntheticDay:
        """All underlyings' quotes and chain snapshots on ``date`` (see :func:`generate_day`)."""
        return generate_day(self.underlyings, date, self.interval_seconds, self.seed)

    def eod_chain(self, underlying: str, date: dt.date | str) -> pd.DataFrame:
        """End-of-day chain (see :func:`generate_eod_chain`)."""
        return generate_eod_chain(underlying, date, self.seed)

    def index_daily(
        self, underlying: str, start: dt.date | str, end: dt.date | str
    ) -> pd.DataFrame:
        """Daily index candles (see :func:`index_daily_ohlc`)."""
        return index_daily_ohlc(underlying, start, end, self.seed)

    def equities(self) -> pd.DataFrame:
        """Return the equity universe (see :func:`equity_universe`)."""
        return equity_universe(self.universe_size, self.seed)

    def equity_daily(self, symbols, start: dt.date | str, end: dt.date | str) -> pd.DataFrame:
        """Daily equity candles (see :func:`equity_daily_ohlcv`)."""
        return equity_daily_ohlcv(symbols, start, end, self.seed, self.universe_size)
