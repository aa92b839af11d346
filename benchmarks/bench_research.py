"""Research analytics benchmarks (prints figures; recorded in benchmarks/RESULTS.md).

1. compute_all_metrics (every metric incl. alpha/beta and captures) for 1,000 symbols
   x 10 years (2,520 rows) of daily returns.
2. Indicators (SMA, EMA, RSI, MACD, Bollinger, ATR) for 1,000 symbols x 2,500 bars,
   side by side with a plain pandas implementation (ewm-based EMA/Wilder on the same
   wide frame) -- the plain pandas versions use the same definitions.

Run: .venv/bin/python benchmarks/bench_research.py [--talib-only] [--rounds N]
(``--talib-only``: only the interleaved comparison with TA-Lib, total and per indicator.)
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


def _talib_indicators(close, high, low):  # type: ignore[no-untyped-def]
    """The same five indicators from TA-Lib, column by column (TA-Lib takes 1-D arrays)."""
    import talib

    c, h, lo = (np.asfortranarray(f.to_numpy()) for f in (close, high, low))
    out = {k: np.empty_like(c) for k in ("rsi", "sma", "macd", "signal", "upper", "atr")}
    for j in range(c.shape[1]):
        out["rsi"][:, j] = talib.RSI(c[:, j], 14)
        out["sma"][:, j] = talib.SMA(c[:, j], 20)
        out["macd"][:, j], out["signal"][:, j], _ = talib.MACD(c[:, j], 12, 26, 9)
        out["upper"][:, j] = talib.BBANDS(c[:, j], 20, 2.0, 2.0, 0)[0]
        out["atr"][:, j] = talib.ATR(h[:, j], lo[:, j], c[:, j], 14)
    return out


def _ours_full(close, high, low, extras: bool = False):  # type: ignore[no-untyped-def]
    """Ours; ``extras=False``: Bollinger's three bands only, TA-Lib's BBANDS outputs."""
    m = rs.macd(close)
    return {
        "rsi": rs.rsi(close, 14),
        "sma": rs.sma(close, 20),
        "macd": m["macd"],
        "signal": m["signal"],
        "upper": rs.bollinger_bands(close, extras=extras)["upper"],
        "atr": rs.atr(high, low, close, 14),
    }


def bench_vs_talib(rounds: int = 7) -> None:
    """RSI 14 + MACD 12/26/9 + Bollinger 20/2 + ATR 14 + SMA 20, 1,000 x 2,500, interleaved.

    "optionsintel" computes what TA-Lib computes (Bollinger: middle, upper, lower);
    "optionsintel, BB 5 outputs" is the default ``bollinger_bands`` (also bandwidth, %b).
    """
    rng = np.random.default_rng(1)
    close = pd.DataFrame(100 * np.exp(np.cumsum(rng.normal(0, 0.015, (2500, 1000)), axis=0)))
    spread = np.abs(rng.normal(0, 0.01, close.shape)) * close
    high, low = close + spread, close - spread
    for extras in (False, True):  # numba cache load
        _ours_full(close.iloc[:60, :3], high.iloc[:60, :3], low.iloc[:60, :3], extras)
    runs = {
        "optionsintel": lambda: _ours_full(close, high, low),
        "TA-Lib": lambda: _talib_indicators(close, high, low),
        "optionsintel, BB 5 outputs": lambda: _ours_full(close, high, low, True),
    }
    times: dict[str, list[float]] = {k: [] for k in runs}
    for i in range(rounds):
        for name in runs if i % 2 == 0 else list(reversed(runs)):
            t0 = time.perf_counter()
            runs[name]()
            times[name].append(time.perf_counter() - t0)
    ours, ta = _ours_full(close, high, low), _talib_indicators(close, high, low)
    print(f"indicators vs TA-Lib, 1000 x 2500, {rounds} rounds interleaved, load {os.getloadavg()}")
    base = float(np.median(times["TA-Lib"]))
    for name, v in times.items():
        med = float(np.median(v))
        print(
            f"  {name:<26} median {med:.3f} s  min {min(v):.3f} s  this / TA-Lib {med / base:.2f}x"
        )
    _per_indicator(close, high, low, rounds)
    for k in ours:  # after the warm-up (TA-Lib seeds MACD's fast EMA later than the textbook)
        a, b = ours[k].to_numpy()[200:], ta[k][200:]
        print(f"  {k:<7} max |ours - TA-Lib| / |TA-Lib| after bar 200: "
              f"{float(np.nanmax(np.abs(a - b) / np.abs(b))):.1e}")  # fmt: skip


def _per_indicator(close, high, low, rounds: int) -> None:  # type: ignore[no-untyped-def]
    """Each indicator alone against the same TA-Lib calls, interleaved, median of ``rounds``."""
    import talib

    c, h, lo = (np.asfortranarray(f.to_numpy()) for f in (close, high, low))

    def ta(fn):  # type: ignore[no-untyped-def]
        """Column by column into 2-D outputs, as ``_talib_indicators`` (a wide result)."""

        def run():  # type: ignore[no-untyped-def]
            outs = None
            for j in range(c.shape[1]):
                r = fn(j)
                r = r if isinstance(r, tuple) else (r,)
                if outs is None:
                    outs = [np.empty(c.shape, order="F") for _ in r]
                for o, v in zip(outs, r, strict=True):
                    o[:, j] = v
            return outs

        return run

    pairs = {
        "RSI 14": (lambda: rs.rsi(close, 14), ta(lambda j: talib.RSI(c[:, j], 14))),
        "SMA 20": (lambda: rs.sma(close, 20), ta(lambda j: talib.SMA(c[:, j], 20))),
        "MACD 12/26/9": (lambda: rs.macd(close), ta(lambda j: talib.MACD(c[:, j], 12, 26, 9))),
        "Bollinger 20/2": (
            lambda: rs.bollinger_bands(close, extras=False),
            ta(lambda j: talib.BBANDS(c[:, j], 20, 2.0, 2.0, 0)),
        ),
        "BB, 5 outputs": (  # ours also bandwidth and %b; TA-Lib the same three bands
            lambda: rs.bollinger_bands(close),
            ta(lambda j: talib.BBANDS(c[:, j], 20, 2.0, 2.0, 0)),
        ),
        "ATR 14": (
            lambda: rs.atr(high, low, close, 14),
            ta(lambda j: talib.ATR(h[:, j], lo[:, j], c[:, j], 14)),
        ),
    }
    print(f"  per indicator, median of {rounds} interleaved (ours / TA-Lib):")
    for name, (mine, theirs) in pairs.items():
        tm: list[float] = []
        tt: list[float] = []
        for i in range(rounds):
            for fn, acc in ((mine, tm), (theirs, tt)) if i % 2 == 0 else ((theirs, tt), (mine, tm)):
                t0 = time.perf_counter()
                fn()
                acc.append(time.perf_counter() - t0)
        a, b = float(np.median(tm)), float(np.median(tt))
        print(f"    {name:<15} ours {a * 1e3:6.1f} ms  TA-Lib {b * 1e3:6.1f} ms  {a / b:.2f}x")


if __name__ == "__main__":
    import sys

    if "--talib-only" not in sys.argv:
        main()
    rounds = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 7
    bench_vs_talib(rounds)
