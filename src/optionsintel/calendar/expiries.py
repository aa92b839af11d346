"""Expiry dates of NSE index and stock derivatives, from dated regimes in ``expiries.yaml``.

Rules (per underlying, each regime cited in the data file):

- a weekly contract expires on the regime's weekday every week, except the week in which
  the monthly contract expires;
- a monthly contract expires on the last regime weekday of its month (the monthly regime
  is the one in force on the 1st of the month);
- an expiry falling on a trading holiday moves to the previous trading day.

Underlyings other than NIFTY, BANKNIFTY, FINNIFTY and MIDCPNIFTY use the ``STOCK`` rules
(monthly contracts only). :func:`expiries_between` and :func:`next_expiry` return the
final, realised dates: where NSE re-dated listed contracts (Thursday to Tuesday at EOD
2025-08-28), the new date is used. What was listed on a day, with the dates as known
that day, is :func:`optionsintel.calendar.listing.listed_expiries`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, TypeAlias

import numpy as np
import pandas as pd

from optionsintel.calendar._data import (
    STOCK_KEY,
    WEEKDAY_INDEX,
    ExpiryRules,
    busday_calendar,
    coverage_bounds,
    expiry_rules,
)
from optionsintel.calendar._dates import DateLike, Day64, as_date, check_coverage, to_days
from optionsintel.errors import CalendarError

ExpiryKind: TypeAlias = Literal["weekly", "monthly", "all"]
_KINDS = ("weekly", "monthly", "all")
_WEEK = np.timedelta64(7, "D")


def rules_for(underlying: str) -> tuple[str, ExpiryRules]:
    """Return ``(key, rules)`` for an underlying; unknown symbols get the stock rules."""
    if not isinstance(underlying, str) or not underlying.strip():
        raise CalendarError(f"underlying must be a non-empty symbol string, got {underlying!r}")
    key = underlying.strip().upper()
    table = expiry_rules()
    return (key, table[key]) if key in table else (STOCK_KEY, table[STOCK_KEY])


def _check_kind(kind: str) -> None:
    if kind not in _KINDS:
        raise CalendarError(f"kind must be one of {_KINDS}, got {kind!r}")


def _weekday(days: Any) -> np.ndarray:
    # 1970-01-01 was a Thursday (Monday = 0).
    return (days.astype("int64") + 3) % 7


def _last_weekday_of(months: np.ndarray, weekdays: np.ndarray) -> Day64:
    last = (months + 1).astype("datetime64[D]") - np.timedelta64(1, "D")
    return last - ((_weekday(last) - weekdays) % 7).astype("timedelta64[D]")


def _monthly_nominal(rules: ExpiryRules, months: np.ndarray) -> Day64:
    """Nominal (pre-holiday) monthly expiry of each ``datetime64[M]`` month."""
    starts = np.array([r.from_ for r in rules.monthly], dtype="datetime64[D]").astype(
        "datetime64[M]"
    )
    idx = np.searchsorted(starts, months, side="right") - 1
    months = months[idx >= 0]
    wd = np.array([WEEKDAY_INDEX[r.weekday] for r in rules.monthly])[idx[idx >= 0]]
    days = _last_weekday_of(months, wd)
    return days[days >= np.datetime64(rules.listed_from)]


def _weekly_nominal(rules: ExpiryRules, lo: np.datetime64, hi: np.datetime64) -> Day64:
    """Nominal weekly expiries in ``[lo, hi]``, monthly weeks excluded."""
    bounds = [np.datetime64(r.from_) for r in rules.weekly] + [hi + np.timedelta64(1, "D")]
    parts = []
    for regime, start, stop in zip(rules.weekly, bounds[:-1], bounds[1:], strict=True):
        if regime.weekday is None:
            continue
        first = max(start, lo, np.datetime64(rules.listed_from))
        first = first + np.timedelta64(
            int((WEEKDAY_INDEX[regime.weekday] - _weekday(first)) % 7), "D"
        )
        parts.append(np.arange(first, min(stop, hi + np.timedelta64(1, "D")), _WEEK))
    weekly = np.concatenate(parts) if parts else np.array([], dtype="datetime64[D]")
    months = np.arange(
        (lo - _WEEK).astype("datetime64[M]"), (hi + _WEEK).astype("datetime64[M]") + 1
    )
    monthly_weeks = _week_start(_monthly_nominal(rules, months))
    return weekly[~np.isin(_week_start(weekly), monthly_weeks)]


def _week_start(days: Day64) -> Day64:
    return days - _weekday(days).astype("timedelta64[D]")


def _adjust(nominal: Day64) -> Day64:
    """Move expiries falling on holidays/weekends to the previous trading day."""
    return np.busday_offset(nominal, 0, roll="backward", busdaycal=busday_calendar())


def _between(rules: ExpiryRules, lo: np.datetime64, hi: np.datetime64, kind: str) -> Day64:
    _, last = coverage_bounds()
    top = min(hi + _WEEK, last)  # holiday shifts move expiries earlier, never later
    nominal = []
    if kind in ("weekly", "all"):
        nominal.append(_weekly_nominal(rules, lo, top))
    if kind in ("monthly", "all"):
        months = np.arange(lo.astype("datetime64[M]"), top.astype("datetime64[M]") + 1)
        monthly = _monthly_nominal(rules, months)
        nominal.append(monthly[monthly <= top])
    days = _adjust(np.concatenate(nominal)) if nominal else np.array([], "datetime64[D]")
    return np.unique(days[(days >= lo) & (days <= hi)])


def expiries_between(
    underlying: str, start: DateLike, end: DateLike, kind: ExpiryKind = "all"
) -> pd.DatetimeIndex:
    """All expiry dates of ``underlying`` from ``start`` to ``end`` (inclusive).

    Parameters
    ----------
    underlying
        ``NIFTY``, ``BANKNIFTY``, ``FINNIFTY``, ``MIDCPNIFTY`` or a stock symbol.
    start, end
        Date range (inclusive), inside :func:`calendar_coverage`.
    kind
        ``"weekly"`` (weekly contracts only), ``"monthly"`` (monthly contracts, which also
        serve as quarterly/half-yearly expiries) or ``"all"``.

    Returns
    -------
    pandas.DatetimeIndex
        Sorted, unique, naive dates; every one is a trading day.

    Raises
    ------
    CalendarError
        If the range leaves the coverage or ``kind`` is invalid.

    Examples
    --------
    >>> list(expiries_between("NIFTY", "2023-06-26", "2023-06-30").date)  # 29th: Bakri Id
    [datetime.date(2023, 6, 28)]
    """
    _check_kind(kind)
    lo, hi = to_days(start)[0], to_days(end)[0]
    check_coverage(np.array([lo, hi]))
    days = _between(rules_for(underlying)[1], lo, hi, kind) if hi >= lo else np.array([], "M8[D]")
    return pd.DatetimeIndex(days.astype("datetime64[ns]"))


def _listed_on(key: str, rules: ExpiryRules, on: np.datetime64) -> None:
    check_coverage(np.array([on]))
    if on < np.datetime64(rules.listed_from):
        raise CalendarError(
            f"{key} derivatives are not in the calendar before {rules.listed_from} "
            f"(asked for {on}); see calendar/data/expiries.yaml"
        )


def next_expiry(underlying: str, on_date: DateLike, kind: ExpiryKind = "all") -> dt.date:
    """Return the first expiry of ``kind`` on or after ``on_date``.

    Raises
    ------
    CalendarError
        If there is none within the coverage (e.g. ``kind="weekly"`` after an index's
        weeklies were discontinued), or ``on_date`` is out of coverage / before listing.

    Examples
    --------
    >>> next_expiry("NIFTY", dt.date(2024, 7, 1), "weekly")
    datetime.date(2024, 7, 4)
    """
    _check_kind(kind)
    key, rules = rules_for(underlying)
    on = to_days(on_date)[0]
    _listed_on(key, rules, on)
    _, last = coverage_bounds()
    days = _between(rules, on, min(on + np.timedelta64(70, "D"), last), kind)
    if days.size == 0:
        raise CalendarError(
            f"no {kind} expiry of {key} on or after {on} within the calendar "
            f"(weeklies may be discontinued or the date is near the coverage end); "
            "try kind='all' or 'monthly'"
        )
    return as_date(days[0])
