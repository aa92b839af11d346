"""Benchmark: one full trading day of 15-second snapshots through the Dagster asset graph.

NIFTY, BANKNIFTY and FINNIFTY, every listed expiry, 1,501 snapshots each (09:15:00 to
15:30:00 IST), synthetic market, in-process executor, real PostgreSQL (embedded in a
temporary directory, or ``DATABASE_URL``). Target: at least 100x faster than real time,
i.e. the 6h15m session in under 225 s. Prints per-step times and rows written.

    .venv/bin/python benchmarks/bench_pipeline.py [--day 2025-07-16] [--interval 15]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SESSION_SECONDS = 6 * 3600 + 15 * 60


def _database() -> tuple[str, Path | None]:
    from optionsintel.store import migrate
    from optionsintel.store.embedded import embedded_url
    from optionsintel.store.engine import get_engine, normalise_url

    if os.environ.get("DATABASE_URL"):
        url, tmp = normalise_url(os.environ["DATABASE_URL"]), None
    else:
        tmp = Path(tempfile.mkdtemp(prefix="oi_bench_pipeline_"))
        url = embedded_url(tmp / "pgdata", database="bench")
    migrate.upgrade(get_engine(url))
    return url, tmp


def _step_seconds(instance, run_id: str) -> dict[str, float]:
    start, out = {}, {}
    for rec in instance.all_logs(run_id):
        ev = rec.dagster_event
        if ev is None or ev.step_key is None:
            continue
        if ev.event_type_value == "STEP_START":
            start[ev.step_key] = rec.timestamp
        elif ev.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE") and ev.step_key in start:
            out[ev.step_key] = rec.timestamp - start[ev.step_key]
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--day", default="2025-07-16")
    parser.add_argument("--interval", type=int, default=15)
    args = parser.parse_args()
    from dagster_project.materialise import materialise_partitions
    from dagster_project.resources import StoreResource

    from dagster import DagsterInstance
    from optionsintel.store import Store
    from optionsintel.store.embedded import stop_embedded
    from optionsintel.store.engine import dispose_engines, get_engine

    url, tmp = _database()
    try:
        store = Store(get_engine(url))
        instance = DagsterInstance.ephemeral()
        day = dt.date.fromisoformat(args.day)
        t0 = time.perf_counter()
        days = {"synthetic": [day]}
        resource = StoreResource(database_url=url)
        (run,) = materialise_partitions(
            days, interval_seconds=args.interval, instance=instance, store=resource
        )
        total = time.perf_counter() - t0
        print(f"run success={run.success} failed={run.failed_steps}")
        for step, sec in sorted(_step_seconds(instance, run.run_id).items(), key=lambda x: -x[1]):
            print(f"  {step:<70} {sec:7.1f} s")
        counts = {k: v for k, v in store.table_counts().items() if v}
        for table, n in sorted(counts.items()):
            print(f"  {table:<28} {n:>12,} rows")
        speed = SESSION_SECONDS / total
        print(
            f"total {total:.1f} s for the 6h15m session at {args.interval} s: {speed:.0f}x realtime"
        )
        print("target: >= 100x real time (< 225 s)")
    finally:
        dispose_engines()
        if tmp is not None:
            stop_embedded(tmp / "pgdata")
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
