"""The fused/numba indicator kernels give the frames of the array formulations they replaced.

References: the RSI and MACD array code ``research.indicators`` had before (kept here), and
pandas' rolling mean/std for SMA and Bollinger. NaN gaps and late listings included.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import optionsintel.research.indicators as ind
from optionsintel.research import _recursive, _rolling


def _old_rsi(close: pd.DataFrame, window: int) -> pd.DataFrame:
    x = close.to_numpy(dtype=float)
    d = np.full_like(x, np.nan)
    d[1:] = x[1:] - x[:-1]
    alpha = 1.0 / window
    up = np.where(np.isnan(d), np.nan, np.maximum(d, 0.0))
    dn = np.where(np.isnan(d), np.nan, np.maximum(-d, 0.0))
    au = _recursive.smooth(up, window, alpha, False)
    ad = _recursive.smooth(dn, window, alpha, False)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = 100.0 - 100.0 / (1.0 + au / ad)
    out = np.where((ad == 0) & (au > 0), 100.0, out)
    out = np.where((ad == 0) & (au == 0), 50.0, out)
    return pd.DataFrame(out, index=close.index, columns=close.columns)


def _old_macd(close: pd.DataFrame) -> dict[str, pd.DataFrame]:
    line = ind.ema(close, 12) - ind.ema(close, 26)
    sig = ind.ema(line, 9)
    return {"macd": line, "signal": sig, "histogram": line - sig}


prices = arrays(
    np.float64,
    st.tuples(st.integers(1, 80), st.integers(1, 4)),
    elements=st.one_of(st.floats(1, 1000), st.just(np.nan)),
)


@settings(max_examples=200, deadline=None)
@given(prices, st.integers(1, 20))
def test_rsi_kernel_equals_the_array_formulation(x: np.ndarray, n: int) -> None:
    df = pd.DataFrame(x)
    pd.testing.assert_frame_equal(ind.rsi(df, n), _old_rsi(df, n), check_exact=True)


@settings(max_examples=100, deadline=None)
@given(prices)
def test_macd_on_arrays_equals_the_frame_formulation(x: np.ndarray) -> None:
    df = pd.DataFrame(x)
    new, old = ind.macd(df), _old_macd(df)
    for k in old:
        pd.testing.assert_frame_equal(new[k], old[k], check_exact=True)


@settings(max_examples=200, deadline=None)
@given(prices, st.integers(1, 20), st.sampled_from([0, 1]))
def test_fused_bollinger_equals_the_array_formulation(x: np.ndarray, n: int, ddof: int) -> None:
    mid = _rolling.rolling_mean(x, n)
    sd = _rolling.rolling_std(x, mid, n, ddof)
    upper, lower = mid + 2.0 * sd, mid - 2.0 * sd
    with np.errstate(divide="ignore", invalid="ignore"):
        width, pct = (upper - lower) / mid, (x - lower) / (upper - lower)
    old = {"middle": mid, "upper": upper, "lower": lower, "bandwidth": width, "percent_b": pct}
    new = _rolling.bollinger(x, n, 2.0, ddof)
    for k, v in old.items():
        np.testing.assert_array_equal(new[k], v, err_msg=k)


def test_wide_frame_with_late_listings_and_gaps() -> None:
    rng = np.random.default_rng(7)
    close = pd.DataFrame(100 * np.exp(np.cumsum(rng.normal(0, 0.015, (600, 50)), axis=0)))
    close.iloc[:120, :10] = np.nan  # late listings
    close.iloc[300, 20] = np.nan  # a missing bar
    pd.testing.assert_frame_equal(ind.rsi(close, 14), _old_rsi(close, 14), check_exact=True)
    roll = close.rolling(20, min_periods=20)
    pd.testing.assert_frame_equal(ind.sma(close, 20), roll.mean(), rtol=1e-12)
    bands = ind.bollinger_bands(close, 20, 2.0)
    pd.testing.assert_frame_equal(bands["upper"], roll.mean() + 2.0 * roll.std(ddof=0), rtol=1e-10)
    series = ind.rsi(close[5], 14)
    assert isinstance(series, pd.Series) and series.name == 5
    pd.testing.assert_series_equal(series, _old_rsi(close[[5]], 14)[5], check_exact=True)
