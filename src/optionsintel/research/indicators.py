"""Technical indicators vectorised across wide frames (index = bars, columns = symbols).

Every function accepts a Series (one symbol) or a wide DataFrame (thousands of
symbols) and returns the same type; multi-line indicators return a ``dict`` of
them. Recursive smoothers (EMA, Wilder: RSI, ATR) run in the numba kernels of
:mod:`optionsintel.research._recursive` (four columns at a time); windowed ones
(SMA, Bollinger) in those of :mod:`optionsintel.research._rolling` (pandas'
conventions, ~10x faster than ``DataFrame.rolling`` on wide frames). Leading NaN (a
symbol listed later) is skipped: each column starts at its first valid value.
Speed against TA-Lib: benchmarks/RESULTS.md (issue 21, h-ind21: total 1.18x TA-Lib run
column by column in the quieter runs, Bollinger with TA-Lib's three outputs). TA-Lib is
not used here although it ships wheels: its results are not ours. Its MACD seeds the
fast EMA at the slow one's start and its ATR starts the true range at bar 1 (both differ
by a decaying seed error, 7e-10 and 1.6e-7 relative after 200 bars), one missing bar
turns its SMA/EMA NaN for the rest of the column where ours (pandas' conventions) only
blank the affected windows and keep the recursion's state, and its SMA/RSI round
differently in the last bits.

Definitions (textbook originals, not library variants):

* EMA: ``alpha = 2 / (n + 1)``, seeded with the SMA of the first ``n`` values
  (``seed="sma"``, TA-Lib / StockCharts) or with the first value (``seed="first"``,
  ``pandas.ewm(adjust=False)``).
* Wilder smoothing (RSI, ATR): first average = simple mean of the first ``n``
  values, then ``avg_t = (avg_{t-1} (n - 1) + x_t) / n`` (Wilder 1978, *New
  Concepts in Technical Trading Systems*). It equals an EMA with ``alpha = 1/n``
  only after the SMA seed; ``vbt.RSI.run(..., ewm=True)`` is a different indicator.
"""

from __future__ import annotations

from typing import Literal, TypeVar

import numpy as np
import pandas as pd

from optionsintel.research import _macd, _recursive
from optionsintel.research._common import FloatArray, ResearchInputError, normalise
from optionsintel.research._rolling import bollinger, rolling_mean
from optionsintel.tz import EXCHANGE_TZ

__all__ = ["atr", "bollinger_bands", "ema", "macd", "pivots", "rsi", "sma", "vwap"]

PandasT = TypeVar("PandasT", pd.Series, pd.DataFrame)


def _check(data: object, window: int, name: str = "window") -> None:
    if not isinstance(data, pd.Series | pd.DataFrame):
        raise ResearchInputError("indicators take a pandas Series or a wide DataFrame")
    if int(window) < 1:
        raise ResearchInputError(f"{name} must be >= 1; got {window}")


def _values(data: pd.Series | pd.DataFrame, what: str = "close") -> FloatArray:
    """2-D float64 values, column-major, without a copy when the frame is one float block."""
    if isinstance(data, pd.DataFrame) and (data.dtypes == np.float64).all():
        return np.asfortranarray(data.to_numpy())
    return np.asfortranarray(normalise(data, what).values)


def _wrap(like: PandasT, values: FloatArray) -> PandasT:
    """``values`` (a fresh kernel output nobody else holds) as ``like``'s type, no copy.

    pandas 3 copies a NumPy array into a new frame by default; a 20 MB copy per output
    was a third of an indicator's time.
    """
    if isinstance(like, pd.Series):
        return pd.Series(values[:, 0], index=like.index, name=like.name, copy=False)
    return pd.DataFrame(values, index=like.index, columns=like.columns, copy=False)


def sma(close: PandasT, window: int = 20) -> PandasT:
    """Compute the simple moving average over ``window`` bars (NaN until the window is full)."""
    _check(close, window)
    x = _values(close)  # column-major: the kernels read down columns
    return _wrap(close, rolling_mean(x, int(window)))


def ema(close: PandasT, span: int = 20, seed: Literal["sma", "first"] = "sma") -> PandasT:
    """Exponential moving average with ``alpha = 2 / (span + 1)``.

    Parameters
    ----------
    close
        Prices, Series or wide DataFrame.
    span
        Period ``n``.
    seed
        ``"sma"``: first value is the SMA of the first ``n`` bars (TA-Lib,
        StockCharts); ``"first"``: starts at the first price (pandas
        ``ewm(span=n, adjust=False)``).

    Notes
    -----
    ``EMA_t = EMA_{t-1} + alpha (x_t - EMA_{t-1})``.
    """
    _check(close, span, "span")
    return _wrap(close, _ema(_values(close), int(span), seed == "first"))


def _ema(x: FloatArray, span: int, seed_first: bool = False) -> FloatArray:
    return _recursive.smooth(x, span, 2.0 / (span + 1.0), seed_first)


def rsi(close: PandasT, window: int = 14) -> PandasT:
    """Wilder's Relative Strength Index.

    Notes
    -----
    ``U_t = max(P_t - P_{t-1}, 0)``, ``D_t = max(P_{t-1} - P_t, 0)``; ``AU``/``AD``
    are Wilder averages (first = mean of the first ``n`` changes, then
    ``(prev (n-1) + x) / n``); ``RSI = 100 - 100 / (1 + AU/AD)``; 100 when
    ``AD = 0 < AU`` and 50 when both are 0 (flat prices). The first value is at
    bar ``n`` (``n`` changes are needed). Wilder (1978); StockCharts' worked example
    gives 70.46 for the first 14-day value (70.53 published with rounded averages).
    """
    _check(close, window)
    return _wrap(close, _recursive.rsi(_values(close), int(window)))


def macd(close: PandasT, fast: int = 12, slow: int = 26, signal: int = 9) -> dict[str, PandasT]:
    """MACD (Appel): ``EMA_fast - EMA_slow``, its ``signal`` EMA and the histogram.

    Returns
    -------
    dict
        ``macd``, ``signal``, ``histogram`` (each the type of ``close``). EMAs are
        SMA-seeded, so the line starts at bar ``slow - 1`` and the signal at
        ``slow + signal - 2``.
    """
    if fast >= slow:
        raise ResearchInputError(f"fast period ({fast}) must be shorter than slow ({slow})")
    for period, name in ((fast, "fast"), (slow, "slow"), (signal, "signal")):
        _check(close, period, name)
    line, sig, hist = _macd.macd(_values(close), int(fast), int(slow), int(signal))
    return {k: _wrap(close, v) for k, v in (("macd", line), ("signal", sig), ("histogram", hist))}


def bollinger_bands(
    close: PandasT, window: int = 20, num_std: float = 2.0, ddof: int = 0, *, extras: bool = True
) -> dict[str, PandasT]:
    """Bollinger bands: SMA ± ``num_std`` rolling standard deviations.

    Parameters
    ----------
    extras
        Also ``bandwidth`` and ``percent_b`` (the default). ``False`` returns only
        ``middle``, ``upper`` and ``lower`` (TA-Lib's ``BBANDS`` outputs): the same
        values, without two divisions a bar and two full-size outputs.

    Notes
    -----
    Bollinger uses the population standard deviation (``ddof=0``). With ``extras``
    also ``bandwidth = (upper - lower) / middle`` and
    ``percent_b = (P - lower) / (upper - lower)``.
    """
    _check(close, window)
    x = _values(close)  # column-major: the kernels read down columns
    bands = bollinger(x, int(window), float(num_std), int(ddof), bool(extras))
    return {k: _wrap(close, v) for k, v in bands.items()}


def atr(high: PandasT, low: PandasT, close: PandasT, window: int = 14) -> PandasT:
    """Wilder's Average True Range.

    Notes
    -----
    ``TR_t = max(H_t - L_t, |H_t - C_{t-1}|, |L_t - C_{t-1}|)`` (``TR_0 = H_0 - L_0``);
    ATR is the Wilder average of TR: first value at bar ``n - 1`` = mean of the first
    ``n`` TRs, then ``(prev (n-1) + TR) / n``.
    """
    _check(close, window)
    h, lo, c = (_values(v, "price") for v in (high, low, close))
    if not h.shape == lo.shape == c.shape:
        raise ResearchInputError("high, low and close must have the same shape")
    return _wrap(close, _recursive.atr(h, lo, c, int(window)))


def vwap(
    high: PandasT,
    low: PandasT,
    close: PandasT,
    volume: PandasT,
    session: Literal["D", "none"] = "D",
    timezone: str = EXCHANGE_TZ,
) -> PandasT:
    """Volume-weighted average price of the typical price ``(H + L + C) / 3``.

    Parameters
    ----------
    session
        ``"D"``: cumulative sums restart every trading day (the session date is taken
        in ``timezone`` for a tz-aware index); ``"none"``: cumulative over the sample.

    Notes
    -----
    ``VWAP_t = sum(TP_s V_s) / sum(V_s)`` over the session so far; NaN while the
    session's cumulative volume is zero (index bars carry no volume on NSE).
    """
    _check(close, 1)
    tp = (high + low + close) / 3.0
    pv, vol = tp * volume, volume.astype(float)
    if session == "D":
        idx = close.index
        if not isinstance(idx, pd.DatetimeIndex):
            raise ResearchInputError("session='D' needs a DatetimeIndex; use session='none'")
        local = idx.tz_convert(timezone) if idx.tz is not None else idx
        key = np.asarray(local.normalize())
        num, den = pv.groupby(key).cumsum(), vol.groupby(key).cumsum()
        num.index, den.index = idx, idx
    else:
        num, den = pv.cumsum(), vol.cumsum()
    return num / den.where(den > 0)


def pivots(high: PandasT, low: PandasT, close: PandasT, shift: bool = True) -> dict[str, PandasT]:
    """Classic floor-trader pivot points from a bar's high, low and close.

    Parameters
    ----------
    shift
        True: each row holds the levels *valid for that bar*, i.e. computed from the
        previous bar (pass daily bars for daily pivots). False: levels from the same
        row (to be used for the next period).

    Notes
    -----
    ``P = (H + L + C) / 3``, ``R1 = 2P - L``, ``S1 = 2P - H``, ``R2 = P + (H - L)``,
    ``S2 = P - (H - L)``, ``R3 = H + 2 (P - L)``, ``S3 = L - 2 (H - P)``.
    """
    _check(close, 1)
    P = (high + low + close) / 3.0
    levels = {
        "pivot": P, "r1": 2 * P - low, "s1": 2 * P - high, "r2": P + (high - low),
        "s2": P - (high - low), "r3": high + 2 * (P - low), "s3": low - 2 * (high - P),
    }  # fmt: skip
    return {k: v.shift(1) for k, v in levels.items()} if shift else levels
