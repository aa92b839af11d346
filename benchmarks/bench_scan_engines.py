"""The same scan in process, on Dagster's multiprocess executor and on Celery (two workers).

Seeds a scratch database (embedded or ``DATABASE_URL``'s server; dropped afterwards) with
``--symbols`` synthetic equities x ``--days`` trading days and one 10-condition pattern,
then times, end to end (read from PostgreSQL, evaluate, store results, close the
operation):

- ``in process``: ``services.scans.run_scan`` (one panel read, vectorised, batches of 500);
- ``multiprocess``: ``scan_job`` through ``execute_job`` (a persistent instance in a temp
  ``DAGSTER_HOME``), batches of ``--batch`` symbols, up to ``--procs`` step processes;
- ``celery``: ``scan_celery_job`` with two Celery workers started here on a unique queue of
  the RabbitMQ broker at 127.0.0.1:5672 (worker start-up is not counted).

The overhead is the engine's wall time minus the in-process wall time (same data, same
results: the benchmark checks the matches are equal). Prints the load average before and
after: on a shared 2-core machine the figures move with it.

    python benchmarks/bench_scan_engines.py --symbols 1000 --days 250 --batch 250
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from dagster_project.celery_workers import BROKER, local_celery_workers  # noqa: E402
from dagster_project.scan_jobs import (  # noqa: E402
    celery_execution_config,
    scan_celery_job_target,
    scan_job_target,
    scan_run_config,
)

from dagster import DagsterInstance, execute_job, reconstructable  # noqa: E402
from optionsintel.calendar import trading_days  # noqa: E402
from optionsintel.scans import scan_spec  # noqa: E402
from optionsintel.services import scans  # noqa: E402
from optionsintel.services.patterns import save_pattern  # noqa: E402
from optionsintel.settings import get_settings  # noqa: E402
from optionsintel.store import Store, migrate  # noqa: E402
from optionsintel.store.admin import scratch_database  # noqa: E402
from optionsintel.store.engine import get_engine, resolve_database_url  # noqa: E402
from scans.helpers import seed_universe  # noqa: E402

TEN = ("close > SMA(5) AND SMA(5) > SMA(20) AND RSI(14) > 40 AND RSI(14) < 80 AND "
       "close > 50 AND volume > 500 AND close > EMA(10) AND EMA(10) > EMA(30) AND "
       "close CROSSES ABOVE SMA(10) WITHIN 20 BARS AND SMA(20) > SMA(50)")  # fmt: skip


def _seed(store: Store, symbols: int, days: int) -> None:
    names = [f"B{i:05d}" for i in range(symbols)]
    dates = [d.date() for d in trading_days("2023-01-01", "2025-07-15")[-days:]]
    seed_universe(store, names, dates)
    save_pattern(store, "ten", TEN, user="bench", name="Ten conditions")


def _timed_job(target, home: Path, config: dict) -> tuple[float, str]:
    with DagsterInstance.from_config(str(home)) as instance:
        t0 = time.perf_counter()
        with execute_job(reconstructable(target), instance=instance, run_config=config) as res:
            wall = time.perf_counter() - t0
            if not res.success:
                raise RuntimeError(f"{target.__name__} failed")
            return wall, res.output_for_node("gather_scan_results")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--symbols", type=int, default=1000)
    ap.add_argument("--days", type=int, default=250)
    ap.add_argument("--batch", type=int, default=250)
    args = ap.parse_args()
    print(f"{platform.platform()}, {os.cpu_count()} CPUs, python {platform.python_version()}")
    print(f"load before: {os.getloadavg()}")
    with scratch_database(resolve_database_url(get_settings()), "oi_bench_scan_engines") as url:
        migrate.upgrade(get_engine(url))
        store = Store(get_engine(url))
        _seed(store, args.symbols, args.days)
        spec = scan_spec(universe="equity", patterns=["ten@1"], provider="synthetic")
        t0 = time.perf_counter()
        ref = scans.run_scan(store, spec)
        in_process = time.perf_counter() - t0
        want = scans.read_scan_results(store, ref.run_id)["symbol"].tolist()
        home = Path(tempfile.mkdtemp(prefix="oi_bench_dagster_"))
        (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        config = scan_run_config(spec, batch_size=args.batch, database_url=url)
        multi, run_mp = _timed_job(scan_job_target, home, config)
        env = {**os.environ, "DAGSTER_HOME": str(home),
               "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}  # fmt: skip
        with local_celery_workers(2, env=env, log_dir=home) as workers:
            execution = celery_execution_config(BROKER, workers.queue)
            cfg = scan_run_config(spec, batch_size=args.batch, database_url=url,
                                  execution=execution)  # fmt: skip
            celery, run_cel = _timed_job(scan_celery_job_target, home, cfg)
        for run_id in (run_mp, run_cel):
            assert scans.read_scan_results(store, run_id)["symbol"].tolist() == want
    steps = -(-args.symbols // args.batch)
    print(
        f"{args.symbols} symbols x {args.days} days, 1 pattern of 10 conditions, "
        f"{len(want)} matches, {steps} batch steps of {args.batch}"
    )
    print(f"  in process          {in_process:7.2f} s")
    print(f"  multiprocess        {multi:7.2f} s   overhead {multi - in_process:+7.2f} s")
    print(f"  celery (2 workers)  {celery:7.2f} s   overhead {celery - in_process:+7.2f} s")
    print(f"load after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
