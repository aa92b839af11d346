"""Schedules: end of day at 16:00 IST on trading days, maintenance on Sunday 02:00 IST."""

import pandas as pd

from dagster import (
    DefaultScheduleStatus,
    RunRequest,
    ScheduleEvaluationContext,
    SkipReason,
    schedule,
)
from dagster_project.jobs import eod_job, maintenance_job
from optionsintel.calendar import is_trading_day
from optionsintel.tz import EXCHANGE_TZ

IST = EXCHANGE_TZ


@schedule(job=eod_job, cron_schedule="0 16 * * 1-5", execution_timezone=IST,
          default_status=DefaultScheduleStatus.RUNNING,
          description="End-of-day analytics for today's partition, trading days only.")  # fmt: skip
def eod_schedule(context: ScheduleEvaluationContext):
    """Request today's EOD partition; skip holidays with a reason."""
    day = pd.Timestamp(context.scheduled_execution_time).tz_convert(IST).date()
    if not bool(is_trading_day(day)):
        return SkipReason(f"{day} is an NSE holiday: no end-of-day run")
    return RunRequest(run_key=f"eod-{day}", partition_key=day.isoformat())


@schedule(job=maintenance_job, cron_schedule="0 2 * * 0", execution_timezone=IST,
          default_status=DefaultScheduleStatus.RUNNING,
          description="Retention (90 days of intraday), VACUUM/ANALYZE, a report.")  # fmt: skip
def maintenance_schedule(context: ScheduleEvaluationContext):
    """One maintenance run per Sunday."""
    day = pd.Timestamp(context.scheduled_execution_time).tz_convert(IST).date()
    return RunRequest(run_key=f"maintenance-{day}")


ALL_SCHEDULES = [eod_schedule, maintenance_schedule]
