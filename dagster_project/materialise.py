"""Run partitions through the asset graph in-process, recorded in a Dagster instance.

Used by ``optionsintel up`` (the demo history) and by the tests and benchmark.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass

from dagster import DagsterInstance
from dagster_project import build_definitions
from dagster_project.resources import StoreResource, market_data_resource


@dataclass(frozen=True)
class PartitionRun:
    """Outcome of one partition run."""

    source: str
    day: dt.date
    success: bool
    run_id: str
    seconds: float
    failed_steps: tuple[str, ...] = ()


def materialise_partitions(
    days: dict[str, list[dt.date]],
    *,
    interval_seconds: int = 300,
    instance: DagsterInstance | None = None,
    store: StoreResource | None = None,
    on_done: Callable[[PartitionRun], None] | None = None,
    job_name: str = "market_data_job",
    log_level: str = "WARNING",
) -> list[PartitionRun]:
    """Materialise every asset (and check) of each (source, day) partition.

    Each partition is one run of ``job_name`` with the in-process executor, so runs
    show in the Dagster UI of ``instance`` (ephemeral when None).
    """
    instance = instance or DagsterInstance.ephemeral()
    out = []
    for source, source_days in days.items():
        market = market_data_resource(source, interval_seconds=interval_seconds)
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


def platform_instance() -> DagsterInstance:
    """The persistent instance of ``DAGSTER_HOME`` (its ``dagster.yaml`` puts it on PostgreSQL)."""
    return DagsterInstance.get()
