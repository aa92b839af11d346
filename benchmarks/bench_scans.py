"""Scan benchmarks (prints figures; recorded in benchmarks/RESULTS.md, section Scans).

1. ``--only memory``: 5,000 symbols x 252 daily bars (one year) in memory, the eight OI
   detectors + ANOMALY + one 10-condition pattern (bench_rules.RULE): compile + evaluate
   + rank (target < 1 s). Peer: the same criteria evaluated symbol by symbol (the loop the
   vectorised path avoids) on 100 symbols, extrapolated.
2. ``--only store``: 1,000 symbols end to end on PostgreSQL (a scratch database on
   ``DATABASE_URL``'s server): read the point-in-time panel, evaluate, store the matches
   and the bulk-operation records (target < 5 s). Peer: ``services.patterns.
   evaluate_pattern`` of the pattern alone on the same universe (read + evaluate, no store).

Run: python benchmarks/bench_scans.py [--only memory|store]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from bench_rules import RULE, make_panel
from optionsintel.rules import SIGNAL_TYPES, IndicatorCache, evaluate, parse_rule
from optionsintel.scans import compile_scan, evaluate_scan, rank_results, scan_spec

DETECTORS = [f"{t}:0.5" for t in SIGNAL_TYPES] + ["ANOMALY"]


def _panel(symbols: int, bars: int, seed: int) -> dict[str, pd.DataFrame]:
    frames = make_panel(bars=bars, symbols=symbols, seed=seed)
    rng = np.random.default_rng(seed + 1)
    shape = frames["close"].shape
    like = frames["close"]
    for t in SIGNAL_TYPES:
        conf = np.where(rng.random(shape) < 0.1, rng.random(shape), np.nan)
        frames[f"signals.{t}"] = pd.DataFrame(conf, like.index, like.columns)
    frames["anomaly"] = pd.DataFrame((rng.random(shape) < 0.05) * 1.0, like.index, like.columns)
    return frames


def _spec():
    return scan_spec(universe="fno", patterns=["bench@1"], detectors=DETECTORS)


def bench_memory() -> None:
    """5,000 x 252 in memory."""
    rule = parse_rule(RULE)
    warm = _panel(5, 300, 7)
    evaluate_scan(compile_scan(_spec(), {"bench@1": rule}), warm)  # compile numba once
    frames = _panel(5000, 252, 1)
    walls, cpus = [], []
    for _ in range(3):
        t0, c0 = time.perf_counter(), time.process_time()
        compiled = compile_scan(_spec(), {"bench@1": rule})
        rows = rank_results(evaluate_scan(compiled, frames, cache=IndicatorCache()))
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    print(f"load average {os.getloadavg()}")
    print(f"5,000 x 252, 8 detectors + ANOMALY + 10-condition pattern: "
          f"{np.median(walls):.3f} s wall, {np.median(cpus):.3f} s CPU (median of 3); "
          f"{int(rows['matched'].sum())} matches")  # fmt: skip
    some = {k: f.iloc[:, :100] for k, f in frames.items()}
    t0 = time.perf_counter()
    for sym in some["close"].columns:
        one = {k: f[[sym]] for k, f in some.items()}
        for c in compiled.criteria:
            evaluate(c.plan, one)
    loop = time.perf_counter() - t0
    print(f"peer: symbol-by-symbol loop, 100 symbols: {loop:.2f} s "
          f"(~{loop * 50:.0f} s for 5,000)")  # fmt: skip


def bench_store() -> None:
    """1,000 symbols end to end on PostgreSQL."""
    from optionsintel.services import patterns
    from optionsintel.services import scans as svc
    from optionsintel.settings import get_settings
    from optionsintel.store import Store
    from optionsintel.store.admin import scratch_database
    from optionsintel.store.engine import get_engine, resolve_database_url
    from optionsintel.store.migrate import upgrade

    with scratch_database(resolve_database_url(get_settings()), "oi_bench_scans") as url:
        upgrade(get_engine(url))
        store = Store(get_engine(url))
        frames = _panel(1000, 400, 3)
        days = frames["close"].index
        long = frames["close"].stack().rename("close").reset_index()
        long.columns = ["trade_date", "symbol", "close"]
        for f in ("open", "high", "low", "volume"):
            long[f] = frames[f].stack().to_numpy()
        store.write("daily_ohlc", long.assign(trade_date=long["trade_date"].dt.date,
                                              provider="synthetic"))  # fmt: skip
        last = days[-1].date()
        ts = pd.Timestamp(dt.datetime.combine(last, dt.time(15, 0)), tz="Asia/Kolkata")
        sig = frames["signals.CALL_BUILDUP"].iloc[-1].dropna()
        store.write("signals", pd.DataFrame({
            "underlying": sig.index, "snapshot_ts": ts, "expiry": last + dt.timedelta(days=7),
            "signal_type": "CALL_BUILDUP", "confidence": sig.to_numpy() * 100,
            "strength": "STRONG", "provider": "synthetic"}))  # fmt: skip
        patterns.save_pattern(store, "bench", RULE, user="bench", name="Bench")
        symbols = list(frames["close"].columns)
        spec = scan_spec(universe="symbols:" + ",".join(symbols), patterns=["bench@1"],
                         detectors=DETECTORS, provider="synthetic")  # fmt: skip
        svc.run_scan(store, spec)  # warm: numba, connection pool
        print(f"load average {os.getloadavg()}")
        for k in range(2):
            t0, c0 = time.perf_counter(), time.process_time()
            run = svc.run_scan(store, spec)
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            s = run.status.summary
            print(f"run {k + 1}: 1,000 symbols end to end {wall:.2f} s wall, {cpu:.2f} s CPU "
                  f"(read {s.get('read_seconds')} s, evaluate {s.get('evaluate_seconds')} s, "
                  f"batches incl. writes {s.get('total_batches_seconds')} s); "
                  f"{s['matches']} matches, status {run.status.status}")  # fmt: skip
        t0 = time.perf_counter()
        patterns.evaluate_pattern(store, "bench@1", provider="synthetic", symbols=symbols)
        print(f"peer: evaluate_pattern (pattern only, read + evaluate) "
              f"{time.perf_counter() - t0:.2f} s")  # fmt: skip


def main() -> None:
    """Run the selected cases."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", choices=["memory", "store"])
    args = ap.parse_args()
    if args.only in (None, "memory"):
        bench_memory()
    if args.only in (None, "store"):
        bench_store()


if __name__ == "__main__":
    main()
