"""NSE trading days: holidays, weekends and trading-day arithmetic.

A trading day is a Monday-Friday that is not an NSE equity-derivatives holiday
(``data/holidays.yaml``). Special sessions held on holidays or weekends (Muhurat trading,
budget-day Saturdays) are listed by :func:`special_sessions` but are not trading days.
Dates outside the covered years raise :class:`~optionsintel.errors.CalendarError` rather
than being silently treated as trading days.

Scalar inputs give scalar outputs (``bool`` / ``datetime.date``); array-like inputs give
NumPy arrays or a ``DatetimeIndex``; a ``Series`` input gives a ``Series`` on its index.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, NamedTuple

import numpy as np
import pandas as pd

from optionsintel.calendar._data import busday_calendar, coverage_bounds, holiday_file
from optionsintel.calendar._dates import (
    DateLike,
    DatesLike,
    Day64,
    as_date,
    check_coverage,
    is_scalar_date,
    to_days,
)


class CalendarCoverage(NamedTuple):
    """Years (inclusive) for which NSE holidays are known."""

    first_year: int
    last_year: int
    first_date: dt.date
    last_date: dt.date


def calendar_coverage() -> CalendarCoverage:
    """Return the first and last year covered by the holiday data.

    Examples
    --------
    >>> calendar_coverage().first_year
    2019
    """
    cov = holiday_file().coverage
    first, last = coverage_bounds()
    return CalendarCoverage(cov.first_year, cov.last_year, as_date(first), as_date(last))


def _restore(values: np.ndarray, original: Any) -> Any:
    if is_scalar_date(original):
        item = values[0]
        return as_date(item) if np.issubdtype(values.dtype, np.datetime64) else bool(item)
    if np.issubdtype(values.dtype, np.datetime64):
        values = pd.DatetimeIndex(values.astype("datetime64[ns]"))
    if isinstance(original, pd.Series):
        return pd.Series(np.asarray(values), index=original.index, name=original.name)
    return values


def is_trading_day(d: DatesLike) -> Any:
    """Whether each date is an NSE trading day (weekday and not a holiday).

    Parameters
    ----------
    d
        A date, timestamp (aware timestamps are read in India time) or array-like of them.

    Returns
    -------
    bool or numpy.ndarray of bool or pandas.Series
        Same shape as the input.

    Raises
    ------
    CalendarError
        If a date lies outside :func:`calendar_coverage`.

    Examples
    --------
    >>> is_trading_day(dt.date(2025, 8, 15))  # Independence Day
    False
    >>> is_trading_day(dt.date(2025, 8, 14))
    True
    """
    days = to_days(d)
    check_coverage(days)
    return _restore(np.is_busday(days, busdaycal=busday_calendar()), d)


def trading_days(start: DateLike, end: DateLike) -> pd.DatetimeIndex:
    """All trading days from ``start`` to ``end``, both inclusive.

    Returns
    -------
    pandas.DatetimeIndex
        Naive, midnight-normalised dates (``datetime64[ns]``), sorted ascending; empty
        when ``end < start``.

    Raises
    ------
    CalendarError
        If ``start`` or ``end`` lies outside :func:`calendar_coverage`.
    """
    lo, hi = to_days(start)[0], to_days(end)[0]
    check_coverage(np.array([lo, hi]))
    if hi < lo:
        return pd.DatetimeIndex([], dtype="datetime64[ns]")
    span = np.arange(lo, hi + np.timedelta64(1, "D"), dtype="datetime64[D]")
    days = span[np.is_busday(span, busdaycal=busday_calendar())]
    return pd.DatetimeIndex(days.astype("datetime64[ns]"))


def _offset(days: Day64, step: int) -> Day64:
    roll: Literal["backward", "forward"] = "backward" if step > 0 else "forward"
    out = np.busday_offset(days, step, roll=roll, busdaycal=busday_calendar())
    check_coverage(out, what="result")
    return out


def next_trading_day(d: DatesLike) -> Any:
    """Return the first trading day strictly after each date.

    Raises
    ------
    CalendarError
        If the input or the result lies outside :func:`calendar_coverage`.

    Examples
    --------
    >>> next_trading_day(dt.date(2024, 1, 19))  # Friday; Monday 22nd was a holiday
    datetime.date(2024, 1, 23)
    """
    days = to_days(d)
    check_coverage(days)
    return _restore(_offset(days, 1), d)


def previous_trading_day(d: DatesLike) -> Any:
    """Return the last trading day strictly before each date.

    Raises
    ------
    CalendarError
        If the input or the result lies outside :func:`calendar_coverage`.

    Examples
    --------
    >>> previous_trading_day(dt.date(2023, 6, 30))  # Thursday 29th was Bakri Id
    datetime.date(2023, 6, 28)
    """
    days = to_days(d)
    check_coverage(days)
    return _restore(_offset(days, -1), d)


def holidays(start: DateLike | None = None, end: DateLike | None = None) -> pd.DataFrame:
    """Weekday holidays between ``start`` and ``end`` (inclusive; default: full coverage).

    Returns
    -------
    pandas.DataFrame
        Columns ``date`` (``datetime.date``), ``name``, ``note``, ``source``.
    """
    first, last = coverage_bounds()
    lo = to_days(start)[0] if start is not None else first
    hi = to_days(end)[0] if end is not None else last
    rows = [
        {"date": h.date, "name": h.name, "note": h.note, "source": year.source}
        for year in holiday_file().years.values()
        for h in year.holidays
        if lo <= np.datetime64(h.date) <= hi
    ]
    return pd.DataFrame(rows, columns=["date", "name", "note", "source"])


def special_sessions() -> pd.DataFrame:
    """Sessions held on holidays or weekends (Muhurat, budget Saturdays, DR drills).

    These are not counted as trading days by :func:`is_trading_day`.

    Returns
    -------
    pandas.DataFrame
        Columns ``date`` (``datetime.date``), ``kind``, ``note``.
    """
    rows = [s.model_dump() for s in holiday_file().special_sessions]
    return pd.DataFrame(rows, columns=["date", "kind", "note"])
