"""The intraday collection clock: aligned snapshot ticks on the NSE session grid.

Every snapshot of the intraday tables is keyed on an *aligned tick*: the session open
(09:15:00 IST) plus a whole number of collection intervals, up to and including the
close (15:30:00 IST). Keying on the tick rather than on the instant a request happened
to finish makes collection idempotent (a retried tick overwrites itself) and lets the
quality checks name missing ticks exactly.

Catch-up rule (documented in ``docs/orchestration.md``): a live provider serves only
the present, so after downtime the collector resumes at the next tick that is not yet
more than one interval old; ticks missed while it was down are reported by
:func:`missing_ticks` (and by the ``underlying_quotes_have_no_gaps`` check), never
fabricated. Replay and synthetic partitions can be re-collected whole by a backfill.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from optionsintel.calendar import is_trading_day, session_bounds
from optionsintel.errors import OptionsIntelError
from optionsintel.tz import EXCHANGE_TZ

IST = EXCHANGE_TZ


class CollectionScheduleError(OptionsIntelError, ValueError):
    """A collection interval or day that the session grid cannot serve."""


def _check_interval(interval_seconds: int) -> int:
    seconds = int(interval_seconds)
    if seconds <= 0 or seconds % 15:
        raise CollectionScheduleError(
            f"interval_seconds must be a positive multiple of 15 (got {interval_seconds})"
        )
    return seconds


def session_ticks(day: Any, interval_seconds: int = 15) -> pd.DatetimeIndex:
    """Aligned snapshot ticks (UTC) of trading day ``day``, open to close inclusive.

    The close is always included, even when the session length is not a multiple
    of the interval, so the end-of-day chain is the 15:30 snapshot.

    Raises
    ------
    CollectionScheduleError
        If ``day`` is not a trading day or the interval is not a positive multiple of 15.

    Examples
    --------
    >>> len(session_ticks("2025-07-16", 15))
    1501
    """
    seconds = _check_interval(interval_seconds)
    if not bool(is_trading_day(day)):
        raise CollectionScheduleError(f"{pd.Timestamp(day).date()} is not an NSE trading day")
    open_, close = session_bounds(day, tz="UTC")
    ticks = pd.date_range(open_, close, freq=pd.Timedelta(seconds=seconds))
    if ticks[-1] != close:
        ticks = ticks.append(pd.DatetimeIndex([close]))
    return ticks


def align_tick(ts: Any, interval_seconds: int = 15) -> pd.Timestamp:
    """The latest aligned tick at or before instant ``ts`` (naive = IST), in UTC.

    Instants before the open map to the open's day grid start; after the close, to
    the close.
    """
    stamp = _utc(ts)
    ticks = session_ticks(stamp.tz_convert(IST).date(), interval_seconds)
    pos = int(ticks.searchsorted(stamp, side="right")) - 1
    return ticks[max(pos, 0)]


def remaining_ticks(now: Any, interval_seconds: int = 15) -> pd.DatetimeIndex:
    """Ticks of today's session still to collect at ``now`` under the catch-up rule.

    A tick is still collectable while it is at most one interval old; older ticks
    are missed (see the module notes). Empty outside a trading day or after the close.
    """
    stamp = _utc(now)
    day = stamp.tz_convert(IST).date()
    if not bool(is_trading_day(day)):
        return pd.DatetimeIndex([], tz="UTC")
    ticks = session_ticks(day, interval_seconds)
    grace = pd.Timedelta(seconds=_check_interval(interval_seconds))
    return ticks[ticks > stamp - grace]


def missing_ticks(
    observed: Any, day: Any, interval_seconds: int = 15, until: Any = None
) -> pd.DatetimeIndex:
    """Expected ticks of ``day`` (up to ``until``, default the close) absent from ``observed``.

    Parameters
    ----------
    observed
        Snapshot instants present in the store (any iterable of timestamps).
    day
        The trading day.
    interval_seconds
        Expected collection interval.
    until
        Only ticks at or before this instant are expected (for a session in progress).
    """
    ticks = session_ticks(day, interval_seconds)
    if until is not None:
        ticks = ticks[ticks <= _utc(until)]
    seen = pd.DatetimeIndex(pd.to_datetime(pd.Series(list(observed), dtype=object), utc=True))
    return ticks.difference(seen)


def session_day(ts: Any) -> dt.date:
    """The IST calendar day of instant ``ts`` (naive = IST)."""
    return _utc(ts).tz_convert(IST).date()


def _utc(value: Any) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    return ts.tz_localize(IST).tz_convert("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
