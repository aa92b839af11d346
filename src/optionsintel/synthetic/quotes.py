"""Canonical quote and candle frames built from the synthetic index paths.

Timestamps: ``snapshot_ts`` is the tick time; ``exchange_ts`` and ``ingested_at`` are set
to the same instant (a simulated feed has no transport delay). Daily and intraday candles
are labelled by the start of their bar (daily bars at the 09:15 IST open), as Angel One
SmartAPI labels its candles.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import numpy as np
import pandas as pd

from optionsintel.calendar import trading_days
from optionsintel.errors import CalendarError
from optionsintel.frames import CANDLE_COLUMNS, QUOTE_COLUMNS
from optionsintel.synthetic import calibration as cal
from optionsintel.synthetic.underlying import PROVIDER, IntradayPath, _intraday

Interval = Literal["15s", "1m", "3m", "5m", "15m", "30m", "1h", "1d"]
INTERVAL_SECONDS: dict[str, int] = {
    "15s": 15, "1m": 60, "3m": 180, "5m": 300, "15m": 900, "30m": 1800, "1h": 3600, "1d": 86400,
}  # fmt: skip


def tick_positions(n_ticks: int, interval_seconds: int) -> np.ndarray:
    """Positions on the 15-second grid of ticks every ``interval_seconds`` (close included).

    Raises
    ------
    ValueError
        If ``interval_seconds`` is not a positive multiple of 15.
    """
    base = cal.BASE_INTERVAL_SECONDS
    if interval_seconds <= 0 or interval_seconds % base:
        raise ValueError(
            f"interval_seconds must be a positive multiple of {base}; got {interval_seconds}"
        )
    pos = np.arange(0, n_ticks, interval_seconds // base)
    return pos if pos[-1] == n_ticks - 1 else np.append(pos, n_ticks - 1)


def quotes_frame(underlying: str, path: IntradayPath, positions: np.ndarray) -> pd.DataFrame:
    """Quote rows (:data:`~optionsintel.frames.QUOTE_COLUMNS`) at the given tick positions.

    ``open`` is the first tick, ``high``/``low`` the running extremes of the 15-second
    path, ``volume`` the cumulative day volume at the tick.
    """
    ts = pd.DatetimeIndex(path.ts[positions]).tz_localize("UTC")
    frame = pd.DataFrame(
        {
            "underlying": underlying.upper(),
            "snapshot_ts": ts,
            "ltp": path.spot[positions],
            "open": path.spot[0],
            "high": np.maximum.accumulate(path.spot)[positions],
            "low": np.minimum.accumulate(path.spot)[positions],
            "prev_close": path.prev_close,
            "volume": np.round(path.day_volume * path.activity[positions]),
            "exchange_ts": ts,
            "ingested_at": ts,
            "provider": PROVIDER,
        }
    )
    return frame.loc[:, list(QUOTE_COLUMNS)]


def _day_paths(underlying: str, start: dt.date, end: dt.date, seed: int) -> list[IntradayPath]:
    days = [pd.Timestamp(d).date() for d in trading_days(start - dt.timedelta(days=15), end)]
    first = next((k for k, d in enumerate(days) if d >= start), None)
    if first is None or first == 0:
        return []
    return [_intraday(underlying, days[k], days[k - 1], seed) for k in range(first, len(days))]


def index_daily_ohlc(
    underlying: str, start: dt.date | str, end: dt.date | str, seed: int = 0
) -> pd.DataFrame:
    """Daily OHLCV candles of a synthetic index on every trading day in ``[start, end]``.

    Parameters
    ----------
    underlying
        ``NIFTY``, ``BANKNIFTY`` or ``FINNIFTY``.
    start, end
        Inclusive date range.
    seed
        Market seed; identical seeds give identical candles.

    Returns
    -------
    pandas.DataFrame
        :data:`~optionsintel.frames.CANDLE_COLUMNS`, ``interval == "1d"``, ``ts`` at the
        session open (UTC); high/low are the extremes of the 15-second path, so they are
        consistent with :func:`optionsintel.synthetic.generate_day`.

    Raises
    ------
    CalendarError
        If ``end < start`` or the range is outside the calendar's coverage.
    """
    first, last = pd.Timestamp(start).date(), pd.Timestamp(end).date()
    if last < first:
        raise CalendarError(f"end {last} is before start {first}")
    paths = _day_paths(underlying, first, last, seed)
    name = underlying.upper()
    if not paths:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in CANDLE_COLUMNS})
    frame = pd.DataFrame(
        {
            "symbol": name,
            "interval": "1d",
            "ts": pd.DatetimeIndex([p.ts[0] for p in paths]).tz_localize("UTC"),
            "open": [p.spot[0] for p in paths],
            "high": [p.spot.max() for p in paths],
            "low": [p.spot.min() for p in paths],
            "close": [p.spot[-1] for p in paths],
            "volume": np.round([p.day_volume for p in paths]),
            "oi": np.nan,
            "provider": PROVIDER,
        }
    )
    return frame.loc[:, list(CANDLE_COLUMNS)]


def intraday_candles(underlying: str, path: IntradayPath, interval_seconds: int) -> pd.DataFrame:
    """OHLCV bars of one day from its 15-second path, labelled by bar start.

    The tick at a bar boundary closes the previous bar and opens the next one; the
    final 15:30 tick closes the last bar.
    """
    base = cal.BASE_INTERVAL_SECONDS
    step = interval_seconds // base
    n_int = path.spot.size - 1
    bar = np.arange(n_int) // step
    starts = np.flatnonzero(np.r_[True, bar[1:] != bar[:-1]])
    ends = np.r_[starts[1:], n_int]
    hi = np.maximum(path.spot[:-1], path.spot[1:])
    lo = np.minimum(path.spot[:-1], path.spot[1:])
    cum_vol = path.day_volume * path.activity
    frame = pd.DataFrame(
        {
            "symbol": underlying.upper(),
            "interval": _interval_name(interval_seconds),
            "ts": pd.DatetimeIndex(path.ts[starts]).tz_localize("UTC"),
            "open": path.spot[starts],
            "high": np.maximum.reduceat(hi, starts),
            "low": np.minimum.reduceat(lo, starts),
            "close": path.spot[ends],
            "volume": np.round(cum_vol[ends] - cum_vol[starts]),
            "oi": np.nan,
            "provider": PROVIDER,
        }
    )
    return frame.loc[:, list(CANDLE_COLUMNS)]


def _interval_name(seconds: int) -> str:
    names = {v: k for k, v in INTERVAL_SECONDS.items()}
    return names.get(seconds, f"{seconds}s")


def interval_seconds_of(interval: str) -> int:
    """Seconds of an interval name (``1m``, ``3m``, ``15m``, ``1h``, ``1d``...).

    Raises
    ------
    ValueError
        For an interval the synthetic market does not produce.
    """
    try:
        return INTERVAL_SECONDS[interval]
    except KeyError:
        raise ValueError(
            f"unknown interval {interval!r}; use one of {sorted(INTERVAL_SECONDS)}"
        ) from None
