"""The NSE regular trading session (09:15-15:30 India time) and market-open checks.

India has no daylight saving, so 09:15 IST is always 03:45 UTC and 15:30 IST is 10:00 UTC.
The pre-open call auction (order entry 09:00-09:08 IST) is exposed as information only:
:func:`is_market_open` is about the continuous session.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from optionsintel.calendar._data import busday_calendar, holiday_file
from optionsintel.calendar._dates import (
    IST,
    DateLike,
    check_coverage,
    is_scalar_date,
    to_days,
    to_instants,
)
from optionsintel.errors import CalendarError


def session_times() -> dict[str, dt.time]:
    """Session times in India time: ``open``, ``close``, ``pre_open_start``, ``pre_open_end``.

    Examples
    --------
    >>> session_times()["open"]
    datetime.time(9, 15)
    """
    s = holiday_file().session
    return {
        "open": s.open,
        "close": s.close,
        "pre_open_start": s.pre_open_start,
        "pre_open_end": s.pre_open_end,
    }


def session_minutes() -> int:
    """Length of the regular session in minutes (375 for 09:15-15:30)."""
    s = holiday_file().session
    return (s.close.hour * 60 + s.close.minute) - (s.open.hour * 60 + s.open.minute)


def _minutes_of(t: dt.time) -> np.timedelta64:
    return np.timedelta64(t.hour * 60 + t.minute, "m")


def session_bounds(d: DateLike, tz: str = "UTC") -> tuple[pd.Timestamp, pd.Timestamp]:
    """Open and close instants of the regular session on trading day ``d``.

    Parameters
    ----------
    d
        A trading day (date or timestamp; aware timestamps are read in India time).
    tz
        Timezone of the returned instants, ``"UTC"`` (default) or e.g. ``"Asia/Kolkata"``.

    Returns
    -------
    tuple of pandas.Timestamp
        Timezone-aware ``(open, close)``; ``pandas.Timestamp`` subclasses ``datetime``.

    Raises
    ------
    CalendarError
        If ``d`` is not a trading day or lies outside the coverage.

    Examples
    --------
    >>> [t.isoformat() for t in session_bounds(dt.date(2024, 7, 4))]
    ['2024-07-04T03:45:00+00:00', '2024-07-04T10:00:00+00:00']
    """
    days = to_days(d)
    check_coverage(days)
    if not np.is_busday(days, busdaycal=busday_calendar())[0]:
        raise CalendarError(
            f"{days[0]} is not an NSE trading day (weekend or holiday); "
            "use next_trading_day() or previous_trading_day() first"
        )
    s = holiday_file().session
    day = pd.Timestamp(days[0])
    opening = pd.Timestamp.combine(day.date(), s.open).tz_localize(IST)
    closing = pd.Timestamp.combine(day.date(), s.close).tz_localize(IST)
    return opening.tz_convert(tz), closing.tz_convert(tz)


def is_market_open(ts: Any) -> Any:
    """Whether the regular session is running at each instant.

    The session interval is closed on both ends: 09:15:00 and 15:30:00 IST count as open.

    Parameters
    ----------
    ts
        Timezone-aware timestamp(s): scalar, list, ndarray, Series or DatetimeIndex.

    Returns
    -------
    bool or numpy.ndarray of bool or pandas.Series
        Same shape as the input.

    Raises
    ------
    CalendarError
        If a timestamp is naive or its India date lies outside the coverage.

    Examples
    --------
    >>> is_market_open(pd.Timestamp("2024-07-04 04:00", tz="UTC"))
    True
    """
    instants = to_instants(ts)
    local = instants.tz_convert(IST).tz_localize(None).to_numpy()
    days = local.astype("datetime64[D]")
    check_coverage(days)
    s = holiday_file().session
    since_midnight = local - days.astype("datetime64[ns]")
    opening = _minutes_of(s.open).astype("timedelta64[ns]")
    closing = _minutes_of(s.close).astype("timedelta64[ns]")
    in_hours = (since_midnight >= opening) & (since_midnight <= closing)
    result = in_hours & np.is_busday(days, busdaycal=busday_calendar())
    if is_scalar_date(ts):
        return bool(result[0])
    if isinstance(ts, pd.Series):
        return pd.Series(result, index=ts.index, name=ts.name)
    return result
