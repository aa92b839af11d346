"""Missing trading days of a set of stored days (what a data set cannot answer).

Pure: days in, days out. Used to state a store's coverage per data set and provider
(``optionsintel db status``) before a user asks it for a day it does not hold.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optionsintel.calendar._dates import DatesLike, to_days
from optionsintel.calendar.holidays import calendar_coverage, trading_days


def missing_trading_days(days: DatesLike) -> pd.DatetimeIndex:
    """Trading days between the first and the last of ``days`` that ``days`` does not hold.

    Parameters
    ----------
    days
        Stored dates (any order, duplicates allowed; aware instants are read in India
        time). Non-trading days among them (a synthetic holiday, a special session)
        are ignored.

    Returns
    -------
    pandas.DatetimeIndex
        Naive, sorted dates. Only the part of the span inside :func:`calendar_coverage`
        is checked: outside it the trading days are not known, and no date is invented.
        Empty for fewer than two distinct days.

    Examples
    --------
    >>> [d.date().isoformat() for d in missing_trading_days(["2025-07-14", "2025-07-18"])]
    ['2025-07-15', '2025-07-16', '2025-07-17']
    >>> list(missing_trading_days(["2025-08-14", "2025-08-18"]))  # 15 Aug holiday + weekend
    []
    """
    have = np.unique(to_days(days)) if not _empty(days) else np.array([], "datetime64[D]")
    if len(have) < 2:
        return pd.DatetimeIndex([], dtype="datetime64[ns]")
    cov = calendar_coverage()
    lo = max(have[0], np.datetime64(cov.first_date, "D"))
    hi = min(have[-1], np.datetime64(cov.last_date, "D"))
    if hi < lo:
        return pd.DatetimeIndex([], dtype="datetime64[ns]")
    expected = trading_days(lo, hi).to_numpy().astype("datetime64[D]")
    missing = expected[~np.isin(expected, have)]
    return pd.DatetimeIndex(missing.astype("datetime64[ns]"))


def _empty(days: DatesLike) -> bool:
    return not isinstance(days, str) and hasattr(days, "__len__") and len(days) == 0
