"""Price pivots from daily OHLC (floor-trader pivots)."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from optionsintel.errors import FrameValidationError
from optionsintel.frames import require_columns

PivotMethod = Literal["classic", "fibonacci"]


def pivot_levels(ohlc: pd.DataFrame, *, method: PivotMethod = "classic") -> pd.DataFrame:
    """Floor pivot levels computed from each bar's high, low and close.

    Parameters
    ----------
    ohlc
        Daily bars with ``high, low, close`` (e.g. a canonical candle frame). Other
        columns (``symbol``, ``ts``...) are kept.
    method
        ``"classic"`` floor pivots or ``"fibonacci"`` pivots.

    Returns
    -------
    pandas.DataFrame
        The input's columns plus ``pivot, r1, r2, r3, s1, s2, s3``. The levels of a row
        are those to trade the *next* session with (shift by one bar per symbol to
        align them with the day they apply to).

    Raises
    ------
    FrameValidationError
        On missing columns or a bar with ``high < low``.

    Notes
    -----
    Classic: ``P = (H + L + C) / 3``, ``R1 = 2P - L``, ``S1 = 2P - H``,
    ``R2 = P + (H - L)``, ``S2 = P - (H - L)``, ``R3 = H + 2(P - L)``,
    ``S3 = L - 2(H - P)``. Fibonacci: ``R/S_n = P +/- f_n (H - L)`` with
    ``f = 0.382, 0.618, 1.0``. (J. Person, *A Complete Guide to Technical Trading
    Tactics*, 2004, ch. 4.)

    Examples
    --------
    >>> bar = pd.DataFrame({"high": [110.0], "low": [90.0], "close": [105.0]})
    >>> pivot_levels(bar)[["pivot", "r1", "s1"]].round(4).iloc[0].tolist()
    [101.6667, 113.3333, 93.3333]
    """
    require_columns(ohlc, ("high", "low", "close"), "daily OHLC")
    h = ohlc["high"].to_numpy(dtype=np.float64)
    low = ohlc["low"].to_numpy(dtype=np.float64)
    c = ohlc["close"].to_numpy(dtype=np.float64)
    if (h < low).any():
        raise FrameValidationError("daily OHLC has bars with high < low; fix the input bars")
    p = (h + low + c) / 3.0
    rng = h - low
    if method == "classic":
        levels = {
            "r1": 2 * p - low, "s1": 2 * p - h, "r2": p + rng, "s2": p - rng,
            "r3": h + 2 * (p - low), "s3": low - 2 * (h - p),
        }  # fmt: skip
    elif method == "fibonacci":
        levels = {}
        for n, f in enumerate((0.382, 0.618, 1.0), start=1):
            levels[f"r{n}"], levels[f"s{n}"] = p + f * rng, p - f * rng
    else:
        raise ValueError(f"method must be 'classic' or 'fibonacci'; got {method!r}")
    out = ohlc.copy()
    out["pivot"] = p
    for name in ("r1", "r2", "r3", "s1", "s2", "s3"):
        out[name] = levels[name]
    return out
