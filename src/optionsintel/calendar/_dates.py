"""Input normalisation shared by the calendar functions.

Public functions accept a ``datetime.date``, ``datetime.datetime``, ``pandas.Timestamp``,
ISO string or ``numpy.datetime64`` as a scalar, or a list / ndarray / Series /
DatetimeIndex of those. Timezone-aware values are first converted to India time, so an
instant maps to its NSE trading date. Kernels work on ``datetime64[D]`` arrays.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd

from optionsintel.calendar._data import coverage_bounds
from optionsintel.errors import CalendarError
from optionsintel.tz import EXCHANGE_TZ

IST = EXCHANGE_TZ
DateLike: TypeAlias = dt.date | pd.Timestamp | np.datetime64 | str
DatesLike: TypeAlias = DateLike | list[Any] | npt.NDArray[Any] | pd.Series | pd.DatetimeIndex
Day64: TypeAlias = npt.NDArray[np.datetime64]


def is_scalar_date(value: object) -> bool:
    """Return True when ``value`` is a single date-like (not a sequence)."""
    return isinstance(value, dt.date | np.datetime64 | str | pd.Timestamp)


def to_days(value: DatesLike) -> Day64:
    """Convert any accepted date input to a 1-D ``datetime64[D]`` array (India dates).

    Raises
    ------
    CalendarError
        If the value cannot be read as dates or contains missing values.
    """
    items = [value] if is_scalar_date(value) else value
    try:
        idx = pd.DatetimeIndex(pd.to_datetime(items))
    except (TypeError, ValueError) as exc:
        raise CalendarError(f"cannot read {value!r} as dates: {exc}") from exc
    if idx.tz is not None:
        idx = idx.tz_convert(IST).tz_localize(None)
    if idx.hasnans:
        raise CalendarError("dates contain missing values (NaT/None); drop them first")
    # datetime64 -> [D] floors to midnight like ``normalize()`` but skips its
    # frequency inference (milliseconds per call on large indexes)
    return idx.to_numpy().astype("datetime64[D]")


def to_instants(value: Any) -> pd.DatetimeIndex:
    """Convert timezone-aware timestamps to a UTC ``DatetimeIndex``.

    Raises
    ------
    CalendarError
        If any timestamp is naive (ambiguous between UTC and India time).
    """
    items = [value] if is_scalar_date(value) else value
    try:
        idx = pd.DatetimeIndex(pd.to_datetime(items))
    except (TypeError, ValueError) as exc:
        raise CalendarError(f"cannot read {value!r} as timestamps: {exc}") from exc
    if idx.tz is None:
        raise CalendarError(
            "timestamps must be timezone-aware; localise them first, e.g. "
            "ts.tz_localize('Asia/Kolkata') or pd.Timestamp(..., tz='UTC')"
        )
    if idx.hasnans:
        raise CalendarError("timestamps contain missing values (NaT); drop them first")
    return idx.tz_convert("UTC")


def check_coverage(days: Day64, what: str = "date") -> None:
    """Raise :class:`CalendarError` if any day lies outside the holiday coverage."""
    if days.size == 0:
        return
    first, last = coverage_bounds()
    lo, hi = days.min(), days.max()
    if lo < first or hi > last:
        bad = lo if lo < first else hi
        raise CalendarError(
            f"{what} {bad} is outside the NSE calendar coverage {first} to {last}; "
            "holidays are only known for those years (extend calendar/data/holidays.yaml)"
        )


def as_date(day: np.datetime64) -> dt.date:
    """Convert a ``datetime64[D]`` scalar to ``datetime.date``."""
    return dt.date.fromisoformat(str(day.astype("datetime64[D]")))
