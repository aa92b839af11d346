"""Custom-pattern rule engine benchmarks (prints figures; recorded in benchmarks/RESULTS.md).

1. Parse + validate one 10-condition text rule (target < 1 ms).
2. Evaluate that rule over 1,000 symbols x 252 daily bars (one year):
   cold = empty indicator cache, numba kernels already compiled (target < 200 ms);
   warm = indicator cache warm (target < 20 ms); with the cache hit/miss split.

Run: .venv/bin/python benchmarks/bench_rules.py
"""

from __future__ import annotations

import os
import time

import numpy as np
import pandas as pd

from optionsintel.rules import IndicatorCache, Panel, compile_rule, evaluate, parse_rule


def make_panel(bars: int, symbols: int, seed: int) -> dict[str, pd.DataFrame]:
    """Seeded daily OHLCV random walks (the same recipe as tests/rules/panels.py)."""
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2024-01-01", periods=bars, freq="B")
    cols = pd.Index([f"SYM{i:04d}" for i in range(symbols)])
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, (bars, symbols)), axis=0))
    spread = np.abs(rng.normal(0, 0.01, (bars, symbols)))
    arrays = {
        "open": close * (1 + rng.normal(0, 0.005, (bars, symbols))),
        "high": close * (1 + spread),
        "low": close * (1 - spread),
        "close": close,
        "volume": rng.integers(10_000, 50_000, (bars, symbols)).astype(float),
    }
    return {k: pd.DataFrame(v, index=idx, columns=cols) for k, v in arrays.items()}


RULE = (
    "RSI(14) < 70 AND RSI(14)[1] > 20 AND close > SMA(50) "
    "AND close CROSSES ABOVE EMA(20) WITHIN 5 BARS AND MACD(12, 26, 9) > MACD_SIGNAL(12, 26, 9) "
    "AND BB_PCTB(20, 2) BETWEEN 0 AND 1 AND ATR(14) > 0.5 AND RVOL(20) > 0.8 "
    "AND PCT_CHANGE(close, 5) > -10 AND close >= LOW_52W(252)"
)


def _median_ms(fn, repeats: int) -> str:
    """Median wall and median process-CPU milliseconds, as text.

    On a shared machine wall time includes waiting for a core; the process CPU time of
    this single-threaded code shows what the work itself costs.
    """
    wall, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    w, c = 1e3 * float(np.median(wall)), 1e3 * float(np.median(cpu))
    digits = 3 if w < 2 else 1
    return f"{w:.{digits}f} ms wall, {c:.{digits}f} ms CPU"


def main() -> None:
    """Run and print every case."""
    print(f"load average {os.getloadavg()}")
    parse_rule(RULE)
    print(f"parse + validate, 10 conditions: {_median_ms(lambda: parse_rule(RULE), 500)}")

    frames = make_panel(bars=252, symbols=1000, seed=1)
    plan = compile_rule(parse_rule(RULE))
    evaluate(plan, make_panel(bars=300, symbols=5, seed=7))  # compile the numba kernels once

    def cold() -> None:
        evaluate(plan, frames, cache=IndicatorCache())

    cold_ms = _median_ms(cold, 7)
    cache = IndicatorCache()
    first = evaluate(plan, frames, cache=cache)
    panel = Panel(frames)
    evaluate(plan, panel, cache=cache)
    warm = _median_ms(lambda: evaluate(plan, panel, cache=cache), 15)
    warm_dict = _median_ms(lambda: evaluate(plan, frames, cache=cache), 15)
    again = evaluate(plan, panel, cache=cache)
    print(
        f"plan: {len(plan.kernels)} kernels, {len(plan.operands)} operands, "
        f"{len(plan.conditions)} condition nodes"
    )
    print(
        f"evaluate 1,000 x 252, cold (empty cache): {cold_ms} "
        f"(indicator hits {first.cache_hits}, misses {first.cache_misses})"
    )
    print(
        f"evaluate 1,000 x 252, warm (Panel reused): {warm} "
        f"(indicator hits {again.cache_hits}, misses {again.cache_misses})"
    )
    print(
        f"cache totals: indicator hits {cache.hits} / misses {cache.misses}, derived operand "
        f"hits {cache.derived_hits} / misses {cache.derived_misses}"
    )
    print(f"evaluate 1,000 x 252, warm (dict of frames each call): {warm_dict}")
    print(f"matches on the last bar: {int(again.matches.iloc[-1].sum())} of 1,000")


if __name__ == "__main__":
    main()
