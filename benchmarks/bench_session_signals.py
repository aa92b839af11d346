"""Benchmark: one live tick of the intraday session, collect -> store -> signals.

NIFTY, BANKNIFTY and FINNIFTY, every listed expiry, from the synthetic market on a
simulated clock (the provider does the same work as live, without the network), real
PostgreSQL (embedded in a temporary directory, or ``DATABASE_URL``). Per tick:

- collect: three ``snapshot`` calls and the quarantine checks (:func:`collect_tick`);
- derive: the intraday tables of the tick (:func:`intraday_tables`);
- signals: :meth:`SessionSignals.evaluate` at a 15-minute sample, the worst case (the
  previous sample and the day's history of samples so far, 20 to 24 of them);
- store: every table of the tick, signals included, in one transaction.

The session state is first primed through the day's samples from 09:15 (not timed);
then ``--repeats`` consecutive sample ticks are timed, and as many in-between ticks with
the every-tick cadence. Target: a tick under 1 s (the 15-s cadence with 10x headroom).

    .venv/bin/python benchmarks/bench_session_signals.py [--day 2025-07-16] [--repeats 5]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
UNDERLYINGS = ("NIFTY", "BANKNIFTY", "FINNIFTY")


@contextlib.contextmanager
def _database() -> Iterator[str]:
    """A scratch database on ``DATABASE_URL``'s server, or an embedded server (both dropped)."""
    from optionsintel.store import migrate
    from optionsintel.store.admin import scratch_database
    from optionsintel.store.embedded import embedded_url, stop_embedded
    from optionsintel.store.engine import dispose_engines, get_engine

    if os.environ.get("DATABASE_URL"):
        with scratch_database(os.environ["DATABASE_URL"], "oi_bench_session") as url:
            migrate.upgrade(get_engine(url))
            try:
                yield url
            finally:
                dispose_engines()
        return
    tmp = Path(tempfile.mkdtemp(prefix="oi_bench_session_"))
    try:
        url = embedded_url(tmp / "pgdata", database="bench")
        migrate.upgrade(get_engine(url))
        yield url
    finally:
        dispose_engines()
        stop_embedded(tmp / "pgdata")
        shutil.rmtree(tmp, ignore_errors=True)


def _tick(provider, signals, store, clock, tick, previous, *, write=True):
    """One tick; returns the chains written and the seconds of each step."""
    from optionsintel.collect.session import _tables_of, collect_tick

    clock["now"] = tick
    cpu = time.process_time()
    t = [time.perf_counter()]
    got = collect_tick(provider, UNDERLYINGS, tick)
    t.append(time.perf_counter())
    step = signals.evaluate(tick, got.chains)
    t.append(time.perf_counter())
    tables = _tables_of(got, previous, step)
    t.append(time.perf_counter())
    if write:
        with store.transaction() as writer:
            for name, frame in tables.items():
                writer.write(name, frame)
    t.append(time.perf_counter())
    signals.advance(step)
    names = ("collect", "signals", "derive", "store")
    steps = dict(zip(names, pd.Series(t).diff()[1:], strict=True))
    steps["cpu"] = time.process_time() - cpu  # this process only (not the server's)
    return got.chains, steps, len(step.rows), len(got.chains)


def _run(store, day, repeats, every):
    from optionsintel.providers.registry import ProviderConfig, build_provider
    from optionsintel.transforms.session_signals import SessionSignals
    from optionsintel.transforms.ticks import session_ticks

    clock = {"now": None}
    provider = build_provider(
        "synthetic", ProviderConfig(synthetic_seed=7), clock=lambda: clock["now"].to_pydatetime()
    )
    signals, previous = SessionSignals(every), None
    ticks = session_ticks(day, 15)
    samples = ticks[::60]  # 09:15, 09:30, ...
    prime = samples[:21]  # through 14:15: 20 samples of history at the first timed one
    for tick in prime:
        previous, *_ = _tick(provider, signals, store, clock, tick, previous, write=False)
    timed = []
    start = ticks.get_loc(prime[-1])
    span = samples[21 : 21 + repeats] if every else ticks[start + 1 : start + 1 + repeats]
    for tick in span:
        previous, steps, n_signals, n_rows = _tick(provider, signals, store, clock, tick, previous)
        timed.append({**steps, "signal_rows": n_signals, "chain_rows": n_rows})
    return pd.DataFrame(timed)


def _report(title: str, frame: pd.DataFrame) -> None:
    med = frame.median()
    total = frame[["collect", "signals", "derive", "store"]].sum(axis=1)
    print(f"\n{title}: {len(frame)} ticks, {int(med['chain_rows'])} chain rows per tick")
    for col in ("collect", "derive", "signals", "store"):
        print(f"  {col:8s} median {med[col] * 1e3:7.1f} ms   max {frame[col].max() * 1e3:7.1f} ms")
    med_total, max_total = statistics.median(total) * 1e3, total.max() * 1e3
    print(f"  tick     median {med_total:7.1f} ms   max {max_total:7.1f} ms")
    print(f"  CPU time of this process per tick: median {med['cpu'] * 1e3:7.1f} ms")
    print(f"  signal rows per tick: {frame['signal_rows'].tolist()}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--day", default="2025-07-16")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    from optionsintel.store import Store
    from optionsintel.store.engine import get_engine

    with _database() as url:
        store = Store(get_engine(url))
        day = pd.Timestamp(args.day).date()
        _report("sample ticks (cadence 15 min)", _run(store, day, args.repeats, 15))
        _report("in-between ticks (cadence: every tick)", _run(store, day, args.repeats, 0))


if __name__ == "__main__":
    main()
