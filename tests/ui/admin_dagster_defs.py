"""A tiny Dagster code location for the admin dashboard's real-webserver test.

One daily-partitioned asset with two checks (one fails on odd days, severity WARN on
one and ERROR on the other), an unpartitioned asset that is never materialised, and a
daily schedule targeting the first: what the pipeline panel reads over GraphQL.
"""

import datetime as dt

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    DailyPartitionsDefinition,
    DefaultScheduleStatus,
    Definitions,
    asset,
    asset_check,
    define_asset_job,
    schedule,
)

DAYS = DailyPartitionsDefinition(start_date="2025-07-01")


@asset(partitions_def=DAYS)
def prices(context) -> int:
    """The day of month (what the checks look at)."""
    return dt.date.fromisoformat(context.partition_key).day


@asset
def never_built() -> int:
    """Defined but never materialised."""
    return 0


@asset_check(asset=prices)
def prices_even_day(context) -> AssetCheckResult:
    """Fails on odd days, as an ERROR."""
    day = dt.date.fromisoformat(context.partition_key).day
    return AssetCheckResult(passed=day % 2 == 0, severity=AssetCheckSeverity.ERROR,
                            description=f"day {day}")  # fmt: skip


@asset_check(asset=prices)
def prices_positive(context) -> AssetCheckResult:
    """Always passes (severity WARN if it did not)."""
    return AssetCheckResult(passed=True, severity=AssetCheckSeverity.WARN)


prices_job = define_asset_job("prices_job", selection=["prices"])


@schedule(
    job=prices_job,
    cron_schedule="0 16 * * *",
    execution_timezone="Asia/Kolkata",
    default_status=DefaultScheduleStatus.RUNNING,
)
def prices_schedule(context):
    """Every day at 16:00 IST."""
    return {}


defs = Definitions(assets=[prices, never_built], asset_checks=[prices_even_day, prices_positive],
                   jobs=[prices_job], schedules=[prices_schedule])  # fmt: skip
