"""Daily partitions on the NSE trading calendar (IST), weekends and holidays excluded."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from dagster import DailyPartitionsDefinition
from optionsintel.calendar import calendar_coverage, is_trading_day
from optionsintel.tz import EXCHANGE_TZ

IST = EXCHANGE_TZ


def _non_trading_weekdays(first: dt.date, last: dt.date) -> list[dt.datetime]:
    days = pd.bdate_range(first, last, tz=IST)
    closed = ~pd.Series(is_trading_day(days.tz_localize(None)), index=days).astype(bool)
    return [d.to_pydatetime() for d in days[closed.to_numpy()]]


def _build() -> DailyPartitionsDefinition:
    cov = calendar_coverage()
    # Weekends by cron, weekday holidays by date. Weekend special sessions (Muhurat,
    # Saturday budget days) are not partitions: their data belongs to no regular session.
    exclusions: list[str | dt.datetime] = [
        "0 0 * * 6",
        "0 0 * * 0",
        *_non_trading_weekdays(cov.first_date, cov.last_date),
    ]
    return DailyPartitionsDefinition(
        start_date=cov.first_date.isoformat(),
        end_date=(cov.last_date + dt.timedelta(days=1)).isoformat(),
        timezone=IST,
        end_offset=1,  # today is a partition from midnight IST, so the 16:00 EOD run can target it
        exclusions=exclusions,
    )


trading_day_partitions = _build()
