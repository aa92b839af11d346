"""Calendar-aware daily series: gaps against the NSE trading calendar, coverage, returns.

A daily price series with a hole (the replay NIFTY bars end on 2024-12-30 and resume on
2025-07-16) must not turn the hole into one period: a "daily" return across six months
would enter volatility, Sharpe and VaR. The rules here:

- a **gap** is a run of NSE trading sessions with no observation between two
  consecutive observations (:func:`find_gaps`). Inside the calendar's coverage
  (:func:`optionsintel.calendar.calendar_coverage`) the sessions are the exchange's
  trading days; outside it holidays are unknown, so only weekdays are counted and a gap
  needs more than :data:`UNCOVERED_TOLERANCE` missing weekdays (no NSE closure has
  lasted longer);
- the one-period return that would span a gap is NaN, never a number
  (:func:`gap_aware_returns`);
- :func:`series_coverage` states how many of the expected sessions a window holds.

Only daily series are checked: an index whose timestamps are not all midnights
(intraday bars) is returned unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from optionsintel.calendar import calendar_coverage, trading_days
from optionsintel.tz import EXCHANGE_TZ

__all__ = [
    "GAP_COLUMNS",
    "UNCOVERED_TOLERANCE",
    "SeriesCoverage",
    "after_gap",
    "find_gaps",
    "gap_aware_returns",
    "is_daily_index",
    "series_coverage",
]

#: Missing weekdays tolerated outside the calendar coverage (unknown holidays).
UNCOVERED_TOLERANCE = 3
GAP_COLUMNS = ("last_before", "first_after", "missing_sessions")


def is_daily_index(index: pd.Index) -> bool:
    """Whether ``index`` is a DatetimeIndex of dates (every timestamp a midnight)."""
    if not isinstance(index, pd.DatetimeIndex) or len(index) == 0:
        return False
    local = index.tz_localize(None) if index.tz is not None else index
    return bool((local == local.normalize()).all())


def _days(index: pd.DatetimeIndex) -> np.ndarray:
    local = index.tz_localize(None) if index.tz is not None else index
    return np.unique(local.normalize().to_numpy().astype("datetime64[D]"))


def _expected_sessions(lo: np.datetime64, hi: np.datetime64) -> tuple[np.ndarray, np.ndarray]:
    """Expected session days in ``[lo, hi]`` and whether each is calendar-checked."""
    cov = calendar_coverage()
    first, last = np.datetime64(cov.first_date), np.datetime64(cov.last_date)
    weekdays = np.arange(lo, hi + np.timedelta64(1, "D"), dtype="datetime64[D]")
    weekdays = weekdays[np.is_busday(weekdays)]
    inside = (weekdays >= first) & (weekdays <= last)
    known = np.array([], dtype="datetime64[D]")
    if inside.any():
        known = pd.DatetimeIndex(trading_days(weekdays[inside][0], weekdays[inside][-1]))
        known = known.to_numpy().astype("datetime64[D]")
    days = np.union1d(weekdays[~inside], known)
    return days, (days >= first) & (days <= last)


def find_gaps(index: pd.Index) -> pd.DataFrame:
    """Holes of a daily series against the NSE trading calendar.

    Parameters
    ----------
    index
        Dates of the observations (a DatetimeIndex; duplicates and order do not matter).

    Returns
    -------
    pandas.DataFrame
        One row per gap: ``last_before`` (last date observed before it),
        ``first_after`` (first date after it) and ``missing_sessions`` (expected
        sessions without an observation). Empty for intraday or gap-free input.
    """
    empty = pd.DataFrame({c: pd.Series(dtype=t) for c, t in
                          zip(GAP_COLUMNS, ("datetime64[ns]", "datetime64[ns]", "int64"),
                              strict=True)})  # fmt: skip
    if not is_daily_index(index):
        return empty
    days = _days(pd.DatetimeIndex(index))
    if len(days) < 2:
        return empty
    expected, checked = _expected_sessions(days[0], days[-1])
    missing = ~np.isin(expected, days)
    # missing sessions between consecutive observations
    slot = np.searchsorted(days, expected, side="right") - 1
    count = np.bincount(slot[missing], minlength=len(days))[: len(days) - 1]
    strict = np.bincount(slot[missing & checked], minlength=len(days))[: len(days) - 1]
    loose = count - strict
    is_gap = (strict > 0) | (loose > UNCOVERED_TOLERANCE)
    at = np.flatnonzero(is_gap)
    return pd.DataFrame(
        {
            "last_before": pd.DatetimeIndex(days[at].astype("datetime64[ns]")),
            "first_after": pd.DatetimeIndex(days[at + 1].astype("datetime64[ns]")),
            "missing_sessions": count[at].astype(np.int64),
        }
    )


def gap_aware_returns(
    prices: pd.Series | pd.DataFrame, log: bool = False
) -> pd.Series | pd.DataFrame:
    """One-period returns that are NaN wherever the period would span a gap.

    Parameters
    ----------
    prices
        Daily prices (Series, or wide frame: dates x symbols). Each column is checked
        on its own observed dates, so one symbol's hole does not blank another's.
    log
        Log returns instead of simple returns.

    Returns
    -------
    Same type as ``prices`` (first row NaN).
    """
    frame = prices.to_frame() if isinstance(prices, pd.Series) else prices
    out = {}
    for col in frame.columns:
        s = frame[col].dropna()
        r = np.log(s / s.shift(1)) if log else s / s.shift(1) - 1.0
        gaps = find_gaps(s.index)
        if len(gaps):
            days = pd.DatetimeIndex(s.index).normalize()
            days = days.tz_localize(None) if days.tz is not None else days
            r[np.isin(days, gaps["first_after"])] = np.nan
        out[col] = r.reindex(frame.index)
    result = pd.DataFrame(out, index=frame.index, columns=frame.columns)
    return result.iloc[:, 0].rename(prices.name) if isinstance(prices, pd.Series) else result


@dataclass(frozen=True)
class SeriesCoverage:
    """Sessions a daily series holds between two dates, and its gaps."""

    start: pd.Timestamp
    end: pd.Timestamp
    expected_sessions: int
    observed_sessions: int
    gaps: pd.DataFrame

    @property
    def ratio(self) -> float:
        """Observed over expected sessions (1.0 for an empty expectation)."""
        return self.observed_sessions / self.expected_sessions if self.expected_sessions else 1.0

    def describe(self) -> str:
        """One sentence: coverage and the largest gaps."""
        text = (
            f"{self.observed_sessions} of {self.expected_sessions} trading sessions "
            f"{self.start:%d %b %Y} - {self.end:%d %b %Y} ({self.ratio:.0%})"
        )
        if len(self.gaps):
            big = self.gaps.sort_values("missing_sessions", ascending=False).head(3)
            holes = ", ".join(
                f"{r.last_before:%d %b %Y} -> {r.first_after:%d %b %Y} "
                f"({r.missing_sessions} sessions)"
                for r in big.itertuples()
            )
            text += f"; {len(self.gaps)} gap(s): {holes}"
        return text


def series_coverage(index: pd.Index, start: object, end: object) -> SeriesCoverage:
    """How many expected sessions in ``[start, end]`` the dates ``index`` hold.

    Sessions are counted as in :func:`find_gaps` (trading days inside the calendar
    coverage, weekdays outside it).
    """
    lo, hi = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    lo, hi = (x.tz_localize(None) if x.tz is not None else x for x in (lo, hi))
    expected, _ = _expected_sessions(np.datetime64(lo.date()), np.datetime64(hi.date()))
    days = _days(pd.DatetimeIndex(index)) if is_daily_index(index) else np.array([], "M8[D]")
    inside = days[(days >= np.datetime64(lo.date())) & (days <= np.datetime64(hi.date()))]
    observed = int(np.isin(expected, inside).sum())
    gaps = find_gaps(pd.DatetimeIndex(inside.astype("datetime64[ns]")))
    return SeriesCoverage(lo, hi, len(expected), observed, gaps)


def after_gap(stamps: pd.Series | pd.Index) -> np.ndarray:
    """Whether each observation is the first after a gap (daily observations only).

    ``stamps`` may be dates or one instant per day (e.g. 15:30 IST snapshots; aware
    instants are read in India time). Series with several observations on a day
    (intraday) give all False.
    """
    idx = pd.DatetimeIndex(stamps)
    if idx.tz is not None:
        idx = idx.tz_convert(EXCHANGE_TZ).tz_localize(None)
    days = idx.normalize()
    if len(days) < 2 or days.has_duplicates:
        return np.zeros(len(days), dtype=bool)
    gaps = find_gaps(days)
    return np.asarray(days.isin(gaps["first_after"]))
