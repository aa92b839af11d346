"""Research analytics benchmarks (prints figures; recorded in benchmarks/RESULTS.md).

1. compute_all_metrics (every metric incl. alpha/beta and captures) for 1,000 symbols
   x 10 years (2,520 rows) of daily returns.
2. Indicators (SMA, EMA, RSI, MACD, Bollinger, ATR) for 1,000 symbols x 2,500 bars,
   side by side with a plain pandas implementation (ewm-based EMA/Wilder on the same
   wide frame) -- the plain pandas versions use the same definitions.

Run: .venv/bin/python benchmarks/bench_research.py
"""

from __future__ import annotations

import os
import time

import numpy as np
import pandas as pd

import optionsintel.research as rs


def _median_time(fn, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def _pandas_ema(close: pd.DataFrame, n: int) -> pd.DataFrame:
    seed = close.rolling(n).mean()
    x = close.copy()
    x.iloc[: n - 1] = np.nan
    x.iloc[n - 1] = seed.iloc[n - 1]
    return x.ewm(alpha=2 / (n + 1), adjust=False, ignore_na=True).mean()


def _pandas_wilder(x: pd.DataFrame, n: int) -> pd.DataFrame:
    seed = x.rolling(n).mean()
    y = x.copy()
    y.iloc[: n - 1] = np.nan
    y.iloc[n - 1] = seed.iloc[n - 1]
    return y.ewm(alpha=1 / n, adjust=False, ignore_na=True).mean()


def _pandas_indicators(close, high, low):
    d = close.diff()
    up = _pandas_wilder(d.clip(lower=0).iloc[1:], 14)
    dn = _pandas_wilder((-d).clip(lower=0).iloc[1:], 14)
    rsi = 100 - 100 / (1 + up / dn)
    sma = close.rolling(20).mean()
    line = _pandas_ema(close, 12) - _pandas_ema(close, 26)
    sd = close.rolling(20).std(ddof=0)
    prev = close.shift(1)
    tr = np.maximum(high - low, np.maximum((high - prev).abs(), (low - prev).abs()))
    atr = _pandas_wilder(tr, 14)
    return rsi, sma, line, sma + 2 * sd, atr


def _ours(close, high, low):
    return (
        rs.rsi(close, 14),
        rs.sma(close, 20),
        rs.macd(close)["macd"],
        rs.bollinger_bands(close)["upper"],
        rs.atr(high, low, close, 14),
    )


def main() -> None:
    rng = np.random.default_rng(0)
    n_sym, n_days = 1000, 2520
    idx = pd.bdate_range("2015-01-01", periods=n_days)
    bench = pd.Series(rng.normal(0.0004, 0.01, n_days), index=idx)
    rets = pd.DataFrame(
        bench.to_numpy()[:, None] * rng.uniform(0.5, 1.5, n_sym)
        + rng.normal(0, 0.012, (n_days, n_sym)),
        index=idx,
        columns=[f"S{i:04d}" for i in range(n_sym)],
    )
    rets.iloc[:300, :100] = np.nan  # late listings
    rs.compute_all_metrics(rets.iloc[:50, :5], bench)  # warm-up (numba compile / cache load)
    load = os.getloadavg()
    print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    t_all = _median_time(lambda: rs.compute_all_metrics(rets, bench), 11)
    t_nob = _median_time(lambda: rs.compute_all_metrics(rets), 11)
    print(
        f"compute_all_metrics 1000 x 2520 with benchmark: {t_all:.3f} s "
        "(median of 11; target < 1 s)"
    )
    print(f"compute_all_metrics 1000 x 2520 no benchmark:   {t_nob:.3f} s")
    load = os.getloadavg()
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")

    n_bars = 2500
    close = pd.DataFrame(
        100 * np.exp(np.cumsum(rng.normal(0, 0.015, (n_bars, n_sym)), axis=0)),
        index=pd.bdate_range("2015-01-01", periods=n_bars),
    )
    spread = np.abs(rng.normal(0, 0.01, close.shape)) * close
    high, low = close + spread, close - spread
    _ours(close.iloc[:60, :3], high.iloc[:60, :3], low.iloc[:60, :3])  # numba compile
    t_ours = _median_time(lambda: _ours(close, high, low), 3)
    t_pd = _median_time(lambda: _pandas_indicators(close, high, low), 3)
    ours, ref = _ours(close, high, low), _pandas_indicators(close, high, low)
    err = max(
        float(np.nanmax(np.abs(a.to_numpy()[-2000:] - b.to_numpy()[-2000:])))
        for a, b in zip(ours, ref, strict=True)
    )
    print(
        f"indicators (RSI, SMA, MACD line, Bollinger upper, ATR) 1000 x 2500: ours {t_ours:.3f} s, "
        f"plain pandas {t_pd:.3f} s, max abs diff {err:.2e}"
    )
    for name, fn in {
        "rsi": lambda: rs.rsi(close, 14),
        "ema": lambda: rs.ema(close, 20),
        "atr": lambda: rs.atr(high, low, close, 14),
        "pandas ewm-RSI (plain)": lambda: _pandas_indicators(close, high, low)[0],
    }.items():
        print(f"  {name:24s} {_median_time(fn, 3):.3f} s")


if __name__ == "__main__":
    main()
