"""Backtest benchmarks (prints figures; recorded in benchmarks/RESULTS.md).

1. ``overhead``: ours vs raw vectorbt on the same signals, 1,000 symbols x 2,500 bars,
   per-symbol cash, next-open fills, a 5 % stop. Raw = ``Portfolio.from_signals`` with the
   shifted signals and one flat fee rate + ``value()``, and the same with the per-cell
   dated fee arrays ours builds; ours = ``simulate`` (dated fee arrays by predicted side,
   order-side check and re-fee) and ``run_backtest`` (plus trade list, cost breakdown,
   research metrics). Interleaved rounds, best of 5 each.
2. ``first``: the first backtest in a fresh process (subprocess): import time and first
   ``warm_up()`` run, for a cold numba cache (empty ``NUMBA_CACHE_DIR``) and a warm one,
   with the numba engine and with ``auto`` (Rust where vectorbt-rust is installed).
3. ``sweep``: 100 combinations (10 stop-losses x 10 targets) over 100 symbols x 2,500
   bars: time and peak RSS of the process.

Run: .venv/bin/python benchmarks/bench_backtest.py [overhead|first|sweep]
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd


def _market(n_bars: int, n_symbols: int, seed: int = 0):
    from optionsintel.backtest.spec import Bars

    rng = np.random.default_rng(seed)
    idx = pd.bdate_range("2020-07-01", periods=n_bars)  # inside the cost table
    cols = [f"S{i:04d}" for i in range(n_symbols)]
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.015, (n_bars, n_symbols)), axis=0))
    op = np.vstack([close[:1], close[:-1]]) * np.exp(rng.normal(0, 0.005, close.shape))
    hi = np.maximum(op, close) * 1.004
    lo = np.minimum(op, close) * 0.996
    f = lambda a: pd.DataFrame(a, index=idx, columns=cols)  # noqa: E731
    ent = f(rng.random(close.shape) < 0.03)
    ext = f(rng.random(close.shape) < 0.03)
    return Bars(f(close), f(op), f(hi), f(lo)), ent, ext


def _best(fn, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def overhead() -> None:
    from optionsintel.backtest._vbt import vbt
    from optionsintel.backtest.costs import Brokerage, CostModel
    from optionsintel.backtest.run import run_backtest
    from optionsintel.backtest.simulation import simulate
    from optionsintel.backtest.spec import ExitRules, Sizing

    bars, ent, ext = _market(2500, 1000)
    costs = CostModel("equity_delivery", Brokerage("flat", 20.0))
    rules, size = ExitRules(stop_loss=0.05), Sizing(amount=50_000)
    e1 = ent.shift(1, fill_value=False).to_numpy()
    x1 = ext.shift(1, fill_value=False).to_numpy()

    def raw():
        pf = vbt.Portfolio.from_signals(
            bars.close, e1, x1, price=bars.open, open=bars.open, high=bars.high,
            low=bars.low, size=50_000.0, size_type="value", size_granularity=1.0,
            fees=0.0012, fixed_fees=23.6, sl_stop=0.05, stop_entry_price="fillprice",
            init_cash=1e6, freq="1D",
        )  # fmt: skip
        pf.value()

    from optionsintel.backtest.costs import trade_dates
    from optionsintel.backtest.simulation import _fee_arrays

    buy = e1 & ~x1
    fee_arr, fixed_arr = _fee_arrays(costs, trade_dates(bars.close.index), buy, buy & False)

    def raw_dated():  # raw vectorbt handed the same per-cell dated fee arrays
        pf = vbt.Portfolio.from_signals(
            bars.close, e1, x1, price=bars.open, open=bars.open, high=bars.high,
            low=bars.low, size=50_000.0, size_type="value", size_granularity=1.0,
            fees=fee_arr, fixed_fees=fixed_arr, sl_stop=0.05, stop_entry_price="fillprice",
            init_cash=1e6, freq="1D",
        )  # fmt: skip
        pf.value()

    def ours_sim():
        sim = simulate(bars, ent, ext, exit_rules=rules, sizing=size, costs=costs,
                       portfolio="per_symbol")  # fmt: skip
        sim.portfolio.value()

    def ours_full():
        run_backtest(bars, ent, ext, exit_rules=rules, sizing=size, costs=costs,
                     portfolio="per_symbol")  # fmt: skip

    raw()
    ours_sim()  # warm caches
    # interleaved rounds, best of each: the machine is shared, so load comes and goes
    fns = (raw, raw_dated, ours_sim, ours_full)
    rounds = [tuple(_best(f, 1) for f in fns) for _ in range(5)]
    t_raw, t_dated, t_sim, t_full = (min(r[k] for r in rounds) for k in range(4))
    print(json.dumps({"raw_scalar_fee_s": t_raw, "raw_dated_fee_arrays_s": t_dated,
                      "simulate_s": t_sim, "run_backtest_s": t_full,
                      "simulate_vs_raw_dated": t_sim / t_dated - 1,
                      "simulate_vs_raw_scalar": t_sim / t_raw - 1,
                      "run_backtest_vs_raw_scalar": t_full / t_raw - 1}))  # fmt: skip


_FIRST = """
import time; t0 = time.perf_counter()
import optionsintel.backtest.run as r
t1 = time.perf_counter()
first = r.warm_up(engine={engine!r})
second = r.warm_up(engine={engine!r})
import json; print(json.dumps({{"import_s": t1 - t0, "first_s": first, "second_s": second}}))
"""


def first() -> None:
    env = dict(os.environ)
    for engine in ("numba", "auto"):
        with tempfile.TemporaryDirectory() as cache:
            env["OPTIONSINTEL_NUMBA_CACHE_DIR"] = cache
            env.pop("NUMBA_CACHE_DIR", None)
            for state in ("cold", "warm"):
                t0 = time.perf_counter()
                cmd = [sys.executable, "-c", _FIRST.format(engine=engine)]
                out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
                wall = time.perf_counter() - t0
                rec = json.loads(out.stdout.strip().splitlines()[-1])
                print(json.dumps({"engine": engine, "cache": state, "process_wall_s": wall, **rec}))


def sweep_bench() -> None:
    from optionsintel.backtest.costs import CostModel
    from optionsintel.backtest.spec import Sizing
    from optionsintel.backtest.sweeps import sweep

    bars, ent, ext = _market(2500, 100)
    grid = {
        "stop_loss": list(np.linspace(0.02, 0.11, 10)),
        "target": list(np.linspace(0.04, 0.22, 10)),
    }
    sweep(bars, {"stop_loss": [0.05]}, ent, ext, costs=CostModel(), sizing=Sizing(amount=50_000))
    t0 = time.perf_counter()
    out = sweep(bars, grid, ent, ext, costs=CostModel(), sizing=Sizing(amount=50_000),
                portfolio="per_symbol")  # fmt: skip
    dt = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"combinations": out.n_combinations, "seconds": dt, "peak_rss_mb": peak_mb}))


if __name__ == "__main__":
    which = sys.argv[1:] or ["overhead", "first", "sweep"]
    for name in which:
        {"overhead": overhead, "first": first, "sweep": sweep_bench}[name]()
