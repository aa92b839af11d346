"""Benchmark: options-leg backtests over end-of-day chains and 15-second intraday snapshots.

Run: ``.venv/bin/python benchmarks/bench_options_backtest.py [--skip-intraday]``. Prints
the median of repeats (ms) and, in brackets, the fastest run.

Targets (issue 16): one year of daily entries of a 4-leg strategy over end-of-day chains
< 1 s; one month over 15-second intraday snapshots of one index: time and rows read.

Chains are synthetic but shaped like the store's: NIFTY, 2024, every trading day, the two
nearest weekly expiries listed that day (point-in-time calendar), 61 strikes (ATM +-30
steps of 50) x CE/PE, Black-Scholes prices at 13 % vol on a random-walk spot, volume > 0
(fresh). The 4-leg strategy is a short iron condor (ATM +-4 steps sold, +-8 bought),
entered at each close, held to the current weekly expiry and settled. The intraday month
(January 2024, 21 sessions, 09:15:00-15:30:00 every 15 s = 1,501 snapshots a day) has ATM
+-10 strikes of the current weekly expiry; a short straddle entered 09:20, 50 % leg stops,
exit 15:15. Timed: :func:`chain_panel` (pivot) and :func:`run_options_backtest` (selection,
fills, exits, settlement, costs of every fill, metrics) - the store read is not included
(its rows are reported: what a store read would return).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from optionsintel.backtest.options import (
    EntryRule,
    ExitRule,
    LegRule,
    OptionsStrategySpec,
    chain_panel,
    run_options_backtest,
)
from optionsintel.calendar import listed_expiries, trading_days, years_to_expiry
from optionsintel.pricing import black_scholes_price


def _prices(spot, strikes, t, kinds) -> np.ndarray:
    return np.maximum(np.asarray(black_scholes_price(spot, strikes, t, 0.065, 0.13, kinds)), 0.05)


def eod_chains(year: int = 2024, seed: int = 7) -> pd.DataFrame:
    """One year of end-of-day chains (two nearest weekly expiries, 61 strikes x CE/PE)."""
    rng = np.random.default_rng(seed)
    days = trading_days(f"{year}-01-01", f"{year}-12-31")
    spot = 21000 * np.exp(np.cumsum(rng.normal(0, 0.009, len(days))))
    parts = []
    offsets = np.arange(-30, 31) * 50.0
    for day, s in zip(days, spot, strict=True):
        close = pd.Timestamp(day).tz_localize("Asia/Kolkata") + pd.Timedelta(hours=15, minutes=30)
        for expiry in listed_expiries("NIFTY", day)[:2]:
            strikes = np.round(s / 50) * 50 + offsets
            t = np.maximum(float(years_to_expiry(close, expiry.date())), 1e-6)
            for kind in ("CE", "PE"):
                parts.append(pd.DataFrame({
                    "underlying": "NIFTY", "provider": "bench", "trade_date": day.date(),
                    "expiry": expiry.date(), "strike": strikes, "option_type": kind,
                    "close": _prices(s, strikes, t, kind), "volume": 1000.0,
                    "underlying_price": s,
                }))  # fmt: skip
    return pd.concat(parts, ignore_index=True)


def intraday_month(seed: int = 11) -> pd.DataFrame:
    """January 2024 in 15-second snapshots: ATM +-10 strikes of the current weekly expiry."""
    rng = np.random.default_rng(seed)
    parts = []
    s0 = 21700.0
    for day in trading_days("2024-01-01", "2024-01-31"):
        ts = pd.date_range(f"{day.date()} 09:15", f"{day.date()} 15:30", freq="15s",
                           tz="Asia/Kolkata")  # fmt: skip
        spot = s0 * np.exp(np.cumsum(rng.normal(0, 0.00012, len(ts))))
        s0 = float(spot[-1])
        expiry = listed_expiries("NIFTY", day)[0].date()
        t = np.maximum(np.asarray(years_to_expiry(ts, expiry), float), 1e-6)
        for k in np.round(spot[0] / 50) * 50 + np.arange(-10, 11) * 50.0:
            for kind in ("CE", "PE"):
                parts.append(pd.DataFrame({
                    "underlying": "NIFTY", "provider": "bench", "snapshot_ts": ts.tz_convert("UTC"),
                    "expiry": expiry, "strike": k, "option_type": kind,
                    "ltp": _prices(spot, k, t, kind), "underlying_price": spot,
                }))  # fmt: skip
    return pd.concat(parts, ignore_index=True)


def _time(fn: Callable[[], object], repeats: int) -> tuple[float, float, object]:
    runs, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        runs.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(runs), min(runs), out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-intraday", action="store_true")
    args = parser.parse_args()
    condor = OptionsStrategySpec("iron condor", "NIFTY", (
        LegRule("CE", "sell", offset=4), LegRule("CE", "buy", offset=8),
        LegRule("PE", "sell", offset=-4), LegRule("PE", "buy", offset=-8)))  # fmt: skip
    rows = eod_chains()
    med, low, panel = _time(lambda: chain_panel(rows, kind="eod", underlying="NIFTY",
                                                provider="bench"), 5)  # fmt: skip
    print(f"EOD year: {len(rows):,} chain rows; chain_panel {med:.1f} ms ({low:.1f})")
    med2, low2, res = _time(lambda: run_options_backtest(panel, condor), 5)  # type: ignore[arg-type]
    m = res.metrics  # type: ignore[attr-defined]
    print(f"EOD year: run_options_backtest {med2:.1f} ms ({low2:.1f}); "
          f"{int(m['n_trades'])} trades, {int(m['n_skipped'])} skipped")  # fmt: skip
    print(f"EOD year: panel + run {med + med2:.1f} ms ({low + low2:.1f})  [target < 1,000 ms]")
    if args.skip_intraday:
        return
    t0 = time.perf_counter()
    snaps = intraday_month()
    print(f"intraday month: {len(snaps):,} snapshot rows generated in "
          f"{time.perf_counter() - t0:.1f} s")  # fmt: skip
    straddle = OptionsStrategySpec(
        "short straddle 09:20-15:15", "NIFTY",
        (LegRule("CE", "sell", stop_loss=0.5), LegRule("PE", "sell", stop_loss=0.5)),
        entry=EntryRule(time=dt.time(9, 20)), exit=ExitRule(time=dt.time(15, 15)))  # fmt: skip
    med, low, panel = _time(lambda: chain_panel(snaps, kind="intraday", underlying="NIFTY",
                                                provider="bench"), 3)  # fmt: skip
    print(f"intraday month: chain_panel {med:.0f} ms ({low:.0f}); rows read {len(snaps):,}")
    med2, low2, res = _time(lambda: run_options_backtest(panel, straddle), 3)  # type: ignore[arg-type]
    m = res.metrics  # type: ignore[attr-defined]
    print(f"intraday month: run_options_backtest {med2:.0f} ms ({low2:.0f}); "
          f"{int(m['n_trades'])} trades, {int(m['n_skipped'])} skipped")  # fmt: skip


if __name__ == "__main__":
    main()
