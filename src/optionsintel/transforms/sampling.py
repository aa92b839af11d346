"""Which stored snapshots the end-of-day analytics read (pure helpers)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def sample_ticks(ticks: Any, every_minutes: int = 15) -> pd.DatetimeIndex:
    """The first stored tick of every ``every_minutes`` bucket, plus the last tick.

    End-of-day analytics (EOD OHLC of each option, intraday signals) read these
    snapshots rather than every 15-second tick: reading a full day of chains back
    (millions of rows) would dominate the end-of-day run for little extra signal.

    Examples
    --------
    >>> t = pd.date_range("2025-07-16 03:45", periods=9, freq="5min", tz="UTC")
    >>> [str(x.time()) for x in sample_ticks(t, 15)]
    ['03:45:00', '04:00:00', '04:15:00', '04:25:00']
    """
    idx = (
        pd.DatetimeIndex(pd.to_datetime(pd.Series(list(ticks), dtype=object), utc=True))
        .unique()
        .sort_values()
    )
    if idx.empty:
        return idx
    if every_minutes <= 0:
        raise ValueError("every_minutes must be positive")
    bucket = idx.floor(f"{int(every_minutes)}min")
    first = ~pd.Series(bucket).duplicated().to_numpy()
    keep = first | (np.arange(len(idx)) == len(idx) - 1)
    return idx[keep]
