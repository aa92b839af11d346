"""Calendar speed: vectorised trading-day checks, expiry generation, year fractions."""

from __future__ import annotations

import timeit

import numpy as np
import pandas as pd

from optionsintel.calendar import (
    expiries_between,
    is_trading_day,
    listed_expiries,
    years_to_expiry,
)


def _median_ms(fn, repeat: int = 7, number: int = 5) -> float:
    return float(np.median(timeit.repeat(fn, repeat=repeat, number=number)) / number * 1e3)


def main() -> None:
    rng = np.random.default_rng(7)
    days = pd.to_datetime("2019-01-01") + pd.to_timedelta(rng.integers(0, 2900, 1_000_000), "D")
    ts = pd.DatetimeIndex(days).tz_localize("Asia/Kolkata") + pd.Timedelta(hours=11)
    expiry = np.full(len(ts), np.datetime64("2026-12-29"))
    is_trading_day(days[:10])  # load data files once
    print(
        f"is_trading_day, 1e6 dates:            {_median_ms(lambda: is_trading_day(days)):8.1f} ms"
    )
    print(
        "expiries_between NIFTY 2019-2026 all:  "
        f"{_median_ms(lambda: expiries_between('NIFTY', '2019-01-01', '2026-12-31')):8.2f} ms"
    )
    print(
        "listed_expiries NIFTY one day:         "
        f"{_median_ms(lambda: listed_expiries('NIFTY', '2024-07-04')):8.2f} ms"
    )
    for basis in ("calendar", "trading"):
        ms = _median_ms(lambda b=basis: years_to_expiry(ts, expiry, b), repeat=3, number=1)
        print(f"years_to_expiry {basis:8s}, 1e6 rows:  {ms:8.1f} ms")


if __name__ == "__main__":
    main()
