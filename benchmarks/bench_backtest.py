"""Backtest benchmarks (prints figures; recorded in benchmarks/RESULTS.md).

1. ``overhead``: ours vs raw vectorbt on the same signals, 1,000 symbols x 2,500 bars,
   per-symbol cash, next-open fills, a 5 % stop. Raw = ``Portfolio.from_signals`` with the
   shifted signals and one flat fee rate + ``value()``, and the same with the per-cell
   dated fee arrays ours builds; ours = ``simulate`` (dated fee arrays by predicted side,
   order-side check and re-fee) and ``run_backtest`` (plus trade list, cost breakdown,
   research metrics). Interleaved rounds (``ROUNDS``), wall and CPU time, medians of the
   per-round ratios compared.
2. ``first``: the first backtest in a fresh process (subprocess): interpreter start, the
   imports layer by layer, the first and second ``run_backtest`` of one symbol (250 bars,
   a stop, dated costs), with the numba engine and with ``auto`` (Rust where
   vectorbt-rust is importable); the numba cache under ``$OPTIONSINTEL_HOME`` is warm.
   ``first_cold`` does the same with an empty cache directory (then warm again).
3. ``worker``: the first backtest of a fresh ``optionsintel backtest run`` process (one
   symbol, 250 stored bars, signal entries, a stop, dated costs) with the backtest worker
   running (the run is handed over, run and stored there, read back here) and, in the same
   run, with ``--no-worker`` (in-process); plus the library client (``run_or_submit``, what
   a fresh kernel calls). Needs ``DATABASE_URL`` (a scratch database is created and dropped).
4. ``sweep``: 100 combinations (10 stop-losses x 10 targets) over 100 symbols x 2,500
   bars: time and peak RSS of the process.

Run: .venv/bin/python benchmarks/bench_backtest.py [overhead|first|first_cold|worker|sweep]
"""

from __future__ import annotations

import json
import os
import resource
import shutil
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
    # Interleaved rounds: the machine is shared, so load comes and goes. Each call is timed
    # by wall clock and by this process's CPU time (user + system: what the call itself
    # costs, whatever else the machine runs); overheads are the medians of the per-round
    # ratios (ours / raw in the same round), which cancel slow drifts in load.
    fns = {"raw_scalar_fee": raw, "raw_dated_fee_arrays": raw_dated, "simulate": ours_sim,
           "run_backtest": ours_full}  # fmt: skip
    rounds, cpu = [], []
    for _ in range(ROUNDS):
        wall_r, cpu_r = {}, {}
        for k, f in fns.items():
            c0, t0 = time.process_time(), time.perf_counter()
            f()
            wall_r[k], cpu_r[k] = time.perf_counter() - t0, time.process_time() - c0
        rounds.append(wall_r)
        cpu.append(cpu_r)

    def ratio(series, a: str, b: str) -> float:
        return float(np.median([r[a] / r[b] for r in series])) - 1

    med = {k: float(np.median([r[k] for r in rounds])) for k in fns}
    low = {k: min(r[k] for r in rounds) for k in fns}
    med_cpu = {k: float(np.median([r[k] for r in cpu])) for k in fns}
    pairs = {"simulate_vs_raw_dated": ("simulate", "raw_dated_fee_arrays"),
             "run_backtest_vs_raw_dated": ("run_backtest", "raw_dated_fee_arrays"),
             "run_backtest_vs_raw_scalar": ("run_backtest", "raw_scalar_fee")}  # fmt: skip
    print(json.dumps({"rounds": ROUNDS, "median_s": med, "min_s": low, "median_cpu_s": med_cpu,
                      "simulate_vs_raw_dated": med["simulate"] / med["raw_dated_fee_arrays"] - 1,
                      "simulate_vs_raw_scalar": med["simulate"] / med["raw_scalar_fee"] - 1,
                      "run_backtest_vs_raw_scalar": med["run_backtest"] / med["raw_scalar_fee"] - 1,
                      "paired_wall": {n: ratio(rounds, a, b) for n, (a, b) in pairs.items()},
                      "paired_cpu": {n: ratio(cpu, a, b) for n, (a, b) in pairs.items()},
                      "per_round": rounds}))  # fmt: skip


ROUNDS = 15


_FIRST = """
import time; t0 = time.perf_counter()
import numpy, pandas
t1 = time.perf_counter()
import numba
t2 = time.perf_counter()
import optionsintel.backtest._vbt
t3 = time.perf_counter()
import optionsintel.backtest.run as r
from optionsintel.backtest.costs import CostModel
from optionsintel.backtest.spec import Bars, ExitRules
t4 = time.perf_counter()
rng = numpy.random.default_rng(1)
idx = pandas.bdate_range("2023-01-02", periods=250)
close = pandas.DataFrame(100 * numpy.exp(numpy.cumsum(rng.normal(0, 0.01, (250, 1)), axis=0)),
                         index=idx, columns=["ONE"])
bars = Bars(close, close.shift(1).fillna(close), close * 1.01, close * 0.99)
ent = pandas.DataFrame(rng.random((250, 1)) < 0.05, index=idx, columns=["ONE"])
ext = pandas.DataFrame(rng.random((250, 1)) < 0.05, index=idx, columns=["ONE"])
def one():
    s = time.perf_counter()
    res = r.run_backtest(bars, ent, ext, exit_rules=ExitRules(stop_loss=0.05),
                         costs=CostModel(), engine={engine!r})
    return time.perf_counter() - s, int(res.metrics["n_trades"])
first, n = one()
second, _ = one()
import json; print(json.dumps({{"numpy_pandas_s": t1 - t0, "numba_s": t2 - t1,
    "vectorbt_s": t3 - t2, "optionsintel_rest_s": t4 - t3, "imports_s": t4 - t0,
    "first_backtest_s": first, "second_s": second, "trades": n,
    "in_process_total_s": t4 - t0 + first}}))
"""


def first(cold: bool = False) -> None:
    """Fresh processes: interpreter start, imports by layer, one 1-symbol backtest.

    The numba cache is the one under ``$OPTIONSINTEL_HOME`` (warm after any earlier run);
    ``first_cold`` uses an empty cache directory instead.
    """
    env = dict(os.environ)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    print(json.dumps({"interpreter_start_s": time.perf_counter() - t0}))
    engines = ["numba"]
    probe = "from vectorbt._engine import is_rust_available as f; print(f())"
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True)
    if out.stdout.strip().endswith("True"):
        engines.append("auto")
    for engine in engines:
        with tempfile.TemporaryDirectory() as cache:
            if cold:
                env["OPTIONSINTEL_NUMBA_CACHE_DIR"] = cache
                env.pop("NUMBA_CACHE_DIR", None)
            for _round in range(2 if cold else 3):
                t0 = time.perf_counter()
                cmd = [sys.executable, "-c", _FIRST.format(engine=engine)]
                out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
                wall = time.perf_counter() - t0
                rec = json.loads(out.stdout.strip().splitlines()[-1])
                state = ("cold" if _round == 0 else "warm") if cold else "warm"
                print(json.dumps({"engine": engine, "cache": state, "process_wall_s": wall,
                                  **rec}))  # fmt: skip


_CLIENT_CLI = """
import time; t0 = time.perf_counter()
import json, sys
sys.argv = ["optionsintel", "backtest", "run", "--provider", "synthetic", "--signal",
            "PUT_BUILDUP", "--symbols", "NIFTY", "--stop-loss", "0.05", {flag!r}]
from optionsintel.cli.main import app
try:
    app()
except SystemExit as exc:
    assert not exc.code, exc.code
print(json.dumps({{"to_result_s": time.perf_counter() - t0,
                  "vectorbt_imported": "vectorbt" in sys.modules}}))
"""

_CLIENT_LIB = """
import time; t0 = time.perf_counter()
import json, sys
from optionsintel.services import backtest_worker as w
from optionsintel.services.backtests import SignalSource, read_run, settings_from_plain
from optionsintel.store import get_store
store = get_store()
spec = w.BacktestSpec.of(SignalSource("PUT_BUILDUP"), database=w.store_identity(store),
                         symbols=["NIFTY"], provider="synthetic",
                         settings=settings_from_plain({{"exit_rules": {{"stop_loss": 0.05}}}}))
run_id, in_worker = w.run_or_submit(store, spec, worker={worker})
metrics = read_run(store, run_id).record.metrics
print(json.dumps({{"to_result_s": time.perf_counter() - t0, "in_worker": in_worker,
                  "n_trades": metrics["n_trades"],
                  "vectorbt_imported": "vectorbt" in sys.modules}}))
"""


def _stored_market(url: str) -> None:
    """One symbol's 250 daily bars and a dozen PUT_BUILDUP signals (provider synthetic)."""
    import datetime as dt

    from optionsintel.store import Store
    from optionsintel.store.engine import get_engine
    from optionsintel.tz import EXCHANGE_TZ

    rng = np.random.default_rng(3)
    days = pd.bdate_range("2023-01-02", periods=250)
    close = 20000 * np.exp(np.cumsum(rng.normal(0, 0.01, 250)))
    bars = pd.DataFrame({"symbol": "NIFTY", "trade_date": days.date, "open": close * 0.999,
                         "high": close * 1.01, "low": close * 0.99, "close": close,
                         "volume": 1e4, "provider": "synthetic"})  # fmt: skip
    when = [pd.Timestamp(dt.datetime.combine(days[i].date(), dt.time(11)), tz=EXCHANGE_TZ)
            for i in range(5, 250, 20)]  # fmt: skip
    signals = pd.DataFrame({"underlying": "NIFTY", "snapshot_ts": when,
                            "expiry": pd.Timestamp("2024-12-26"), "signal_type": "PUT_BUILDUP",
                            "confidence": 80.0, "strength": "STRONG",
                            "provider": "synthetic"})  # fmt: skip
    store = Store(get_engine(url))
    with store.transaction() as tx:
        tx.write("daily_ohlc", bars)
        tx.write("signals", signals)


def worker_bench() -> None:
    """Fresh client processes with and without the backtest worker (see the module doc)."""
    from optionsintel.backtest._vbt import numba_cache_dir
    from optionsintel.store import migrate
    from optionsintel.store.admin import scratch_database
    from optionsintel.store.engine import dispose_engines, get_engine

    home = tempfile.mkdtemp(prefix="oi-bw-", dir="/tmp")  # short: AF_UNIX path limit
    with scratch_database(os.environ["DATABASE_URL"], "oi_bench_worker") as url:
        migrate.upgrade(get_engine(url))
        _stored_market(url)
        dispose_engines()
        env = {**os.environ, "DATABASE_URL": url, "OPTIONSINTEL_HOME": home,
               "OPTIONSINTEL_NUMBA_CACHE_DIR": str(numba_cache_dir())}  # fmt: skip
        cmd = [sys.executable, "-m", "optionsintel.cli.main", "backtest", "worker"]
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True)
        try:
            line = proc.stdout.readline() if proc.stdout else ""
            assert "ready on" in line, line
            print(json.dumps({"worker_ready_s": time.perf_counter() - t0, "line": line.strip()}))
            rows = [("cli", "--worker", _CLIENT_CLI.format(flag="--worker")),
                    ("cli", "--no-worker", _CLIENT_CLI.format(flag="--no-worker")),
                    ("library", "worker", _CLIENT_LIB.format(worker=True)),
                    ("library", "in-process", _CLIENT_LIB.format(worker=False))]  # fmt: skip
            for _round in range(3):
                for client, mode, code in rows:
                    t1 = time.perf_counter()
                    out = subprocess.run([sys.executable, "-c", code], env=env, text=True,
                                         capture_output=True, check=True)  # fmt: skip
                    wall = time.perf_counter() - t1
                    rec = json.loads(out.stdout.strip().splitlines()[-1])
                    print(json.dumps({"client": client, "mode": mode, "process_wall_s": wall,
                                      **rec}))  # fmt: skip
        finally:
            proc.terminate()
            proc.wait(timeout=60)
            dispose_engines()
            shutil.rmtree(home, ignore_errors=True)


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
    runs = {"overhead": overhead, "first": first, "first_cold": lambda: first(cold=True),
            "worker": worker_bench, "sweep": sweep_bench}  # fmt: skip
    for name in which:
        runs[name]()
