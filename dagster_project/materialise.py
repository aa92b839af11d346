"""Run partitions through the asset graph in-process, recorded in a Dagster instance.

The one way demo and test stores are filled: ``optionsintel up`` / ``optionsintel demo``
start this module as a subprocess (``python -m dagster_project.materialise``, so the
library never imports Dagster), and the tests and benchmarks call
:func:`materialise_plan` directly. There is no second wiring of the assets.

    python -m dagster_project.materialise --interval 300 synthetic:2025-07-15 replay:2025-07-16
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from dagster import DagsterInstance
from dagster_project import build_definitions
from dagster_project.resources import MarketDataResource, StoreResource, market_data_resource
from optionsintel.services.demo import DEMO_INTERVAL_SECONDS, DemoPlan


@dataclass(frozen=True)
class PartitionRun:
    """Outcome of one partition run."""

    source: str
    day: dt.date
    success: bool
    run_id: str
    seconds: float
    failed_steps: tuple[str, ...] = ()


def _market(
    source: str, interval_seconds: int, underlyings: Sequence[str] | None
) -> MarketDataResource:
    config: dict[str, Any] = {"source": source, "interval_seconds": interval_seconds}
    if underlyings:
        config["underlyings"] = list(underlyings)
    return market_data_resource(**config)


def materialise_partitions(
    days: dict[str, list[dt.date]],
    *,
    interval_seconds: int = DEMO_INTERVAL_SECONDS,
    underlyings: Sequence[str] | None = None,
    instance: DagsterInstance | None = None,
    store: StoreResource | None = None,
    on_done: Callable[[PartitionRun], None] | None = None,
    job_name: str = "market_data_job",
    log_level: str = "WARNING",
) -> list[PartitionRun]:
    """Materialise every asset (and check) of each (source, day) partition.

    Each partition is one run of ``job_name`` with the in-process executor, so runs
    show in the Dagster UI of ``instance`` (ephemeral when None). ``underlyings``
    narrows the market resource's indices (None: its default, every index).
    """
    instance = instance or DagsterInstance.ephemeral()
    out = []
    for source, source_days in days.items():
        market = _market(source, interval_seconds, underlyings)
        job = build_definitions(store, market).resolve_job_def(job_name)
        for day in source_days:
            start = time.perf_counter()
            result = job.execute_in_process(
                partition_key=day.isoformat(), instance=instance, raise_on_error=False,
                tags={"optionsintel/source": source},
                run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
            )  # fmt: skip
            failed = tuple(e.step_key or "" for e in result.all_events if e.is_step_failure)
            run = PartitionRun(source, day, result.success, result.run_id,
                               time.perf_counter() - start, failed)  # fmt: skip
            out.append(run)
            if on_done is not None:
                on_done(run)
    return out


def materialise_plan(
    plan: DemoPlan,
    *,
    instance: DagsterInstance | None = None,
    store: StoreResource | None = None,
    on_done: Callable[[PartitionRun], None] | None = None,
) -> list[PartitionRun]:
    """Materialise a :class:`~optionsintel.services.demo.DemoPlan` (days, interval, indices)."""
    return materialise_partitions(
        plan.days, interval_seconds=plan.interval_seconds, underlyings=plan.underlyings,
        instance=instance, store=store, on_done=on_done,
    )  # fmt: skip


def platform_instance() -> DagsterInstance:
    """The persistent instance of ``DAGSTER_HOME`` (its ``dagster.yaml`` puts it on PostgreSQL)."""
    return DagsterInstance.get()


def parse_partitions(specs: Iterable[str]) -> dict[str, list[dt.date]]:
    """Group ``SOURCE:YYYY-MM-DD`` partition specs by source, in the order given.

    Raises
    ------
    ValueError
        When a spec is not ``SOURCE:YYYY-MM-DD``.
    """
    days: dict[str, list[dt.date]] = {}
    for spec in specs:
        source, sep, day = spec.partition(":")
        try:
            parsed = dt.date.fromisoformat(day) if sep and source else None
        except ValueError:
            parsed = None
        if parsed is None:
            raise ValueError(
                f"partition {spec!r} is not SOURCE:YYYY-MM-DD (e.g. replay:2025-07-16)"
            )
        days.setdefault(source, []).append(parsed)
    return days


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m dagster_project.materialise",
        description="Materialise trading-day partitions through market_data_job, recorded "
        "in the DAGSTER_HOME instance.",
    )  # fmt: skip
    parser.add_argument("partitions", nargs="*", help="SOURCE:YYYY-MM-DD, e.g. replay:2025-07-16")
    parser.add_argument("--interval", type=int, default=DEMO_INTERVAL_SECONDS,
                        help="synthetic snapshot interval in seconds (multiple of 15)")  # fmt: skip
    parser.add_argument("--underlying", action="append", dest="underlyings",
                        help="index to collect (repeatable; default: every index)")  # fmt: skip
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: one progress line per partition; exit 1 when any run failed."""
    args = _arguments(argv)
    try:
        days = parse_partitions(args.partitions)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    total, done = sum(len(v) for v in days.values()), [0]

    def show(run: PartitionRun) -> None:
        done[0] += 1
        mark = "ok" if run.success else f"FAILED {', '.join(run.failed_steps)}"
        print(f"  [{done[0]:>2}/{total}] {run.source:<9} {run.day}  {run.seconds:5.1f}s  {mark}",
              flush=True)  # fmt: skip

    runs = materialise_partitions(
        days, interval_seconds=args.interval, underlyings=args.underlyings,
        instance=platform_instance(), on_done=show,
    )  # fmt: skip
    failed = [r for r in runs if not r.success]
    if failed:
        print(f"{len(failed)} of {total} partition runs failed: see them in the Dagster UI",
              file=sys.stderr)  # fmt: skip
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
