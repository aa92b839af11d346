"""Speed of the synthetic market: one full day of 15-second chain snapshots, EOD chains, equities.

Run: .venv/bin/python benchmarks/bench_synthetic.py
"""

from __future__ import annotations

import statistics
import time

from optionsintel.synthetic import equity_daily_ohlcv, generate_day, generate_eod_chain
from optionsintel.synthetic.equities import _factors, _universe

DAY = "2025-07-16"
SESSION_SECONDS = 6.25 * 3600


def _time(fn, repeats: int = 3) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def full_day() -> tuple[int, int]:
    day = generate_day(("NIFTY", "BANKNIFTY", "FINNIFTY"), DAY, interval_seconds=15, seed=0)
    rows = sum(len(f) for f in day.iter_frames(batch_size=100))
    return rows, len(day.quotes)


def main() -> None:
    seconds, (rows, quotes) = _time(full_day, repeats=2)
    print(
        f"full day, 3 indices, 15 s snapshots: {rows:,} chain rows + {quotes:,} quotes "
        f"in {seconds:.1f} s ({rows / seconds:,.0f} rows/s, "
        f"{SESSION_SECONDS / seconds:,.0f}x real time)"
    )
    eod, chain = _time(lambda: generate_eod_chain("NIFTY", DAY, seed=0))
    print(f"EOD chain NIFTY ({len(chain):,} rows, all expiries): {eod * 1000:.0f} ms")

    def equities():
        _universe.cache_clear()
        _factors.cache_clear()
        return equity_daily_ohlcv(2000, "2021-07-01", "2026-06-30", seed=0)

    eq, bars = _time(equities, repeats=2)
    print(f"equities 2,000 x 5 years ({len(bars):,} bars, cold caches): {eq:.1f} s")


if __name__ == "__main__":
    main()
