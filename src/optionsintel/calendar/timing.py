"""Time from a date or instant to an expiry: days and year fractions.

Glossary: ``ts`` valuation instant (aware), ``T`` year fraction to the expiry close.

Two bases:

- ``"calendar"``: ACT/365, ``T = (expiry 15:30 IST - ts) / 365 days``.
- ``"trading"``: ``T = trading minutes left / (252 * 375)``, counting only regular-session
  minutes (09:15-15:30 IST) of trading days up to the expiry close.
"""

from __future__ import annotations

from typing import Any, Literal, TypeAlias

import numpy as np
import pandas as pd

from optionsintel.calendar._data import busday_calendar, holiday_file
from optionsintel.calendar._dates import IST, check_coverage, is_scalar_date, to_days, to_instants
from optionsintel.calendar.sessions import session_minutes
from optionsintel.errors import CalendarError

Basis: TypeAlias = Literal["calendar", "trading"]
TRADING_DAYS_PER_YEAR = 252
_SECONDS_PER_YEAR = 365 * 86400
_ONE_DAY = np.timedelta64(1, "D")


def _check_basis(basis: str) -> None:
    if basis not in ("calendar", "trading"):
        raise CalendarError(f"basis must be 'calendar' or 'trading', got {basis!r}")


def _shape(result: np.ndarray, *originals: Any) -> Any:
    if all(is_scalar_date(o) for o in originals):
        return result[0].item()
    series = next((o for o in originals if isinstance(o, pd.Series)), None)
    return pd.Series(result, index=series.index) if series is not None else result


def days_to_expiry(on: Any, expiry: Any, basis: Basis = "calendar") -> Any:
    """Days from ``on`` to ``expiry`` (broadcast element-wise).

    Parameters
    ----------
    on, expiry
        Dates or array-likes of dates (same length, or one of them scalar).
    basis
        ``"calendar"``: ``expiry - on`` in days. ``"trading"``: number of trading days
        ``d`` with ``on < d <= expiry`` (so 1 on the day before a Thursday expiry, 0 on
        the expiry day); negative when the expiry is past.

    Returns
    -------
    int or numpy.ndarray of int64 or pandas.Series

    Raises
    ------
    CalendarError
        For an invalid basis, or (trading basis) dates outside the coverage.

    Examples
    --------
    >>> days_to_expiry("2024-07-01", "2024-07-04", basis="trading")
    3
    """
    _check_basis(basis)
    start, stop = np.broadcast_arrays(to_days(on), to_days(expiry))
    if basis == "calendar":
        out = (stop - start).astype("int64")
    else:
        check_coverage(np.concatenate([start, stop]))
        out = np.busday_count(start + _ONE_DAY, stop + _ONE_DAY, busdaycal=busday_calendar())
    return _shape(out.astype("int64"), on, expiry)


def _expiry_close_utc(days: np.ndarray) -> pd.DatetimeIndex:
    close = holiday_file().session.close
    local = pd.DatetimeIndex(days.astype("datetime64[ns]")) + pd.Timedelta(
        hours=close.hour, minutes=close.minute
    )
    return local.tz_localize(IST).tz_convert("UTC")


def _trading_minutes(instants: pd.DatetimeIndex, expiry: np.ndarray) -> np.ndarray:
    s = holiday_file().session
    local = instants.tz_convert(IST).tz_localize(None).to_numpy()
    day = local.astype("datetime64[D]")
    check_coverage(np.concatenate([day, expiry]))
    open_ns = np.timedelta64(s.open.hour * 60 + s.open.minute, "m").astype("m8[ns]")
    since = local - day.astype("datetime64[ns]")
    left_today = open_ns + np.timedelta64(session_minutes(), "m") - np.maximum(since, open_ns)
    left_today = np.clip(left_today / np.timedelta64(1, "m"), 0.0, float(session_minutes()))
    cal = busday_calendar()
    left_today = left_today * np.is_busday(day, busdaycal=cal)
    full_days = np.busday_count(day + _ONE_DAY, expiry + _ONE_DAY, busdaycal=cal)
    total = left_today + session_minutes() * np.maximum(full_days, 0)
    return np.where(day > expiry, 0.0, total)


def years_to_expiry(ts: Any, expiry: Any, basis: Basis = "calendar") -> Any:
    r"""Year fraction from instant ``ts`` to the 15:30 IST close of ``expiry``, floored at 0.

    Parameters
    ----------
    ts
        Timezone-aware timestamp(s).
    expiry
        Expiry date(s); broadcast against ``ts``.
    basis
        ``"calendar"`` (ACT/365) or ``"trading"`` (session minutes / (252 x 375)).

    Returns
    -------
    float or numpy.ndarray or pandas.Series

    Raises
    ------
    CalendarError
        For naive timestamps, an invalid basis, or (trading basis) out-of-coverage dates.

    Notes
    -----
    Calendar: :math:`T = (t_{close} - t) / (365 \cdot 86400\,s)`. Trading:
    :math:`T = m / (252 \cdot 375)` where :math:`m` is the regular-session minutes left
    today plus 375 for each trading day after today up to and including the expiry.

    Examples
    --------
    >>> years_to_expiry(pd.Timestamp("2024-07-04 09:15", tz="Asia/Kolkata"), "2024-07-04",
    ...                 basis="trading") * 252
    1.0
    """
    _check_basis(basis)
    instants = to_instants(ts)
    n = max(len(instants), len(to_days(expiry)))
    expiry_days = np.broadcast_to(to_days(expiry), (n,))
    instants = instants if len(instants) == n else instants.repeat(n)
    if basis == "calendar":
        seconds = (_expiry_close_utc(expiry_days) - instants).total_seconds().to_numpy()
        out = np.maximum(seconds, 0.0) / _SECONDS_PER_YEAR
    else:
        minutes = _trading_minutes(instants, np.asarray(expiry_days))
        out = minutes / (TRADING_DAYS_PER_YEAR * session_minutes())
    return _shape(np.asarray(out, dtype="float64"), ts, expiry)
