"""The intraday collection sensor: keeps exactly one collection run alive during the session.

Design (see docs/orchestration.md): the 15-second cadence lives inside
one long-running run per session (``intraday_collection_job``), which loops on aligned
ticks; this sensor only (re)starts that run when none is in flight during market hours.
"""

import pandas as pd

from dagster import (
    DagsterRunStatus,
    RunRequest,
    RunsFilter,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)
from dagster_project.jobs import intraday_collection_job
from optionsintel.calendar import is_market_open, is_trading_day
from optionsintel.tz import EXCHANGE_TZ

IST = EXCHANGE_TZ
SESSION_TAG = "optionsintel/session"
IN_FLIGHT = [DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING,
             DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]  # fmt: skip


def _now() -> pd.Timestamp:
    return pd.Timestamp.now(tz="UTC")


@sensor(job=intraday_collection_job, minimum_interval_seconds=30,
        description="Starts the session's collection run, and restarts it if it dies, "
        "during NSE market hours only.")  # fmt: skip
def intraday_collection_sensor(context: SensorEvaluationContext):
    """Request a collection run when the market is open and none is in flight."""
    now = _now()
    day = now.tz_convert(IST).date()
    if not bool(is_trading_day(day)):
        return SkipReason(f"{day} is not an NSE trading day")
    if not bool(is_market_open(now)):
        return SkipReason(f"market closed at {now.tz_convert(IST):%H:%M:%S} IST")
    tags = {SESSION_TAG: day.isoformat()}
    runs = context.instance.get_runs(RunsFilter(job_name=intraday_collection_job.name, tags=tags))
    live = [r for r in runs if r.status in IN_FLIGHT]
    if live:
        return SkipReason(f"collection run {live[0].run_id[:8]} is in flight")
    # A new run key per restart: Dagster never launches the same run key twice.
    return RunRequest(run_key=f"intraday-{day}-{len(runs)}", tags=tags)


ALL_SENSORS = [intraday_collection_sensor]
